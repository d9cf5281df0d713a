"""Demo forums: three forums with members, past meetings with attendance and minutes, future
meetings with replies and varied needs.

Before the current series, each forum has met since the programme history began
(``engage.core.demo.history_start``, 18 months ago): a series of its own with attendance and
minutes, members joining along the way, and its meetings climbing the ladder of co-production
as the forum finds its feet, so the dashboard has trends to show."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from engage.core import dates
from engage.core.db import utcnow
from engage.core.demo import happened_at, history_start, local_moment
from engage.extensions import db
from engage.forums import agenda, attendance, meetings, membership, minutes, replies
from engage.forums.models import Forum, Presence, Reply, Rung, Venue
from engage.people.demo import gender_of
from engage.people.models import User

FORUMS = [
    (
        "Expert Citizen Forum",
        "Advises the delivery board on what gets in people's way, and "
        "checks that what changes really changes.",
        True,
        6,
    ),
    (
        "Women's Forum",
        "A women-only space to shape services for women facing multiple "
        "disadvantage, including domestic abuse services.",
        False,
        4,
    ),
    (
        "Workforce Forum",
        "Front-line staff and experts by experience working out together how "
        "services should work with people.",
        True,
        8,
    ),
]

#: How many days ago each forum last met.
MET_DAYS_AGO = [4, 9, 2]


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    manager = people["manager"]
    zone = dates.local_timezone()
    today = dates.local_today()
    venues = [
        Venue(
            name="The Hub, Riverside Community Centre",
            address="12 Mill Lane",
            step_free=True,
            hearing_loop=True,
            quiet_room=True,
            bus_stops="Mill Lane (routes 4, 12), 2 minutes' walk",
        ),
        Venue(
            name="St Mary's Church Hall",
            address="Church Street",
            step_free=False,
            hearing_loop=False,
            quiet_room=True,
            bus_stops="Market Square, 5 minutes",
        ),
    ]
    db.session.add_all(venues)
    db.session.flush()
    everyone = [people["peer"], people["peer2"], *peers]
    for index, (name, purpose, open_to_all, every) in enumerate(FORUMS):
        # The Women's Forum is for women only: nobody else is a member, paid to attend or chair.
        members = everyone if index != 1 else [p for p in everyone if gender_of(p) == "woman"]
        forum = Forum(
            name=name,
            purpose=purpose,
            open_to_all=open_to_all,
            chair_id=members[index % len(members)].id if members else None,
            terms_of_reference="We meet every few weeks. Members are paid for their "
            "time and expenses. We agree what we say together.",
        )
        db.session.add(forum)
        db.session.flush()
        # Half past ten in the partnership's own time, kept across clock changes; each forum
        # last met a few days ago, on a day of its own (never all of them today).
        first = today - timedelta(weeks=every * 2, days=MET_DAYS_AGO[index])
        start = datetime.combine(first, time(10, 30), zone).astimezone(UTC)
        scheduled = start - timedelta(days=21)
        _history(rng, manager, forum, index, members, venues, scheduled)
        with happened_at(scheduled):
            series = meetings.schedule(
                manager,
                forum,
                starts_at=start,
                duration_minutes=120,
                every_weeks=every,
                count=5,
                venue_id=venues[index % 2].id,
                capacity=12 if index == 0 else None,
                rung=[Rung.CO_PRODUCTION, Rung.ENGAGEMENT, Rung.CO_DESIGN][index].value,
                title="",
            )
        now = utcnow()
        past = [m for m in series if m.ends_at < now]
        future = [m for m in series if m.ends_at >= now]
        for meeting in past:
            marks = {
                p.id: rng.choice(
                    [
                        Presence.ATTENDED,
                        Presence.ATTENDED,
                        Presence.LATE,
                        Presence.APOLOGIES,
                        Presence.NO_SHOW,
                    ]
                )
                for p in members[:10]
            }
            if marks:  # a forum with no members yet has nobody to mark
                with happened_at(min(meeting.ends_at + timedelta(minutes=30), now)):
                    attendance.mark_attendance(manager, meeting, marks)
            with happened_at(min(meeting.ends_at + timedelta(days=1), now)):
                minutes.save_minutes(
                    manager,
                    meeting,
                    "We heard from the housing team and shared experiences.",
                    "Agreed to ask the council to accept a worker's letter as ID.",
                )
        if past:
            with happened_at(min(past[-1].ends_at + timedelta(days=1), now)):
                agenda.add_action(
                    manager,
                    past[-1],
                    "Write to the housing team about ID rules",
                    manager.display_name,
                    today + timedelta(days=14),
                )
        for meeting in future[:2]:
            for person in members[:12]:
                answer = rng.choice([Reply.YES, Reply.YES, Reply.MAYBE, Reply.NO, None])
                if answer is not None:
                    replied = now - (now - scheduled) * rng.uniform(0.0, 0.3)
                    with happened_at(replied):
                        replies.reply(person, meeting, answer)


#: The ladder's rungs, lowest first: a forum's early meetings sit lower, its later ones higher.
LADDER = [Rung.INFORMING, Rung.CONSULTATION, Rung.ENGAGEMENT, Rung.CO_DESIGN, Rung.CO_PRODUCTION]


def _history(rng, manager, forum, index, members, venues, until) -> None:  # noqa: ANN001, PLR0913
    """The forum's meetings from the start of the programme history to ``until`` (when its
    current series was scheduled): a series of its own, made through the services in the order
    things happened. A third of the members (at least four) were there from the start; the
    others joined along the way (``join_forum``, so they were invited to what was still to
    come). Each meeting is marked by the manager that afternoon, from the members who had
    joined by then, and its minutes saved the next day."""
    zone, now = dates.local_timezone(), utcnow()
    begin = history_start(dates.local_today())
    every = FORUMS[index][3]
    first_day = begin + timedelta(days=7 + 3 * index)
    first = datetime.combine(first_day, time(10, 30), zone).astimezone(UTC)
    count = 0
    while first + timedelta(weeks=every * count, hours=3) < until:
        count += 1
    if not members:
        return
    founding = members[: max(4, len(members) // 3)]
    with happened_at(local_moment(begin, 10)):
        for person in founding:
            membership.add_member(manager, forum, person, begin)
    series = []
    if count:
        with happened_at(min(first - timedelta(days=21), until)):
            series = meetings.schedule(
                manager,
                forum,
                starts_at=first,
                duration_minutes=120,
                every_weeks=every,
                count=count,
                venue_id=venues[index % 2].id,
                capacity=12 if index == 0 else None,
                rung=LADDER[index].value,
                title="",
            )
            for n, meeting in enumerate(series):
                # Set as each meeting was planned: the forum's own rung, a step or two lower at
                # first and higher later, with some meetings only informing or consulting.
                progress = n / max(1, len(series) - 1)
                step = round(index + progress * 2 - 1 + rng.uniform(-1.2, 1.2))
                meeting.rung = LADDER[min(4, max(0, step))].value
    span = (until - timedelta(days=1) - local_moment(begin, 10)).total_seconds()
    joins = [
        (local_moment(begin, 10) + timedelta(seconds=span * rng.uniform(0.05, 1)), "join", p)
        for p in members[len(founding) :]
    ]
    marks = [(meeting.ends_at + timedelta(minutes=30), "mark", meeting) for meeting in series]
    joined: list[User] = list(founding)
    for moment, what, subject in sorted(joins + marks, key=lambda event: event[0]):
        if moment >= now:
            continue
        if what == "join":
            with happened_at(moment):
                membership.join_forum(manager, forum, subject, dates.local_date(moment))
            joined.append(subject)
            continue
        meeting = subject
        # More of the forum comes as it finds its feet: most of the regulars, a few others.
        came = rng.sample(joined, k=min(len(joined), rng.randint(6, 11)))
        with happened_at(moment):
            attendance.mark_attendance(
                manager,
                meeting,
                {
                    p.id: rng.choice(
                        [Presence.ATTENDED] * 5
                        + [Presence.LATE, Presence.APOLOGIES, Presence.NO_SHOW]
                    )
                    for p in came
                },
            )
        with happened_at(min(meeting.ends_at + timedelta(days=1), now)):
            minutes.save_minutes(
                manager,
                meeting,
                "We went through what members had heard since the last meeting.",
                "Agreed what to take to the delivery board.",
            )
