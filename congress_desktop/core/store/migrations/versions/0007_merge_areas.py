"""merge the area branches (visits 0002, grids 0003, votes 0004, sync 0005, duty 0006)

The five areas were built side by side, each with its own migration from 0001. This empty revision
joins them, so the next migration has one parent: down_revision = "0007".

Revision ID: 0007
Revises: 0002, 0003, 0004, 0005, 0006
"""

revision = "0007"
down_revision = ("0002", "0003", "0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
