"""The board pack (``/boards/<id>/pack`` and ``.pdf``): who may open it, what it holds for the
period, the PDF's first page, a period typed wrong, and a query count that does not grow."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engage.changes import pack
from engage.changes.models import (
    ActionStep,
    Attendance,
    Board,
    BoardMeeting,
    BoardMember,
    Decision,
    Level,
    Source,
    State,
)
from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.forums.models import Forum, Meeting
from engage.people.models import Role
from tests.changes.conftest import insert_item
from tests.conftest import count_queries, sign_in

#: The pack is read on Wednesday 10 March 2027 (GMT); the board last met on 1 March.
TODAY = date(2027, 3, 10)
LAST_MEETING = datetime(2027, 3, 1, 10, tzinfo=UTC)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def board(app, make_user, pin_today):
    """A delivery board with a chair (board role) and an expert by experience (a peer), met on
    1 February and 1 March, meeting next on 29 March; register items, decisions, a forum
    meeting and a resolved item around the period 1 March to 10 March."""
    pin_today(TODAY)
    chair = make_user("chair", roles={Role.BOARD})
    expert = make_user("expert", roles={Role.PEER})
    with app.app_context():
        board = Board(name="Changing Futures Delivery Board", level=Level.DELIVERY.value)
        db.session.add(board)
        db.session.flush()
        db.session.add_all(
            [
                BoardMember(board_id=board.id, user_id=chair.id, role="Chair"),
                BoardMember(board_id=board.id, user_id=expert.id, expert_by_experience=True),
            ]
        )
        february = BoardMeeting(board_id=board.id, starts_at=datetime(2027, 2, 1, 10, tzinfo=UTC))
        march = BoardMeeting(board_id=board.id, starts_at=LAST_MEETING, place="Room 1")
        april = BoardMeeting(
            board_id=board.id, starts_at=datetime(2027, 3, 29, 9, tzinfo=UTC), place="Room 2"
        )
        db.session.add_all([february, march, april])
        db.session.flush()
        # 1 March: the chair came, the expert sent apologies (50%).
        db.session.add_all(
            [
                Attendance(meeting_id=march.id, user_id=chair.id, attended=True),
                Attendance(meeting_id=march.id, user_id=expert.id, attended=False),
            ]
        )
        escalated = insert_item(
            title="Turned away from the housing office",
            state=State.ESCALATED.value,
            level=Level.DELIVERY.value,
            triaged_at=_at(date(2026, 12, 1)),
            target_date=date(2027, 3, 20),
        )
        db.session.add(
            ActionStep(
                item_id=escalated.id,
                description="Train front desk staff on the duty to refer",
                owner_name="Housing lead, City Council",
                due_date=date(2027, 3, 25),
            )
        )
        strategic = insert_item(
            title="A strategic board matter",
            state=State.ESCALATED.value,
            level=Level.STRATEGIC.value,
            triaged_at=_at(date(2026, 12, 1)),
        )
        db.session.add_all(
            [
                Decision(
                    item_id=escalated.id,
                    meeting_id=march.id,
                    text="Ask the council for a named lead.",
                    co_produced=True,
                    decided_at=LAST_MEETING,
                ),
                Decision(
                    item_id=escalated.id,
                    meeting_id=february.id,
                    text="An older decision, before the period.",
                    decided_at=datetime(2027, 2, 1, 10, tzinfo=UTC),
                ),
            ]
        )
        forum = Forum(name="Lived Experience Forum", open_to_all=True)
        db.session.add(forum)
        db.session.flush()
        forum_meeting = Meeting(
            forum_id=forum.id,
            starts_at=_at(date(2027, 3, 4)),
            ends_at=_at(date(2027, 3, 4), 14),
            decisions="The forum asked for letters in plain English.",
        )
        db.session.add(forum_meeting)
        db.session.flush()
        insert_item(
            title="Letters full of jargon",
            source=Source.MEETING.value,
            source_meeting_id=forum_meeting.id,
            state=State.TRIAGED.value,
        )
        insert_item(
            title="Bus fares refunded late",
            source=Source.MEETING.value,
            state=State.RESOLVED.value,
            resolved_at=_at(date(2027, 3, 5)),
            what_changed="Fares are refunded on the day.",
            changed_for_whom="Everyone who comes to a forum.",
            lasting="Written into the expenses policy.",
        )
        db.session.commit()
        return {
            "id": board.id,
            "chair": chair,
            "expert": expert,
            "escalated": escalated.id,
            "strategic": strategic.id,
        }


# --- who may open it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("chair", 200),  # sits on the board
        ("expert", 200),  # a peer in an expert-by-experience seat
        (Role.MANAGER, 200),
        (Role.ADMIN, 200),
        (Role.BOARD, 404),  # on another board, not this one
        (Role.PARTNER, 404),
        (Role.PEER, 404),
        (Role.FINANCE, 404),
    ],
)
def test_who_may_open_the_pack(client, board, signed_in, who, status):
    if isinstance(who, Role):
        signed_in(who)
    else:
        sign_in(client, board[who].username)
    assert client.get(f"/boards/{board['id']}/pack").status_code == status
    assert client.get(f"/boards/{board['id']}/pack.pdf").status_code == status


def test_signed_out_readers_are_sent_to_sign_in(client, board):
    response = client.get(f"/boards/{board['id']}/pack")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_a_board_that_does_not_exist_is_not_found(client, board, signed_in):
    signed_in(Role.MANAGER)
    assert client.get("/boards/999999/pack").status_code == 404
    assert client.get("/boards/999999/pack.pdf").status_code == 404


def test_the_board_page_links_to_the_pack_for_its_readers(app, client, board, make_user):
    sign_in(client, board["chair"].username)
    assert f"/boards/{board['id']}/pack" in client.get(f"/boards/{board['id']}").text
    other = app.test_client()
    # Sees the board's page, but does not sit on this board.
    sign_in(other, make_user(roles={Role.BOARD}).username)
    page = other.get(f"/boards/{board['id']}")
    assert page.status_code == 200
    assert f"/boards/{board['id']}/pack" not in page.text


# --- what it holds -----------------------------------------------------------------------------


def test_the_pack_holds_the_agenda_plans_decisions_feedback_changes_and_attendance(client, board):
    sign_in(client, board["chair"].username)
    page = client.get(f"/boards/{board['id']}/pack").text
    # Since the last meeting: 1 March to today (10 days); compared with the 10 days before,
    # 19 to 28 February.
    assert "1 March 2027 to 10 March 2027" in page
    assert "Compared with 19 February 2027 to 28 February 2027" in page
    # The next meeting's agenda, with the escalated item's action plan; not other levels'.
    assert "Agenda for the next meeting" in page
    assert "Turned away from the housing office" in page
    assert "Train front desk staff on the duty to refer" in page
    assert "Housing lead, City Council" in page
    assert "A strategic board matter" not in page
    # Decisions from 1 March on, not February's.
    assert "Ask the council for a named lead." in page
    assert "An older decision, before the period." not in page
    # The forum's feedback and what it raised; "you said, we did".
    assert "The forum asked for letters in plain English." in page
    assert "Letters full of jargon" in page
    assert "Fares are refunded on the day." in page
    # Attendance on 1 March: 1 of the 2 recorded came.
    assert "1 of 2 came" in page
    assert "50%" in page
    # The dashboard's headline figures (the people section exists from the start).
    assert "People who applied to be peers" in page


def test_with_no_meeting_planned_the_pack_says_so(app, client, board):
    with app.app_context():
        db.session.execute(
            BoardMeeting.__table__.delete().where(
                BoardMeeting.board_id == board["id"], BoardMeeting.starts_at > LAST_MEETING
            )
        )
        db.session.commit()
    sign_in(client, board["chair"].username)
    page = client.get(f"/boards/{board['id']}/pack").text
    assert "No meeting planned" in page


def test_a_chosen_period_replaces_since_the_last_meeting(client, board):
    sign_in(client, board["chair"].username)
    page = client.get(f"/boards/{board['id']}/pack?start=2027-02-01&end=2027-02-28").text
    assert "1 February 2027 to 28 February 2027" in page
    assert "An older decision, before the period." in page
    assert "Ask the council for a named lead." not in page


def test_a_period_typed_wrong_is_refused_kindly_and_kept(client, board):
    sign_in(client, board["chair"].username)
    response = client.get(f"/boards/{board['id']}/pack?start=2027-02-30&end=2027-03-01")
    assert response.status_code == 400
    assert "Enter a real date" in response.text
    assert 'value="2027-02-30"' in response.text
    assert (
        client.get(f"/boards/{board['id']}/pack.pdf?start=2027-03-09&end=2027-03-01").status_code
        == 400
    )


# --- the PDF -----------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf_whose_first_page_names_the_board_and_its_figures(app, client, board):
    sign_in(client, board["chair"].username)
    started = time.perf_counter()
    response = client.get(f"/boards/{board['id']}/pack.pdf")
    took = time.perf_counter() - started
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    first = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Changing Futures Delivery Board" in first
    assert "Escalated to this board" in first  # the headline counts at a glance
    assert "Turned away from the housing office" in first
    # The pack names owners of items and steps: each download is audited.
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "boards.pack_downloaded")
        )
        assert entry is not None
        assert entry.actor_id == board["chair"].id
        assert entry.detail_dict["start"] == "2027-03-01"
    # Generous for a busy shared machine; bench/ measures it properly.
    assert took < 10


def test_the_same_pack_is_drawn_once_and_a_changed_one_drawn_again(app, client, board, monkeypatch):
    """WeasyPrint takes over a second for a pack: each worker keeps the PDFs it drew, by the
    page they were drawn from, without the page's CSRF tokens (fresh on every page, and never
    to be carried into a file). A change to what the pack shows is a new page, drawn anew."""
    from engage.dashboard import pdf

    drawn: list[str] = []
    draw = pdf._draw
    monkeypatch.setattr(pdf, "_draw", lambda html: drawn.append(html) or draw(html))
    sign_in(client, board["chair"].username)
    url = f"/boards/{board['id']}/pack.pdf"
    first = client.get(url).data
    assert client.get(url).data == first
    assert len(drawn) == 1
    assert re.search(r'name="csrf_token" value=""', drawn[0])
    assert not re.search(r'name="csrf_token" value="[^"]', drawn[0])
    assert not re.search(r'"X-CSRFToken": "[^"]', drawn[0])

    with app.app_context():
        db.session.get(Board, board["id"]).name = "Changing Futures Strategic Board"
        db.session.commit()
    renamed = client.get(url).data
    assert len(drawn) == 2 and renamed != first
    assert (
        "Changing Futures Strategic Board" in PdfReader(io.BytesIO(renamed)).pages[0].extract_text()
    )
    with app.app_context():  # every download is audited, drawn or kept
        downloads = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "boards.pack_downloaded")
        ).all()
        assert len(downloads) == 3


def test_the_page_and_the_pdf_come_from_one_template_with_the_print_stylesheet(client, board):
    sign_in(client, board["chair"].username)
    page = client.get(f"/boards/{board['id']}/pack").text
    assert re.search(r'href="/static/css/print\.[0-9a-f]{12}\.css" media="print"', page)
    assert "style=" not in page.split("<svg", 1)[0]  # no inline styles before any chart


# --- bounded lists and a bounded number of queries ---------------------------------------------


def _more_than_a_meeting_can_use(app, board) -> None:
    """Past every bound of the pack: LISTED + 5 overdue items (the first with STEPS + 3 steps),
    LISTED + 5 decisions at the last meeting, HIGHLIGHTS + 5 resolved items (some raised by a
    peer), and LISTED + 5 forum meetings, the first raising RAISED + 4 items."""
    with app.app_context():
        march = db.session.scalar(
            select(BoardMeeting).where(
                BoardMeeting.board_id == board["id"], BoardMeeting.starts_at == LAST_MEETING
            )
        )
        for n in range(pack.LISTED + 5):
            # Target dates from 1 March back: the first is the least overdue.
            item = insert_item(
                title=f"Overdue {n:02d}",
                state=State.IN_PROGRESS.value,
                level=Level.DELIVERY.value,
                triaged_at=_at(date(2026, 12, 2)),
                target_date=date(2027, 3, 1) - timedelta(days=n),
            )
            for s in range(pack.STEPS + 3 if n == pack.LISTED + 4 else 1):
                db.session.add(
                    ActionStep(
                        item_id=item.id,
                        description=f"Step {s:02d} of {n:02d}",
                        owner_name="Someone",
                        due_date=TODAY + timedelta(days=s),
                    )
                )
            db.session.add(
                Decision(
                    item_id=item.id,
                    meeting_id=march.id,
                    text=f"Decision {n:02d}",
                    decided_at=LAST_MEETING + timedelta(minutes=n),
                )
            )
        for n in range(pack.HIGHLIGHTS + 5):
            # Half raised by a peer: whether their words may be shown is asked too.
            insert_item(
                title=f"Resolved {n:02d}",
                source=Source.PEER.value if n % 2 else Source.MEETING.value,
                raised_by_id=board["expert"].id if n % 2 else None,
                state=State.RESOLVED.value,
                resolved_at=_at(date(2027, 3, 3)) + timedelta(minutes=n),
                what_changed=f"Changed {n:02d}",
                changed_for_whom="People",
                lasting="Policy",
            )
        forum = db.session.scalar(select(Forum))
        for n in range(pack.LISTED + 5):
            meeting = Meeting(
                forum_id=forum.id,
                starts_at=_at(date(2027, 3, 2), 9) + timedelta(minutes=n),
                ends_at=_at(date(2027, 3, 2), 11),
                decisions=f"Forum advice {n:02d}",
            )
            db.session.add(meeting)
            db.session.flush()
            for r in range(pack.RAISED + 4 if n == pack.LISTED + 4 else 0):
                insert_item(
                    title=f"Raised {r:02d}",
                    source=Source.MEETING.value,
                    source_meeting_id=meeting.id,
                    state=State.TRIAGED.value,
                )
        db.session.commit()


def test_each_list_shows_what_a_meeting_can_use_and_counts_the_rest(app, client, board):
    _more_than_a_meeting_can_use(app, board)
    sign_in(client, board["chair"].username)
    page = client.get(f"/boards/{board['id']}/pack").text
    overdue = page.split('id="pack-overdue"', 1)[1].split('id="pack-new"', 1)[0]
    # Overdue: every one counted, the longest overdue listed first, LISTED of them.
    assert f"Overdue ({pack.LISTED + 5})" in page
    listed = [f"Overdue {n:02d}" for n in range(pack.LISTED + 5)]
    shown = [title for title in listed if title in overdue]
    assert shown == listed[5:]  # the five least overdue are counted, not listed
    assert overdue.index("Overdue 24") < overdue.index("Overdue 05")
    assert "And 5 more: see" in overdue
    assert f"/register?level={Level.DELIVERY.value}&amp;state=open" in overdue
    # The first item's plan: STEPS steps listed, the last 3 counted, with its page linked.
    assert "Step 09 of 24" in overdue
    assert "Step 10 of 24" not in overdue
    assert "And 3 more: see" in overdue
    # Decisions: the latest LISTED of LISTED + 6 (the fixture's own is the oldest).
    decisions = page.split('id="pack-decisions"', 1)[1].split('id="pack-feedback"', 1)[0]
    assert f"{pack.LISTED + 6} decisions were recorded in this period" in decisions
    assert "Decision 24" in decisions
    assert "Decision 04" not in decisions
    assert "Ask the council for a named lead." not in decisions
    assert "And 6 more: see" in decisions
    assert f'href="/boards/{board["id"]}/decisions">the board\'s decisions</a>' in decisions
    # Forum feedback: the latest LISTED meetings; the one with many items lists RAISED.
    feedback = page.split('id="pack-feedback"', 1)[1].split('id="pack-you-said-we-did"', 1)[0]
    assert f"{pack.LISTED + 6} forum meetings in this period" in feedback
    assert "Forum advice 24" in feedback
    assert "Forum advice 03" not in feedback
    assert f"{pack.RAISED + 4} items raised for the register" in feedback
    assert "Raised 09" in feedback
    assert "Raised 10" not in feedback
    assert "And 4 more: see" in feedback
    assert "And 6 more: see" in feedback
    # You said, we did: HIGHLIGHTS of HIGHLIGHTS + 6, the register linked for the rest.
    said = page.split('id="pack-you-said-we-did"', 1)[1].split('id="pack-figures"', 1)[0]
    assert f"{pack.HIGHLIGHTS + 6} items were resolved" in said
    assert said.count("engage-pack__item") == pack.HIGHLIGHTS
    assert "And 6 more: see" in said
    assert "/register?state=resolved" in said
    # At a glance, the counts are whole.
    glance = page.split('id="pack-at-a-glance"', 1)[1].split("</dl>", 1)[0]
    assert f"{pack.LISTED + 6}" in glance


def test_on_paper_the_pack_counts_the_rest_without_links(app, client, board):
    _more_than_a_meeting_can_use(app, board)
    sign_in(client, board["chair"].username)
    response = client.get(f"/boards/{board['id']}/pack.pdf")
    assert response.status_code == 200
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages
    ).replace("\n", " ")
    assert "And 5 more: see the register." in text
    assert "And 6 more: see the board's decisions." in text
    assert "Overdue 24" in text
    assert "Overdue 04" not in text


def test_the_query_count_does_not_grow_with_the_data(app, client, board):
    """The same statements for the fixture's handful of rows and for more than every list
    shows (each list, each plan and each forum meeting's items past its bound)."""
    sign_in(client, board["chair"].username)
    url = f"/boards/{board['id']}/pack"
    client.get(url)  # warm up (first use of the session, translations)
    before = count_queries(app, client, url)
    _more_than_a_meeting_can_use(app, board)
    with app.app_context():  # and years of the board's meetings, before and after
        db.session.add_all(
            BoardMeeting(board_id=board["id"], starts_at=LAST_MEETING + timedelta(days=days))
            for days in [*range(-1000, -40, 28), *range(60, 1000, 28)]
        )
        db.session.commit()
    assert "And 5 more" in client.get(url).text  # the data is past the bounds
    assert count_queries(app, client, url) == before
