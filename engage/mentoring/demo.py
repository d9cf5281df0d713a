"""Demo recruitment and training: the training catalogue, four peer roles with the courses and
checks they need, and about 25 applications at every stage, each with the history it would
have had (one made by a worker with someone, DBS checks with renewals coming up, one
disclosure with its decision). The demo ``peer`` holds the role of peer mentor.

Training: past sessions whose attendance completed their course, courses done elsewhere
(some running out within weeks, one ran out), and coming sessions with everyone missing the
course invited, except the last Safeguarding session, left for the gaps matrix's "invite"
button. The demo ``peer`` (Sam) has completions and a place on the next Lone working session.

Then supervision for everyone holding a role (``seed_supervision``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from engage.core import dates
from engage.core.db import clock_at, utcnow
from engage.core.demo import happened_at, history_start
from engage.extensions import db
from engage.forums import attendance, replies
from engage.forums.models import Presence, Reply, Venue
from engage.mentoring import checks, services, supervision, training
from engage.mentoring.models import (
    Application,
    CheckLevel,
    Completion,
    ContactWay,
    Course,
    DbsOutcome,
    ReferenceOutcome,
    RiskDecisionKind,
    RoleHeld,
    Stage,
    SupervisionKind,
)
from engage.people.models import Role, User, UserRole

#: (name, what it covers, months it counts for or None)
COURSES = [
    ("Safeguarding", "Spotting harm and abuse, and what to do about it.", 36),
    ("Boundaries", "Keeping yourself and the people you support safe in a peer role.", None),
    ("Trauma-informed practice", "How trauma affects people, and working in ways that help.", 36),
    (
        "Confidentiality and data protection",
        "What you can share, with whom, and how to keep people's information safe.",
        24,
    ),
    ("Lone working", "Staying safe when you meet people on your own.", 36),
    ("Self-care", "Looking after yourself while you support others.", None),
    ("Motivational interviewing", "Conversations that help people find their own reasons.", None),
]

#: (name, description for applicants, check, paid, courses)
ROLES = [
    (
        "Peer mentor",
        "Walk alongside someone going through what you went through. Meet them, listen, and "
        "help them find their way through services.",
        CheckLevel.ENHANCED,
        True,
        [
            "Safeguarding",
            "Boundaries",
            "Trauma-informed practice",
            "Confidentiality and data protection",
            "Lone working",
            "Self-care",
        ],
    ),
    (
        "Ambassador",
        "Speak up for people with lived experience at meetings, events and interview panels, "
        "and help services listen.",
        CheckLevel.NONE,
        True,
        ["Boundaries", "Confidentiality and data protection", "Self-care"],
    ),
    (
        "Peer researcher",
        "Help find out what people think of services: ask questions, listen, and help write "
        "up what you heard.",
        CheckLevel.BASIC,
        True,
        ["Safeguarding", "Confidentiality and data protection", "Trauma-informed practice"],
    ),
    (
        "Involvement champion",
        "Help others get involved: welcome new people to forums, share news, and tell us what "
        "gets in the way.",
        CheckLevel.NONE,
        False,
        ["Boundaries", "Self-care"],
    ),
]

#: (name, role or None for "not sure yet", where it ends, how to contact them). A name of
#: None is one of the demo's peers, whose account the application is linked to.
APPLICANTS = [
    ("Tom", "Peer mentor", Stage.APPLIED, ContactWay.TEXT),
    ("Nadia", None, Stage.APPLIED, ContactWay.EMAIL),
    ("Piotr", "Ambassador", Stage.APPLIED, ContactWay.PHONE),
    ("Hana", "Involvement champion", Stage.APPLIED, ContactWay.WORKER),  # made with a worker
    ("Sean", None, Stage.CONVERSATION, ContactWay.POST),
    ("Amira", "Peer researcher", Stage.CONVERSATION, ContactWay.EMAIL),
    ("Gary", "Peer mentor", Stage.CONVERSATION, ContactWay.TEXT),
    ("Lucy", "Peer mentor", Stage.REFERENCES, ContactWay.EMAIL),
    ("Dean", "Ambassador", Stage.REFERENCES, ContactWay.TEXT),
    ("Chloe", "Peer researcher", Stage.REFERENCES, ContactWay.EMAIL),
    ("Kofi", "Peer mentor", Stage.CHECKS, ContactWay.TEXT),
    ("Beth", "Peer mentor", Stage.CHECKS, ContactWay.EMAIL),  # disclosed, decision to make
    ("Ryan", "Peer researcher", Stage.CHECKS, ContactWay.PHONE),
    ("Sofia", "Peer mentor", Stage.INDUCTION, ContactWay.EMAIL),  # disclosed, go ahead
    ("Mick", "Involvement champion", Stage.INDUCTION, ContactWay.TEXT),
    ("Jade", "Peer mentor", Stage.TRAINING, ContactWay.EMAIL),
    ("Ali", "Ambassador", Stage.TRAINING, ContactWay.TEXT),
    # Active: people who already have an account (the demo's other peers) took on a role.
    (None, "Peer researcher", Stage.ACTIVE, ContactWay.EMAIL),
    (None, "Peer mentor", Stage.ACTIVE, ContactWay.TEXT),
    (None, "Ambassador", Stage.ACTIVE, ContactWay.EMAIL),
    ("Omar", "Peer mentor", Stage.ON_HOLD, ContactWay.TEXT),
    ("Sue", "Involvement champion", Stage.ON_HOLD, ContactWay.EMAIL),
    ("Nat", "Ambassador", Stage.WITHDRAWN, ContactWay.TEXT),
    ("Wayne", None, Stage.NOT_PROGRESSED, ContactWay.EMAIL),
]

WHAT_DRAWS = [
    "I want to give back. A peer mentor helped me when nobody else did.",
    "I know what it is like to be passed from service to service.",
    "I would like to use what I went through to help someone else.",
    "My worker said I would be good at this, and I think she is right.",
    "I want services to listen to people like me.",
]
AVAILABILITY = ["Weekday mornings", "Any day but Friday", "Afternoons", "Tuesdays and Thursdays"]
#: Why the demo's peers were made active although their training is not all recorded here.
GOING_AHEAD = "Did the courses with their last organisation; certificates seen, to add here."


def _at(days_ago: float) -> datetime:
    """A moment ``days_ago`` days before today, in the working day, as UTC."""
    day = dates.local_today() - timedelta(days=int(days_ago))
    return datetime.combine(day, time(10, 30), tzinfo=dates.local_timezone()).astimezone(UTC)


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    manager = people["manager"]
    courses = {
        name: services.save_course(
            manager, None, name=name, description=about, valid_months=months, is_active=True
        )
        for name, about, months in COURSES
    }
    roles = {
        name: services.save_role(
            manager,
            None,
            name=name,
            description=about,
            check_level=level,
            paid=paid,
            is_active=True,
            courses=[courses[c] for c in needed],
        )
        for name, about, level, paid, needed in ROLES
    }
    today = dates.local_today()
    # The demo makes no accounts of its own: people made active are peers who have one.
    accounts = list(peers) or [people["peer2"]]
    for number, (name, role, end, way) in enumerate(APPLICANTS):
        account = None
        if name is None:
            if not accounts:
                continue
            account = accounts.pop(0)
            name = account.display_name
            way = ContactWay.EMAIL if account.email else ContactWay.TEXT
        _story(
            rng, manager, number, name, roles.get(role) if role else None, end, way, today, account
        )
    _sam(manager, people["peer"], roles["Peer mentor"], today)
    _training(rng, manager, people["peer"], courses, today)
    db.session.flush()
    # After training: the people interested who have no completion yet get one here.
    _opportunity_needing_a_role(manager, roles["Ambassador"], people.get("peer2"), today)


def _story(rng, manager, number, name, role, end, way, today, account=None) -> Application:  # noqa: ANN001, PLR0913
    """One application, applied for and moved along to ``end`` at believable moments."""
    finished = end in (Stage.ACTIVE, Stage.WITHDRAWN, Stage.NOT_PROGRESSED, Stage.ON_HOLD)
    route = [Stage.APPLIED, Stage.CONVERSATION, Stage.REFERENCES, Stage.CHECKS]
    route += [Stage.INDUCTION, Stage.TRAINING, Stage.ACTIVE]
    stop = {
        Stage.ON_HOLD: Stage.REFERENCES,
        Stage.WITHDRAWN: Stage.CONVERSATION,
        Stage.NOT_PROGRESSED: Stage.CONVERSATION,
    }.get(end, end)
    steps = route[1 : route.index(stop) + 1] + ([end] if end != stop else [])
    spacing = rng.randint(6, 10)
    started = (len(steps) + 1) * spacing + rng.randint(1, 12) + (20 if finished else 0)
    contact = {
        ContactWay.EMAIL: {
            "email": getattr(account, "email", None) or f"{name.lower()}@example.org"
        },
        ContactWay.TEXT: {"phone": getattr(account, "phone", None) or f"07700 91{number:04d}"},
        ContactWay.PHONE: {"phone": f"0117 496 {number:04d}"},
        ContactWay.POST: {"postal_address": f"Flat {number + 1}, 12 River Street, Riverside"},
        ContactWay.WORKER: {
            "worker_name": "Rachel",
            "worker_contact": "Riverside Outreach Team, 0117 496 0000",
        },
    }[way]
    with clock_at(_at(started)):
        application, _made = services.apply(
            role=role,
            name=name,
            contact_way=way,
            what_draws=rng.choice(WHAT_DRAWS),
            availability=rng.choice(AVAILABILITY),
            access_needs="Easy read, please" if number % 7 == 3 else "",
            helper_name="Rachel" if way == ContactWay.WORKER else "",
            helper_organisation="Riverside Outreach Team" if way == ContactWay.WORKER else "",
            locale="pl" if name == "Piotr" else "en",
            **contact,
        )
    days_ago = started
    for target in steps:
        days_ago -= spacing
        with clock_at(_at(max(days_ago, 1))):
            _before(manager, application, target, today)
            if target == Stage.ACTIVE:
                services.activate(manager, application, existing=account, reason=GOING_AHEAD)
            else:
                services.move(manager, application, target, **_why(target, application.name))
    if end == Stage.ACTIVE and application.current_check is not None:
        # An active peer's check comes up for renewal within the week.
        application.current_check.renewal_date = today + timedelta(days=6)
    return application


def _why(target: Stage, name: str) -> dict[str, str]:
    return {
        Stage.ON_HOLD: {"reason": "Moving house this month; asked to pick it up after."},
        Stage.WITHDRAWN: {"reason": "Started a new job and has less time for now."},
        Stage.NOT_PROGRESSED: {
            "reason": "Would like to start with the forum first and build up from there.",
            "note_to_person": "We would love to see you at the Expert Citizen Forum.",
        },
    }.get(target, {})


def _before(manager: User, application: Application, target: Stage, today) -> None:  # noqa: ANN001
    """What has to be done before a move: a role chosen, references, the DBS check."""
    if target == Stage.REFERENCES:
        if application.role is None:
            return
        reference = checks.add_reference(
            manager,
            application,
            referee_name="Their support worker",
            how_to_reach="0117 496 0101",
            requested_on=dates.local_today(),
        )
        if application.name not in ("Lucy", "Dean", "Chloe"):
            checks.update_reference(
                manager,
                reference,
                referee_name=reference.referee_name,
                how_to_reach=reference.how_to_reach,
                requested_on=reference.requested_on,
                received_on=dates.local_today(),
                outcome=ReferenceOutcome.SUPPORTS,
            )
    if target == Stage.INDUCTION or (
        target == Stage.CHECKS and application.name in ("Beth", "Kofi")
    ):
        level = application.role.check_level_enum if application.role else CheckLevel.NONE
        if level == CheckLevel.NONE:
            return
        disclosed = application.name in ("Beth", "Sofia")
        certificate = dates.local_today()
        # Some renewals come up soon, so the warnings have something to say.
        renewal = {
            "Jade": today + timedelta(days=25),
            "Kofi": today + timedelta(days=50),
        }.get(application.name, certificate + timedelta(days=3 * 365))
        check = checks.record_check(
            manager,
            application,
            level=level,
            certificate_date=certificate,
            outcome=DbsOutcome.DISCLOSED if disclosed else DbsOutcome.CLEAR,
            renewal_date=max(renewal, certificate + timedelta(days=1)),
        )
        if application.name == "Sofia":
            checks.record_decision(
                manager,
                check,
                decision=RiskDecisionKind.PROCEED_WITH_SUPPORT,
                review_date=today + timedelta(days=90),
            )


def _sam(manager: User, peer: User, role, today) -> None:  # noqa: ANN001
    """The demo peer applied last year, went through every stage and holds the role now."""
    with clock_at(_at(420)):
        application, _made = services.apply(
            role=role,
            name=peer.display_name,
            contact_way=ContactWay.TEXT,
            phone=peer.phone or "07700 900001",
            what_draws="A peer mentor helped me get my first flat. I want to do that for someone.",
            availability="Weekdays",
        )
    days_ago = 420
    for target in (
        Stage.CONVERSATION,
        Stage.REFERENCES,
        Stage.CHECKS,
        Stage.INDUCTION,
        Stage.TRAINING,
        Stage.ACTIVE,
    ):
        days_ago -= 30
        with clock_at(_at(days_ago)):
            if target == Stage.REFERENCES:
                reference = checks.add_reference(
                    manager,
                    application,
                    referee_name="Housing support worker",
                    how_to_reach="0117 496 0202",
                    requested_on=dates.local_today(),
                )
                reference.received_on = dates.local_today()
                reference.outcome = ReferenceOutcome.SUPPORTS.value
            if target == Stage.INDUCTION:
                checks.record_check(
                    manager,
                    application,
                    level=CheckLevel.ENHANCED,
                    certificate_date=dates.local_today(),
                    outcome=DbsOutcome.CLEAR,
                    renewal_date=today + timedelta(days=40),
                )
            if target == Stage.ACTIVE:
                services.activate(manager, application, existing=peer, reason=GOING_AHEAD)
            else:
                services.move(manager, application, target)


def _opportunity_needing_a_role(manager: User, role, ran_out: User | None, today) -> None:  # noqa: ANN001
    """The leaflet review needs an ambassador's training: everyone interested has it, except
    ``ran_out``, whose confidentiality course ran out two months ago, so a manager choosing
    people sees the warning (and the override with a reason)."""
    from engage.opportunities.models import Interest, Opportunity, OpportunityStatus

    opportunity = db.session.scalar(
        select(Opportunity).where(
            Opportunity.title == "Review our new hostel leaflet",
            Opportunity.status == OpportunityStatus.OPEN.value,
        )
    )
    if opportunity is None:
        return
    opportunity.peer_role_id = role.id
    interested = db.session.scalars(
        select(Interest.user_id).where(Interest.opportunity_id == opportunity.id)
    ).all()
    for user_id in interested:
        for course in role.courses:
            if db.session.scalar(
                select(Completion.id).where(
                    Completion.user_id == user_id, Completion.course_id == course.id
                )
            ):
                continue  # already recorded (the training part of the demo)
            done = today - timedelta(days=120)
            if ran_out is not None and user_id == ran_out.id and course.valid_months:
                done = today - timedelta(days=30 * course.valid_months + 60)
            db.session.add(
                Completion(
                    user_id=user_id,
                    course_id=course.id,
                    completed_on=done,
                    expires_on=(
                        done + timedelta(days=30 * course.valid_months)
                        if course.valid_months
                        else None
                    ),
                    recorded_by_id=manager.id,
                )
            )


# Supervision -------------------------------------------------------------------------------

#: What a demo supervisor might write: private to them and the managers.
SUPERVISION_NOTES = [
    "Talked through a first meeting that felt hard. Agreed to meet the mentee somewhere quieter "
    "next time.",
    "Went over boundaries: giving out a personal phone number. Agreed to use the work phone only.",
    "Feeling more confident. Would like to try an interview panel next.",
    "Tired after a busy month. Agreed a lighter fortnight and a check-in by phone.",
    "Reflected on a mentee being turned away by a service. Raised it in the register.",
    "Goals for the next three months: lead part of a forum meeting, and the lone working course.",
]
REFLECTIVE_NOTES = [
    "Group session: what we do when someone we support stops replying.",
    "Group session: looking after ourselves when stories bring back our own.",
    "Group session: sharing what went well this month.",
]


def seed_supervision(rng: random.Random, people: dict[str, User]) -> None:
    """Supervision for everyone holding a peer role: for the demo ``peer`` (Sam) a session
    with the manager about every four weeks since he took on the role and group reflective
    practice about every eight, so his passport is worth printing; a first session or two
    for the peers made active more recently. Each is logged on its own day, by the manager."""
    manager = people["manager"]
    today = dates.local_today()
    held = db.session.scalars(select(RoleHeld).order_by(RoleHeld.from_date, RoleHeld.id)).all()
    for row in held:
        started = (today - row.from_date).days
        person = row.user
        if person.id == people["peer"].id:
            plan = [(d, SupervisionKind.SUPERVISION) for d in range(started - 14, 1, -28)]
            plan += [(d, SupervisionKind.REFLECTIVE) for d in range(started - 30, 1, -56)]
        else:
            plan = [(d, SupervisionKind.SUPERVISION) for d in range(started - 7, 1, -28)][:2]
        for days_ago, kind in sorted(plan, reverse=True):
            with clock_at(_at(days_ago)):
                one_to_one = kind == SupervisionKind.SUPERVISION
                notes = SUPERVISION_NOTES if one_to_one else REFLECTIVE_NOTES
                supervision.log_session(
                    manager,
                    person,
                    supervisor=manager,
                    kind=kind,
                    held_on=dates.local_today(),
                    minutes=rng.choice([45, 60, 60, 75, 90]) if one_to_one else 120,
                    notes=rng.choice(notes),
                )


# Training ------------------------------------------------------------------------------------

#: Sessions: (course, days from today (before: negative), hour, paid, capacity, online).
#: Older ones were unpaid, so nobody's time waits for approval for months.
PAST_SESSIONS = [
    ("Safeguarding", -200, 10, False, 12, False),
    ("Boundaries", -150, 13, False, None, False),
    ("Self-care", -45, 10, False, 15, True),
    ("Confidentiality and data protection", -20, 10, True, 12, False),
]
#: Sessions of the programme history, open to any peer getting ready for co-production (not
#: the role holders, whose training the gaps matrix shows): (course, days from today, hour).
HISTORY_SESSIONS = [
    ("Boundaries", -520, 10),
    ("Self-care", -470, 13),
    ("Confidentiality and data protection", -420, 10),
    ("Motivational interviewing", -360, 10),
    ("Boundaries", -300, 13),
    ("Self-care", -250, 10),
    ("Motivational interviewing", -130, 13),
    ("Boundaries", -90, 10),
]
FUTURE_SESSIONS = [
    ("Lone working", 12, 10, True, 10, False),
    ("Trauma-informed practice", 26, 13, True, 15, True),
    ("Confidentiality and data protection", 40, 10, True, 12, False),
    ("Safeguarding", 60, 10, True, 12, False),  # nobody invited yet: the gaps matrix's turn
]


def _holders() -> dict[int, set[int]]:
    """Course id → the people whose current roles need it."""
    from engage.mentoring.models import role_course

    found: dict[int, set[int]] = {}
    for user_id, course_id in db.session.execute(
        select(RoleHeld.user_id, role_course.c.course_id)
        .join(role_course, role_course.c.role_id == RoleHeld.role_id)
        .where(RoleHeld.to_date.is_(None))
        .order_by(RoleHeld.user_id)
    ).all():
        found.setdefault(course_id, set()).add(user_id)
    return found


def _before_now(moment: datetime) -> datetime:
    """``moment``, or a little before now if that is later (the demo never happens ahead)."""
    return min(moment, utcnow() - timedelta(minutes=5))


def _put_on(manager: User, course: Course, day, hour: int, paid: bool, capacity, online: bool):  # noqa: ANN001, ANN202, PLR0913
    """A session, put on three weeks before it (or now, for one within three weeks)."""
    start = datetime.combine(day, time(hour), tzinfo=dates.local_timezone()).astimezone(UTC)
    venue = db.session.scalar(select(Venue).order_by(Venue.id).limit(1))
    planned = _before_now(start - timedelta(days=21))
    with happened_at(planned):
        session, _made = training.create_session(
            manager,
            course,
            starts_at=start,
            duration_minutes=180,
            paid=paid,
            trainer="Trauma Informed Bristol" if online else "Riverside Training Team",
            venue_id=None if online or venue is None else venue.id,
            online_link="https://meet.example.org/riverside-training" if online else "",
            capacity=capacity,
        )
    return session, planned


def _training(rng: random.Random, manager: User, sam: User, courses: dict, today) -> None:  # noqa: ANN001
    needs = _holders()
    # Done elsewhere, before they came to us: Sam's confidentiality training runs out in
    # about a month, his trauma-informed practice ran out last month; another peer's lone
    # working runs out within a fortnight.
    elsewhere = [
        (sam.id, "Confidentiality and data protection", today - timedelta(days=700)),
        (sam.id, "Trauma-informed practice", today - timedelta(days=3 * 365 + 25)),
    ]
    lone = sorted(needs.get(courses["Lone working"].id, set()) - {sam.id})
    if lone:
        elsewhere.append((lone[0], "Lone working", today - timedelta(days=3 * 365 - 15)))
    for user_id, name, on in elsewhere:
        with happened_at(_at((today - on).days - 7)):
            training.record_completion(manager, db.session.get(User, user_id), courses[name], on)
    _history_sessions(rng, manager, sam, courses, today, needs)
    # Past sessions: those whose role needs the course were invited, and came.
    for name, offset, hour, paid, capacity, online in PAST_SESSIONS:
        course = courses[name]
        session, planned = _put_on(
            manager, course, today + timedelta(days=offset), hour, paid, capacity, online
        )
        meeting = session.meeting
        people = sorted(needs.get(course.id, set()))
        if offset < -100:  # before the newer peers were on their way
            people = [sam.id]
        if name == "Confidentiality and data protection":  # Sam's still counts, for now
            people = [p for p in people if p != sam.id]
        with happened_at(planned + timedelta(hours=1)):
            replies.invite_people(meeting, set(people), notify=True)
        marks = {}
        for user_id in people:
            with happened_at(planned + timedelta(days=rng.randint(1, 5))):
                replies.reply(db.session.get(User, user_id), meeting, Reply.YES)
            marks[user_id] = (
                Presence.ATTENDED
                if user_id == sam.id
                else rng.choice([Presence.ATTENDED, Presence.ATTENDED, Presence.LATE])
            )
        if marks:
            with happened_at(meeting.ends_at + timedelta(minutes=30)):
                attendance.mark_attendance(manager, meeting, marks)
    # Coming sessions: everyone missing the course (or whose completion ran out) invited,
    # some replied; Sam has a place on Lone working.
    for name, offset, hour, paid, capacity, online in FUTURE_SESSIONS:
        session, planned = _put_on(
            manager, courses[name], today + timedelta(days=offset), hour, paid, capacity, online
        )
        if name == "Safeguarding":
            continue
        with happened_at(_before_now(planned + timedelta(hours=1))):
            training.invite_missing(manager, session)
        for invitee in sorted(replies.invitees(session.meeting), key=lambda i: i.user_id):
            if invitee.user_id == sam.id:
                answer = Reply.YES if name == "Lone working" else None
            else:
                answer = rng.choice([Reply.YES, Reply.MAYBE, None])
            if answer is None:
                continue
            with happened_at(_before_now(planned + timedelta(days=1))):
                replies.reply(db.session.get(User, invitee.user_id), session.meeting, answer)
    db.session.flush()


def _history_sessions(rng, manager, sam, courses, today, needs) -> None:  # noqa: ANN001, PLR0913
    """The training of the programme history (``HISTORY_SESSIONS``, within its 18 months): each
    session put on three weeks ahead, a handful of peers invited who hold no role yet (nor
    Jordan, whose confidentiality course the leaflet review's warning needs to have run out),
    and those who came completing the course. Unpaid, as the older sessions were."""
    holders = set().union(*needs.values()) | {sam.id}
    jordan = db.session.scalar(select(User.id).where(User.username == "peer2"))
    peers = db.session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PEER.value, User.is_active, User.id.not_in(holders | {jordan}))
        .order_by(User.id)
    ).all()
    earliest = -(today - history_start(today)).days + 21
    for name, offset, hour in HISTORY_SESSIONS:
        if offset < earliest or not peers:
            continue
        session, planned = _put_on(
            manager, courses[name], today + timedelta(days=offset), hour, False, 12, False
        )
        meeting = session.meeting
        people = rng.sample(peers, k=min(len(peers), rng.randint(5, 9)))
        with happened_at(planned + timedelta(hours=1)):
            replies.invite_people(meeting, set(people), notify=True)
        marks = {
            user_id: rng.choice([Presence.ATTENDED] * 4 + [Presence.LATE, Presence.NO_SHOW])
            for user_id in people
        }
        with happened_at(meeting.ends_at + timedelta(minutes=30)):
            attendance.mark_attendance(manager, meeting, marks)
