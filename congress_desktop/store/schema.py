"""Every model module, imported once so ``Base.metadata`` knows all tables (Alembic, tests, sync)."""

from . import models  # noqa: F401
