"""What every area uses: errors, paths, logging, the open office (context), the store (models, the
database, migrations), text and ID checks, the spreadsheet reader, the one PDF layout."""
