"""Funder reports saved as dated snapshots, so last quarter's figures stay as they were sent.

The sections are stored as computed, in JSON: a money value (a Decimal) as a string so no
penny is lost to floating point, a kind by its value ("money"). Reading one back gives the
same :class:`~engage.core.figures.Section` objects the live report shows, so one template
draws both. A snapshot is never recomputed or changed.
"""

from __future__ import annotations

import json
from dataclasses import fields
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from engage.core import audit
from engage.core.figures import Figure, Kind, Period, Section, Table
from engage.dashboard.models import ReportSnapshot
from engage.dashboard.periods import Chosen
from engage.extensions import db
from engage.people.models import User

#: Bumped when the stored shape changes, so an old snapshot can still be read.
FORMAT = 1


def _number(value: Any) -> Any:
    """A value for JSON: a Decimal as its exact string, anything else as it is."""
    return str(value) if isinstance(value, Decimal) else value


def _read_number(value: Any) -> Any:
    """Back from JSON: a string (only ever a Decimal written by :func:`_number`) as a Decimal."""
    return Decimal(value) if isinstance(value, str) else value


def _figure(figure: Figure) -> dict[str, Any]:
    out = {f.name: getattr(figure, f.name) for f in fields(Figure)}
    out["value"] = _number(figure.value)
    out["previous"] = _number(figure.previous)
    out["kind"] = figure.kind.value
    return out


def _table(table: Table) -> dict[str, Any]:
    out = {f.name: getattr(table, f.name) for f in fields(Table)}
    out["rows"] = [[str(row[0]), *(_number(v) for v in row[1:])] for row in table.rows]
    out["columns"] = [str(c) for c in table.columns]
    out["kind"] = table.kind.value
    return out


def dumps(sections: list[Section]) -> str:
    """``sections`` as JSON text, every label already in the reader's language."""
    return json.dumps(
        {
            "format": FORMAT,
            "sections": [
                {
                    "key": s.key,
                    "title": str(s.title),
                    "note": str(s.note),
                    "figures": [_figure(f) for f in s.figures],
                    "tables": [_table(t) for t in s.tables],
                }
                for s in sections
            ],
        },
        default=str,  # lazy strings (labels) as the text they stand for
        ensure_ascii=False,
    )


def loads(text: str) -> list[Section]:
    """The sections :func:`dumps` wrote, as they were."""
    data = json.loads(text)
    sections = []
    for s in data["sections"]:
        figures = [
            Figure(
                **{
                    **f,
                    "value": _read_number(f["value"]),
                    "previous": _read_number(f["previous"]),
                    "kind": Kind(f["kind"]),
                }
            )
            for f in s["figures"]
        ]
        tables = [
            Table(
                **{
                    **t,
                    "rows": [(row[0], *(_read_number(v) for v in row[1:])) for row in t["rows"]],
                    "kind": Kind(t["kind"]),
                }
            )
            for t in s["tables"]
        ]
        sections.append(Section(s["key"], s["title"], figures, tables, s["note"]))
    return sections


def period(snapshot: ReportSnapshot) -> Chosen:
    """The period a snapshot reports on, and the one it was compared with."""
    previous = (
        Period(snapshot.previous_start, snapshot.previous_end)
        if snapshot.previous_start is not None and snapshot.previous_end is not None
        else None
    )
    return Chosen(Period(snapshot.start, snapshot.end), previous, snapshot.pick)


def section_keys(snapshot: ReportSnapshot) -> list[str]:
    return list(json.loads(snapshot.section_keys))


def save(
    actor: User,
    title: str,
    chosen: Chosen,
    keys: list[str],
    sections: list[Section],
    submission_key: str = "",
) -> ReportSnapshot:
    """Save ``sections`` (computed for ``chosen`` from the sections ``keys``) as a snapshot
    called ``title``. A ``submission_key`` seen before returns the snapshot it saved (a double
    click, or the form sent again), unchanged. Audits and flushes."""
    if submission_key:
        earlier = db.session.scalar(
            select(ReportSnapshot).where(ReportSnapshot.submission_key == submission_key)
        )
        if earlier is not None:
            return earlier
    snapshot = ReportSnapshot(
        title=title.strip(),
        start=chosen.current.start,
        end=chosen.current.end,
        previous_start=chosen.previous.start if chosen.previous else None,
        previous_end=chosen.previous.end if chosen.previous else None,
        pick=chosen.pick,
        section_keys=json.dumps(keys),
        figures=dumps(sections),
        created_by_id=actor.id,
        submission_key=submission_key or None,
    )
    try:
        with db.session.begin_nested():  # two sends at the same moment: the second one loses
            db.session.add(snapshot)
    except IntegrityError:
        earlier = db.session.scalar(
            select(ReportSnapshot).where(ReportSnapshot.submission_key == submission_key)
        )
        if earlier is None:  # pragma: no cover - the key was the only unique column
            raise
        return earlier
    audit.record(
        "dashboard.report_saved",
        actor=actor,
        snapshot=snapshot.id,
        start=snapshot.start.isoformat(),
        end=snapshot.end.isoformat(),
        sections=keys,
    )
    return snapshot


def saved(limit: int, offset: int = 0) -> list[ReportSnapshot]:
    """Saved snapshots, newest first, with who saved each (one query)."""
    return list(
        db.session.scalars(
            select(ReportSnapshot)
            .options(joinedload(ReportSnapshot.created_by))
            .order_by(ReportSnapshot.created_at.desc(), ReportSnapshot.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count() -> int:
    return db.session.scalar(select(func.count(ReportSnapshot.id))) or 0
