"""indexes for the busy pages (bench/pages.py): what waits for a payment run (the finance home
and its count on the home page), the tax year's fees by activity (the finance home: the amount
joins the dashboard's index of a period's records) and the overdue register items (a manager's
home page), each read from the index alone

Revision ID: 0022_page_indexes
Revises: 0021_fund
Create Date: 2026-12-07 15:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_page_indexes"
down_revision = "0021_fund"
branch_labels = None
depends_on = None


ACTIVITY_DATE = ["activity", "activity_date", "status", "person_id", "minutes", "source"]


def upgrade():
    with op.batch_alter_table("involvement_record", schema=None) as batch_op:
        batch_op.drop_index("ix_involvement_activity_date")
        batch_op.create_index(
            "ix_involvement_activity_date", [*ACTIVITY_DATE, "amount"], unique=False
        )
        batch_op.create_index(
            "ix_involvement_ready",
            ["run_id", "status", "method", "amount", "person_id"],
            unique=False,
        )
    with op.batch_alter_table("expense_claim", schema=None) as batch_op:
        batch_op.create_index(
            "ix_expense_claim_ready",
            ["run_id", "state", "method", "total", "claimant_id"],
            unique=False,
        )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_state_target", ["state", "target_date"], unique=False)


def downgrade():
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_state_target")
    with op.batch_alter_table("expense_claim", schema=None) as batch_op:
        batch_op.drop_index("ix_expense_claim_ready")
    with op.batch_alter_table("involvement_record", schema=None) as batch_op:
        batch_op.drop_index("ix_involvement_ready")
        batch_op.drop_index("ix_involvement_activity_date")
        batch_op.create_index("ix_involvement_activity_date", ACTIVITY_DATE, unique=False)
