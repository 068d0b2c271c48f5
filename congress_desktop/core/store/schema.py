"""Every model module, imported once so ``Base.metadata`` knows all tables (Alembic, tests, sync)."""

from congress_desktop.core.store import (  # noqa: F401  (imported for their tables)
    models,
    models_duty,
    models_grids,
    models_sync,
    models_visits,
    models_votes,
)


def synced_table_names() -> frozenset[str]:
    """The tables whose records travel between offices (their models inherit ``Synced``)."""
    from congress_desktop.core.store.models import Base, Synced

    return frozenset(str(getattr(m.local_table, "name", "")) for m in Base.registry.mappers
                     if isinstance(m.class_, type) and issubclass(m.class_, Synced) and m.local_table is not None)
