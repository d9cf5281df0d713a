"""an index on the register's resolved items, newest first ("you said, we did" on a peer's home
page, the public page and the board pack read the latest few from it instead of sorting every
resolved item)

Revision ID: 0024_resolved_index
Revises: 0023_data_generation
Create Date: 2026-12-07 18:55:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_resolved_index"
down_revision = "0023_data_generation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_state_resolved", ["state", "resolved_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_state_resolved")
