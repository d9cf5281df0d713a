"""The register's part of a person's data download: the items they raised (or staff raised
for them), the updates on those items, their "this happened to me too" accounts, items they
own for their organisation, and the boards they sit on."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _
from sqlalchemy import or_, select

from engage.changes.models import (
    Attendance,
    Board,
    BoardMeeting,
    BoardMember,
    Decision,
    Event,
    Item,
    Support,
)
from engage.core.domains import DataFile, personal_data
from engage.extensions import db
from engage.people.models import User
from engage.people.my_data import someone


def _item_row(item: Item) -> dict:
    return {
        "item": item.id,
        "title": item.title,
        "what_happened": item.what_happened,
        "who_it_affects": item.who_affected,
        "theme": item.theme,
        "service": item.agency_name,
        "show_your_name": item.show_name,
        "raised": item.created_at,
        "state": item.state,
        "people_saying_it_happened_to_them_too": item.supporter_count,
        "closed_because": item.close_reason,
        "what_changed": item.what_changed,
    }


@personal_data(
    20,
    tables=("item", "support", "event", "decision", "board_member", "attendance"),
)
def export(person: User) -> Iterator[DataFile]:
    name = someone(person)
    raised = list(
        db.session.scalars(select(Item).where(Item.raised_by_id == person.id).order_by(Item.id))
    )
    yield DataFile(
        "register-items-you-raised",
        _("Blockages you raised on the register (or staff raised for you), as they are now."),
        [{**_item_row(item), "raised_by": name(item.entered_by_id) or _("you")} for item in raised],
    )
    ids = [item.id for item in raised]
    events = (
        db.session.scalars(select(Event).where(Event.item_id.in_(ids)).order_by(Event.id))
        if ids
        else []
    )
    yield DataFile(
        "register-updates",
        _(
            "Every update on the items you raised: what changed, when, and by whom (staff "
            "are not named)."
        ),
        [
            {
                "item": event.item_id,
                "when": event.at,
                "what": event.kind,
                "from": event.from_state,
                "to": event.to_state,
                "note": event.note,
                "by": name(event.actor_id) or _("engage itself"),
            }
            for event in events
        ],
    )
    decisions = (
        db.session.scalars(select(Decision).where(Decision.item_id.in_(ids)).order_by(Decision.id))
        if ids
        else []
    )
    yield DataFile(
        "register-decisions",
        _("Decisions boards recorded on the items you raised."),
        [
            {
                "item": decision.item_id,
                "decided": decision.decided_at,
                "decision": decision.text,
                "co_produced_with_the_forum": decision.co_produced,
            }
            for decision in decisions
        ],
    )
    supports = db.session.execute(
        select(Support, Item)
        .join(Item, Item.id == Support.item_id)
        .where(Support.user_id == person.id)
        .order_by(Support.id)
    ).all()
    yield DataFile(
        "register-me-too",
        _(
            "Items where you said 'this happened to me too', with your own account. Who raised "
            "the item is not shown."
        ),
        [
            {
                "item": item.id,
                "title": item.title,
                "raised_by": name(item.raised_by_id) if item.show_name else _("not shown"),
                "your_account": support.account,
                "share_with_board": support.share_with_board,
                "when": support.created_at,
            }
            for support, item in supports
        ],
    )
    owned = db.session.scalars(
        select(Item)
        .where(or_(Item.owner_id == person.id))
        .where(Item.raised_by_id.is_distinct_from(person.id))
        .order_by(Item.id)
    )
    yield DataFile(
        "register-items-you-own",
        _("Items you own for your organisation (the raiser is not named)."),
        [
            {"item": item.id, "title": item.title, "state": item.state, "target": item.target_date}
            for item in owned
        ],
    )
    seats = db.session.execute(
        select(BoardMember, Board)
        .join(Board, Board.id == BoardMember.board_id)
        .where(BoardMember.user_id == person.id)
    ).all()
    attended = db.session.execute(
        select(Attendance, BoardMeeting, Board)
        .join(BoardMeeting, BoardMeeting.id == Attendance.meeting_id)
        .join(Board, Board.id == BoardMeeting.board_id)
        .where(Attendance.user_id == person.id)
        .order_by(BoardMeeting.starts_at)
    ).all()
    yield DataFile(
        "boards",
        _("Boards you sit on, and the board meetings you were recorded at."),
        [
            {
                "board": board.name,
                "role": member.role,
                "lived_experience_seat": member.expert_by_experience,
                "meeting": None,
                "attended": None,
            }
            for member, board in seats
        ]
        + [
            {
                "board": board.name,
                "role": "",
                "lived_experience_seat": None,
                "meeting": meeting.starts_at,
                "attended": row.attended,
            }
            for row, meeting, board in attended
        ],
    )
