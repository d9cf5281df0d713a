"""The register as a CSV file for a spreadsheet.

One SELECT of the exported columns, with the service and owner organisation names joined in.
Nobody's name is exported: not the raiser's, not the owner's, not a supporter's; only counts
and organisations.

Every text cell that a spreadsheet could take for a formula is neutralised
(``engage.core.spreadsheets``).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy.orm import aliased

from engage.changes.models import (
    LEVEL_LABELS,
    STATE_LABELS,
    THEME_LABELS,
    Item,
)
from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.people.models import Organisation


def export_select(items_query: Select) -> Select:
    """The filter of ``items_query`` with only the exported columns, newest first."""
    agency = aliased(Organisation)
    owner_org = aliased(Organisation)
    return (
        items_query.with_only_columns(
            Item.id,
            Item.title,
            Item.theme,
            agency.name,
            Item.agency_other,
            Item.state,
            Item.level,
            owner_org.name,
            Item.target_date,
            Item.created_at,
            Item.triaged_at,
            Item.planned_at,
            Item.resolved_at,
            Item.supporter_count,
            Item.what_changed,
            maintain_column_froms=False,
        )
        .outerjoin(agency, agency.id == Item.agency_id)
        .outerjoin(owner_org, owner_org.id == Item.owner_organisation_id)
        .order_by(Item.id.desc())
    )


def header() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("Theme"),
        _("Service or organisation"),
        _("Status"),
        _("Level"),
        _("Owner organisation"),
        _("Target date"),
        _("Raised"),
        _("Accepted"),
        _("Action plan"),
        _("Resolved"),
        _("Supporters"),
        _("What changed"),
    ]


def _translated(labels: dict) -> dict[str, str]:
    """Each label translated once per export, keyed by its stored value (not once a row)."""
    return {str(key.value): str(label) for key, label in labels.items()}


def _day(value: datetime | date | None, timezone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(timezone).date()
    return value.isoformat()


def register_rows(items_query: Select, timezone: ZoneInfo) -> list[list[object]]:
    """The exported rows, labels in the reader's language, dates as YYYY-MM-DD."""
    themes, states, levels = (_translated(x) for x in (THEME_LABELS, STATE_LABELS, LEVEL_LABELS))
    rows = []
    for (
        number,
        title,
        theme,
        agency,
        agency_other,
        state,
        level,
        owner_org,
        target,
        raised,
        accepted,
        planned,
        resolved,
        supporters,
        what_changed,
    ) in db.session.execute(export_select(items_query)):
        rows.append(
            [
                number,
                title,
                themes.get(str(theme), str(theme)),
                agency or agency_other,
                states.get(str(state), str(state)),
                levels.get(str(level), str(level)),
                owner_org or "",
                _day(target, timezone),
                _day(raised, timezone),
                _day(accepted, timezone),
                _day(planned, timezone),
                _day(resolved, timezone),
                supporters,
                what_changed,
            ]
        )
    return rows


def register_csv(items_query: Select, timezone: ZoneInfo) -> str:
    """The whole CSV text (header and rows), every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header()])
    for row in register_rows(items_query, timezone):
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def filename(today: date) -> str:
    return f"register-{today.isoformat()}.csv"
