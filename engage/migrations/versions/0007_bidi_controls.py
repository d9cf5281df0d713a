"""bidi controls: remove text-reordering controls from text already stored

Forms now drop bidirectional embedding, override and isolate controls (U+202A-U+202E,
U+2066-U+2069) from everything typed, because a name typed with U+202E shows as a different
name. This removes them from text typed before, in every text column but the audit log's
(which is append-only by design and refuses changes). No schema change.

The downgrade changes nothing: the characters removed were never meant to be kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The list as it was when this ran (engage.core.forms.BIDI_CONTROLS), kept here on purpose:
# a migration must do the same thing whenever it runs.
CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
SKIPPED = {"audit_entry", "alembic_version"}


def upgrade():
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table_name in inspector.get_table_names():
        if table_name in SKIPPED:
            continue
        for found in inspector.get_columns(table_name):
            if not isinstance(found["type"], sa.String):  # String covers Text and VARCHAR
                continue
            column = sa.column(found["name"], sa.Text)
            cleaned = column
            for control in CONTROLS:
                cleaned = sa.func.replace(cleaned, control, "")
            bind.execute(
                sa.update(sa.table(table_name, column))
                .where(sa.or_(*(column.contains(control) for control in CONTROLS)))
                .values({found["name"]: cleaned})
            )


def downgrade():
    pass
