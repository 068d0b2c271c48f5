"""联系点接待 and 意见建议督办: visits, opinions and their handling, attachments."""
