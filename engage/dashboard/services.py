"""The dashboard's use case: every domain's section for a period, for a reader.

Each section is built by its domain (``engage.core.domains.dashboard_section``) with a fixed
number of SQL aggregates, so the page's query count is the same at any size. Readers who may
not see everything (partner officers, the public page) get only what each section marks
public.
"""

from __future__ import annotations

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
