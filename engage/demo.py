"""The demo partnership (``engage demo``): believable people, forums, register items and
payments, told as a story that ends today, whatever day it runs.

The people domain makes the accounts; then each domain adds its part in the order it
registered (``engage.core.domains.demo_step``). Demo accounts exist only in a database made by
``engage demo``, and production refuses to serve one.
"""

from __future__ import annotations

import random

from engage.core import domains
from engage.people import demo as people
from engage.people.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_USERNAMES, FIRST_NAMES

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DEMO_USERNAMES", "FIRST_NAMES", "seed"]


def seed(extra_peers: int = 30, rng: random.Random | None = None) -> list[tuple[str, str]]:
    """Fill an empty, migrated database (flushing, not committing). Returns (username, roles)
    for the printed list of accounts."""
    rng = rng or random.Random(2026)  # noqa: S311 — demo data, not security
    partnership = people.seed(rng, extra_peers)
    for step in domains.demo_steps():
        step(partnership)
    return [
        (username, ", ".join(sorted(role.value for role in roles)))
        for username, _name, roles, _email, _phone in DEMO_ACCOUNTS
    ]
