"""The progression passport and the reference letter: the passport's facts (roles, training,
supervision, time given from payments, forums and opportunities) and the number of queries it
takes; who sees whose; what it never holds (notes, DBS outcomes, risk decisions); and the
letter made from it with the admins' wording and the manager's name."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from engage.core import settings
from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.forums.models import Attendance, Forum, Meeting
from engage.mentoring import reference, services
from engage.mentoring.models import (
    Application,
    Completion,
    Course,
    RoleHeld,
    Stage,
    SupervisionKind,
)
from engage.mentoring.passport import passport_of
from engage.opportunities.models import Interest, Opportunity
from engage.payments.models import InvolvementRecord
from engage.people.models import Role, User
from tests.conftest import count_queries, post, sign_in
from tests.mentoring.conftest import day

NOTES = "Private words about a hard week 7f3a"


def _long(offset: int) -> str:
    """The day ``offset`` days from the pinned today, as an English letter writes it."""
    when = day(offset)
    return f"{when.day} {when:%B} {when.year}"


def _at(offset: int) -> datetime:
    """Ten in the morning (UTC), ``offset`` days from the pinned today."""
    return datetime.combine(day(offset), time(10), tzinfo=UTC)


@pytest.fixture
def journey(app, roles, log_session):
    """``journey(person, n=1)``: ``n`` of everything a passport shows, for ``person``: roles
    (one ended), two completions of each course (the later counts), sessions, time given in
    every status, forum meetings taken part in (and ones not), and opportunities done (and
    ones chosen for but not done). Committed."""

    def make(person, n: int = 1) -> None:
        with app.test_request_context():
            db.session.add_all(
                [
                    RoleHeld(
                        user_id=person.id,
                        role_id=roles["champion"],
                        from_date=day(-400),
                        to_date=day(-201),
                    ),
                    RoleHeld(user_id=person.id, role_id=roles["mentor"], from_date=day(-200)),
                ]
            )
            courses = db.session.scalars(db.select(Course).order_by(Course.name)).all()
            forum = Forum(name=f"Expert Citizen Forum {person.id}")
            training = Forum(name=f"Training {person.id}", is_training=True)
            db.session.add_all([forum, training])
            db.session.flush()
            for i in range(n):
                for course in courses:
                    for completed in (day(-300 - i), day(-100 - i)):
                        db.session.add(
                            Completion(
                                user_id=person.id,
                                course_id=course.id,
                                completed_on=completed,
                                expires_on=completed + timedelta(days=365)
                                if course.valid_months
                                else None,
                            )
                        )
                for status, minutes in (
                    ("paid", 120),
                    ("approved", 90),
                    ("pending", 60),
                    ("declined", 30),
                    ("voluntary", 45),
                    ("rejected", 600),
                    ("cancelled", 600),
                    ("paid", None),
                ):
                    db.session.add(
                        InvolvementRecord(
                            person_id=person.id,
                            activity="forum_meeting" if minutes != 45 else "working_group",
                            activity_date=day(-50 - i),
                            minutes=minutes,
                            status=status,
                        )
                    )
                for where, presence, cancelled in (
                    (forum, "attended", False),
                    (forum, "late", False),
                    (forum, "apologies", False),
                    (forum, "no_show", False),
                    (forum, "attended", True),
                    (training, "attended", False),
                ):
                    meeting = Meeting(
                        forum_id=where.id,
                        starts_at=_at(-60 - i),
                        ends_at=_at(-60 - i) + timedelta(hours=2),
                        cancelled=cancelled,
                    )
                    db.session.add(meeting)
                    db.session.flush()
                    db.session.add(
                        Attendance(meeting_id=meeting.id, user_id=person.id, presence=presence)
                    )
                for title, selected, done in (
                    (f"Interview panel {i}", True, True),
                    (f"Leaflet review {i}", True, False),
                    (f"Working group {i}", False, False),
                ):
                    opportunity = Opportunity(title=title, description="", status="selected")
                    db.session.add(opportunity)
                    db.session.flush()
                    db.session.add(
                        Interest(
                            opportunity_id=opportunity.id,
                            user_id=person.id,
                            selected=selected,
                            completed_at=_at(-40 - i) if done else None,
                        )
                    )
            db.session.commit()
        for i in range(n):
            log_session(person, notes=NOTES, held_on=day(-30 - i), minutes=60)
            log_session(
                person,
                notes=NOTES,
                held_on=day(-20 - i),
                minutes=120,
                kind=SupervisionKind.REFLECTIVE,
            )

    return make


def test_the_passport_holds_the_facts_of_a_journey(app, ctx, make_user, journey):
    sam = make_user("sam")
    journey(sam)
    p = passport_of(db.session.get(User, sam.id))
    assert p.name == "Sam" and p.since == day(-400)
    assert [(r.role, r.from_date, r.to_date, r.current) for r in p.roles] == [
        ("Involvement champion", day(-400), day(-201), False),
        ("Peer mentor", day(-200), None, True),
    ]
    # Each course once, with its latest completion.
    assert [(t.course, t.completed_on) for t in p.training] == [
        ("Boundaries", day(-100)),
        ("Safeguarding", day(-100)),
    ]
    assert p.training[0].expires_on is None and p.training[1].expires_on == day(265)
    # Supervision: minutes and sessions by kind.
    assert p.supervised_minutes == 180
    assert [(t.kind, t.sessions, t.minutes) for t in p.supervision_totals] == [
        (SupervisionKind.SUPERVISION, 1, 60),
        (SupervisionKind.REFLECTIVE, 1, 120),
    ]
    # Time given, from payments: all but rejected and cancelled; a record without a length
    # counts as a time, not as minutes.
    assert p.involvement_minutes == 120 + 90 + 60 + 30 + 45
    assert p.pending_minutes == 60
    assert p.involvement_records == 6
    assert [(t.activity, t.records, t.minutes) for t in p.time_given] == [
        ("forum_meeting", 5, 300),
        ("working_group", 1, 45),
    ]
    # Forums: the meetings they took part in (attended, late), not apologies, no-shows, a
    # cancelled meeting or a training session.
    assert [(f.forum, f.meetings, f.first, f.last) for f in p.forums] == [
        (f"Expert Citizen Forum {sam.id}", 2, day(-60), day(-60))
    ]
    assert p.meetings == 2
    assert [(o.title, o.done_on) for o in p.opportunities] == [("Interview panel 0", day(-40))]


def test_an_empty_passport(app, ctx, make_user):
    p = passport_of(db.session.get(User, make_user("new").id))
    assert p.is_empty and p.since is None and p.supervised_minutes == 0


def _statements(app, work) -> int:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


def test_the_passport_takes_the_same_queries_for_2_records_and_for_40(
    app, client, make_user, journey
):
    few, many = make_user("few"), make_user("many")
    journey(few, n=1)  # two of each kind of record
    journey(many, n=20)  # forty of each
    with app.app_context():
        counts = {
            who.username: _statements(app, lambda w=who: passport_of(db.session.get(User, w.id)))
            for who in (few, many)
        }
    assert counts["few"] == counts["many"] == 2 + 6  # the person (and roles), then six
    pages = {}
    for who in ("few", "many"):
        browser = app.test_client()
        sign_in(browser, who)
        pages[who] = count_queries(app, browser, "/me/passport")
    assert pages["few"] == pages["many"]
    with app.app_context():
        many_passport = passport_of(db.session.get(User, many.id))
    assert many_passport.meetings == 40 and len(many_passport.opportunities) == 20


# Who sees whose ----------------------------------------------------------------------------------


def test_a_peer_sees_their_own_passport_and_nobody_elses(
    app, client, make_user, role_holder, journey
):
    sam = make_user("sam")
    journey(sam)
    jo = role_holder("jo")
    sign_in(client, "sam")
    page = client.get("/me/passport").get_data(as_text=True)
    assert "Progression passport" in page and "Peer mentor" in page
    assert "Interview panel 0" in page and f"Expert Citizen Forum {sam.id}" in page
    assert "5 hours and 45 minutes in all, over 6 times." in page
    assert "A manager has still to approve 1 hour of this." in page
    assert "data-engage-print hidden" in page  # the Print button, shown by the script
    assert "Make a reference letter" not in page
    for url in (
        f"/people/{jo.id}/passport",
        f"/people/{jo.id}/reference-letter",
        f"/people/{sam.id}/reference-letter",
        f"/people/{jo.id}/supervision",
        f"/people/{sam.id}/supervision",
        f"/people/{sam.id}/passport",  # their own, but through the manager's address
    ):
        assert client.get(url).status_code == (200 if url.endswith(f"{sam.id}/passport") else 404)
    # The profile links to it.
    assert "/me/passport" in client.get("/me").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.BOARD, Role.FINANCE, Role.ADMIN])
def test_no_one_but_managers_opens_a_peers_passport_or_letter(
    app, client, make_user, journey, role
):
    sam = make_user("sam")
    journey(sam)
    make_user("viewer", roles={role})
    sign_in(client, "viewer")
    for url in (f"/people/{sam.id}/passport", f"/people/{sam.id}/reference-letter"):
        assert client.get(url).status_code == 404, url
    own = client.get("/me/passport")
    assert own.status_code == 200 and "Nothing here yet" in own.get_data(as_text=True)


def test_a_manager_looking_at_a_passport_is_recorded(app, client, manager, make_user, journey):
    sam = make_user("sam")
    journey(sam)
    sign_in(client, "manager")
    page = client.get(f"/people/{sam.id}/passport").get_data(as_text=True)
    assert "What Sam has done with us." in page
    assert "Make a reference letter" in page and "Their supervision" in page
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "passport.viewed")
        )
        assert (entry.actor_id, entry.subject_id) == (manager.id, sam.id)


def test_the_passport_and_letter_never_hold_notes_dbs_outcomes_or_risk_decisions(
    app, client, manager, make_user, disclosed, move_along, journey
):
    """A peer whose DBS check disclosed information, with a decision to go ahead with support
    (managers only), and private supervision notes: neither their passport nor a letter
    says any of it, to them or to a manager."""
    beth = make_user("beth")
    move_along(disclosed, Stage.INDUCTION, Stage.TRAINING)
    with app.test_request_context():
        services.activate(
            db.session.get(User, manager.id),
            db.session.get(Application, disclosed),
            existing=db.session.get(User, beth.id),
            reason="Training booked for next month",  # the role's courses are not done yet
        )
        db.session.commit()
    journey(beth)
    forbidden = [NOTES, "Information disclosed", "disclosed", "DBS", "Go ahead", "risk"]
    sign_in(client, "manager")
    pages = [
        client.get(f"/people/{beth.id}/passport").get_data(as_text=True),
        client.get(f"/people/{beth.id}/reference-letter").get_data(as_text=True),
        post(
            client,
            f"/people/{beth.id}/reference-letter",
            {"job_title": "Lived experience lead", "own_words": "Beth is kind."},
        ).get_data(as_text=True),
    ]
    peer = app.test_client()
    sign_in(peer, "beth")
    pages.append(peer.get("/me/passport").get_data(as_text=True))
    for page in pages:
        assert "Peer mentor" in page
        for word in forbidden:
            assert word not in page, word


# The reference letter ----------------------------------------------------------------------------


def test_the_letter_uses_the_admins_wording_and_the_managers_name(
    app, client, manager, make_user, journey
):
    sam = make_user("sam")
    journey(sam)
    make_user("alex", roles={Role.ADMIN})
    admin = app.test_client()
    sign_in(admin, "alex")
    assert "To whom it may concern" in admin.get("/roles/reference-letter").get_data(as_text=True)
    response = post(
        admin,
        "/roles/reference-letter",
        {
            "opening": "Dear employer,\r\n\r\nThis is about {name} from {partnership}. {other}",
            "closing": "With best wishes from all at {partnership},",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        assert settings.get(reference.OPENING_SETTING).startswith("Dear employer,\n\nThis")
    # A manager's letter: the facts, the wording filled in, the manager's name.
    sign_in(client, "manager")
    letter = client.get(f"/people/{sam.id}/reference-letter").get_data(as_text=True)
    partnership = app.config["PARTNERSHIP_NAME"]
    assert f"This is about Sam from {partnership}. {{other}}" in letter
    assert f"With best wishes from all at {partnership}," in letter
    assert f"Peer mentor, since {_long(-200)}" in letter
    assert f"Involvement champion, from {_long(-400)} to {_long(-201)}" in letter
    assert f"Safeguarding, {_long(-100)}" in letter
    assert "Sam has given 5 hours and 45 minutes of their time to our work" in letter
    assert "Forum meeting: 5 times" in letter and "Working group: once" in letter
    assert "Supervision: 1 hour in 1 session" in letter
    assert "Reflective practice: 2 hours in 1 session" in letter
    assert f"Expert Citizen Forum {sam.id}: 2 meetings, {_long(-60)}" in letter
    assert f"Interview panel 0, {_long(-40)}" in letter
    assert '<p class="govuk-body engage-signature">Manager<br>' in letter
    assert "1 March 2027" in letter  # the date of the letter
    # Words of their own and a job title, sent as a form: in the letter, and kept nowhere.
    response = post(
        client,
        f"/people/{sam.id}/reference-letter",
        {"job_title": "Lived experience lead", "own_words": "Sam led our <b>welcome</b> group."},
    )
    letter = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sam led our &lt;b&gt;welcome&lt;/b&gt; group." in letter
    assert "Manager<br>Lived experience lead<br>" in letter
    with app.app_context():
        made = db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.action == "reference.letter_made")
            .order_by(AuditEntry.id)
        ).all()
        # Each letter shown is recorded: the two shown with a GET (the second to fetch the
        # form), then the one with their words.
        assert [(e.actor_id, e.subject_id, e.detail_dict["own_words"]) for e in made] == [
            (manager.id, sam.id, False),
            (manager.id, sam.id, False),
            (manager.id, sam.id, True),
        ]
        assert all("welcome" not in e.detail and "Lived" not in e.detail for e in made)


def test_words_of_their_own_that_are_too_long_come_back_kindly(app, client, manager, make_user):
    sam = make_user("sam")
    sign_in(client, "manager")
    response = post(client, f"/people/{sam.id}/reference-letter", {"own_words": "x" * 3001})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keep this to 3000 characters or fewer" in page
    assert "x" * 3001 in page  # still in the box, and not in the letter
    assert page.count("x" * 3001) == 1


def test_only_admins_word_the_letter_and_can_put_the_standard_back(app, client, make_user):
    make_user("mgr", roles={Role.MANAGER})
    sign_in(client, "mgr")
    assert client.get("/roles/reference-letter").status_code == 403
    assert "Reference letter wording" not in client.get("/roles").get_data(as_text=True)
    make_user("alex", roles={Role.ADMIN})
    admin = app.test_client()
    sign_in(admin, "alex")
    assert "Reference letter wording" in admin.get("/roles").get_data(as_text=True)
    post(admin, "/roles/reference-letter", {"opening": "Hello", "closing": "Bye"})
    page = admin.get("/roles/reference-letter").get_data(as_text=True)
    assert "Put back the standard wording" in page
    response = post(
        admin, "/roles/reference-letter", {"action": "standard"}, form_url="/roles/reference-letter"
    )
    assert response.status_code == 303
    with app.app_context():
        assert reference.wording().is_standard
    blank = post(admin, "/roles/reference-letter", {"opening": "", "closing": "Bye"})
    assert "Enter the opening words" in blank.get_data(as_text=True)
    with app.app_context():
        assert reference.wording().is_standard


def test_the_standard_wording_says_only_what_they_did():
    words = (reference.DEFAULT_OPENING + reference.DEFAULT_CLOSING).lower()
    for never in (
        "lived experience",
        "disadvantage",
        "dbs",
        "homeless",
        "substance",
        "mental health",
        "offending",
        "abuse",
        "expert by experience",
    ):
        assert never not in words
