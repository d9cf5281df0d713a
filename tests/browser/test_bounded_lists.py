"""The pages that hold a board's or a meeting's whole history once its own page shows only the
latest: a board's meetings and decisions (a board member), and the items raised at a meeting (a
manager). Each is checked with axe-core and for console and Content-Security-Policy errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser


def _busiest(live_server):
    """(a board's id, the id of the meeting with the most items raised from it, or of the
    first meeting when none has any)."""
    from engage.changes.models import Board, Item
    from engage.extensions import db
    from engage.forums.models import Meeting

    with live_server.app.app_context():
        board = db.session.scalar(select(Board.id).order_by(Board.id).limit(1))
        meeting = db.session.scalar(
            select(Item.source_meeting_id)
            .where(Item.source_meeting_id.is_not(None))
            .group_by(Item.source_meeting_id)
            .order_by(func.count().desc())
            .limit(1)
        ) or db.session.scalar(select(Meeting.id).order_by(Meeting.starts_at).limit(1))
        db.session.remove()
    return board, meeting


def test_a_boards_meetings_and_decisions_and_a_meetings_raised_items(
    live_server, new_context, sign_in
):
    board_id, meeting_id = _busiest(live_server)

    member = new_context().new_page()
    checks = PageChecks(member)
    sign_in(member, "board")
    member.goto(f"/boards/{board_id}/meetings")
    expect(member.get_by_role("heading", level=1)).to_be_visible()
    checks.check("a board's past meetings")
    member.goto(f"/boards/{board_id}/meetings?when=upcoming")
    checks.check("a board's next meetings")
    member.goto(f"/boards/{board_id}/decisions")
    expect(member.get_by_role("heading", level=1)).to_be_visible()
    checks.check("a board's decisions")
    member.goto(f"/boards/{board_id}/decisions?page=999")
    checks.check("a page of decisions past the last")
    checks.assert_clean()

    desk = new_context().new_page()
    staff = PageChecks(desk)
    sign_in(desk, "manager")
    desk.goto(f"/meetings/{meeting_id}/raised")
    expect(desk.get_by_role("heading", level=1)).to_be_visible()
    staff.check("items raised at a meeting")
    staff.assert_clean()
