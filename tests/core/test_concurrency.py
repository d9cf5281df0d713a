"""Many people pressing at once, against a real server: ``engage serve`` (gunicorn, 2 worker
processes of 8 threads) and ``engage run`` (the threaded development server), each on a database
of its own (SQLite, or PostgreSQL with ENGAGE_TEST_DATABASE_URL).

Every press gets a normal answer (never a 5xx, never "database is locked"), and each thing
happens once: one item per form, one run per form, one approval and one message per claim, and
a meeting never takes more people than it has places.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from engage import create_app, demo
from engage.changes.models import Item
from engage.core.audit import AuditEntry
from engage.core.dates import local_today
from engage.core.db import utcnow
from engage.core.outbox import Notification
from engage.core.security import hash_password
from engage.extensions import db
from engage.forums.meetings import schedule
from engage.forums.membership import create_forum
from engage.forums.models import Invitation
from engage.payments.claims import services as claim_services
from engage.payments.models import ExpenseClaim, PaymentEvent, PaymentItem, PaymentRun
from engage.people import services as people
from engage.people.models import Role, User
from tests.servers import DEMO_PASSWORD, Server, Visitor, engage_env, scratch_database

AT_ONCE = 20
CROWD = [f"crowd{n:02d}" for n in range(AT_ONCE)]

#: The servers people run: production's gunicorn, and the development server.
SERVERS = {
    "serve": ("serve", "--workers", "2", "--threads", "8"),
    "run": ("run",),
}


@pytest.fixture(autouse=True)
def _rollback():
    """Replace the shared rolled-back session (tests/conftest.py): these tests commit."""
    yield


class Site:
    """A running server and an app on the same database, to set up and check from outside."""

    def __init__(self, server: Server, app):
        self.server = server
        self.app = app
        self.url = server.url
        self.visitors: dict[str, Visitor] = {}

    def visitor(self, username: str) -> Visitor:
        """``username``, signed in once for the whole module (argon2 is slow on purpose)."""
        if username not in self.visitors:
            self.visitors[username] = Visitor(self.url).sign_in(username)
        return self.visitors[username]

    def crowd(self, how_many: int) -> list[Visitor]:
        """The first ``how_many`` crowd peers, signed in side by side."""
        names = CROWD[:how_many]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(self.visitor, names))
        return [self.visitors[name] for name in names]

    def one(self, model, **where):
        with self.app.app_context():
            row = db.session.scalar(sa.select(model).filter_by(**where))
            db.session.expunge_all()
            return row


@pytest.fixture(scope="module", params=list(SERVERS))
def site(request, tmp_path_factory):
    kind = request.param
    instance = tmp_path_factory.mktemp(f"concurrency-{kind}")
    with scratch_database(instance, f"test_concurrency_{kind}") as url:
        app = create_app(
            {
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "real-server-tests-" + "x" * 40,
            }
        )
        with app.test_request_context():
            upgrade()
            demo.seed(extra_peers=0)
            password = hash_password(DEMO_PASSWORD)
            for username in CROWD:
                person = people.create_account(
                    actor=None, username=username, roles={Role.PEER}, preferred_name=username
                )
                person.password_hash = password
                person.profile.payment_preference = "voucher"
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        command, *options = SERVERS[kind]
        server = Server(engage_env(instance, url), command, instance / "server.log", *options)
        try:
            yield Site(server, app)
        finally:
            server.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def all_at_once(presses) -> list[int]:
    """Run each press (a function returning a status) in its own thread, released together."""
    barrier = threading.Barrier(len(presses))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(press):
        try:
            barrier.wait()
            statuses.append(press())
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(press,)) for press in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


@pytest.fixture(autouse=True)
def _log_from_here(site):
    """Each test reads only its own part of the server's log."""
    site.log_start = site.server.log_size()


def _no_server_errors(site: Site) -> None:
    assert site.server.server_errors(since=site.log_start) == [], site.server.output()


def test_18_people_say_yes_at_once_to_a_meeting_with_10_places(site):
    with site.app.test_request_context():
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        forum = create_forum(manager, name=f"Crowd forum {uuid.uuid4().hex[:6]}", open_to_all=True)
        (meeting,) = schedule(
            manager,
            forum,
            starts_at=utcnow() + timedelta(days=7),
            duration_minutes=120,
            title="A busy meeting",
            capacity=10,
        )
        db.session.commit()
        meeting_id = meeting.id
    visitors = site.crowd(18)
    path = f"/meetings/{meeting_id}/reply"
    forms = [v.form_fields(f"/meetings/{meeting_id}", path) for v in visitors]
    statuses = all_at_once(
        [
            (lambda v=v, f=f: v.send("POST", path, {**f, "reply": "yes"}).status)
            for v, f in zip(visitors, forms, strict=True)
        ]
    )
    assert statuses == [303] * 18
    with site.app.app_context():
        replies = db.session.scalars(
            sa.select(Invitation.reply).where(Invitation.meeting_id == meeting_id)
        ).all()
    assert sorted(r for r in replies if r in ("yes", "waiting")) == ["waiting"] * 8 + ["yes"] * 10
    _no_server_errors(site)


def test_one_person_replying_20_times_at_once_has_one_reply(site):
    with site.app.test_request_context():
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        forum = create_forum(manager, name=f"Taps forum {uuid.uuid4().hex[:6]}", open_to_all=True)
        (meeting,) = schedule(
            manager, forum, starts_at=utcnow() + timedelta(days=7), duration_minutes=60
        )
        db.session.commit()
        meeting_id = meeting.id
    peer = site.visitor(CROWD[0])
    path = f"/meetings/{meeting_id}/reply"
    form = peer.form_fields(f"/meetings/{meeting_id}", path)
    answers = ["yes", "maybe", "no", "yes"] * 5
    statuses = all_at_once(
        [(lambda a=a: peer.send("POST", path, {**form, "reply": a}).status) for a in answers]
    )
    assert statuses == [303] * AT_ONCE
    with site.app.app_context():
        rows = db.session.scalars(
            sa.select(Invitation).where(Invitation.meeting_id == meeting_id)
        ).all()
    assert len(rows) == 1 and rows[0].reply in ("yes", "maybe", "no")
    _no_server_errors(site)


def test_20_people_raise_items_at_once_and_one_form_sent_20_times_makes_one(site):
    visitors = site.crowd(AT_ONCE)
    item = {
        "title": "Turned away at the housing office",
        "what_happened": "They said I needed ID first.",
        "theme": "housing",
        "agency": "other",
        "show_name": "no",
    }
    forms = [v.form_fields("/register/new", "/register/new") for v in visitors]
    statuses = all_at_once(
        [
            (lambda v=v, f=f: v.send("POST", "/register/new", {**f, **item}).status)
            for v, f in zip(visitors, forms, strict=True)
        ]
    )
    assert statuses == [303] * AT_ONCE
    keys = [f["submission_key"] for f in forms]
    with site.app.app_context():
        made = db.session.scalars(sa.select(Item).where(Item.submission_key.in_(keys))).all()
    assert len(made) == AT_ONCE

    # One person's one form, pressed 20 times at once.
    one = visitors[0]
    form = one.form_fields("/register/new", "/register/new")
    statuses = all_at_once(
        [lambda: one.send("POST", "/register/new", {**form, **item}).status] * AT_ONCE
    )
    assert statuses == [303] * AT_ONCE
    with site.app.app_context():
        made = db.session.scalars(
            sa.select(Item).where(Item.submission_key == form["submission_key"])
        ).all()
    assert len(made) == 1
    _no_server_errors(site)


def _claim_for(
    site: Site, username: str, amount: str, approve: bool = False, send: bool = True
) -> int:
    with site.app.test_request_context():
        person = db.session.scalar(sa.select(User).where(User.username == username))
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        claim, _new = claim_services.quick_claim(
            person,
            person,
            method="cash",
            kind="bus",
            amount=Decimal(amount),
            spent_on=local_today() - timedelta(days=1),
            send=send,
        )
        if approve:
            claim_services.approve(manager, claim)
        db.session.commit()
        return claim.id


def test_a_claim_approved_20_times_at_once_is_approved_once_and_told_once(site):
    claim_id = _claim_for(site, "peer", "4.60")
    manager = site.visitor("manager")
    path = f"/claims/{claim_id}/approve"
    form = manager.form_fields(f"/claims/{claim_id}", path)
    statuses = all_at_once([lambda: manager.send("POST", path, form).status] * AT_ONCE)
    assert set(statuses) == {303}
    with site.app.app_context():
        approvals = db.session.scalars(
            sa.select(PaymentEvent).where(
                PaymentEvent.claim_id == claim_id, PaymentEvent.to_state == "approved"
            )
        ).all()
        reference = db.session.get(ExpenseClaim, claim_id).reference
        told = db.session.scalars(
            sa.select(Notification).where(Notification.body.contains(reference))
        ).all()
    assert len(approvals) == 1
    approved = [n for n in told if "approved" in n.subject.lower()]
    assert len(approved) == 1, [(n.subject, n.status) for n in told]
    # Handed to the sender once: the log sender writes each message it sends to the log.
    log = site.server.log.read_text(errors="replace")[site.log_start :]
    assert log.count(approved[0].subject) == 1
    _no_server_errors(site)


def test_pages_that_record_each_view_answer_20_at_once(site):
    """Reading a peer's claim records the view in the audit log: a read that then writes,
    which SQLite cannot let through once another writer has gone first. Each is tried again;
    every view is answered and recorded."""
    claim_id = _claim_for(site, CROWD[4], "2.20")
    manager = site.visitor("manager")
    with site.app.app_context():
        before = db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "claim.viewed")
        )
    statuses = all_at_once([lambda: manager.get(f"/claims/{claim_id}").status] * AT_ONCE)
    assert statuses == [200] * AT_ONCE
    with site.app.app_context():
        after = db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "claim.viewed")
        )
    assert after - before == AT_ONCE
    _no_server_errors(site)
    # The page takes SQLite's write lock as it begins (writes_when_read): it waits its turn
    # instead of colliding and being run again.
    assert "database is locked" not in _log_since(site)


def _log_since(site: Site) -> str:
    with site.server.log.open("rb") as handle:
        handle.seek(site.log_start)
        return handle.read().decode(errors="replace")


def test_the_same_claim_form_sent_20_times_at_once_makes_one_claim(site):
    peer = site.visitor(CROWD[1])
    form = peer.form_fields("/claims/new", "/claims/new")
    data = {**form, "kind": "bus", "when": "today", "amount": "3.20", "method": "cash"}
    data["send"] = "Send claim"
    statuses = all_at_once([lambda: peer.send("POST", "/claims/new", data).status] * AT_ONCE)
    assert statuses == [303] * AT_ONCE
    with site.app.app_context():
        claims = db.session.scalars(
            sa.select(ExpenseClaim).where(ExpenseClaim.submission_key == form["submission_key"])
        ).all()
    assert len(claims) == 1
    _no_server_errors(site)


def test_a_draft_sent_20_times_at_once_is_sent_once(site):
    claim_id = _claim_for(site, CROWD[3], "8.00", send=False)
    peer = site.visitor(CROWD[3])
    path = f"/claims/{claim_id}/submit"
    form = peer.form_fields(f"/claims/{claim_id}", path)
    statuses = all_at_once([lambda: peer.send("POST", path, form).status] * AT_ONCE)
    assert statuses == [303] * AT_ONCE
    with site.app.app_context():
        sent = db.session.scalars(
            sa.select(PaymentEvent).where(
                PaymentEvent.claim_id == claim_id, PaymentEvent.to_state == "submitted"
            )
        ).all()
    assert len(sent) == 1
    _no_server_errors(site)


def test_the_same_payment_run_made_20_times_at_once_is_made_once(site):
    made = [_claim_for(site, CROWD[2], amount, approve=True) for amount in ("2.50", "7.25")]
    finance = site.visitor("finance")
    form = finance.form_fields("/payments/runs/new", "/payments/runs/new")
    data = {**form, "items": [f"claim:{claim_id}" for claim_id in made]}
    statuses = all_at_once(
        [lambda: finance.send("POST", "/payments/runs/new", data).status] * AT_ONCE
    )
    assert statuses == [303] * AT_ONCE
    with site.app.app_context():
        runs = db.session.scalars(sa.select(PaymentRun).where(PaymentRun.key == form["key"])).all()
        items = db.session.scalars(
            sa.select(PaymentItem).where(PaymentItem.claim_id.in_(made))
        ).all()
    assert len(runs) == 1
    assert len(items) == 2 and {i.run_id for i in items} == {runs[0].id}
    _no_server_errors(site)


def test_a_survey_sent_10_times_at_once_is_one_response(site):
    """Ten presses of "Send my answers" at once store one response; the others are told the
    person has answered. The same for ten presses through a personal answer link."""
    from engage.people.models import hash_token
    from engage.surveys import definitions
    from engage.surveys import services as surveys
    from engage.surveys.models import Audience, Response, RoundInvitee

    with site.app.test_request_context():
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        round_ = surveys.create_round(
            manager,
            definitions.latest(definitions.all_definitions(), "coproduction-partners"),
            title=f"Concurrency {uuid.uuid4().hex[:6]}",
            audience=Audience.ALL_PEERS,
            opens_at=utcnow() - timedelta(minutes=1),
            closes_at=utcnow() + timedelta(days=7),
        )
        round_id = round_.id
        # A personal link for a second peer, as an invitation carries.
        linked = db.session.scalar(sa.select(User).where(User.username == CROWD[3]))
        invitee = db.session.get(RoundInvitee, (round_id, linked.id))
        invitee.token_hash = hash_token("a-personal-link-token")
        db.session.commit()
    answers = {
        "feel_heard": "4",
        "views_valued": "5",
        "makes_a_difference": "3",
        "feel_informed": "2",
        "inclusive_environment": "4",
        "fits_my_needs": "4",
    }
    peer = site.visitor(CROWD[2])
    by_link = Visitor(site.url)
    assert by_link.get(f"/surveys/{round_id}/answer/a-personal-link-token").status == 303
    for visitor in (peer, by_link):
        for question, value in answers.items():
            path = f"/surveys/{round_id}/questions/{question}"
            fields = visitor.form_fields(path, path)
            assert visitor.send("POST", path, {**fields, "answer": value}).status == 303
        check = f"/surveys/{round_id}/check"
        fields = visitor.form_fields(check, check)
        statuses = all_at_once(
            [lambda v=visitor, f=fields: v.send("POST", check, f).status for _ in range(10)]
        )
        assert statuses.count(303) == 1 and set(statuses) <= {200, 303}, statuses
    with site.app.app_context():
        responses = db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.round_id == round_id)
        )
        marked = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RoundInvitee)
            .where(RoundInvitee.round_id == round_id, RoundInvitee.responded)
        )
    assert responses == 2 and marked == 2
    assert by_link.get(f"/surveys/{round_id}/answer/a-personal-link-token").status == 303
    assert "already answered" in by_link.get(f"/surveys/{round_id}").text
    _no_server_errors(site)


def test_ten_people_sending_survey_answers_at_once_are_all_counted(site):
    """Each response adds to its round's tallies in one upsert; ten at once must all count,
    none lost to a race and none deadlocked."""
    from engage.surveys import definitions
    from engage.surveys import services as surveys
    from engage.surveys.models import Audience, Response, Tally

    with site.app.test_request_context():
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        round_ = surveys.create_round(
            manager,
            definitions.latest(definitions.all_definitions(), "coproduction-partners"),
            title=f"Ten at once {uuid.uuid4().hex[:6]}",
            audience=Audience.ALL_PEERS,
            opens_at=utcnow() - timedelta(minutes=1),
            closes_at=utcnow() + timedelta(days=7),
        )
        round_id = round_.id
        db.session.commit()
    answers = {
        "feel_heard": "4",
        "views_valued": "5",
        "makes_a_difference": "3",
        "feel_informed": "2",
        "inclusive_environment": "4",
        "fits_my_needs": "4",
    }
    people = site.crowd(AT_ONCE)[10:]
    check = f"/surveys/{round_id}/check"
    presses = []
    for visitor in people:
        for question, value in answers.items():
            path = f"/surveys/{round_id}/questions/{question}"
            fields = visitor.form_fields(path, path)
            assert visitor.send("POST", path, {**fields, "answer": value}).status == 303
        fields = visitor.form_fields(check, check)
        presses.append(lambda v=visitor, f=fields: v.send("POST", check, f).status)
    assert all_at_once(presses) == [303] * len(people)
    with site.app.app_context():
        responses = db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.round_id == round_id)
        )
        counted = db.session.scalar(
            sa.select(sa.func.sum(Tally.n)).where(
                Tally.round_id == round_id,
                Tally.dimension == "all",
                Tally.question_id == "feel_heard",
            )
        )
    assert responses == counted == len(people)
    _no_server_errors(site)


def test_a_fund_request_approved_20_times_at_once_is_approved_once_and_told_once(site):
    """The fund's approve button, pressed 20 times at once through the real server: one
    approval, money committed once, one message to the requester."""
    from engage.fund import services as fund_services
    from engage.fund.models import FundEvent, FundRequest

    with site.app.test_request_context():
        peer = db.session.scalar(sa.select(User).where(User.username == CROWD[1]))
        row = fund_services.submit(
            peer,
            fund_services.current_fund(),
            person=peer,
            person_ref="",
            category="travel",
            barrier="No bus fare to the housing appointment.",
            amount=Decimal("6.40"),
            how_it_helps="I can keep the appointment.",
            pay_to="person",
        )
        db.session.commit()
        request_id, reference = row.id, row.reference
    finance = site.visitor("finance")
    path = f"/fund/requests/{request_id}/approve"
    form = finance.form_fields(f"/fund/requests/{request_id}", path)
    statuses = all_at_once([lambda: finance.send("POST", path, form).status] * AT_ONCE)
    assert set(statuses) == {303}
    with site.app.app_context():
        approvals = db.session.scalars(
            sa.select(FundEvent).where(
                FundEvent.request_id == request_id, FundEvent.to == "approved"
            )
        ).all()
        state = db.session.get(FundRequest, request_id).state
        told = db.session.scalars(
            sa.select(Notification).where(Notification.body.contains(reference))
        ).all()
    assert state == "approved" and len(approvals) == 1
    assert len([n for n in told if "approved" in n.subject]) == 1
    _no_server_errors(site)
