"""Demo data for ``engage demo``: a believable partnership. Each domain adds its part here as
it lands. Demo accounts exist only in a database made by this command."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from engage.core import settings
from engage.core.db import clock_at, utcnow
from engage.core.security import hash_password
from engage.extensions import db
from engage.people import services
from engage.people.models import ConsentPurpose, EqualityMonitoring, Role, User

DEMO_PASSWORD = "engage-demo"  # noqa: S105  (demo databases only)

#: (username, preferred name, roles, email, phone)
DEMO_ACCOUNTS = [
    ("peer", "Sam", {Role.PEER}, None, "07700 900001"),
    ("peer2", "Jordan", {Role.PEER}, "jordan@example.org", None),
    ("manager", "Priya", {Role.MANAGER}, "priya@example.org", None),
    ("finance", "Mo", {Role.FINANCE}, "mo@example.org", None),
    ("board", "Helen", {Role.BOARD}, "helen@example.org", None),
    ("partner", "Dev", {Role.PARTNER}, "dev@example.org", None),
    ("admin", "Alex", {Role.ADMIN}, "alex@example.org", None),
]
DEMO_USERNAMES = [row[0] for row in DEMO_ACCOUNTS]

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Carla",
    "Danny",
    "Eve",
    "Faisal",
    "Grace",
    "Harry",
    "Imani",
    "Jack",
    "Kasia",
    "Liam",
    "Maya",
    "Nathan",
    "Olu",
    "Paula",
    "Quinn",
    "Rosa",
    "Steve",
    "Tasha",
    "Umar",
    "Vicky",
    "Wes",
    "Yasmin",
    "Zoe",
    "Marek",
    "Leila",
    "Craig",
    "Bernie",
    "Kim",
]
#: Which demo names are women's, and which non-binary people's (the rest are men's): the
#: Women's Forum's members and people's equality answers follow it.
WOMEN = frozenset(
    {
        "Aisha", "Carla", "Eve", "Grace", "Imani", "Kasia", "Maya", "Paula", "Rosa", "Tasha",
        "Vicky", "Yasmin", "Zoe", "Leila", "Bernie",
    }
)  # fmt: skip
NON_BINARY = frozenset({"Quinn", "Kim", "Jordan"})


def gender_of(user: User) -> str:
    """A demo person's gender, as the equality questions word it, from their name."""
    name = user.display_name
    return "woman" if name in WOMEN else "non-binary" if name in NON_BINARY else "man"


LANGUAGES = ["Polish", "Arabic", "Urdu", "British Sign Language", "Romanian", "Kurdish (Sorani)"]


@contextmanager
def happened_at(moment: datetime) -> Iterator[None]:
    """Make a demo step as if it happened at ``moment``: the history, dates and messages it
    leaves say so (``clock_at``). Column defaults are read at a flush, so what was made before
    is flushed first, and what the step made is flushed before the clock moves on."""
    db.session.flush()
    with clock_at(moment):
        yield
        db.session.flush()


def local_today() -> date:
    """Today in the partnership's zone: the demo is built around it, whatever day it runs."""
    return utcnow().astimezone(_zone()).date()


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """That day at that time in the partnership's zone, as UTC, never later than now."""
    moment = datetime.combine(day, time(hour, minute), _zone()).astimezone(UTC)
    return min(moment, utcnow())


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def seed(extra_peers: int = 30, rng: random.Random | None = None) -> list[tuple[str, str]]:
    """Fill an empty, migrated database. Returns (username, role) for the printed list."""
    rng = rng or random.Random(2026)  # noqa: S311 — demo data, not security
    settings.put(settings.DEMO_MARKER, "yes")
    password = hash_password(DEMO_PASSWORD)
    made = {}
    for username, name, roles, email, phone in DEMO_ACCOUNTS:
        user = services.create_account(
            actor=None,
            username=username,
            roles=roles,
            preferred_name=name,
            email=email,
            phone=phone,
        )
        user.password_hash = password
        made[username] = user
    peer = made["peer"]
    peer.profile.pronouns = "he/him"
    peer.profile.contact_channel = "text"
    peer.profile.needs_step_free = True
    peer.profile.interpreter_language = "Polish"
    peer.profile.payment_preference = "cash"
    peer.profile.benefits_warnings = True
    services.give_consent(peer, peer, ConsentPurpose.CONTACT)
    peer2 = made["peer2"]
    peer2.profile.pronouns = "they/them"
    peer2.profile.payment_preference = "decline"
    peer2.profile.needs_quiet_space = True
    services.give_consent(peer2, peer2, ConsentPurpose.CONTACT)
    services.give_consent(peer2, peer2, ConsentPurpose.PHOTOS_QUOTES)
    manager = made["manager"]
    for i in range(extra_peers):
        name = FIRST_NAMES[i % len(FIRST_NAMES)]
        has_email = rng.random() < 0.4
        user = services.create_account(
            actor=manager,
            username=services.unique_username(name),
            roles={Role.PEER},
            preferred_name=name,
            email=f"{name.lower()}{i}@example.org" if has_email else None,
            phone=f"07700 9{i:05d}" if rng.random() < 0.6 else None,
            contact_channel=None if has_email else "worker",
        )
        user.password_hash = password if rng.random() < 0.7 else None
        _vary_profile(user, rng)
    from engage.changes import demo as changes_demo

    extra = [
        u
        for u in db.session.scalars(db.select(User).where(User.username.not_in(DEMO_USERNAMES)))
        if u.has_role(Role.PEER)
    ]
    changes_demo.seed(rng, made, extra[:12])
    from engage.forums import demo as forums_demo
    from engage.opportunities import demo as opportunities_demo
    from engage.payments import demo as payments_demo

    # The rate card first, so attendance at past forum meetings is priced as it is recorded.
    payments_demo.seed_settings(made)
    forums_demo.seed(rng, made, extra)
    opportunities_demo.seed(rng, made, extra)
    payments_demo.seed(rng, made, extra)
    return [
        (u, ", ".join(sorted(r.value for r in roles))) for u, _n, roles, _e, _p in DEMO_ACCOUNTS
    ]


def _vary_profile(user: User, rng: random.Random) -> None:
    profile = user.profile
    profile.needs_step_free = rng.random() < 0.2
    profile.needs_hearing_loop = rng.random() < 0.1
    profile.needs_large_print = rng.random() < 0.15
    profile.needs_easy_read = rng.random() < 0.2
    profile.needs_childcare = rng.random() < 0.15
    profile.needs_carer = rng.random() < 0.05
    profile.needs_quiet_space = rng.random() < 0.2
    if rng.random() < 0.15:
        profile.interpreter_language = rng.choice(LANGUAGES)
    if rng.random() < 0.2:
        profile.dietary_needs = rng.choice(["Vegetarian", "Halal", "No nuts", "Gluten free"])
    profile.payment_preference = rng.choice(["bank", "bank", "voucher", "cash", "decline", None])
    profile.benefits_warnings = rng.random() < 0.3
    if rng.random() < 0.1:
        profile.paused_at = utcnow()
    if rng.random() < 0.7:
        services.give_consent(user, user, ConsentPurpose.CONTACT)
    if rng.random() < 0.5:
        db.session.add(
            EqualityMonitoring(
                user_id=user.id,
                gender=gender_of(user) if rng.random() < 0.85 else "prefer-not",
                age_band=rng.choice(["18-24", "25-34", "35-44", "45-54", "55-64"]),
                lived_experience=",".join(
                    rng.sample(
                        [
                            "homelessness",
                            "substance-use",
                            "mental-health",
                            "offending",
                            "domestic-abuse",
                        ],
                        k=rng.randint(1, 3),
                    )
                ),
            )
        )
