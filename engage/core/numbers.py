"""Numbers people can put in an address or a hidden field, read once and bounded.

Anything typed after ``?`` is untrusted: ``?page=99999999999999999999`` is too big for any
database column, ``?page=1e9`` and ``?page=²`` are not numbers at all. Every page number, id and
small number read from a request goes through here, so none of them can become a server error:

- a page that is not a plain number, or below 1, is page 1; a page beyond the last is the last;
- an id is a whole number the database can hold (``<int:...>`` in a route uses the same bound);
  one that is not is "not found";
- other numbers (a year, a level) are None when they are not plain numbers within the bounds
  the caller gives, for the caller to ignore or refuse kindly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, request

#: The largest id the database holds (PostgreSQL ``integer``); larger ones are never found.
MAX_ID = 2**31 - 1

#: The largest page number read; anything longer is "a page beyond the last" all the same.
MAX_PAGE = 10**9

# ASCII digits only: str.isdigit() also says yes to "²" and "١", which int() then refuses.
_DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(text: Any, lowest: int, highest: int) -> int | None:
    """``text`` as a whole number from ``lowest`` to ``highest``, or None if it is anything
    else (empty, a sign, a decimal point, other scripts' digits, out of range)."""
    text = str(text if text is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if lowest <= number <= highest else None


def database_id(text: Any) -> int | None:
    """An id the database could hold, or None."""
    return whole_number(text, 1, MAX_ID)


def database_ids(text: str | None) -> list[int]:
    """Comma-separated ids from a hidden field ("12,15"); anything that is not one is left out."""
    found = (database_id(part) for part in (text or "").split(","))
    return [number for number in found if number is not None]


def requested_id(name: str) -> int | None:
    """The id in ``?<name>=`` (or a form field of that name): None when it is not there,
    404 when it is there but could not be anyone's id, as with an id in the path."""
    text = (request.values.get(name) or "").strip()
    if not text:
        return None
    number = database_id(text)
    if number is None:
        abort(404)
    return number


def requested_page(values: Mapping[str, Any] | None = None) -> int:
    """The page asked for in ``?page=`` (or ``values["page"]``): 1 when it is not a plain
    number of at least 1. It may still be beyond the last page; :func:`page_of` says."""
    text = str((request.args if values is None else values).get("page") or "").strip()
    if not re.fullmatch(r"[0-9]+", text):
        return 1
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_PAGE)):  # never turn a huge string into a huge int
        return MAX_PAGE
    return min(max(int(digits), 1), MAX_PAGE)


@dataclass(frozen=True)
class Page:
    """One page of a list: ``number`` (from 1) of ``pages``, with ``size`` rows to a page."""

    number: int
    pages: int
    total: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def of(self, query: Any) -> Any:
        """``query`` limited to this page's rows."""
        return query.limit(self.size).offset(self.offset)


def page_of(total: int, size: int, number: int | None = None) -> Page:
    """The page of ``total`` rows to show: ``number`` (by default the one asked for in the
    address) brought within the pages there are, so a page beyond the last shows the last."""
    pages = max(-(-(total or 0) // size), 1)
    wanted = requested_page() if number is None else number
    return Page(number=min(max(wanted, 1), pages), pages=pages, total=total or 0, size=size)
