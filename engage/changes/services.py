"""Use cases for the register. Each takes plain values, appends the item's history, audits,
queues messages to the raiser and supporters, and flushes; the route commits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, union, update

from engage.changes.measures import PLAN_WITHIN_DAYS_SETTING
from engage.changes.models import (
    OPEN_STATES,
    ActionStep,
    Board,
    BoardMember,
    Decision,
    Event,
    IllegalMove,
    Item,
    Level,
    Source,
    State,
    Support,
)
from engage.core import audit, outbox, settings
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.extensions import db
from engage.people.models import Organisation, Role, User, UserRole

__all__ = ["IllegalMove"]


def _event(
    item: Item, actor: User | None, kind: str, note: str = "", frm: str = "", to: str = ""
) -> None:
    db.session.add(
        Event(
            item_id=item.id,
            actor_id=getattr(actor, "id", None),
            kind=kind,
            note=note,
            from_state=frm,
            to_state=to,
        )
    )


def _supporter_ids(item: Item) -> set[int]:
    return set(db.session.scalars(select(Support.user_id).where(Support.item_id == item.id)))


def followers(item: Item) -> list[User]:
    """The raiser and every supporter, each once."""
    ids = _supporter_ids(item)
    if item.raised_by_id:
        ids.add(item.raised_by_id)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.is_active)))


def _tell_followers(item: Item, actor: User | None) -> None:
    """Tell the raiser and supporters, in their own language and by their chosen channel."""
    link = absolute_url("changes.item", item_id=item.id)
    for person in followers(item):
        if actor is not None and person.id == actor.id:
            continue
        with in_their_language(person):
            outbox.queue(
                kind=outbox.Kind.UPDATE,
                user=person,
                subject=_("Update on what you raised: %(title)s", title=item.title),
                body=_(
                    'Hello %(name)s,\n\nThe item "%(title)s" is now: %(state)s.\n\n%(note)s'
                    "\n\nSee what has happened so far:\n%(link)s\n",
                    name=person.display_name,
                    title=item.title,
                    state=item.state_enum.label,
                    note=_plain_update(item),
                    link=link,
                ),
            )


def _plain_update(item: Item) -> str:
    state = item.state_enum
    if state == State.RESOLVED:
        return _("What changed: %(what)s", what=item.what_changed)
    if state == State.MERGED:
        return _(
            "It was the same as item %(id)d, so they were joined. You will hear about that one.",
            id=item.merged_into_id,
        )
    if state == State.CLOSED:
        return _("Why: %(reason)s", reason=item.close_reason)
    if state == State.ESCALATED:
        return _("It has gone up to the %(level)s.", level=item.level_enum.label.lower())
    return ""


def _move(item: Item, actor: User | None, target: State, note: str = "") -> None:
    before = item.move_to(target)
    _event(item, actor, "state", note=note, frm=before.value, to=target.value)
    audit.record("register.state_changed", actor=actor, item=item.id, to=target.value)
    _tell_followers(item, actor)


def raise_item(
    actor: User,
    *,
    title: str,
    what_happened: str,
    theme: str,
    who_affected: str = "",
    agency_id: int | None = None,
    agency_other: str = "",
    show_name: bool = False,
    source: Source = Source.PEER,
    source_note: str = "",
    submission_key: str | None = None,
    on_behalf_of: User | None = None,
) -> Item:
    """Put a blockage in the register. Staff raising from a meeting, case or feedback are not
    recorded as the raiser: such items are anonymised.

    A ``submission_key`` seen before returns the item it made (a double click or a resent
    form), so nobody ends up with two items or an error for one press. With ``on_behalf_of``
    a manager raises the item for that peer: it is theirs, entered by the manager.
    """
    if submission_key:
        earlier = db.session.scalar(select(Item).where(Item.submission_key == submission_key))
        if earlier is not None and actor.id in (earlier.raised_by_id, earlier.entered_by_id):
            return earlier
    item = Item(
        submission_key=submission_key or None,
        title=title.strip(),
        what_happened=what_happened.strip(),
        who_affected=who_affected.strip(),
        theme=theme,
        agency_id=agency_id,
        agency_other="" if agency_id else agency_other.strip(),
        show_name=show_name if source == Source.PEER else False,
        source=source.value,
        source_note=source_note.strip(),
        raised_by_id=(on_behalf_of or actor).id if source == Source.PEER else None,
        entered_by_id=actor.id if source != Source.PEER or on_behalf_of else None,
    )
    db.session.add(item)
    db.session.flush()
    _event(item, actor, "raised", to=State.RAISED.value)
    audit.record("register.raised", actor=actor, subject=on_behalf_of, item=item.id)
    return item


def support(actor: User, item: Item, account: str, share_with_board: bool) -> Support:
    """Add "this happened to me too". A second click updates the first instead of adding."""
    row = db.session.scalar(
        select(Support).where(Support.item_id == item.id, Support.user_id == actor.id)
    )
    if row is None:
        row = Support(item_id=item.id, user_id=actor.id)
        db.session.add(row)
        db.session.execute(
            update(Item)
            .where(Item.id == item.id)
            .values(supporter_count=Item.supporter_count + 1)
            .execution_options(synchronize_session=False)
        )
        _event(item, actor, "supported")
    row.account = account.strip()
    row.share_with_board = share_with_board
    db.session.flush()
    db.session.expire(item, ["supporter_count", "version"])
    return row


def triage(actor: User, item: Item) -> None:
    _move(item, actor, State.TRIAGED)


def close(actor: User, item: Item, reason: str) -> None:
    if not reason.strip():
        raise IllegalMove(_("Give a reason the person who raised it can read."))
    item.close_reason = reason.strip()
    _move(item, actor, State.CLOSED, note=reason.strip())


def merge_into(actor: User, duplicate: Item, into_id: int) -> None:
    """Fold ``duplicate`` into the item numbered ``into_id`` (see :func:`merge`)."""
    survivor = db.session.get(Item, into_id)
    if survivor is None:
        raise IllegalMove(_("There is no item with that number."))
    merge(actor, duplicate, survivor)


def merge(actor: User, duplicate: Item, survivor: Item) -> None:
    """Fold a duplicate into ``survivor``: supporters and accounts move across, the
    duplicate's raiser becomes a supporter, the duplicate points to the survivor, and each
    keeps its own history (the survivor's records the join)."""
    if duplicate.id == survivor.id:
        raise IllegalMove(_("An item cannot be merged into itself."))
    if not survivor.state_enum.is_open:
        raise IllegalMove(_("Merge into an item that is still open."))
    existing = set(
        db.session.scalars(select(Support.user_id).where(Support.item_id == survivor.id))
    )
    existing.add(survivor.raised_by_id)
    moved = 0
    for row in db.session.scalars(select(Support).where(Support.item_id == duplicate.id)).all():
        if row.user_id in existing:
            db.session.delete(row)
        else:
            row.item_id = survivor.id
            existing.add(row.user_id)
            moved += 1
    if duplicate.raised_by_id and duplicate.raised_by_id not in existing:
        db.session.add(
            Support(
                item_id=survivor.id,
                user_id=duplicate.raised_by_id,
                account=duplicate.what_happened,
                share_with_board=duplicate.show_name,
            )
        )
        moved += 1
    survivor.supporter_count += moved
    duplicate.merged_into_id = survivor.id
    # Pages say "joined into item N" in the reader's own language, from merged_into_id.
    _move(duplicate, actor, State.MERGED)
    # Each item keeps its own history: the duplicate's (which may start before the survivor
    # was raised, and has states the survivor never had) stays on the duplicate's page, which
    # leads on to the survivor; the survivor's says which item joined it.
    _event(survivor, actor, "merged", note=str(duplicate.id))


#: Who can own an item: the people boards hold to account.
OWNER_ROLES = (Role.BOARD, Role.MANAGER, Role.PARTNER)


def possible_owners() -> list[tuple[User, Organisation | None]]:
    """Everyone who can own an item, with the organisation they work for (None where it is
    not known), in name order: the owner list shows people's names, not their usernames."""
    holders = select(UserRole.user_id).where(UserRole.role.in_([r.value for r in OWNER_ROLES]))
    rows = db.session.execute(
        select(User, Organisation)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(User.id.in_(holders))
    ).all()
    return sorted(
        [(user, organisation) for user, organisation in rows],
        key=lambda row: (row[0].display_name.casefold(), row[0].id),
    )


def set_ownership(
    actor: User,
    item: Item,
    *,
    owner_id: int | None,
    organisation_id: int | None,
    target_date: date | None,
    level: Level,
) -> None:
    item.owner_id = owner_id
    item.owner_organisation_id = organisation_id
    item.target_date = target_date
    item.level = level.value
    _event(item, actor, "owner")
    audit.record("register.owner_changed", actor=actor, item=item.id)


def add_step(actor: User, item: Item, description: str, owner_name: str, due: date) -> ActionStep:
    step = ActionStep(
        item=item, description=description.strip(), owner_name=owner_name.strip(), due_date=due
    )
    db.session.add(step)
    if item.planned_at is None:
        item.planned_at = utcnow()
    if item.state_enum in (State.TRIAGED, State.REOPENED, State.ESCALATED):
        _move(item, actor, State.ACTION_PLANNED)
    else:
        _event(item, actor, "step", note=description.strip())
    return step


def start(actor: User, item: Item) -> None:
    _move(item, actor, State.IN_PROGRESS)


def resolve(actor: User, item: Item, what_changed: str, for_whom: str, lasting: str) -> None:
    item.what_changed = what_changed.strip()
    item.changed_for_whom = for_whom.strip()
    item.lasting = lasting.strip()
    _move(item, actor, State.RESOLVED, note=item.what_changed)


def reopen(actor: User, item: Item, reason: str) -> None:
    _move(item, actor, State.REOPENED, note=reason.strip())


def record_decision(
    actor: User, item: Item, text: str, co_produced: bool, meeting_id: int | None = None
) -> Decision:
    decision = Decision(
        item_id=item.id,
        text=text.strip(),
        co_produced=co_produced,
        meeting_id=meeting_id,
        recorded_by_id=actor.id,
    )
    db.session.add(decision)
    _event(item, actor, "decision", note=text.strip())
    return decision


#: Open states an overdue item escalates from ("raised" items have no target date yet).
ESCALATABLE = [
    s.value
    for s in (
        State.TRIAGED,
        State.ACTION_PLANNED,
        State.IN_PROGRESS,
        State.ESCALATED,
        State.REOPENED,
    )
]


def escalate_overdue(today: date) -> list[Item]:
    """Move every overdue open item up one level (``engage tick``).

    Idempotent: an item escalated moves its target date on by the escalation period, so running
    the command twice on one day changes nothing more. Items at the top level stay there and are
    only flagged again when their new date passes.
    """
    period = timedelta(days=int(current_app.config["ESCALATION_DAYS"]))
    overdue = db.session.scalars(
        select(Item).where(Item.state.in_(ESCALATABLE), Item.target_date < today)
    ).all()
    moved = []
    for item in overdue:
        if item.level < Level.STRATEGIC:
            item.level += 1
        item.target_date = today + period
        _move(item, None, State.ESCALATED)
        for person in _owner_and_board(item):
            with in_their_language(person):
                outbox.queue(
                    kind=outbox.Kind.UPDATE,  # an item they own, or their board's
                    user=person,
                    subject=_("Overdue item escalated: %(title)s", title=item.title),
                    body=_(
                        'The item "%(title)s" passed its target date and is now with the '
                        "%(level)s. New target date: %(date)s.\n%(link)s\n",
                        title=item.title,
                        level=item.level_enum.label.lower(),
                        date=item.target_date.isoformat(),
                        link=absolute_url("changes.item", item_id=item.id),
                    ),
                )
        moved.append(item)
    return moved


def _owner_and_board(item: Item) -> list[User]:
    """The item's owner and the members of every board that works at its level."""
    ids = set(
        db.session.scalars(select(BoardMember.user_id).join(Board).where(Board.level == item.level))
    )
    if item.owner_id:
        ids.add(item.owner_id)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.is_active)))


def quotable(items: list[Item]) -> set[int]:
    """The ids of these items whose own words (title and account) "You said, we did" may show.

    A peer's account is their words: it is shown there only while they consent to our using
    their words (consent "photos and quotes"), asked each time the page is drawn so a
    withdrawal stops it at once. Items from a meeting, casework, feedback or a survey were
    written up and anonymised by staff, so their words are nobody's quote."""
    from engage.people.models import ConsentPurpose
    from engage.people.services import consenting

    peers = {item.raised_by_id for item in items if item.source == Source.PEER.value}
    agreed = consenting(peers, ConsentPurpose.PHOTOS_QUOTES)
    return {
        item.id for item in items if item.source != Source.PEER.value or item.raised_by_id in agreed
    }


def quote_withheld_because(item: Item) -> str | None:
    """Why "You said, we did" leaves out this item's words, for staff: "withdrawn" (the
    raiser withdrew consent to use their words), "not_given", or None when they are shown."""
    if item.id in quotable([item]):
        return None
    from engage.people.models import ConsentPurpose
    from engage.people.services import withdrew

    if item.raised_by is not None and withdrew(item.raised_by, ConsentPurpose.PHOTOS_QUOTES):
        return "withdrawn"
    return "not_given"


#: The runtime setting that publishes "You said, we did" for anyone to read without signing in
#: ("yes"; anything else, or none, keeps it for people who sign in).
PUBLISH_SETTING = "public.you_said_we_did"


def is_published() -> bool:
    """Whether "You said, we did" is public (GOV.UK service standard 10: publish how the
    service is doing). Off until a manager or admin switches it on."""
    return (settings.get(PUBLISH_SETTING) or "").strip() == "yes"


def change_settings(actor: User, *, publish: bool, plan_days: int) -> None:
    """Publish (or stop publishing) "You said, we did" and set N, the days within which an
    accepted item should have an action plan (1 to 365; the form checks)."""
    settings.put(PUBLISH_SETTING, "yes" if publish else "no")
    settings.put(PLAN_WITHIN_DAYS_SETTING, str(plan_days))
    audit.record("register.settings_changed", actor=actor, published=publish, plan_days=plan_days)


#: How many of the latest changes a peer's home page shows.
HOME_CHANGES = 3


def home_summary(user: User, today: date) -> dict[str, Any]:
    """What the register puts on someone's home page: a few rows and counts, in a fixed
    number of queries."""
    summary: dict[str, Any] = {}
    # Raised or supported, each read from its own index (an OR of the two read every item).
    mine = Item.id.in_(
        union(
            select(Item.id).where(Item.raised_by_id == user.id),
            select(Support.item_id).where(Support.user_id == user.id),
        )
    )
    summary["mine"] = db.session.scalars(
        select(Item).where(mine).order_by(Item.updated_at.desc()).limit(5)
    ).all()
    if user.has_role(Role.PEER):
        # "You said, we did" where peers look: the latest few changes, newest first.
        summary["we_did"] = db.session.scalars(
            select(Item)
            .where(Item.state == State.RESOLVED.value)
            .order_by(Item.resolved_at.desc(), Item.id.desc())
            .limit(HOME_CHANGES)
        ).all()
        summary["we_did_quotable"] = quotable(summary["we_did"])
    if user.has_role(Role.MANAGER):
        summary["to_triage"] = db.session.scalar(
            select(func.count(Item.id)).where(Item.state == State.RAISED.value)
        )
    if user.has_role(Role.MANAGER, Role.BOARD):
        summary["overdue"] = db.session.scalar(
            select(func.count(Item.id)).where(Item.state.in_(ESCALATABLE), Item.target_date < today)
        )
        summary["owned"] = db.session.scalars(
            select(Item)
            .where(Item.owner_id == user.id, Item.state.in_([s.value for s in OPEN_STATES]))
            .order_by(Item.target_date.is_(None), Item.target_date)
            .limit(5)
        ).all()
    if user.has_role(Role.PARTNER) and user.organisation_id:
        summary["organisation"] = db.session.scalars(
            select(Item)
            .where(
                Item.owner_organisation_id == user.organisation_id,
                Item.state.in_([s.value for s in OPEN_STATES]),
            )
            .order_by(Item.target_date.is_(None), Item.target_date)
            .limit(5)
        ).all()
    return summary
