"""drop the indexes on deputy.status and deputy.group_name

Each column holds a handful of distinct values. The indexes cost every insert (a 1,000,000-record
sync import spent 22 % of its database time on them) and SQLite, having no statistics, chose them
for filters such as 在任 and then read most of the table through them: the level + status filter of
100,000 deputies went from 72 ms to 33 ms without them (tests/bench/bench_deputy_filter.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:10:00
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_deputy_status', table_name='deputy')
    op.drop_index('ix_deputy_group_name', table_name='deputy')


def downgrade() -> None:
    op.create_index('ix_deputy_group_name', 'deputy', ['group_name'], unique=False)
    op.create_index('ix_deputy_status', 'deputy', ['status'], unique=False)
