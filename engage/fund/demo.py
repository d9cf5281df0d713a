"""Demo fund: the Changing Lives Fund with money from two services and public giving, about 30
requests across every state and kind of thing, some with "did it help?" answers, and one that
raised an item in the register. Every step goes through the real services at a moment of its
own, so each request's history runs in order up to today."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from engage.core import dates
from engage.core.demo import happened_at, local_moment
from engage.core.domains import DemoPartnership
from engage.fund import services
from engage.fund.models import Category, PaidHow, PayTo, State

#: (what is in the way, kind of thing, amount, how it helps, how to pay)
NEEDS = [
    ("No phone to take calls from the housing team", Category.PHONE, "35.00",
     "Can be reached about a flat offer", PayTo.VOUCHER),
    ("Needs a birth certificate to open a bank account", Category.ID, "12.50",
     "Can open an account and get Universal Credit paid in", PayTo.SUPPLIER),
    ("No clothes for a job interview", Category.CLOTHING, "60.00",
     "Can go to the interview on Thursday feeling ready", PayTo.VOUCHER),
    ("Cannot afford the train to a hospital appointment", Category.TRAVEL, "18.40",
     "Keeps the appointment after two missed", PayTo.PERSON),
    ("New tenancy with no bed or cooker", Category.HOME, "480.00",
     "Can move in this week instead of staying in the hostel", PayTo.SUPPLIER),
    ("Course fee for a forklift licence", Category.TRAINING, "250.00",
     "A job offer depends on the licence", PayTo.SUPPLIER),
    ("Data top-up to join recovery meetings online", Category.PHONE, "10.00",
     "Keeps going to meetings between appointments", PayTo.VOUCHER),
    ("Photo ID for a tenancy sign-up", Category.ID, "42.00",
     "The landlord needs photo ID before the keys", PayTo.SUPPLIER),
    ("A haircut before starting a new job", Category.OTHER, "15.00",
     "Feels able to walk in on day one", PayTo.PERSON),
    ("Bus pass for the first month of a placement", Category.TRAVEL, "65.00",
     "Can get to the placement every day", PayTo.VOUCHER),
]  # fmt: skip

#: The state each demo request ends in, in order (about 30, every state).
ENDINGS = (
    [State.PAID] * 12
    + [State.APPROVED] * 4
    + [State.SUBMITTED] * 4
    + [State.PART_APPROVED] * 2
    + [State.QUESTION] * 2
    + [State.DECLINED] * 3
    + [State.WITHDRAWN] * 2
)

HOW_IT_HELPED = [
    "Yes. They took the call and signed for the flat the next week.",
    "Yes, the account is open and the first payment went in.",
    "Yes. They got the job and start on Monday.",
    "Partly: they went to the appointment, the next one is booked.",
    "No, the landlord wanted a different kind of ID in the end.",
]


def seed(partnership: DemoPartnership) -> None:
    accounts = partnership.accounts
    rng = partnership.rng
    admin, finance, manager = accounts["admin"], accounts["finance"], accounts["manager"]
    partner, peer = accounts["partner"], accounts["peer"]
    today = dates.local_today()
    start = today - timedelta(days=180)
    with happened_at(local_moment(start, 10)):
        fund = services.save_fund(
            admin,
            None,
            name="Changing Lives Fund",
            purpose=(
                "Small amounts, fast, for the practical things that get in the way of moving on, "
                "and mini-grants to set up a new home."
            ),
            budget=Decimal("12000.00"),
            budget_from=start,
            budget_to=start + timedelta(days=364),
            single_approval_limit=Decimal("100.00"),
        )
    for days, amount, source in (
        (0, "5000.00", "South Yorkshire Probation"),
        (1, "4000.00", "City Council Housing Options"),
        (30, "1250.00", "Public giving"),
        (90, "800.00", "Public giving"),
    ):
        with happened_at(local_moment(start + timedelta(days=days), 11)):
            services.add_contribution(
                finance,
                fund,
                amount=Decimal(amount),
                source=source,
                received_on=start + timedelta(days=days),
            )
    requesters = [manager, manager, partner, manager, partner]
    raised = False
    for number, ending in enumerate(ENDINGS):
        # Waiting for a second approval: only a request above the limit for one approver.
        need = (
            NEEDS[4 + number % 2] if ending == State.PART_APPROVED else NEEDS[number % len(NEEDS)]
        )
        barrier, category, amount, helps, pay = need
        requester = peer if number % 11 == 5 else requesters[number % len(requesters)]
        age = 170 - number * 5 if ending in (State.PAID, State.DECLINED) else 20 - number % 15
        day = today - timedelta(days=max(age, 1))
        with happened_at(local_moment(day, 9, rng.randint(0, 59))):
            request = services.submit(
                requester,
                fund,
                person=requester if requester is peer else None,
                person_ref="" if requester is peer else f"Ref {1000 + number}",
                category=category.value,
                barrier=barrier,
                amount=Decimal(amount),
                how_it_helps=helps,
                pay_to=pay.value,
                supplier_name="Home Start Furniture" if pay == PayTo.SUPPLIER else "",
                quote=f"Q-{2200 + number}" if pay == PayTo.SUPPLIER else "",
                sort_code="401276" if pay == PayTo.SUPPLIER else "",
                account_number="81234567" if pay == PayTo.SUPPLIER else "",
            )
        approvers = [finance if requester is not finance else admin, admin]
        if requester is not manager:
            approvers = [manager, finance]
        when = day + timedelta(days=1)
        if ending == State.SUBMITTED:
            continue
        if ending == State.WITHDRAWN:
            with happened_at(local_moment(when, 10)):
                services.withdraw(requester, request)
            continue
        if ending == State.QUESTION:
            with happened_at(local_moment(when, 10)):
                services.ask(approvers[0], request, "Is there a cheaper option nearby?")
            continue
        if ending == State.DECLINED:
            with happened_at(local_moment(when, 10)):
                services.decline(
                    approvers[0],
                    request,
                    "The Jobcentre's Flexible Support Fund can pay for this: please ask them "
                    "first, and come back to us if they say no.",
                )
            continue
        for approver in approvers:
            with happened_at(local_moment(when, 11)):
                state = services.approve(approver, request)
            if state == State.APPROVED or ending == State.PART_APPROVED:
                break
        if ending in (State.PART_APPROVED, State.APPROVED):
            continue
        paid_on = when + timedelta(days=2)
        with happened_at(local_moment(paid_on, 14)):
            how = PaidHow.CARD if pay != PayTo.PERSON else PaidHow.CASH
            services.record_paid(finance, request, how.value, f"Receipt {5000 + number}")
        if paid_on + services.FOLLOW_UP_AFTER <= today:
            with happened_at(local_moment(paid_on + services.FOLLOW_UP_AFTER, 8)):
                services.send_follow_ups(local_moment(paid_on + services.FOLLOW_UP_AFTER, 8))
            if number % 3 != 2:
                answer = HOW_IT_HELPED[number % len(HOW_IT_HELPED)]
                with happened_at(local_moment(paid_on + services.FOLLOW_UP_AFTER, 15)):
                    services.answer_follow_up(
                        requester, request, not answer.startswith("No"), answer
                    )
        if not raised and category == Category.ID and requester is manager:
            raised = True
            with happened_at(local_moment(paid_on, 16)):
                services.raise_in_register(
                    manager,
                    request,
                    title="No way to get ID without ID",
                    what_happened=(
                        "People leaving hostels cannot open a bank account without photo ID, "
                        "and cannot afford ID without an account. The fund pays each time."
                    ),
                    theme="welfare_benefits",
                )
