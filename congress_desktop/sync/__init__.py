"""Sync by file (USB stick): packages, keys, signing and encryption, receipts. See DESIGN.md section 3."""
