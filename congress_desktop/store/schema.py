"""Every model module, imported once so ``Base.metadata`` knows all tables (Alembic, tests, sync)."""

from . import (
    models,  # noqa: F401
    models_duty,  # noqa: F401
    models_grids,  # noqa: F401
    models_sync,  # noqa: F401
    models_visits,  # noqa: F401
    models_votes,  # noqa: F401
)
