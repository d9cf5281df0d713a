"""Helpers shared by each domain's named permission predicates.

Each domain keeps its own predicates in ``<domain>/permissions.py``; routes and templates call
those by name (``can_view_profile(user, person)``), never test role names inline.
"""

from __future__ import annotations

from typing import Any

from flask import abort


def signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def has_role(user: Any, *roles: Any) -> bool:
    return signed_in(user) and user.has_role(*roles)


def allow(permitted: bool, *, hide: bool = False) -> None:
    """Stop the request unless ``permitted``.

    ``hide=True`` answers 404 instead of 403, for records whose very existence is private
    (a peer asking for another person's record must not learn that it exists).
    """
    if not permitted:
        abort(404 if hide else 403)
