"""Demo payments: a rate card with a mid-year change, mileage and benefits thresholds, bank
details, claims in every state with receipt photos, time waiting for approval, a payment run
about every month of the programme history (18 months) paying the time and claims approved
since the last, a peer close to a weekly limit who asked to be warned, and a peer who declines
payment.

``seed_settings`` runs before the forums demo, so attendance at past meetings is priced from the
card; ``seed`` runs after it.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from engage.core import dates
from engage.core.db import utcnow
from engage.core.demo import happened_at, history_start, local_moment
from engage.extensions import db
from engage.payments import bank_details, earnings, rate_card, thresholds
from engage.payments.claims import receipts
from engage.payments.claims import services as claim_services
from engage.payments.models import (
    ExpenseClaim,
    InvolvementRecord,
    Period,
    RecordStatus,
    period_bounds,
)
from engage.payments.runs import services as run_services
from engage.payments.time_given import services as time_given
from engage.people.models import User

#: (activity, unit, amount before, amount from 1 October 2026, preparation included)
RATES = [
    ("forum_meeting", "hour", "15.00", "16.00", True),
    ("board_seat", "half_day", "40.00", "45.00", False),
    ("interview_panel", "hour", "20.00", None, False),
    ("training", "hour", "12.50", None, True),
    ("document_review", "task", "25.00", None, True),
    ("peer_research", "hour", "15.00", None, False),
    ("working_group", "hour", "15.00", "16.00", True),
    ("other_involvement", "hour", "15.00", None, True),
]
MID_YEAR = date(2026, 10, 1)

THRESHOLDS = [
    (
        "ESA permitted work weekly limit",
        "week",
        "195.50",
        date(2025, 4, 7),
        "DWP permitted work higher limit for 2025/26 (16 hours at the National Living Wage). "
        "Check the new figure every April.",
    ),
    (
        "UC work allowance (monthly, with housing costs)",
        "month",
        "411.00",
        date(2025, 4, 7),
        "DWP Universal Credit work allowance 2025/26. Check the new figure every April.",
    ),
    (
        "Self-assessment flag (yearly, £1,000)",
        "tax_year",
        "1000.00",
        date(2017, 4, 6),
        "HMRC trading allowance: above £1,000 in a tax year someone may need to tell HMRC.",
    ),
]


def _receipt_photo(text: str, rng: random.Random) -> bytes:
    """A picture of a till receipt, as a phone would take it."""
    image = Image.new("RGB", (360, 520), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    lines = [
        "RIVERSIDE",
        "",
        *text.split("\n"),
        "",
        f"Ref {rng.randint(10000, 99999)}",
        "THANK YOU",
    ]
    for n, line in enumerate(lines):
        draw.text((30, 30 + n * 28), line, fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def seed_settings(people: dict[str, User]) -> None:
    """The rate card (with a change on 1 October 2026), mileage and thresholds."""
    admin = people["admin"]
    for activity, unit, before, after, preparation in RATES:
        rate_card.add_rate(
            admin,
            activity=activity,
            unit=unit,
            amount=Decimal(before),
            includes_preparation=preparation,
            effective_from=date(2025, 4, 6),
            note="Agreed with the Expert Citizen Forum",
        )
        if after:
            rate_card.add_rate(
                admin,
                activity=activity,
                unit=unit,
                amount=Decimal(after),
                includes_preparation=preparation,
                effective_from=MID_YEAR,
                note="Raised in line with the Real Living Wage",
            )
    rate_card.add_mileage_rate(
        admin,
        per_mile=Decimal("0.45"),
        effective_from=date(2011, 4, 6),
        note="HMRC approved mileage rate",
    )
    for label, period, amount, start, source in THRESHOLDS:
        thresholds.add_threshold(
            admin,
            label=label,
            period=period,
            amount=Decimal(amount),
            effective_from=start,
            source_note=source,
        )


def seed(rng: random.Random, people: dict[str, User], peers: list[User]) -> None:
    """Claims, time, bank details and two past runs, after the forums demo made records."""
    receipts.discard_names([p.name for p in receipts.folder().glob("*") if p.is_file()])
    manager, finance = people["manager"], people["finance"]
    today = dates.local_today()
    sam, jordan = people["peer"], people["peer2"]
    payees = [p for p in peers if p.profile.payment_preference in ("bank", "voucher", "cash")]
    # Expenses go back by bank transfer unless someone chose cash, so nearly everyone has bank
    # details; the last two bank payees have not given theirs yet, so finance sees payments
    # held for them ("missing bank details") beside the next run.
    by_bank = [p for p in payees if p.profile.payment_preference == "bank"]
    waiting_for_details = {p.id for p in by_bank[-2:]}
    with_details = [
        p
        for p in peers
        if p.profile.payment_preference != "cash" and p.id not in waiting_for_details
    ]
    # Given when they joined, before the programme history began.
    with happened_at(local_moment(history_start(today) - timedelta(days=7), 12)):
        for n, person in enumerate(with_details):
            bank_details.set_bank_details(
                person,
                person,
                account_name=person.display_name.upper()[:18],
                sort_code=f"00-99-{n % 100:02d}",
                account_number=f"{31926800 + n:08d}",
            )

    _near_the_weekly_limit(manager, sam, today)

    # Time by hand, waiting for approval, for others.
    for person in peers[:6]:
        day = today - timedelta(days=rng.randint(1, 20))
        with happened_at(local_moment(day, 17)):
            time_given.record_involvement(
                manager,
                person,
                activity=rng.choice(["document_review", "working_group", "training"]),
                on=day,
                minutes=rng.choice([60, 90, 120, 180]),
                description="Entered by Priya after the session",
            )

    # A payment run about every 30 days since the programme history began, each paying the
    # time approved and the expenses claimed since the last; the last two runs pay the eight
    # payees finance knows best. Then one claim in every state.
    begin = history_start(today)
    regulars = [p for p in payees if p.id not in waiting_for_details]
    for months_ago in range((today - begin).days // 30 - 1, 0, -1):
        run_day = today - timedelta(days=30 * months_ago - 5)
        if months_ago <= 2:
            claimants = [(p, today - timedelta(days=30 * months_ago + 3)) for p in payees[:8]]
        else:  # a few claims a month, some made days before the run and some weeks
            claimants = [
                (p, run_day - timedelta(days=rng.randint(3, 26)))
                for p in rng.sample(regulars, k=min(len(regulars), rng.randint(3, 6)))
            ]
        made = []
        for person, day in claimants:
            claim = _claim(rng, person, day)
            with happened_at(_later(claim.created_at, rng)):
                if months_ago > 2 and rng.random() < 0.1:
                    claim_services.reject(
                        manager, claim, "This was paid already, in cash at the meeting on the day."
                    )
                    continue
                claim_services.approve(manager, claim)
            made.append(claim.id)
        with happened_at(local_moment(run_day - timedelta(days=1), 15)):
            for record in db.session.scalars(
                db.select(InvolvementRecord).where(
                    InvolvementRecord.status == RecordStatus.PENDING.value,
                    InvolvementRecord.rate_id.is_not(None),
                    InvolvementRecord.activity_date < run_day - timedelta(days=1),
                )
            ).all():
                time_given.approve_record(manager, record)
        ready = db.session.scalars(
            run_services.ready_records_query().where(
                InvolvementRecord.activity_date < run_day - timedelta(days=1)
            )
        ).all()
        claims = db.session.scalars(
            run_services.ready_claims_query().where(ExpenseClaim.id.in_(made or [-1]))
        ).all()
        if not ready and not claims:
            continue  # a demo with (almost) no peers may have nothing to pay yet
        with happened_at(local_moment(run_day, 10)):
            run, _made = run_services.create_run(
                finance, f"demo-run-{months_ago}", [r.id for r in ready], [c.id for c in claims]
            )
        with happened_at(local_moment(run_day, 15)):
            run_services.mark_paid(finance, run)

    # Some recent time approved and ready for the next run, beside the expenses; Sam's waits,
    # so his warning shows when it is approved.
    recent = db.session.scalars(
        db.select(InvolvementRecord)
        .where(
            InvolvementRecord.status == RecordStatus.PENDING.value,
            InvolvementRecord.rate_id.is_not(None),
            InvolvementRecord.method.is_not(None),
            InvolvementRecord.person_id != sam.id,
        )
        .order_by(InvolvementRecord.id)
        .limit(6)
    ).all()
    for record in recent:
        with happened_at(_later(record.created_at, rng)):
            time_given.approve_record(manager, record)

    states = ["draft", "submitted", "submitted", "queried", "approved", "approved", "rejected"]
    for person, state in zip(payees[8:] + payees[:8], states * 3, strict=False):
        claim = _claim(
            rng, person, today - timedelta(days=rng.randint(1, 12)), send=state != "draft"
        )
        with happened_at(_later(claim.created_at, rng)):
            if state == "queried":
                claim_services.query(
                    manager, claim, "Was the train ticket a return? Please add a photo."
                )
            elif state == "approved":
                claim_services.approve(manager, claim)
            elif state == "rejected":
                claim_services.reject(
                    manager, claim, "This was paid already, in cash at the meeting on the day."
                )
    # Approved, but held out of the next run until these two give their bank details.
    for person in (p for p in by_bank if p.id in waiting_for_details):
        claim = _claim(rng, person, today - timedelta(days=rng.randint(3, 10)), method="bank")
        with happened_at(_later(claim.created_at, rng)):
            claim_services.approve(manager, claim)
    # Sam's own: one waiting, one with a question; Jordan declines payment for time but still
    # gets their bus fare back.
    _claim(rng, sam, today - timedelta(days=2))
    asked = _claim(rng, sam, today - timedelta(days=9))
    with happened_at(_later(asked.created_at, rng)):
        claim_services.query(manager, asked, "Was this a return?")
    _claim(rng, jordan, today - timedelta(days=4), method="cash")
    # Cash handed over at a meeting, recorded afterwards, waiting for a second person to approve.
    with happened_at(local_moment(today - timedelta(days=5), 10)):
        claim_services.quick_claim(
            manager,
            peers[0] if peers else jordan,
            method="cash",
            kind="bus",
            amount=Decimal("4.40"),
            spent_on=today - timedelta(days=6),
            purpose="Expert Citizen Forum",
            paid_on_day=True,
            signature_note="Signed the attendance sheet",
        )


def _later(moment: datetime, rng: random.Random) -> datetime:
    """A manager's answer, a few hours to two days after ``moment``, and never after now."""
    return min(moment + timedelta(hours=rng.uniform(3, 48)), utcnow())


def _near_the_weekly_limit(manager: User, sam: User, today: date) -> None:
    """Sam asked to be warned, and this week's time takes him to £20 under the weekly limit
    (whatever the forums demo already recorded), so a 2-hour meeting more would cross it.

    The two pieces of work fall on days of their own this week, apart from his forum meetings
    where the week allows (on a Monday both are today), each entered that evening."""
    start, end = period_bounds(Period.WEEK, today)
    limit = Decimal(THRESHOLDS[0][2])
    room = limit - Decimal("20.00") - earnings.earnings(sam.id, start, end)
    week = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    busy = set(
        db.session.scalars(
            db.select(InvolvementRecord.activity_date).where(
                InvolvementRecord.person_id == sam.id,
                InvolvementRecord.activity_date.between(start, today),
            )
        )
    )
    free = [day for day in week if day not in busy] or week
    days = [free[len(free) // 3], free[2 * len(free) // 3 if len(free) > 2 else -1]]
    for (activity, what), day in zip(
        (
            ("interview_panel", "Interview panel: outreach lead"),
            ("peer_research", "Peer research interviews"),
        ),
        days,
        strict=True,
    ):
        rate = rate_card.rate_for(activity, day)
        minutes = int(min(room, Decimal("90.00")) / rate.amount * 60) // 15 * 15
        if minutes <= 0:
            continue
        with happened_at(local_moment(day, 17)):
            record = time_given.record_involvement(
                manager,
                sam,
                activity=activity,
                on=day,
                minutes=minutes,
                description=what,
                source_key=f"demo:{activity}:{sam.id}",
            )
        room -= record.amount


def _claim(rng: random.Random, person: User, day: date, send: bool = True, method=None):
    kind, amount, text = rng.choice(
        [
            ("bus", "4.50", "Day ticket\nAdult  4.50"),
            ("train", "9.80", "Off-peak return\n9.80"),
            ("subsistence", "6.20", "Sandwich   3.95\nTea        2.25"),
            ("childcare", "24.00", "Little Steps Nursery\n3 hours  24.00"),
            ("phone", "10.00", "Data top-up\n10.00"),
        ]
    )
    day = min(day, dates.local_today())
    # Claimed on the evening of the day the money was spent (or now, for today).
    with happened_at(local_moment(day, 19)):
        photo = receipts.store(person, person, _receipt_photo(text, rng), "IMG_2041.jpg")
        claim, _made = claim_services.quick_claim(
            person,
            person,
            method=method or claim_services.repay_method_for(person) or "bank",
            kind=kind,
            amount=Decimal(amount),
            spent_on=day,
            purpose="Expert Citizen Forum",
            receipts=[photo],
            send=send,
        )
    return claim
