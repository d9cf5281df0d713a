"""a person can be erased: their account stays as a tombstone ("A former member") marked with
the moment they were erased

Revision ID: 0014_erasure
Revises: 0013_data_requests
Create Date: 2026-12-07 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa
import engage.core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "0014_erasure"
down_revision = "0013_data_requests"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", engage.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
