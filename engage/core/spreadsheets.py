"""Text that goes into a spreadsheet (CSV or XLSX) from what people typed.

Every text cell that a spreadsheet could take for a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return, or their full-width forms) is prefixed with a single
quote, as OWASP advises against CSV injection, so the spreadsheet shows the text instead of
running it.
"""

from __future__ import annotations

#: What a cell may not start with, or a spreadsheet may read it as a formula (OWASP), including
#: the full-width forms some spreadsheets also accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: object) -> object:
    """Text that starts like a formula gets a leading single quote; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
