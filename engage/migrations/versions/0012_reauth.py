"""a signed-in session remembers when its person last confirmed it is them (re-authentication
before changing bank details, an email address or a password, and before downloading a run)

Revision ID: 0012_reauth
Revises: 0011_passport
Create Date: 2026-12-07 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
import engage.core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "0012_reauth"
down_revision = "0011_passport"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", engage.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
