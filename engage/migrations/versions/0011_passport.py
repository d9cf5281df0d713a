"""supervision sessions keep the random key of the form that logged them, so a double press
logs one session

Revision ID: 0011_passport
Revises: 0010
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_passport"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("supervision_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_supervision_session_submission_key"), ["submission_key"]
        )


def downgrade():
    with op.batch_alter_table("supervision_session", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_supervision_session_submission_key"), type_="unique"
        )
        batch_op.drop_column("submission_key")
