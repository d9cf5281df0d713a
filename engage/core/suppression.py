"""Small numbers are hidden in breakdown tables, so nobody can be picked out of a result.

Survey results (and later the programme dashboard) are read by managers and board members. A
breakdown such as "answers by gender" with a group of two people tells them how those two
answered, so any group smaller than a threshold is not shown (*primary suppression*).

Hiding only the small groups is not enough, because the total of all groups is always shown:

- if exactly one group is hidden, it is the total minus the shown groups;
- if the hidden groups add up to fewer than the threshold, their sum (total minus shown) is
  itself a small number, and with two hidden groups of 1 and 2 a reader knows everyone in
  them is one of very few people.

So while either is true, the smallest group still shown is hidden as well (*secondary
suppression*), until the hidden groups are at least two and add up to at least the threshold,
or every group is hidden. Groups of nobody are left out altogether: there is nobody in them
to protect, and listing them would only make the table longer.

This protects one table on its own. Two breakdowns of the same people (by gender and by age,
say) can still be set against each other, and when every group is hidden the total alone may
be small: callers decide whether to show a result with so few people in it at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

#: Hidden because fewer people than the threshold are in the group.
TOO_FEW = "too_few"
#: Hidden so that a smaller hidden group cannot be worked out from the total.
PROTECTS_ANOTHER = "protects_another"


@dataclass(frozen=True)
class Cell:
    """One group of a breakdown: ``n`` is None when it is hidden, and ``reason`` says why
    (:data:`TOO_FEW` or :data:`PROTECTS_ANOTHER`); a shown group has no reason."""

    label: str
    n: int | None
    reason: str | None


def suppress(counts: Mapping[str, int], threshold: int) -> list[Cell]:
    """The groups of ``counts`` in the order given, with small ones hidden.

    Groups of nobody (``n == 0``) are left out. Every group of fewer than ``threshold`` people
    is hidden (:data:`TOO_FEW`). Then, because the total is always shown, while exactly one
    group is hidden or the hidden groups add up to fewer than ``threshold``, the smallest group
    still shown is hidden too (:data:`PROTECTS_ANOTHER`; of equal groups, the later one),
    until nothing is hidden or everything is. A ``threshold`` below 1 is taken as 1, which
    hides nothing. Negative counts are a mistake and raise ``ValueError``.
    """
    threshold = max(threshold, 1)
    for label, n in counts.items():
        if n < 0:
            raise ValueError(f"a count cannot be negative: {label!r} has {n}")
    groups = [(label, n) for label, n in counts.items() if n > 0]
    reasons: list[str | None] = [TOO_FEW if n < threshold else None for _label, n in groups]

    while True:
        hidden = [n for (_label, n), reason in zip(groups, reasons, strict=True) if reason]
        shown = [i for i, reason in enumerate(reasons) if reason is None]
        if not hidden or not shown:
            break
        if len(hidden) >= 2 and sum(hidden) >= threshold:
            break
        # The smallest shown group; of equal ones the later, so the earlier rows stay shown.
        smallest = min(shown, key=lambda i: (groups[i][1], -i))
        reasons[smallest] = PROTECTS_ANOTHER

    return [
        Cell(label, None if reason else n, reason)
        for (label, n), reason in zip(groups, reasons, strict=True)
    ]


def total(counts: Mapping[str, int]) -> int:
    """Everyone in the breakdown, hidden groups included: the figure callers always show."""
    return sum(counts.values())


def reason_text(reason: str, threshold: int) -> str:
    """Why a group is not shown, in plain words for the reader of the table."""
    if reason == TOO_FEW:
        return _(
            "Fewer than %(threshold)s people, so not shown to protect their privacy.",
            threshold=max(threshold, 1),
        )
    if reason == PROTECTS_ANOTHER:
        return _("Not shown, so that a smaller group cannot be worked out from the total.")
    raise ValueError(f"not a reason for hiding a group: {reason!r}")
