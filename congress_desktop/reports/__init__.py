"""Paper and spreadsheets: ReportLab documents through one layout module; .xlsx/.csv in and out."""
