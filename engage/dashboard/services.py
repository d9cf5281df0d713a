"""The dashboard's use case: every domain's section for a period, for a reader.

Each section is built by its domain (``engage.core.domains.dashboard_section``) with a fixed
number of SQL aggregates, so the page's query count is the same at any size. Readers who may
not see everything (partner officers, the public page) get only what each section marks
public.
"""

from __future__ import annotations

from flask_babel import get_locale

from engage.core import generation
from engage.core.domains import dashboard_sections
from engage.core.figures import Period, Section


def build(
    current: Period,
    previous: Period | None,
    *,
    public_only: bool = False,
    only: set[str] | None = None,
    fresh: bool = False,
) -> list[Section]:
    """The sections for ``current``, compared with ``previous`` (None: no comparison; the
    previous values are then None). ``only`` limits to the sections with those keys.
    Empty sections (nothing a public reader may see) are left out.

    What was worked out is kept until any record changes (``engage.core.generation``), per
    language, period and reader: the same figures are never counted twice over unchanged data.
    ``fresh`` counts again whatever is kept (a report saved as a snapshot)."""

    def work_out() -> tuple[Section, ...]:
        return tuple(_build(current, previous, public_only, only))

    if fresh:
        return list(work_out())
    key = ("dashboard", str(get_locale()), current, previous, public_only, _frozen(only))
    return list(generation.kept(key, work_out))


def _frozen(only: set[str] | None) -> frozenset[str] | None:
    return None if only is None else frozenset(only)


def _build(
    current: Period, previous: Period | None, public_only: bool, only: set[str] | None
) -> list[Section]:
    out = []
    for registered in dashboard_sections():
        if only is not None and registered.key not in only:
            continue
        section: Section = registered.build(current, previous)
        if public_only:
            section = section.public_only()
        if section.figures or section.tables:
            out.append(section)
    return out


def public_figures(current: Period, previous: Period | None) -> list[Section]:
    """The public sections for ``current`` (:func:`build` with ``public_only``). "You said, we
    did" is in every peer's menu: its figures identify nobody and are the same for every
    reader in one language, so they are kept as the dashboard's are, until a record changes."""
    return build(current, previous, public_only=True)
