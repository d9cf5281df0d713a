"""indexes for the dashboard's history: an item's changes of state in time order (its state at
a period's end) and the people who declined payment on a period's days, both read from the
index alone (bench/dashboard.py)

Revision ID: 0020_dashboard_history_indexes
Revises: 0019_dashboard_indexes
Create Date: 2026-12-07 12:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_dashboard_history_indexes"
down_revision = "0019_dashboard_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        # Superseded by ix_event_item_history, which begins with the same column.
        batch_op.drop_index("ix_event_item_id")
        batch_op.create_index(
            "ix_event_item_history", ["item_id", "at", "id", "kind", "from_state"], unique=False
        )
    with op.batch_alter_table("involvement_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_involvement_status_day", ["status", "activity_date", "person_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("involvement_record", schema=None) as batch_op:
        batch_op.drop_index("ix_involvement_status_day")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_item_history")
        batch_op.create_index("ix_event_item_id", ["item_id"], unique=False)
