"""Helpers each domain's demo data uses to tell a believable story in time: a step made "as if"
at a past moment, and moments on the partnership's clock. The demo itself is assembled above
the domains (``engage.demo``); each domain adds its part (``engage.core.domains.demo_step``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

from engage.core.dates import local_timezone
from engage.core.db import clock_at, utcnow
from engage.extensions import db


@contextmanager
def happened_at(moment: datetime) -> Iterator[None]:
    """Make a demo step as if it happened at ``moment``: the history, dates and messages it
    leaves say so (``clock_at``). Column defaults are read at a flush, so what was made before
    is flushed first, and what the step made is flushed before the clock moves on."""
    db.session.flush()
    with clock_at(moment):
        yield
        db.session.flush()


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """That day at that time in the partnership's zone, as UTC, never later than now."""
    moment = datetime.combine(day, time(hour, minute), local_timezone()).astimezone(UTC)
    return min(moment, utcnow())
