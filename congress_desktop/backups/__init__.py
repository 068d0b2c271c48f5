"""备份与恢复: backups, encrypted stick backups, restore and the data check."""
