"""Demo forums: three forums with members, past meetings with attendance and minutes, future
meetings with replies and varied needs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from engage.core import dates
from engage.core.db import utcnow
from engage.core.demo import happened_at, local_moment
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
        joined = today - timedelta(days=180)
        with happened_at(local_moment(joined, 10)):
            for person in members:
                membership.add_member(manager, forum, person, joined)
        # Half past ten in the partnership's own time, kept across clock changes; each forum
        # last met a few days ago, on a day of its own (never all of them today).
        first = today - timedelta(weeks=every * 2, days=MET_DAYS_AGO[index])
        start = datetime.combine(first, time(10, 30), zone).astimezone(UTC)
        scheduled = start - timedelta(days=21)
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
