"""Demo register: 40 items in every state, theme and level, with supporters, plans,
decisions, two boards meeting through the 18 months of programme history, and some overdue
items; the items that ended were raised across those months.

Each item is one person's own words about a kind of blockage (a story), and each story's
"what changed" answers those words. Every step of an item's life is made through the real
services at a moment of its own (``engage.core.demo.happened_at``), so its history runs in order
from the day it was raised to no later than today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from engage.changes import services
from engage.changes.models import (
    Attendance,
    Board,
    BoardMeeting,
    BoardMember,
    Event,
    Item,
    Level,
    Source,
    State,
    Theme,
)
from engage.core import dates
from engage.core.db import utcnow
from engage.core.demo import happened_at, history_start, local_moment
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


@dataclass(frozen=True)
class Story:
    """One kind of blockage: two people's own words about it (each a title and an account),
    the step a board plans, and what changed in the end, which answers those words."""

    theme: Theme
    agency: str  # the service it happened in (one of ORGANISATIONS)
    said: tuple[tuple[str, str], tuple[str, str]]
    step: tuple[str, str]  # what, and who (a person and their organisation)
    did: tuple[str, str, str]  # what changed, for whom, why it lasts


STORIES = [
    Story(
        Theme.HOUSING,
        "City Council Housing Options",
        (
            (
                "Turned away from housing office without photo ID",
                "I lost my wallet on the street. The housing office said no photo ID, no help, "
                "and sent me away with nothing.",
            ),
            (
                "No help with housing because my ID was stolen",
                "My bag was stolen with my passport in it. They would not even take my name "
                "until I had new ID, and that costs money I do not have.",
            ),
        ),
        ("Agree which other proofs of identity staff can accept", "Head of Housing Options"),
        (
            "Staff now accept any two proofs of identity, and a letter from a worker counts "
            "as one.",
            "Everyone without photo ID who asks the housing office for help.",
            "It is written into the housing allocation policy and the training for new staff.",
        ),
    ),
    Story(
        Theme.HOUSING,
        "City Council Housing Options",
        (
            (
                "Hostel evicted me for missing one curfew",
                "My bus broke down and I got back at 11.20. I was out on the street the same "
                "night, with no warning.",
            ),
            (
                "Lost my room for being late back from hospital",
                "I was kept in A&E until midnight. When I got back the hostel had given my bed "
                "away.",
            ),
        ),
        ("Review the curfew and eviction rules with hostel managers", "Hostels lead, Council"),
        (
            "Nobody is evicted for one late return any more: staff phone first, and a "
            "warning comes before any notice.",
            "Everyone living in the council's hostels.",
            "The rule is in every hostel contract, and the contract is checked each year.",
        ),
    ),
    Story(
        Theme.HOUSING,
        "City Council Housing Options",
        (
            (
                "Told to come back with a letter I could not get",
                "They wanted a letter from my last landlord. He threw me out, so he will not "
                "write one.",
            ),
            (
                "Needed a landlord reference I could never get",
                "I had been sofa surfing for a year. Nobody could give me a reference, so the "
                "application stopped.",
            ),
        ),
        ("Find what can stand in for a landlord reference", "Housing Options manager"),
        (
            "A reference from a support worker or a hostel keyworker is now accepted instead "
            "of a landlord's.",
            "People who cannot get a reference from a past landlord.",
            "The application form and the guidance for staff have both been changed.",
        ),
    ),
    Story(
        Theme.WELFARE_BENEFITS,
        "Jobcentre Plus",
        (
            (
                "Benefits stopped when I went into hospital",
                "I was in hospital for five weeks and missed a phone appointment. When I came "
                "out my Universal Credit had been stopped.",
            ),
            (
                "Sanctioned for missing a call while I was on a ward",
                "Nobody told the Jobcentre I was an in-patient. I came home to no money and "
                "rent arrears.",
            ),
        ),
        ("Set up a way for wards to tell the Jobcentre", "Partnership manager, Jobcentre Plus"),
        (
            "Hospital discharge teams now tell the Jobcentre when someone is admitted, and "
            "appointments are moved.",
            "People on benefits who go into hospital.",
            "It is part of the discharge checklist on every ward, agreed by both services.",
        ),
    ),
    Story(
        Theme.WELFARE_BENEFITS,
        "Jobcentre Plus",
        (
            (
                "Phone line only open when I have no credit",
                "The benefits helpline is free only from a landline. I waited 50 minutes on my "
                "mobile and my credit ran out.",
            ),
            (
                "Could not afford to call about my own claim",
                "I had to ring to sort out my claim, but every call cost me money I did not have.",
            ),
        ),
        ("Offer call-backs and a free phone at the hub", "Jobcentre Plus and the Hub"),
        (
            "There is a free phone at the Hub, and the Jobcentre now rings people back when "
            "they ask.",
            "Anyone who needs to call about their benefits and has little or no credit.",
            "The call-back is part of the Jobcentre's local service promise, checked monthly.",
        ),
    ),
    Story(
        Theme.MENTAL_HEALTH,
        "Riverside NHS Mental Health Trust",
        (
            (
                "Had to tell my story again at every appointment",
                "Every new worker asked me to go through everything from the start. Saying it "
                "over and over made me feel worse.",
            ),
            (
                "Asked to repeat what happened to me five times",
                "I have told my story to five services this year. Each time it brings it all back.",
            ),
        ),
        ("Agree a shared summary people can choose to pass on", "Mental health trust lead"),
        (
            "People can now agree one summary of their story, which services share with their "
            "permission.",
            "Anyone working with more than one service who says yes to sharing.",
            "The summary is in the shared care record, and every service signed up to use it.",
        ),
    ),
    Story(
        Theme.MENTAL_HEALTH,
        "Riverside NHS Mental Health Trust",
        (
            (
                "Mental health team said I must stop drinking first",
                "They said they could not help with my mental health until I stopped drinking. "
                "The drinking is how I cope.",
            ),
            (
                "Sent between drug service and mental health team",
                "The drug service said my mental health came first. The mental health team said "
                "the drugs did. Nobody helped.",
            ),
        ),
        ("Set up joint assessments by both teams", "Dual diagnosis lead"),
        (
            "The two teams now assess people together, and neither can turn someone away "
            "because of the other's problem.",
            "People who need help with both their mental health and drink or drugs.",
            "Both services wrote the joint assessment into their referral rules.",
        ),
    ),
    Story(
        Theme.CRIMINAL_JUSTICE,
        "Probation Service",
        (
            (
                "Released from prison on a Friday with nowhere to go",
                "I came out on a Friday afternoon. Every office was shut by the time I got "
                "there, so I slept rough all weekend.",
            ),
            (
                "Let out at 4pm with a bus pass and no bed",
                "I was released late in the day with no address. The council had closed and "
                "the hostel was full.",
            ),
        ),
        ("Plan housing before release dates", "Probation Service"),
        (
            "Housing is now planned six weeks before release, and releases are not set for "
            "Friday afternoons.",
            "People leaving prison without a home to go to.",
            "It is in the resettlement agreement between the prison, probation and the council.",
        ),
    ),
    Story(
        Theme.CRIMINAL_JUSTICE,
        "Probation Service",
        (
            (
                "Probation appointment clashed with my methadone pick-up",
                "My probation slot was at the same time as my chemist pick-up. I had to miss "
                "one and got a warning.",
            ),
            (
                "Warned by probation for going to my script",
                "I chose my medication over the appointment and was told I had breached.",
            ),
        ),
        ("Let people choose appointment times around treatment", "Probation Service"),
        (
            "Probation now asks about treatment times and books around them.",
            "People on probation who collect a daily prescription.",
            "The booking form asks about treatment times, so it happens every time.",
        ),
    ),
    Story(
        Theme.DOMESTIC_ABUSE,
        "Women's Aid",
        (
            (
                "Refuge would not take me with my dog",
                "My dog is the only thing that kept me going. The refuge said no pets, so I "
                "stayed where I was.",
            ),
            (
                "Had to choose between my pet and a safe place",
                "The only refuge with space said no animals. I could not leave my dog with him.",
            ),
        ),
        ("Find foster places for pets of people fleeing abuse", "Women's Aid"),
        (
            "Pets are now fostered by a local scheme while their owner is in refuge, for up "
            "to six months.",
            "People fleeing domestic abuse who have a pet.",
            "The scheme has its own funding for three years and a named coordinator.",
        ),
    ),
    Story(
        Theme.DOMESTIC_ABUSE,
        "Citizens Advice",
        (
            (
                "No women-only space at the drop-in",
                "The drop-in is full of men. After what happened to me I cannot sit in there, "
                "so I go without food.",
            ),
            (
                "Did not feel safe at the day centre",
                "A man who hurt me goes to the same day centre. There was nowhere I could go "
                "that he could not.",
            ),
        ),
        ("Open a women-only session at the drop-in", "Day centre manager"),
        (
            "The drop-in now has two women-only mornings a week, run by women staff.",
            "Women who do not feel safe in mixed spaces.",
            "The sessions are in the day centre's funding agreement, not left to goodwill.",
        ),
    ),
    Story(
        Theme.HEALTH,
        "GP surgeries",
        (
            (
                "GP would not register me without an address",
                "The receptionist said I needed a proof of address to see a doctor. I live in "
                "a tent.",
            ),
            (
                "Turned away by the surgery for being homeless",
                "I had a bad chest for weeks. The surgery said they could not take me without "
                "an address.",
            ),
        ),
        ("Remind every surgery of the rules on registering", "Primary care lead, NHS"),
        (
            "Every surgery now registers people with no address, using the Hub's address if "
            "they like.",
            "People with no fixed address who need a GP.",
            "It is checked in each surgery's yearly review, and new receptionists are trained.",
        ),
    ),
    Story(
        Theme.HEALTH,
        "Emergency Department",
        (
            (
                "Discharged from A&E at 3am with no bus home",
                "They let me go at 3 in the morning in the rain, with no money and no way back.",
            ),
            (
                "Sent out of hospital in the night with nowhere to go",
                "I was discharged at night straight onto the street, still in my hospital socks.",
            ),
        ),
        ("Agree safe discharge times and transport", "Emergency Department matron"),
        (
            "Nobody homeless is discharged between 10pm and 7am without a place to go, and "
            "taxis are paid for.",
            "People with nowhere safe to go when they leave A&E.",
            "The rule is in the hospital's discharge policy and is audited every quarter.",
        ),
    ),
    Story(
        Theme.SUBSTANCE_USE,
        "Drug and Alcohol Service",
        (
            (
                "Script stopped after missed appointment",
                "I missed one appointment because I was in a cell overnight. My script was "
                "stopped and I started using again.",
            ),
            (
                "Lost my prescription after one missed review",
                "The letter about my review went to my old address. I missed it and my "
                "prescription ended the same week.",
            ),
        ),
        ("Change what happens after a missed appointment", "Drug and Alcohol Service"),
        (
            "A missed appointment now means a phone call and a new date, never a stopped "
            "prescription.",
            "Everyone on a prescription from the drug and alcohol service.",
            "It is in the service's clinical policy, signed off by the commissioners.",
        ),
    ),
    Story(
        Theme.SUBSTANCE_USE,
        "Drug and Alcohol Service",
        (
            (
                "Detox waiting list longer than six months",
                "I was ready to stop. By the time a detox bed came up, six months later, I "
                "was not.",
            ),
            (
                "Ready for rehab but no place for months",
                "I asked for help the day I left prison. The first date they could offer was "
                "after Christmas.",
            ),
        ),
        ("Add community detox places", "Drug and Alcohol Service"),
        (
            "Community detox is now offered within four weeks, with a worker visiting at home.",
            "People who ask for a detox.",
            "The places are funded in the new treatment contract for the next five years.",
        ),
    ),
    Story(
        Theme.OTHER,
        "Citizens Advice",
        (
            (
                "Forms only online and I have no phone",
                "Every service told me to apply online. I have no phone and the library "
                "computers were always booked.",
            ),
            (
                "Could not apply because I am not good with computers",
                "I cannot read well and the forms are all online. Nobody offered to help me "
                "fill them in.",
            ),
        ),
        ("Offer help to fill in forms at the Hub", "Citizens Advice"),
        (
            "The Hub now has form-filling help every weekday, and paper forms are kept for "
            "anyone who asks.",
            "People without a phone or who find online forms hard.",
            "Citizens Advice runs it under its contract, and paper forms are in the policy.",
        ),
    ),
    Story(
        Theme.MENTAL_HEALTH,
        "Riverside NHS Mental Health Trust",
        (
            (
                "Crisis line told me to go to A&E",
                "I rang the crisis line in a bad way. They told me to go to A&E, where I waited "
                "nine hours.",
            ),
            (
                "Nowhere to go in a crisis at night",
                "At night the only answer is A&E. It is loud and I left before anyone saw me.",
            ),
        ),
        ("Open a night-time crisis café", "Mental health trust lead"),
        (
            "A crisis café now opens every evening, so people can talk to someone without "
            "going to A&E.",
            "Anyone in a mental health crisis in the evening or at night.",
            "It is run by the trust with a peer team and is funded for three years.",
        ),
    ),
    Story(
        Theme.WELFARE_BENEFITS,
        "Citizens Advice",
        (
            (
                "No bank account, so my money could not be paid",
                "I was told my benefit could only go into a bank account. The bank wanted an "
                "address I did not have.",
            ),
            (
                "Bank turned me down, so I had no income",
                "Without an account I could not get paid, and without an address I could not "
                "open one.",
            ),
        ),
        ("Agree a basic account route with a local bank", "Citizens Advice"),
        (
            "A local bank now opens basic accounts with a letter from the Hub as proof of address.",
            "People with no fixed address who need a bank account.",
            "The agreement is signed by the bank and reviewed every year.",
        ),
    ),
    Story(
        Theme.CRIMINAL_JUSTICE,
        "Police",
        (
            (
                "Police took my phone and all my numbers",
                "My phone was kept as evidence for months. I lost every number, including my "
                "worker's.",
            ),
            (
                "Lost contact with services when my phone was seized",
                "With no phone I missed calls from my housing officer and lost my place.",
            ),
        ),
        ("Give people their contacts back when a phone is kept", "Police"),
        (
            "Police now print out someone's key contacts before keeping their phone.",
            "People whose phone is kept by the police.",
            "It is in the force's evidence procedure, and custody staff are trained on it.",
        ),
    ),
    Story(
        Theme.HOUSING,
        "City Council Housing Options",
        (
            (
                "Council lost my homeless application twice",
                "I filled in the same form three times. Each time they said they had no record "
                "of it.",
            ),
            (
                "My paperwork kept going missing at the council",
                "I handed in my documents and was told a month later they had never arrived.",
            ),
        ),
        ("Give everyone a receipt and a named officer", "Head of Housing Options"),
        (
            "Everyone now gets a receipt with a reference number and a named officer the day "
            "they apply.",
            "Everyone who makes a homeless application.",
            "The case system will not save an application without the receipt being sent.",
        ),
    ),
]

#: Each kind of blockage and its theme (the benchmarks raise items from these).
BLOCKAGES = [(story.said[0][0], story.theme) for story in STORIES]

#: What people write when they add "this happened to me too".
ME_TOO = [
    "The same happened to me last year.",
    "This happened to my sister too.",
    "Same here. I gave up in the end.",
    "I was told exactly the same thing in March.",
    "It happened to me twice, at two different offices.",
    "Me too. Nobody explained why.",
    "I had this when I first came out of prison.",
    "My worker says she sees this every week.",
    "Happened to me and my partner.",
    "I still have the letter they sent me.",
    "I know three people at the hostel this happened to.",
    "",
]

#: How many demo items end in each state (40 items: two people's words for each story).
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


def _local_day(moment: datetime) -> date:
    return dates.local_date(moment)


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    """The register as it stands today, every item having got there step by step through the
    real services on days of its own: raised, then accepted, planned, started, resolved, and so
    on, never after today. Made relative to today (in the partnership's zone), so it is
    believable whatever day the demo is made."""
    now = utcnow()
    today = _local_day(now)
    orgs = [Organisation(name=name) for name in ORGANISATIONS]
    db.session.add_all(orgs)
    db.session.flush()
    people["partner"].organisation_id = orgs[0].id
    people["board"].organisation_id = orgs[2].id
    manager, board_user = people["manager"], people["board"]

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
    zone = dates.local_timezone()
    # The delivery board meets every four weeks and the strategic board every eight, since the
    # programme history began; each meets next in three weeks.
    weeks_of_history = (today - history_start(today)).days // 7
    for board, every in zip(boards[1:], (4, 8), strict=True):
        for weeks in [*sorted(-w for w in range(every // 2 + 2, weeks_of_history, every)), 3]:
            day = today + timedelta(weeks=weeks)
            meeting = BoardMeeting(
                board_id=board.id,
                place="Town Hall, Committee Room 2",
                starts_at=datetime.combine(day, time(10, 0), zone).astimezone(UTC),
            )
            db.session.add(meeting)
            meetings.append(meeting)
    db.session.flush()
    for meeting in meetings:
        if meeting.starts_at < now:
            for member in db.session.scalars(
                db.select(BoardMember).filter_by(board_id=meeting.board_id)
            ):
                db.session.add(
                    Attendance(
                        meeting_id=meeting.id, user_id=member.user_id, attended=rng.random() < 0.8
                    )
                )

    demo = _Demo(rng, now, manager, board_user, {o.name: o for o in orgs}, meetings, peers)
    n = 0
    for target_state, count in PLAN:
        for _ in range(count):
            story = STORIES[n % len(STORIES)]
            title, account = story.said[(n // len(STORIES)) % 2]
            n += 1
            raiser = rng.choice([people["peer"], people["peer2"], *peers])
            demo.item(story, title, account, raiser, target_state)


#: Days between the steps of an item's life: (fewest, most).
GAPS = {
    "triage": (1, 13),
    "owner": (0, 3),
    "plan": (3, 30),
    "start": (2, 14),
    "resolve": (14, 60),
    "reopen": (7, 30),
    "close": (3, 30),
}


class _Demo:
    """Makes each item's life: a timeline first (so the last step is before today), then the
    steps through the real services, each at its own moment."""

    def __init__(self, rng, now, manager, board_user, orgs, meetings, peers) -> None:  # noqa: ANN001
        self.rng, self.now = rng, now
        self.manager, self.board_user = manager, board_user
        self.orgs, self.meetings, self.peers = orgs, meetings, peers
        self.made: list[Item] = []
        today = _local_day(now)
        self.history_days = (today - history_start(today)).days
        self.stories: dict[int, tuple[Story, int]] = {}  # item id: its story and whose words

    def _days(self, step: str) -> timedelta:
        low, high = GAPS[step]
        return timedelta(days=self.rng.uniform(low, high))

    def _steps(self, target: State) -> list[str]:
        if target == State.RAISED:
            return []
        if target == State.MERGED:
            return ["merge"]
        if target == State.CLOSED and self.rng.random() < 0.5:
            return ["close_early"]
        steps = ["triage", "owner"]
        if target == State.TRIAGED:
            return steps
        if target == State.CLOSED:
            return [*steps, "close"]
        steps.append("plan")
        if target == State.ACTION_PLANNED:
            return steps
        if target == State.ESCALATED:
            return [*steps, "escalate"]
        steps.append("start")
        if target == State.IN_PROGRESS:
            return steps
        steps.append("resolve")
        return [*steps, "reopen"] if target == State.REOPENED else steps

    def _timeline(self, steps: list[str]) -> tuple[datetime, list[tuple[str, datetime]]]:
        """When the item was raised and when each step happened: in order, the last one at
        least a day before now."""
        offsets, at = [], timedelta(0)
        for step in steps:
            if step == "merge" or step == "close_early":
                at += self._days("triage")
            elif step == "escalate":
                # Passed its target date (set when it got an owner), then went up a level.
                at += timedelta(days=self.rng.uniform(15, 40))
            else:
                at += self._days(step)
            offsets.append((step, at))
        if not steps:  # still waiting to be read: raised in the last two weeks
            raised = self.now - timedelta(days=self.rng.uniform(0.2, 12))
        else:
            # Items that ended (resolved or closed) were raised at any time in the programme
            # history, and items being worked on within its last nine months, so the register
            # is raised, accepted and resolved across the months; the rest lately.
            room = 25.0
            if steps[-1] in ("resolve", "close", "close_early"):
                room = self.history_days - at.days - 2
            elif steps[-1] in ("start", "plan"):
                room = 270 - at.days
            raised = self.now - at - timedelta(days=self.rng.uniform(1, max(25.0, room)))
        return raised, [(step, raised + offset) for step, offset in offsets]

    def _meeting_before(self, moment: datetime) -> int | None:
        held = [m for m in self.meetings if m.starts_at <= moment]
        return max(held, key=lambda m: m.starts_at).id if held else None

    def item(self, story: Story, title: str, account: str, raiser: User, target: State) -> None:
        rng = self.rng
        steps = self._steps(target)
        raised_at, timeline = self._timeline(steps)
        survivor = None
        if target == State.MERGED:
            # Someone else's words about the same story, raised while its item is open: a
            # duplicate, joined into it.
            survivor = next(
                i
                for i in self.made
                if self.stories[i.id][0] is story
                and i.state_enum in (State.ESCALATED, State.IN_PROGRESS)  # open all along
            )
            # After everything that had happened to it, so its history stays in order.
            last = db.session.scalar(
                db.select(db.func.max(Event.at)).where(Event.item_id == survivor.id)
            )
            raised_at = last + (self.now - last) * rng.uniform(0.2, 0.6)
            timeline = [("merge", raised_at + (self.now - raised_at) * rng.uniform(0.1, 0.5))]
        owner_at = dict(timeline).get("owner")
        target_day = self._target(target, owner_at, timeline) if owner_at else None
        if target_day is not None:
            # Each "escalate" is a morning `engage tick` ran: made by the real service below.
            timeline = [(s, m) for s, m in timeline if s != "escalate"]
            timeline += self._ticks(target, target_day)
        timeline = self._with_supporters(timeline, raiser)
        from_meeting = rng.random() < 0.2
        with happened_at(raised_at):
            item = services.raise_item(
                self.manager if from_meeting else raiser,
                title=title,
                what_happened=account,
                theme=story.theme.value,
                who_affected=story.did[1] if rng.random() < 0.5 else "",
                agency_id=self.orgs[story.agency].id,
                show_name=rng.random() < 0.3,
                source=Source.MEETING if from_meeting else Source.PEER,
                source_note="Expert Citizen Forum" if from_meeting else "",
            )
        self.stories[item.id] = (story, story.said.index((title, account)))
        for step, moment in timeline:
            with happened_at(moment):
                if isinstance(step, tuple):  # "this happened to me too"
                    supporter, words = step
                    if supporter.id != item.raised_by_id:
                        services.support(
                            supporter, item, words, share_with_board=rng.random() < 0.5
                        )
                elif step == "merge":
                    services.merge(self.manager, item, survivor)
                elif step == "close_early":
                    services.close(
                        self.manager,
                        item,
                        "This is about one person's case, so the lived experience team is "
                        "helping directly.",
                    )
                elif step == "triage":
                    services.triage(self.manager, item)
                elif step == "owner":
                    services.set_ownership(
                        self.board_user,
                        item,
                        owner_id=self.board_user.id,
                        organisation_id=self.orgs[story.agency].id,
                        target_date=target_day,
                        level=rng.choice([Level.OPERATIONAL, Level.DELIVERY]),
                    )
                elif step == "plan":
                    services.add_step(
                        self.board_user,
                        item,
                        story.step[0],
                        story.step[1],
                        _local_day(moment) + timedelta(days=rng.randint(30, 90)),
                    )
                    services.record_decision(
                        self.board_user,
                        item,
                        f"Agreed the plan: {story.step[0]}.",
                        co_produced=rng.random() < 0.6,
                        meeting_id=self._meeting_before(moment),
                    )
                elif step == "tick":
                    # Every earlier item is up to date, so only this one is overdue now.
                    services.escalate_overdue(_local_day(moment))
                elif step == "start":
                    services.start(self.board_user, item)
                elif step == "resolve":
                    services.resolve(self.board_user, item, *story.did)
                elif step == "reopen":
                    services.reopen(
                        self.manager, item, "People say it is happening again at the weekend."
                    )
                elif step == "close":
                    services.close(
                        self.manager, item, "The board found a new policy already fixes this."
                    )
        self.made.append(item)

    def _target(self, target: State, owner_at: datetime, timeline) -> date:  # noqa: ANN001
        """The target date set with the owner: passed already for escalated items (that is why
        they went up) and for some planned or started ones, after their last step (they went
        up too: see ``_ticks``)."""
        rng, day = self.rng, _local_day(owner_at)
        escalated = [moment for step, moment in timeline if step == "escalate"]
        if escalated:
            return _local_day(escalated[0]) - timedelta(days=1)
        today = _local_day(self.now)
        if not target.is_open:
            return day + timedelta(days=rng.randint(30, 120))  # set long before it ended
        if target in (State.IN_PROGRESS, State.ACTION_PLANNED) and rng.random() < 0.3:
            overdue = today - timedelta(days=rng.randint(3, 30))
            if overdue > _local_day(timeline[-1][1]):
                return overdue
        return max(today, day) + timedelta(days=rng.randint(10, 120))

    def _ticks(self, target: State, target_day: date) -> list[tuple[str, datetime]]:
        """The mornings a running site's `engage tick` escalated this item: the day after its
        target date passed, and again each time the new target date (set by the escalation)
        passed, up to today. Only items still open can go up; the demo sets target dates so
        that none passes before an item's last step."""
        if target.value not in services.ESCALATABLE:
            return []
        period = timedelta(days=int(current_app.config["ESCALATION_DAYS"]))
        today, day, ticks = _local_day(self.now), target_day + timedelta(days=1), []
        while day <= today:
            ticks.append(("tick", local_moment(day, 6)))
            day += period + timedelta(days=1)
        return ticks

    def _with_supporters(self, timeline: list, raiser: User) -> list:
        """The timeline with others' "this happened to me too" added in its place: after the
        item was accepted and while it was open (never after today)."""
        rng = self.rng
        moments = dict(timeline)
        if "triage" not in moments:
            return timeline
        opened = moments["triage"]
        ended = min(
            [moments[s] for s in ("resolve", "close") if s in moments] + [self.now],
        )
        others = [p for p in self.peers if p.id != raiser.id]
        people = rng.sample(others, k=min(len(others), rng.randint(0, 4)))
        words = rng.sample(ME_TOO, k=len(people))
        supports = [
            ((person, said), opened + (ended - opened) * rng.uniform(0.05, 0.95))
            for person, said in zip(people, words, strict=True)
        ]
        return sorted(timeline + supports, key=lambda pair: pair[1])
