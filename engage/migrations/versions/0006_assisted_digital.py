"""assisted digital: who replied to a meeting for a peer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replied_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_meeting_invitation_replied_by_id_user'), 'user', ['replied_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_meeting_invitation_replied_by_id_user'), type_='foreignkey'
        )
        batch_op.drop_column('replied_by_id')
