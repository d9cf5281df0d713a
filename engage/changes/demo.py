"""Demo register: about 40 items in every state, theme and level, with supporters, plans,
decisions, two boards with meetings, and some overdue items."""

from __future__ import annotations

import random
from datetime import timedelta

from engage.changes import services
from engage.changes.models import (
    Attendance,
    Board,
    BoardMeeting,
    BoardMember,
    Item,
    Level,
    Source,
    State,
    Theme,
)
from engage.core.db import utcnow
from engage.extensions import db
from engage.people.models import Organisation, User

ORGANISATIONS = [
    "City Council Housing Options",
    "Jobcentre Plus",
    "Riverside NHS Mental Health Trust",
    "Probation Service",
    "Police",
    "Drug and Alcohol Service",
    "GP surgeries",
    "Emergency Department",
    "Women's Aid",
    "Citizens Advice",
]

BLOCKAGES = [
    ("Turned away from housing office without photo ID", Theme.HOUSING),
    ("Told to come back with a letter I could not get", Theme.HOUSING),
    ("Hostel evicted me for missing one curfew", Theme.HOUSING),
    ("Benefits stopped when I went into hospital", Theme.WELFARE_BENEFITS),
    ("Had to tell my story again at every appointment", Theme.MENTAL_HEALTH),
    ("Mental health team said I must stop drinking first", Theme.MENTAL_HEALTH),
    ("Released from prison on a Friday with nowhere to go", Theme.CRIMINAL_JUSTICE),
    ("Probation appointment clashed with my methadone pick-up", Theme.CRIMINAL_JUSTICE),
    ("Refuge would not take me with my dog", Theme.DOMESTIC_ABUSE),
    ("No women-only space at the drop-in", Theme.DOMESTIC_ABUSE),
    ("GP would not register me without an address", Theme.HEALTH),
    ("Discharged from A&E at 3am with no bus home", Theme.HEALTH),
    ("Script stopped after missed appointment", Theme.SUBSTANCE_USE),
    ("Detox waiting list longer than six months", Theme.SUBSTANCE_USE),
    ("Phone line only open when I have no credit", Theme.OTHER),
]

#: How many demo items end in each state.
PLAN = [
    (State.RAISED, 6),
    (State.TRIAGED, 5),
    (State.ACTION_PLANNED, 6),
    (State.IN_PROGRESS, 7),
    (State.ESCALATED, 4),
    (State.RESOLVED, 7),
    (State.CLOSED, 3),
    (State.REOPENED, 1),
    (State.MERGED, 1),
]


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    orgs = [Organisation(name=name) for name in ORGANISATIONS]
    db.session.add_all(orgs)
    db.session.flush()
    people["partner"].organisation_id = orgs[0].id
    people["board"].organisation_id = orgs[2].id
    manager, board_user = people["manager"], people["board"]
    today = utcnow().date()

    boards = [
        Board(
            name="Operational Group",
            level=Level.OPERATIONAL.value,
            purpose="Unblocks day-to-day problems between services.",
        ),
        Board(
            name="Changing Futures Delivery Board",
            level=Level.DELIVERY.value,
            purpose="Owns the register and agrees action plans across partners.",
        ),
        Board(
            name="Strategic Partnership Board",
            level=Level.STRATEGIC.value,
            purpose="Removes the blockages the delivery board cannot.",
        ),
    ]
    db.session.add_all(boards)
    db.session.flush()
    for board in boards[1:]:
        db.session.add(BoardMember(board_id=board.id, user_id=board_user.id, role="Member"))
        db.session.add(BoardMember(board_id=board.id, user_id=manager.id, role="Secretary"))
        for peer in peers[:2]:
            db.session.add(
                BoardMember(
                    board_id=board.id,
                    user_id=peer.id,
                    expert_by_experience=True,
                    role="Expert by experience",
                )
            )
    meetings = []
    for board in boards[1:]:
        for weeks in (-8, -4, 3):
            meeting = BoardMeeting(
                board_id=board.id,
                place="Town Hall, Committee Room 2",
                starts_at=utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
                + timedelta(weeks=weeks),
            )
            db.session.add(meeting)
            meetings.append(meeting)
    db.session.flush()
    for meeting in meetings:
        if meeting.starts_at < utcnow():
            for member in db.session.scalars(
                db.select(BoardMember).filter_by(board_id=meeting.board_id)
            ):
                db.session.add(
                    Attendance(
                        meeting_id=meeting.id, user_id=member.user_id, attended=rng.random() < 0.8
                    )
                )

    made: list[Item] = []
    n = 0
    for target_state, count in PLAN:
        for _ in range(count):
            title, theme = BLOCKAGES[n % len(BLOCKAGES)]
            n += 1
            raiser = rng.choice([people["peer"], people["peer2"], *peers])
            from_meeting = rng.random() < 0.2
            item = services.raise_item(
                manager if from_meeting else raiser,
                title=title,
                what_happened=f"{title}. It left me with nowhere to turn for weeks.",
                theme=theme.value,
                who_affected="Anyone in the same position",
                agency_id=rng.choice(orgs).id,
                show_name=rng.random() < 0.3,
                source=Source.MEETING if from_meeting else Source.PEER,
                source_note="Expert Citizen Forum" if from_meeting else "",
            )
            item.created_at = utcnow() - timedelta(days=rng.randint(20, 200))
            for supporter in rng.sample(peers, k=min(len(peers), rng.randint(0, 4))):
                if supporter.id != item.raised_by_id:
                    services.support(
                        supporter,
                        item,
                        "The same happened to me last year.",
                        share_with_board=rng.random() < 0.5,
                    )
            _walk(item, target_state, manager, board_user, orgs, meetings, rng, today, made)
            made.append(item)


def _walk(item, target, manager, board_user, orgs, meetings, rng, today, made) -> None:
    """Take an item through the real services to its demo state."""
    if target == State.RAISED:
        return
    if target == State.MERGED:
        services.merge(manager, item, made[-1] if made[-1].state_enum.is_open else made[0])
        return
    if target == State.CLOSED and rng.random() < 0.5:
        services.close(
            manager,
            item,
            "This is about one person's case, so the lived experience team is helping directly.",
        )
        return
    services.triage(manager, item)
    # Spread the dates out as a real register's would be.
    item.triaged_at = item.created_at + timedelta(days=rng.randint(1, 14))
    level = rng.choice(list(Level))
    overdue = target in (State.IN_PROGRESS, State.ACTION_PLANNED) and rng.random() < 0.3
    services.set_ownership(
        board_user,
        item,
        owner_id=board_user.id,
        organisation_id=rng.choice(orgs).id,
        target_date=today
        + timedelta(days=-rng.randint(3, 30) if overdue else rng.randint(10, 120)),
        level=level,
    )
    if target == State.TRIAGED:
        return
    if target == State.CLOSED:
        services.close(manager, item, "The board found this is already fixed by a new policy.")
        return
    services.add_step(
        board_user,
        item,
        "Review the policy with front-line staff",
        "Housing Options manager, City Council",
        today + timedelta(days=30),
    )
    item.planned_at = item.triaged_at + timedelta(days=rng.randint(3, 45))
    services.record_decision(
        board_user,
        item,
        "Agreed to review the policy with the forum.",
        co_produced=rng.random() < 0.6,
        meeting_id=rng.choice(meetings).id,
    )
    if target == State.ACTION_PLANNED:
        return
    if target == State.ESCALATED:
        item.level = min(item.level + 1, Level.STRATEGIC.value)
        item.move_to(State.ESCALATED)
        return
    services.start(board_user, item)
    if target == State.IN_PROGRESS:
        return
    services.resolve(
        board_user,
        item,
        "Staff now accept any two proofs of identity, and a worker's letter counts as one.",
        "Everyone without photo ID asking for help.",
        "It is written into the housing allocation policy and new-staff training.",
    )
    item.resolved_at = min(
        utcnow() - timedelta(days=1), item.planned_at + timedelta(days=rng.randint(20, 90))
    )
    if target == State.REOPENED:
        services.reopen(manager, item, "People say it is happening again at the weekend.")
