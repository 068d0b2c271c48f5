"""Storage: SQLAlchemy 2 models over one SQLite file per office, Alembic migrations, backups."""
