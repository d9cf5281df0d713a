"""an index on audit_entry.action, so the audit search by action stays quick as the log
grows; a survey draft remembers the response id claimed for it, so an anonymous answer is
stored in a transaction apart from the "has responded" mark and never lost between them

Revision ID: 0015_hardening
Revises: 0014_erasure
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_hardening"
down_revision = "0014_erasure"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
    with op.batch_alter_table("survey_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_id", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("survey_draft", schema=None) as batch_op:
        batch_op.drop_column("response_id")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))
