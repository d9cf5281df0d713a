"""What a claim can be for: the meetings, opportunities and other work someone took part in
lately. Payments knows none of the domains that run them; each offers its own through
:func:`register_claim_links`, and the claim form lists what they all offer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from engage.people.models import User

#: One choice: (value, title, day). The value is "<kind>:<id>", where kind names the claim's
#: column it fills: "meeting" (``meeting_id``) or "opportunity" (``opportunity_id``).
Link = tuple[str, str, date]

#: ``provider(person, today)``: the work ``person`` took part in lately, newest first.
Provider = Callable[[User, date], list[Link]]

#: The most choices the form shows.
MOST = 12

_providers: list[Provider] = []


def register_claim_links(provider: Provider) -> Provider:
    """Offer what a claim can be for. Registering the same provider twice offers it once.
    Returns the provider, so this can be used as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def recent_work(person: User, today: date) -> list[Link]:
    """What ``person``'s claim could be for, from every provider: newest first, at most
    :data:`MOST`."""
    work = [link for provider in _providers for link in provider(person, today)]
    return sorted(work, key=lambda link: link[2], reverse=True)[:MOST]
