"""The people of the demo partnership: the named demo accounts everyone signs in with, and more
peers with varied profiles, needs and choices. Demo accounts exist only in a database made by
``engage demo``."""

from __future__ import annotations

import random
from datetime import timedelta

from engage.core import dates, settings
from engage.core.db import utcnow
from engage.core.demo import happened_at, history_start, local_moment
from engage.core.domains import DemoPartnership
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


def seed(rng: random.Random, extra_peers: int) -> DemoPartnership:
    """Make the demo accounts and ``extra_peers`` more peers in an empty, migrated database;
    returns what the other domains' demo steps build on.

    The accounts are made a fortnight before the programme history begins
    (``engage.core.demo.history_start``), as a partnership moving its records into engage
    would, so everything the other domains add to someone's account comes after it."""
    settings.put(settings.DEMO_MARKER, "yes")
    password = hash_password(DEMO_PASSWORD)
    now = utcnow()
    with happened_at(local_moment(history_start(dates.local_today()) - timedelta(days=14), 10)):
        return _accounts(rng, extra_peers, password, now)


def _accounts(rng: random.Random, extra_peers: int, password: str, now) -> DemoPartnership:  # noqa: ANN001
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
    # "You said, we did" quotes only people who agreed: the demo peers did, most others not.
    services.give_consent(peer, peer, ConsentPurpose.PHOTOS_QUOTES)
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
        _vary_profile(user, rng, now)
    extra = [
        u
        for u in db.session.scalars(db.select(User).where(User.username.not_in(DEMO_USERNAMES)))
        if u.has_role(Role.PEER)
    ]
    return DemoPartnership(rng=rng, accounts=made, peers=extra)


def _vary_profile(user: User, rng: random.Random, now=None) -> None:  # noqa: ANN001
    """``now`` is when the demo is made (by default the clock's now): a paused peer paused
    lately, not when they joined."""
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
        profile.paused_at = now or utcnow()
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
