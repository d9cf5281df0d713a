"""Seed an Indico 3.3 instance for ``bench/indico/compare.py``: one category with 300 meetings,
one of them with 200 registered participants, a manager of the category and a participant who
can sign in.

Run it with Indico's own Python (a separate venv outside this repository, see bench/README.md,
"indico/compare.py"), on a freshly prepared database (``indico db prepare``):

    INDICO_CONFIG=/work/indico-bench/indico.conf \\
        /work/indico-bench/.venv/bin/python bench/indico/seed_indico.py \\
        --out /work/indico-bench/seed.json [--events 300] [--participants 200]

Everything goes through Indico's own models and operations in an app context
(``indico.web.flask.app.make_app``) and a request context whose session user is the manager,
as if the manager had done it in the web interface: ``create_user`` with a local ``Identity``
(provider ``indico``), ``Category`` with the manager given full access,
``create_event(..., EventType.meeting, ...)`` for each meeting, a ``RegistrationForm`` with the
personal-data fields (``create_personal_data_fields``, the form Indico's "create registration
form" page makes) and ``create_registration(..., management=True, notify_user=False)`` for
each participant (no e-mail).

The meeting dates are the ones ``bench/forums.py`` gives the bench forum's meetings (30 % to
come; the busy one is tomorrow at 10:00), so both category and forum pages hold the same
calendar. The seeder writes the ids and log-ins to ``--out`` (JSON) for compare.py. It refuses
to run when a category called "Bench Category" already exists: start from a fresh database.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta

PASSWORD = "bench-Pass-2026"  # noqa: S105 (a local bench instance only)
CATEGORY = "Bench Category"
NAMES = ["Aisha", "Ben", "Chloe", "Dariusz", "Ewa", "Farah", "Gary", "Hannah", "Imran", "Jo"]


def meeting_days(total: int) -> list[int]:
    """Day offsets from now, the same schedule as ``bench/forums.py``'s ``ForumSeeder``."""
    future_target = max(round(total * 0.3), 5)
    days, future, past = [], 0, 0
    for _ in range(total):
        if future < future_target:
            future += 1
            day = 1 if future == 1 else 1 + 7 * (future - 1)
            if future > 5:
                day = 36 + 2 * (future - 6)
        else:
            past += 1
            day = -(7 * past - 1 if past <= 5 else 41 + 2 * past)
        days.append(day)
    return days


def session_cookie(identifier: str) -> str:
    """A signed-in session for the local identity ``identifier``, made by Indico's own code:
    ``login_user`` (what Indico's login form calls once the password is right) in a request
    context, saved by Indico's session interface (Redis). Prints ``name=value``.

    compare.py signs in this way rather than through the login form because the form checks
    the password against an online list of leaked passwords (api.pwnedpasswords.com), and
    this benchmark contacts nothing but 127.0.0.1."""
    from flask import session
    from indico.core.db import db
    from indico.modules.auth import Identity, login_user
    from indico.web.flask.app import make_app

    app = make_app()
    with app.test_request_context("/login/", base_url=app.config["INDICO"]["BASE_URL"]):
        identity = Identity.query.filter_by(provider="indico", identifier=identifier).one()
        login_user(identity.user, identity)
        db.session.commit()
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    return cookie


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="where to write the ids and log-ins (JSON)")
    parser.add_argument(
        "--session",
        metavar="IDENTIFIER",
        help="seed nothing: print a session cookie (name=value) for this local identity",
    )
    parser.add_argument("--events", type=int, default=300, help="meetings in the category")
    parser.add_argument("--participants", type=int, default=200, help="on the busy meeting")
    args = parser.parse_args(argv)
    if args.session:
        print(session_cookie(args.session))
        return 0
    if not args.out:
        parser.error("--out is needed to seed")

    from flask import session
    from indico.core.db import db
    from indico.modules.auth import Identity
    from indico.modules.categories import Category
    from indico.modules.events.models.events import EventType
    from indico.modules.events.operations import create_event
    from indico.modules.events.registration.models.forms import (
        PublishRegistrationsMode,
        RegistrationForm,
    )
    from indico.modules.events.registration.util import (
        create_personal_data_fields,
        create_registration,
    )
    from indico.modules.users.operations import create_user
    from indico.web.flask.app import make_app

    started = time.perf_counter()
    rng = random.Random(2026)
    app = make_app()
    with app.test_request_context():
        if Category.query.filter_by(title=CATEGORY, is_deleted=False).has_rows():
            raise SystemExit(f'"{CATEGORY}" exists already: seed a fresh database')
        manager = create_user(
            "manager@bench.invalid",
            {"first_name": "Morgan", "last_name": "Manager", "affiliation": "Bench"},
            Identity(provider="indico", identifier="manager", password=PASSWORD),
        )
        db.session.flush()
        session.set_session_user(manager)

        category = Category(
            title=CATEGORY,
            description="A category with many meetings.",
            parent=Category.get_root(),
        )
        db.session.add(category)
        db.session.flush()
        category.update_principal(manager, full_access=True)
        db.session.commit()

        now = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)
        busy = None
        for n, day in enumerate(meeting_days(args.events)):
            starts = (now + timedelta(days=day)).replace(hour=10)
            first = busy is None
            event = create_event(
                category,
                EventType.meeting,
                {
                    "title": "The busy meeting" if first else f"Bench meeting {n}",
                    "description": "We talk about housing and benefits.",
                    "start_dt": starts,
                    "end_dt": starts + timedelta(hours=2),
                    "timezone": "Europe/London",
                },
            )
            if first:
                busy = event
            if n % 50 == 49:
                db.session.commit()
                print(f"{n + 1} events", flush=True)
        db.session.commit()

        regform = RegistrationForm(
            event=busy,
            title="Registration",
            currency="GBP",
            start_dt=now - timedelta(days=20),
            publish_registrations_participants=PublishRegistrationsMode.show_all,
            publish_registrations_public=PublishRegistrationsMode.hide_all,
        )
        create_personal_data_fields(regform)
        db.session.add(regform)
        db.session.flush()
        participant = None
        for i in range(args.participants):
            name = NAMES[i % len(NAMES)]
            email = f"{name.lower()}.{i}@bench.invalid"
            identity = (
                Identity(provider="indico", identifier="participant", password=PASSWORD)
                if i == 0
                else None
            )
            user = create_user(
                email,
                {"first_name": name, "last_name": f"Person {i}", "affiliation": "Bench"},
                identity,
            )
            if i == 0:
                participant = user
            db.session.flush()
            create_registration(
                regform,
                {
                    "email": email,
                    "first_name": name,
                    "last_name": f"Person {i}",
                    "affiliation": rng.choice(["Bench", "Peer network", ""]),
                },
                management=True,
                notify_user=False,
            )
            if i % 50 == 49:
                db.session.commit()
                print(f"{i + 1} registrations", flush=True)
        db.session.commit()
        result = {
            "category_id": category.id,
            "busy_event_id": busy.id,
            "events": args.events,
            "registrations": len(regform.active_registrations),
            "manager": {"identifier": "manager", "password": PASSWORD, "user_id": manager.id},
            "participant": {
                "identifier": "participant",
                "password": PASSWORD,
                "user_id": participant.id,
            },
            "seconds": round(time.perf_counter() - started, 1),
        }
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=2)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
