"""sensitive columns encrypted at rest: bank details, DBS outcomes and risk decisions,
supervision notes and equality answers (engage.core.encryption)

The columns become TEXT (a Fernet token is far longer than the value it holds) and every
existing value is encrypted with the first key in ENGAGE_ENCRYPTION_KEYS (or the development
key in the instance folder). Downgrade decrypts them and narrows the columns again. It runs
inside the application context (Flask-Migrate), which is where the keys are read.

Revision ID: 0016_encryption
Revises: 0015_hardening
Create Date: 2026-12-07 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

from engage.core import encryption


# revision identifiers, used by Alembic.
revision = "0016_encryption"
down_revision = "0015_hardening"
branch_labels = None
depends_on = None

#: Each encrypted column and its width before (None: it was TEXT already).
COLUMNS = {
    "bank_details": {"account_name": 60, "sort_code": 6, "account_number": 8, "roll_number": 18},
    "equality_monitoring": {
        "gender": 40,
        "ethnicity": 60,
        "age_band": 20,
        "disability": 20,
        "sexual_orientation": 40,
        "lived_experience": 200,
    },
    "dbs_check": {"outcome": 10},
    "dbs_risk_decision": {"decision": 25},
    "supervision_session": {"notes": None},
}
#: Blanks these columns keep in the clear (EncryptedText(blank_in_clear=True)).
BLANK_IN_CLEAR = {("bank_details", "sort_code"), ("bank_details", "account_number")}


def _convert(change):
    """Apply ``change`` (encrypt or decrypt) to every value of every encrypted column."""
    bind = op.get_bind()
    for name, columns in COLUMNS.items():
        rows_table = sa.table(name, sa.column("id"), *(sa.column(c, sa.Text) for c in columns))
        for row in bind.execute(sa.select(rows_table).order_by(rows_table.c.id)).fetchall():
            values = {}
            for column_name in columns:
                value = row._mapping[column_name]
                if value is None or (value == "" and (name, column_name) in BLANK_IN_CLEAR):
                    continue
                values[column_name] = change(value)
            if values:
                bind.execute(
                    sa.update(rows_table).where(rows_table.c.id == row.id).values(values)
                )


def _retype(wide):
    for name, columns in COLUMNS.items():
        narrowed = {c: width for c, width in columns.items() if width is not None}
        if not narrowed:
            continue
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column_name, width in narrowed.items():
                old, new = sa.String(length=width), sa.Text()
                batch_op.alter_column(
                    column_name,
                    existing_type=old if wide else new,
                    type_=new if wide else old,
                    existing_nullable=False,
                )


def upgrade():
    _retype(wide=True)
    _convert(encryption.encrypt)


def downgrade():
    _convert(encryption.decrypt)
    _retype(wide=False)
