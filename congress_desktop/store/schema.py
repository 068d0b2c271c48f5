"""Every model module, imported once so ``Base.metadata`` knows all tables (Alembic, tests, sync)."""

