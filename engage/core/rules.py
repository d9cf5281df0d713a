"""The one way a model or a service says no.

A model refuses a state change its table of allowed moves does not list; a service refuses what
breaks a rule (nobody decides their own claim, a meeting cannot be recorded before its day…).
Both raise :class:`IllegalMove` (or a domain's subclass of it) with a message in plain English
that is safe to show the person, and the route shows it beside what they typed.
"""

from __future__ import annotations


class IllegalMove(ValueError):
    """A move or a request that the rules do not allow. ``str(error)`` is safe to show."""
