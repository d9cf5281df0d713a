"""The dashboard's use case: every domain's section for a period, for a reader.

Each section is built by its domain (``engage.core.domains.dashboard_section``) with a fixed
number of SQL aggregates, so the page's query count is the same at any size. Readers who may
not see everything (partner officers, the public page) get only what each section marks
public.
"""

from __future__ import annotations

from datetime import timedelta

from engage.core.domains import dashboard_sections
from engage.core.figures import Period, Section


def build(
    current: Period,
    previous: Period | None,
    *,
    public_only: bool = False,
    only: set[str] | None = None,
) -> list[Section]:
    """The sections for ``current``, compared with ``previous`` (None: no comparison; the
    previous values are then None). ``only`` limits to the sections with those keys.
    Empty sections (nothing a public reader may see) are left out."""
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


#: How long the public figures of "you said, we did" are kept: the page itself tells caches
#: they may keep it this long (``engage.changes.routes.PUBLIC_MAX_AGE``).
PUBLIC_FIGURES_SECONDS = 300


def public_figures(current: Period, previous: Period | None) -> list[Section]:
    """The public sections for ``current`` (:func:`build` with ``public_only``), kept for a
    few minutes in this worker: "You said, we did" is in every peer's menu, and building the
    whole programme's figures for each visit cost as much as the dashboard (a third of a second
    at a large partnership's size). They identify nobody and are the same for every reader in
    one language, so they are kept per language and period; each app keeps its own."""
    from flask import current_app
    from flask_babel import get_locale

    from engage.core.db import utcnow

    kept: dict = current_app.extensions.setdefault("engage.public_figures", {})
    key = (str(get_locale()), current, previous)
    now = utcnow()
    hit = kept.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    sections = build(current, previous, public_only=True)
    # Old periods and languages are dropped as they expire: at most a few keys at a time.
    for old in [k for k, (until, _sections) in kept.items() if until <= now]:
        kept.pop(old, None)
    kept[key] = (now + timedelta(seconds=PUBLIC_FIGURES_SECONDS), sections)
    return sections
