"""A peer with something in every domain, each piece carrying a distinctive word, for the
erasure tests: erase them, then look for those words everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engage.changes import services as register
from engage.core.dates import local_today
from engage.extensions import db
from engage.forums.meetings import schedule
from engage.forums.membership import add_member, create_forum
from engage.forums.models import Reply
from engage.forums.papers import add_paper
from engage.forums.replies import reply
from engage.fund import services as fund_services
from engage.mentoring import services as mentoring
from engage.mentoring import supervision
from engage.mentoring.models import CheckLevel, ContactWay, RoleHeld, SupervisionKind
from engage.opportunities import services as opportunities
from engage.payments import bank_details
from engage.payments.claims import receipts
from engage.payments.claims import services as claims
from engage.payments.runs import services as runs
from engage.payments.time_given import services as time_given
from engage.people import data_requests
from engage.people import services as people
from engage.people.models import ConsentPurpose, Role, User
from engage.surveys import services as surveys
from engage.surveys.models import Audience
from tests.payments.conftest import pdf_bytes, photo_bytes
from tests.surveys.conftest import conditional_definition

#: The moment the erasure tests run at (a Wednesday, far from a clock change).
NOW = datetime(2031, 3, 12, 12, 0, tzinfo=UTC)

NAME = "Zebedee Quillfeather"
USERNAME = "zquillfeather"
EMAIL = "zebedee.quillfeather@example.org"
PHONE = "07700 900461"
SORT_CODE = "409182"
ACCOUNT_NUMBER = "71640528"
EQUALITY = {
    "gender": "Qfgender-selfdescribed",
    "ethnicity": "Qfethnicity-answer",
    "age_band": "Qfage-band",
    "disability": "Qfdisability",
    "sexual_orientation": "Qforientation",
}
ADDRESS = "14 Quillfeather Lane"

#: Words that must not be found anywhere after the erasure.
SECRETS = [
    NAME,
    "Quillfeather",
    USERNAME,
    EMAIL,
    PHONE,
    SORT_CODE,
    ACCOUNT_NUMBER,
    *EQUALITY.values(),
]


@dataclass
class Built:
    peer_id: int
    claim_id: int
    run_id: int
    round_id: int
    item_id: int
    application_id: int
    receipt_path: object


def build_peer(app, make_user) -> tuple[Built, User, User]:
    """Make the peer and everything around them; returns what was made, a staff member who
    may see every export (admin, manager, finance) and a board member."""
    staff = make_user("allstaff", roles={Role.ADMIN, Role.MANAGER, Role.FINANCE})
    other_admin = make_user("otheradmin", roles={Role.ADMIN})  # noqa: F841  (not the last admin)
    supporter = make_user("supporter")
    peer = make_user(
        USERNAME,
        email=EMAIL,
        preferred_name=NAME,
        phone=PHONE,
        postal_address=ADDRESS,
        worker_name="Quillfeather's worker",
        other_needs="Quillfeather needs a quiet room",
    )
    with app.test_request_context():
        staff_user = db.session.get(User, staff.id)
        person = db.session.get(User, peer.id)
        people.save_equality(person, person, dict(EQUALITY))
        people.give_consent(person, person, ConsentPurpose.PHOTOS_QUOTES)
        bank_details.set_bank_details(
            person,
            person,
            account_name=NAME,
            sort_code=SORT_CODE,
            account_number=ACCOUNT_NUMBER,
            roll_number="",
        )
        people.invite(actor=staff_user, user=person, send=True)
        # Forums: a member, replying to a meeting.
        forum = create_forum(staff_user, name="Quiet Forum", purpose="Advise", open_to_all=True)
        add_member(staff_user, forum, person, local_today() - timedelta(days=30))
        (meeting,) = schedule(
            None,
            forum,
            starts_at=(NOW + timedelta(days=7)).replace(microsecond=0),
            duration_minutes=120,
            every_weeks=None,
            count=1,
        )
        reply(person, meeting, Reply.YES)
        # A paper for the meeting (the organiser's, not theirs: it stays, and the file scan
        # reads it too).
        add_paper(staff_user, meeting, "Agenda", pdf_bytes())
        # The register: an item they raised, named, and one they supported.
        item = register.raise_item(
            person,
            title="Turned away at the desk",
            what_happened="They said I needed photo ID.",
            theme="housing",
            show_name=True,
        )
        other_item = register.raise_item(
            db.session.get(User, supporter.id),
            title="No interpreter",
            what_happened="Nobody spoke Polish.",
            theme="health",
        )
        register.support(person, other_item, "Same for me.", share_with_board=True)
        # Opportunities.
        opportunity = opportunities.publish(
            staff_user, title="Review a leaflet", description="Two hours.", notify=True
        )
        opportunities.express_interest(person, opportunity, note="Pick me, Quillfeather")
        # Surveys: a round that is not anonymous, answered.
        round_ = surveys.create_round(
            staff_user,
            conditional_definition(),
            title="Turned away?",
            audience=Audience.ALL_PEERS,
            opens_at=NOW - timedelta(days=1),
            closes_at=NOW + timedelta(days=14),
        )
        surveys.save_answer(round_, person, "turned_away", "yes")
        surveys.save_answer(round_, person, "how_often", "often")
        surveys.save_answer(round_, person, "where", "At the council")
        surveys.submit(round_, person)
        # Peer roles: an application linked to their account, a role held, supervision.
        role = mentoring.save_role(
            None,
            None,
            name="Peer mentor",
            description="Walk alongside someone.",
            check_level=CheckLevel.NONE,
            paid=True,
            is_active=True,
            courses=[],
        )
        application, _made = mentoring.apply(
            role=role,
            name=NAME,
            contact_way=ContactWay.EMAIL,
            email=EMAIL,
            phone=PHONE,
            what_draws="I am Zebedee Quillfeather and I want to help",
        )
        application.user_id = person.id
        db.session.add(
            RoleHeld(user_id=person.id, role_id=role.id, from_date=date(2030, 1, 1), to_date=None)
        )
        db.session.flush()
        supervision.log_session(
            staff_user,
            person,
            supervisor=staff_user,
            kind=SupervisionKind.SUPERVISION,
            held_on=local_today() - timedelta(days=3),
            minutes=60,
            notes="Quillfeather talked about a hard week",
        )
        # Payments: time given, and a claim with a receipt, approved and paid in a run.
        time_given.record_involvement(
            None, person, activity="forum_meeting", on=local_today() - timedelta(days=2), minutes=90
        )
        receipt = receipts.store(person, person, photo_bytes(), "quillfeather-ticket.jpg")
        receipt_path = receipts.path(receipt)
        claim, _made = claims.quick_claim(
            person,
            person,
            method="bank",
            kind="bus",
            spent_on=local_today() - timedelta(days=1),
            amount=Decimal("4.50"),
            reason="",
            purpose="Forum",
            receipts=[receipt],
            send=True,
        )
        claims.approve(staff_user, claim)
        run, _made = runs.create_run(staff_user, "quill-run-key", [], [claim.id])
        runs.mark_paid(staff_user, run)
        # The fund: a request they made for themselves that names them, approved and paid,
        # with a question answered and a follow-up (erasure keeps the money, not the words).
        fund = fund_services.save_fund(
            staff_user,
            None,
            name="Changing Lives Fund",
            purpose="",
            budget=Decimal("500"),
            budget_from=None,
            budget_to=None,
            single_approval_limit=Decimal("100"),
        )
        fund_services.add_contribution(
            staff_user, fund, amount=Decimal("100"), source="Probation", received_on=local_today()
        )
        fund_request = fund_services.submit(
            person,
            fund,
            person=person,
            person_ref="",
            category="id",
            barrier="Zebedee Quillfeather has no birth certificate",
            amount=Decimal("12.50"),
            how_it_helps="Quillfeather can open a bank account",
            pay_to="person",
        )
        fund_services.ask(staff_user, fund_request, "Quillfeather, is this the full cost?")
        fund_services.answer(person, fund_request, "Yes, Quillfeather checked")
        fund_services.approve(staff_user, fund_request)
        fund_services.record_paid(staff_user, fund_request, "cash", "Receipt 1")
        fund_services.answer_follow_up(person, fund_request, True, "Quillfeather has an account")
        # A subject access request whose notes name them, and a link not yet used.
        request = data_requests.record_request(
            staff_user,
            person,
            received_on=local_today(),
            channel=data_requests.Channel.EMAIL,
            notes=f"{NAME} asked by e-mail from {EMAIL}",
        )
        data_requests.prepare_download(staff_user, person, request)
        db.session.commit()
        return (
            Built(
                peer_id=person.id,
                claim_id=claim.id,
                run_id=run.id,
                round_id=round_.id,
                item_id=item.id,
                application_id=application.id,
                receipt_path=receipt_path,
            ),
            staff,
            supporter,
        )
