"""an index on audit_entry.action, so the audit search by action (and the erasure and
retention reports that look for one kind of entry) stays quick as the log grows

Revision ID: 0016_hardening
Revises: 0012_reauth
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0016_hardening"
down_revision = "0012_reauth"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))
