"""Consultation requests and opportunities: a partner asks the forum for lived-experience input,
a manager accepts it and publishes an opportunity, peers say they are interested, the manager
chooses, and the work, once done, is recorded as involvement.

Services take plain values, audit, queue messages and flush; the route commits. Every message
goes out in its recipient's own language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from babel.lists import format_list
from flask import current_app
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from engage.core import audit, dates, outbox
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.core.rules import IllegalMove
from engage.core.signals import involvement_given
from engage.extensions import db
from engage.forums.models import Forum, ForumMember, Rung
from engage.mentoring import readiness
from engage.mentoring.models import PeerRole
from engage.opportunities.models import (
    ConsultationRequest,
    Interest,
    Opportunity,
    OpportunityStatus,
    RequestKind,
    RequestStatus,
)
from engage.payments import earnings, rate_card
from engage.people.models import Organisation, Profile, Role, User, UserRole


class OpportunityError(IllegalMove):
    """A change that cannot be made; the message is safe to show."""


class ReasonNeeded(OpportunityError):
    """Choosing someone whose check or training for the work has run out needs a reason.
    ``messages`` says, for each such person (by user id), what to give."""

    def __init__(self, message: str, messages: dict[int, str]):
        super().__init__(message)
        self.messages = messages


#: The activity an accepted request becomes, by what the partner asked for.
KIND_ACTIVITY = {
    RequestKind.REVIEW: "document_review",
    RequestKind.INTERVIEW_PANEL: "interview_panel",
    RequestKind.WORKING_GROUP: "working_group",
    RequestKind.OTHER: "other_involvement",
}


# Consultation requests ---------------------------------------------------------------------


def make_request(
    actor: User,
    *,
    title: str,
    description: str,
    kind: str,
    needed_by: date | None,
    effort: str,
    paid: bool,
) -> ConsultationRequest:
    """A partner (or a manager for them) asks the forum for lived-experience input."""
    row = ConsultationRequest(
        organisation_id=actor.organisation_id,
        requested_by_id=actor.id,
        title=title.strip(),
        description=description.strip(),
        kind=RequestKind(kind).value,
        needed_by=needed_by,
        effort=(effort or "").strip(),
        paid=paid,
        status=RequestStatus.REQUESTED.value,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("request.made", actor=actor, request=row.id)
    return row


def prefill(request: ConsultationRequest) -> dict[str, Any]:
    """What a new opportunity for this request starts with; the manager can change any of it."""
    text = request.description
    if request.effort:
        text = f"{text}\n\n{_('Time it takes: %(effort)s', effort=request.effort)}"
    return {
        "title": request.title,
        "description": text,
        "activity": KIND_ACTIVITY[RequestKind.read(request.kind)],
        "places": 1,
        "closes_on": request.needed_by,
        "paid": request.paid,
        "rung": Rung.CONSULTATION.value,
        "forum_id": None,
    }


def _check_undecided(request: ConsultationRequest) -> None:
    # Read it again, locked, so two managers deciding at once cannot both succeed.
    db.session.refresh(request, with_for_update=True)
    if not request.undecided:
        raise OpportunityError(_("This request has already been decided."))


def accept_request(
    actor: User,
    request: ConsultationRequest,
    *,
    opportunity: Opportunity | None = None,
    note: str = "",
    **details: Any,
) -> Opportunity:
    """Accept a request: link it to an existing ``opportunity``, or publish a new one made
    from ``details`` (Opportunity columns). The partner is told either way."""
    _check_undecided(request)
    if opportunity is None:
        opportunity = publish(actor, request_id=request.id, **details)
    else:
        if opportunity.request_id not in (None, request.id):
            raise OpportunityError(_("That opportunity already answers another request."))
        opportunity.request_id = request.id
    request.move_to(RequestStatus.ACCEPTED)
    request.decided_at = utcnow()
    request.decision_note = (note or "").strip()
    audit.record("request.accepted", actor=actor, request=request.id, opportunity=opportunity.id)
    _tell_partner(request, accepted=True)
    db.session.flush()
    return opportunity


def decline_request(actor: User, request: ConsultationRequest, reason: str) -> None:
    """Decline with a reason the partner reads."""
    _check_undecided(request)
    reason = (reason or "").strip()
    if not reason:
        raise OpportunityError(_("Give a reason the partner can read."))
    request.move_to(RequestStatus.DECLINED)
    request.decided_at = utcnow()
    request.decision_note = reason
    audit.record("request.declined", actor=actor, request=request.id)
    _tell_partner(request, accepted=False)
    db.session.flush()


def _tell_partner(request: ConsultationRequest, accepted: bool) -> None:
    person = request.requested_by
    if person is None or not person.is_active:
        return
    link = absolute_url("opportunities.consultation_request", request_id=request.id)
    with in_their_language(person):
        if accepted:
            subject = _("Your request was accepted: %(title)s", title=request.title)
            body = _(
                'Hello %(name)s,\n\nThe forum has accepted your request "%(title)s". We have '
                "asked our experts by experience who would like to take part, and we will tell "
                "you who is coming.\n%(note)s\nFollow it here:\n%(link)s\n",
                name=person.display_name,
                title=request.title,
                note=f"\n{request.decision_note}\n" if request.decision_note else "",
                link=link,
            )
        else:
            subject = _("Your request: %(title)s", title=request.title)
            body = _(
                'Hello %(name)s,\n\nThank you for asking the forum about "%(title)s". We are '
                "not able to take it on this time, because:\n\n%(reason)s\n\nYou are welcome "
                "to ask again. Read it here:\n%(link)s\n",
                name=person.display_name,
                title=request.title,
                reason=request.decision_note,
                link=link,
            )
        outbox.queue(kind=outbox.Kind.UPDATE, user=person, subject=subject, body=body)


def _mark_met(request_id: int | None) -> None:
    if request_id is None:
        return
    request = db.session.get(ConsultationRequest, request_id)
    if request is not None and request.status == RequestStatus.ACCEPTED.value:
        request.move_to(RequestStatus.MET)
        audit.record("request.met", actor=None, request=request.id)


@dataclass
class Counts:
    requested: int = 0
    accepted: int = 0  # accepted, including those since met
    declined: int = 0
    met: int = 0


@dataclass
class RequestCounts(Counts):
    """Requests made in a period, and what became of them, overall and by organisation."""

    #: (organisation name, or None for requests made without one) -> counts
    by_organisation: dict[str | None, Counts] = field(default_factory=dict)


def request_counts(start: date, end: date) -> RequestCounts:
    """Requests for support from the forum made from ``start`` to ``end`` (both days
    included), how many were accepted and how many met, in total and by partner
    organisation. One query.

    Days are the partnership's own: a request made at 00:30 on 1 April in summer (23:30 on
    31 March in UTC) is April's."""
    since = dates.start_of_day(start)
    until = dates.start_of_day(end + timedelta(days=1))
    accepted = (RequestStatus.ACCEPTED.value, RequestStatus.MET.value)
    rows = db.session.execute(
        select(
            Organisation.name,
            func.count(ConsultationRequest.id),
            func.sum(case((ConsultationRequest.status.in_(accepted), 1), else_=0)),
            func.sum(
                case((ConsultationRequest.status == RequestStatus.DECLINED.value, 1), else_=0)
            ),
            func.sum(case((ConsultationRequest.status == RequestStatus.MET.value, 1), else_=0)),
        )
        .outerjoin(Organisation, ConsultationRequest.organisation_id == Organisation.id)
        .where(ConsultationRequest.created_at >= since, ConsultationRequest.created_at < until)
        .group_by(Organisation.name)
        .order_by(Organisation.name)
    ).all()
    result = RequestCounts()
    for name, requested, accepted_n, declined, met in rows:
        counts = Counts(int(requested), int(accepted_n or 0), int(declined or 0), int(met or 0))
        result.by_organisation[name] = counts
        result.requested += counts.requested
        result.accepted += counts.accepted
        result.declined += counts.declined
        result.met += counts.met
    return result


# Opportunities ----------------------------------------------------------------------------


def publish(actor: User, *, notify: bool = True, **details: Any) -> Opportunity:
    """Publish an opportunity (``details`` are Opportunity columns) and tell the peers who
    may take it up. Paused peers can still find it, but are not sent anything. A
    ``peer_role_id`` must be a role that is offered now. Raises :class:`OpportunityError`."""
    details = {k: v for k, v in details.items() if v is not None}  # None: the column default
    if "peer_role_id" in details:
        _check_role(details["peer_role_id"])
    opportunity = Opportunity(status=OpportunityStatus.OPEN.value, **details)
    db.session.add(opportunity)
    db.session.flush()
    audit.record("opportunity.published", actor=actor, opportunity=opportunity.id)
    if notify:
        _tell_new(opportunity)
    return opportunity


def _check_role(role_id: int | None, unchanged: int | None = None) -> PeerRole | None:
    """The peer role an opportunity may need: one offered now (or the one it already
    needs). Raises :class:`OpportunityError` for any other id (gone, closed, made up)."""
    if role_id is None:
        return None
    role = db.session.get(PeerRole, int(role_id))
    if role is None or not (role.is_active or role.id == unchanged):
        raise OpportunityError(_("That peer role is not offered now. Choose another, or none."))
    return role


def peer_roles_to_choose(current: int | None = None) -> list[PeerRole]:
    """The peer roles an opportunity can need, by name: those offered now, and ``current``
    (the one it needs already) even if it is not offered any more."""
    query = select(PeerRole).order_by(PeerRole.name)
    if current is None:
        query = query.where(PeerRole.is_active.is_(True))
    else:
        query = query.where(or_(PeerRole.is_active.is_(True), PeerRole.id == current))
    return list(db.session.scalars(query))


def set_peer_role(actor: User, opportunity: Opportunity, role_id: int | None) -> bool:
    """Say which peer role's check and training the work needs (None: none). People chosen
    already stay chosen; the warning is for choosing from now on. Returns whether anything
    changed. Raises :class:`OpportunityError`."""
    if opportunity.status == OpportunityStatus.COMPLETED.value:
        raise OpportunityError(_("This opportunity is already completed."))
    role = _check_role(role_id, unchanged=opportunity.peer_role_id)
    new_id = getattr(role, "id", None)
    if new_id == opportunity.peer_role_id:
        return False
    before = opportunity.peer_role_id
    opportunity.peer_role_id = new_id
    opportunity.peer_role = role
    audit.record(
        "opportunity.role_changed",
        actor=actor,
        opportunity=opportunity.id,
        role=new_id,
        before=before,
    )
    db.session.flush()
    return True


def _peers_to_tell(opportunity: Opportunity) -> list[User]:
    query = (
        select(User)
        .join(Profile, Profile.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PEER.value, User.is_active)
    )
    if opportunity.forum_id is not None:
        query = query.join(ForumMember, ForumMember.user_id == User.id).where(
            ForumMember.forum_id == opportunity.forum_id, ForumMember.left_on.is_(None)
        )
    return list(db.session.scalars(query.distinct()))


def _tell_new(opportunity: Opportunity) -> int:
    link = absolute_url("opportunities.opportunity", opportunity_id=opportunity.id)
    people = _peers_to_tell(opportunity)
    for person in people:
        with in_their_language(person):
            closes = (
                _("Say you are interested by %(date)s.", date=format_date(opportunity.closes_on))
                if opportunity.closes_on
                else _("Say you are interested soon.")
            )
            outbox.queue(
                kind=outbox.Kind.INVOLVEMENT,
                user=person,
                subject=_("A new opportunity: %(title)s", title=opportunity.title),
                body=_(
                    "Hello %(name)s,\n\nThere is a new chance to get involved: %(title)s. "
                    "%(paid)s %(closes)s\n\nRead about it, and say if you are interested, "
                    "here:\n%(link)s\n",
                    name=person.display_name,
                    title=opportunity.title,
                    paid=_("It is paid.") if opportunity.paid else _("It is unpaid."),
                    closes=closes,
                    link=link,
                ),
            )
    return len(people)


def visible_to_peer(user: User, today: date):
    """The condition for opportunities a peer may find: open, not past their closing date,
    and not for an invitation-only forum the peer is not in; and any they said they were
    interested in, whatever became of it."""
    member_of = select(ForumMember.forum_id).where(
        ForumMember.user_id == user.id, ForumMember.left_on.is_(None)
    )
    open_forums = select(Forum.id).where(Forum.open_to_all.is_(True))
    findable = and_(
        Opportunity.status == OpportunityStatus.OPEN.value,
        or_(Opportunity.closes_on.is_(None), Opportunity.closes_on >= today),
        or_(
            Opportunity.forum_id.is_(None),
            Opportunity.forum_id.in_(open_forums),
            Opportunity.forum_id.in_(member_of),
        ),
    )
    theirs = Opportunity.id.in_(select(Interest.opportunity_id).where(Interest.user_id == user.id))
    return or_(findable, theirs)


def interest_of(person: User, opportunity: Opportunity) -> Interest | None:
    return db.session.scalar(
        select(Interest).where(
            Interest.opportunity_id == opportunity.id, Interest.user_id == person.id
        )
    )


def express_interest(person: User, opportunity: Opportunity, note: str = "") -> Interest:
    """Say "I'm interested", once; saying it again only changes the note."""
    if opportunity.status != OpportunityStatus.OPEN.value:
        raise OpportunityError(_("This opportunity is no longer taking interest."))
    row = interest_of(person, opportunity)
    if row is None:
        row = Interest(opportunity_id=opportunity.id, user_id=person.id)
        db.session.add(row)
        audit.record("opportunity.interested", actor=person, opportunity=opportunity.id)
    row.note = (note or "").strip()
    db.session.flush()
    return row


def withdraw_interest(person: User, opportunity: Opportunity) -> bool:
    """Take back an interest while nobody has been chosen yet."""
    if opportunity.status != OpportunityStatus.OPEN.value:
        raise OpportunityError(_("The people for this have already been chosen."))
    row = interest_of(person, opportunity)
    if row is None:
        return False
    db.session.delete(row)
    audit.record("opportunity.interest_withdrawn", actor=person, opportunity=opportunity.id)
    db.session.flush()
    return True


def interests(opportunity: Opportunity) -> list[Interest]:
    """Everyone interested, first come first, with their accounts loaded in the same query."""
    return list(
        db.session.scalars(
            select(Interest)
            .options(joinedload(Interest.user))
            .where(Interest.opportunity_id == opportunity.id)
            .order_by(Interest.created_at, Interest.id)
        )
    )


def select_people(
    actor: User,
    opportunity: Opportunity,
    user_ids: Iterable[int],
    reasons: Mapping[int, str] | None = None,
) -> list[User]:
    """Choose who does the work. The chosen are told; the first time people are chosen, the
    others who were interested are told, kindly, that it was not this time. Choosing more
    people later tells only the newly chosen.

    When the work needs a peer role, choosing someone whose check or training for it is
    missing or has run out (:mod:`engage.mentoring.readiness`, as of today) needs a reason
    for them in ``reasons`` (by user id): it is kept on their interest, and the audit log
    records what had run out (never the reason's words). Raises :class:`ReasonNeeded`
    naming whoever has none, and :class:`OpportunityError` for anything else; either way
    nothing is changed."""
    if opportunity.status == OpportunityStatus.COMPLETED.value:
        raise OpportunityError(_("This opportunity is already completed."))
    wanted = {int(i) for i in user_ids}
    if not wanted:
        raise OpportunityError(_("Choose at least one person."))
    rows = interests(opportunity)
    by_user = {row.user_id: row for row in rows}
    if wanted - by_user.keys():
        raise OpportunityError(_("You can only choose people who said they are interested."))
    newly = [by_user[i] for i in sorted(wanted) if not by_user[i].selected]
    chosen_total = sum(1 for row in rows if row.selected) + len(newly)
    if chosen_total > opportunity.places:
        raise OpportunityError(
            _(
                "There are %(places)d places. Choose fewer people, or add places first.",
                places=opportunity.places,
            )
        )
    warned = chosen_problems(opportunity, [row.user_id for row in newly])
    reasons = {int(k): (v or "").strip() for k, v in (reasons or {}).items()}
    _check_reasons([row for row in newly if row.user_id in warned], reasons)
    first_time = opportunity.status == OpportunityStatus.OPEN.value
    for row in newly:
        row.selected = True
        if row.user_id in warned:
            row.override_reason = reasons[row.user_id]
            audit.record(
                "opportunity.chosen_despite_warning",
                actor=actor,
                subject=row.user,
                opportunity=opportunity.id,
                role=opportunity.peer_role_id,
                problems=readiness.kinds(warned[row.user_id]),
            )
        _tell_chosen(row.user, opportunity)
    if first_time:
        for row in rows:
            if not row.selected:
                _tell_not_this_time(row.user, opportunity)
        opportunity.move_to(OpportunityStatus.SELECTED)
    audit.record(
        "opportunity.selected",
        actor=actor,
        opportunity=opportunity.id,
        chosen=[row.user_id for row in newly],
    )
    db.session.flush()
    return [row.user for row in newly]


def chosen_problems(
    opportunity: Opportunity, user_ids: Iterable[int]
) -> dict[int, list[readiness.Problem]]:
    """For work that needs a peer role: whose check or training for it is missing or has run
    out today, by user id (the others are left out). Shown to managers next to each name
    before they choose; a fixed number of queries, however many people."""
    if opportunity.peer_role_id is None or opportunity.status == OpportunityStatus.COMPLETED:
        return {}
    return readiness.problems_for(user_ids, opportunity.peer_role, dates.local_today())


def _check_reasons(warned: list[Interest], reasons: Mapping[int, str]) -> None:
    missing = [row for row in warned if not reasons.get(row.user_id)]
    if not missing:
        return
    names = [row.user.display_name for row in missing]
    raise ReasonNeeded(
        _(
            "Say why you are choosing %(names)s although a check or training this work needs "
            "is missing or has run out.",
            names=format_list(names, locale=get_locale() or "en"),
        ),
        {
            row.user_id: _(
                "Say why you are choosing %(name)s although a check or training this work "
                "needs is missing or has run out",
                name=row.user.display_name,
            )
            for row in missing
        },
    )


def _tell_chosen(person: User, opportunity: Opportunity) -> None:
    if not person.is_active:
        return
    with in_their_language(person):
        outbox.queue(
            kind=outbox.Kind.UPDATE,  # they asked for it
            user=person,
            subject=_("You have been chosen: %(title)s", title=opportunity.title),
            body=_(
                "Good news, %(name)s. You have been chosen for %(title)s. We will be in touch "
                "about what happens next. If you cannot do it any more, please tell us.\n"
                "%(link)s\n",
                name=person.display_name,
                title=opportunity.title,
                link=absolute_url("opportunities.opportunity", opportunity_id=opportunity.id),
            ),
        )


def _tell_not_this_time(person: User, opportunity: Opportunity) -> None:
    if not person.is_active:
        return
    with in_their_language(person):
        outbox.queue(
            kind=outbox.Kind.UPDATE,  # they asked for it
            user=person,
            subject=_("About %(title)s", title=opportunity.title),
            body=_(
                "Hello %(name)s,\n\nThank you for saying you were interested in %(title)s. "
                "There were only so many places, and this time other people were chosen. "
                "This is not about you: we share places around so everyone gets a chance. "
                "We hope you will say you are interested in the next one.\n%(link)s\n",
                name=person.display_name,
                title=opportunity.title,
                link=absolute_url("opportunities.opportunities"),
            ),
        )


def record_completed(actor: User, opportunity: Opportunity, user_id: int) -> bool:
    """Record that a chosen person did the work. Their involvement is given once (through
    ``involvement_given``), however often this is pressed. When everyone chosen has done it,
    the opportunity is completed and the request it answered is met.

    Returns True when the involvement was recorded now, False when it already had been.
    """
    row = db.session.scalar(
        select(Interest)
        .where(Interest.opportunity_id == opportunity.id, Interest.user_id == user_id)
        .with_for_update()
    )
    if row is None or not row.selected:
        raise OpportunityError(_("Only people who were chosen can be marked as done."))
    now = utcnow()
    if row.completed_at is None:
        row.completed_at = now
    given = False
    if row.involvement_recorded_at is None:
        involvement_given.send(
            current_app._get_current_object(),
            person=row.user,
            activity=opportunity.activity,
            on=dates.local_today(),
            minutes=None,
            source=f"opportunity:{opportunity.id}",
            actor=actor,
            description=opportunity.title,
            paid=opportunity.paid,
        )
        row.involvement_recorded_at = now
        given = True
        audit.record(
            "opportunity.completed_by", actor=actor, subject=row.user, opportunity=opportunity.id
        )
    db.session.flush()
    outstanding = db.session.scalar(
        select(func.count(Interest.id)).where(
            Interest.opportunity_id == opportunity.id,
            Interest.selected.is_(True),
            Interest.completed_at.is_(None),
        )
    )
    if not outstanding and opportunity.status != OpportunityStatus.COMPLETED.value:
        opportunity.move_to(OpportunityStatus.COMPLETED)
        audit.record("opportunity.completed", actor=actor, opportunity=opportunity.id)
        _mark_met(opportunity.request_id)
    db.session.flush()
    return given


def benefit_warnings(opportunity: Opportunity, waiting: list[Interest]) -> dict[int, list]:
    """Benefits warnings for the interested people who asked for them, by user id: shown to
    the manager next to each name before they choose (never a block). Two or three queries,
    however many people are interested."""
    if not opportunity.paid or opportunity.status == OpportunityStatus.COMPLETED.value:
        return {}
    people = [row.user for row in waiting]
    if not any(p.profile and p.profile.benefits_warnings for p in people):
        return {}
    today = dates.local_today()
    fee = rate_card.projected_fee(opportunity.activity, today)
    return earnings.warnings_for_people(people, today, fee)


# What a person did, for other domains (the progression passport) ---------------------------


@dataclass(frozen=True)
class DoneOpportunity:
    """An opportunity someone was chosen for and did: its title and the day it was done."""

    title: str
    activity: str
    done_on: date


def completed_by(user_id: int) -> list[DoneOpportunity]:
    """The opportunities ``user_id`` was chosen for and did, the latest first: one query."""
    rows = db.session.execute(
        select(Opportunity.title, Opportunity.activity, Interest.completed_at)
        .join(Opportunity, Opportunity.id == Interest.opportunity_id)
        .where(
            Interest.user_id == user_id,
            Interest.selected.is_(True),
            Interest.completed_at.is_not(None),
        )
        .order_by(Interest.completed_at.desc(), Interest.id.desc())
    ).all()
    return [
        DoneOpportunity(title, activity, dates.local_date(done_at))
        for title, activity, done_at in rows
    ]
