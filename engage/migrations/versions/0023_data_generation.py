"""the data generation: one counter every committed change of people's records moves on, so the
dashboard's figures are kept until something changes (engage.core.generation)

Revision ID: 0023_data_generation
Revises: 0022_page_indexes
Create Date: 2026-12-07 18:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_data_generation"
down_revision = "0022_page_indexes"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "number": 0}])


def downgrade():
    op.drop_table("data_generation")
