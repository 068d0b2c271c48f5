"""Alembic environment: always run from code with the open connection in ``cfg.attributes``."""

from alembic import context
from sqlalchemy import create_engine

import congress_desktop.core.store.schema  # noqa: F401  (registers every table)
from congress_desktop.core.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url") or "sqlite://"
        with create_engine(url).connect() as conn:
            _run(conn)
            conn.commit()
    else:
        _run(connection)


def _include_name(name, type_, _parent_names) -> bool:
    """FTS5 search indexes (``*_fts`` and their shadow tables) are made by raw SQL in migrations, not
    by models: autogenerate and ``alembic check`` leave them alone."""
    return not (type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name))


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, include_name=_include_name)
    with context.begin_transaction():
        context.run_migrations()


run()
