"""Boards: the agenda built from the register, the printable agenda, attendance, members,
meetings, who may see and change what, and a query count that does not grow with the items."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engage.changes import board_services
from engage.changes.models import (
    Attendance,
    Board,
    BoardMeeting,
    BoardMember,
    Decision,
    Item,
    Level,
    State,
)
from engage.core.audit import AuditEntry
from engage.core.db import utcnow
from engage.extensions import db
from engage.people.models import Organisation, Role, User
from tests.changes.conftest import insert_item
from tests.conftest import count_queries, post, sign_in


def make_item(**values: object) -> Item:
    """An item a board works on: in progress, at delivery level, accepted long ago."""
    values.setdefault("level", Level.DELIVERY.value)
    values.setdefault("state", State.IN_PROGRESS.value)
    values.setdefault("triaged_at", utcnow() - timedelta(days=200))
    return insert_item(**values)


def make_board(app, members=(), meetings=(-14, 7, 35), level=Level.DELIVERY) -> dict:
    """A board with ``members`` ((user, expert_by_experience) pairs) and a meeting at each
    offset in days from now. Returns the ids."""
    with app.app_context():
        board = Board(name=f"Board {level.name}", level=level.value, purpose="Unblocks things.")
        db.session.add(board)
        db.session.flush()
        for user, expert in members:
            db.session.add(
                BoardMember(
                    board_id=board.id,
                    user_id=user.id,
                    expert_by_experience=expert,
                    role="Expert by experience" if expert else "Member",
                )
            )
        meeting_ids = []
        for days in meetings:
            meeting = BoardMeeting(
                board_id=board.id,
                starts_at=utcnow().replace(microsecond=0) + timedelta(days=days),
                place=f"Room {days}",
            )
            db.session.add(meeting)
            db.session.flush()
            meeting_ids.append(meeting.id)
        db.session.commit()
        return {"board": board.id, "meetings": meeting_ids}


# --- the agenda -------------------------------------------------------------------------------


def _agenda_items(app) -> dict[str, int]:
    """One item for each heading, and items that must stay off the agenda."""
    today = utcnow().date()
    with app.app_context():
        ids = {
            # Escalated and overdue: listed once, under escalated.
            "escalated": make_item(
                title="Escalated one",
                state=State.ESCALATED.value,
                target_date=today - timedelta(days=3),
            ).id,
            "overdue": make_item(title="Overdue one", target_date=today - timedelta(days=1)).id,
            "new": make_item(
                title="New one",
                state=State.TRIAGED.value,
                triaged_at=utcnow() - timedelta(days=3),
                target_date=today + timedelta(days=200),
            ).id,
            # Due after the next meeting, but before the one after it.
            "due": make_item(title="Due one", target_date=today + timedelta(days=20)).id,
            # Not on the agenda: due after the meeting after next; another level; closed;
            # accepted before the last meeting with no date.
            "later": make_item(title="Later one", target_date=today + timedelta(days=60)).id,
            "elsewhere": make_item(
                title="Elsewhere one",
                level=Level.STRATEGIC.value,
                target_date=today - timedelta(days=1),
            ).id,
            "closed": make_item(
                title="Closed one",
                state=State.CLOSED.value,
                target_date=today - timedelta(days=1),
            ).id,
            "old": make_item(title="Old one", state=State.TRIAGED.value).id,
        }
        db.session.commit()
    return ids


def test_the_agenda_groups_items_due_for_review_each_once(app):
    board = make_board(app)
    ids = _agenda_items(app)
    with app.app_context():
        meetings = db.session.scalars(
            select(BoardMeeting).where(BoardMeeting.board_id == board["board"])
        ).all()
        meetings = sorted(meetings, key=lambda m: m.starts_at)
        agenda = board_services.build_agenda(
            db.session.get(Board, board["board"]), meetings, meetings[1], utcnow()
        )
        grouped = {key: [i.id for i in items] for key, items in agenda.groups.items()}
    assert agenda.previous.id == board["meetings"][0]
    assert agenda.following.id == board["meetings"][2]
    assert grouped == {
        "escalated": [ids["escalated"]],
        "overdue": [ids["overdue"]],
        "new": [ids["new"]],
        "due": [ids["due"]],
    }


def test_without_a_meeting_the_agenda_looks_four_weeks_either_side_of_now(app):
    board = make_board(app, meetings=())
    ids = _agenda_items(app)
    with app.app_context():
        agenda = board_services.build_agenda(
            db.session.get(Board, board["board"]), [], None, utcnow()
        )
        grouped = {key: [i.id for i in items] for key, items in agenda.groups.items()}
    assert agenda.meeting is None and agenda.previous is None
    assert agenda.due_before == (utcnow() + timedelta(days=28)).date()
    assert grouped["due"] == [ids["due"]]
    assert grouped["new"] == [ids["new"]]


def test_the_board_page_shows_members_meetings_agenda_and_decisions(app, client, make_user):
    chair = make_user("chair", roles={Role.BOARD})
    peer = make_user("aisha", roles={Role.PEER})
    board = make_board(app, members=[(chair, False), (peer, True)])
    ids = _agenda_items(app)
    with app.app_context():
        past = board["meetings"][0]
        db.session.add_all(
            [
                Attendance(meeting_id=past, user_id=chair.id, attended=True),
                Attendance(meeting_id=past, user_id=peer.id, attended=False),
                Decision(
                    item_id=ids["overdue"],
                    meeting_id=past,
                    text="Ask the forum how to fix it.",
                    co_produced=True,
                ),
            ]
        )
        db.session.commit()
    make_user("viewer", roles={Role.BOARD})
    sign_in(client, "viewer")
    page = client.get(f"/boards/{board['board']}").get_data(as_text=True)
    assert "Unblocks things." in page
    assert "Aisha" in page and "Expert by experience" in page
    assert "50%" in page and "1 of 2" in page  # attendance at the past meeting
    assert "Ask the forum how to fix it." in page
    assert "Co-produced or guided by the forum" in page
    assert f'href="#decisions-{past}"' in page  # every decision of that meeting is listed
    # Headings in order, each item once, linking to the register.
    order = [
        page.index(h)
        for h in (
            'id="agenda-escalated"',
            "Escalated one",
            'id="agenda-overdue"',
            "Overdue one",
            'id="agenda-new"',
            "New one",
            'id="agenda-due"',
            "Due one",
        )
    ]
    assert order == sorted(order)
    assert page.count("Escalated one") == 1
    assert f'href="/register/{ids["due"]}"' in page
    for absent in ("Later one", "Elsewhere one", "Closed one", "Old one"):
        assert absent not in page


def test_the_printable_agenda_lists_meeting_attendees_and_items(app, client, make_user, signed_in):
    chair = make_user("chair", roles={Role.BOARD}, preferred_name="Helen")
    peer = make_user("ben", roles={Role.PEER}, preferred_name="Ben")
    board = make_board(app, members=[(chair, False), (peer, True)])
    ids = _agenda_items(app)
    with app.app_context():
        org = Organisation(name="Probation Service")
        db.session.add(org)
        db.session.flush()
        item = db.session.get(Item, ids["overdue"])
        item.owner_id = chair.id
        item.owner_organisation_id = org.id
        item.supporter_count = 7
        db.session.commit()
    signed_in(Role.BOARD)
    upcoming = board["meetings"][1]
    response = client.get(f"/boards/{board['board']}/agenda?meeting={upcoming}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Board DELIVERY" in page and "Room 7" in page
    assert "engage-agenda" in page and "engage-print-hide" in page
    assert "Helen" in page and "Ben" in page  # members, as attendance is not taken yet
    row = re.search(rf"<td[^>]*>{ids['overdue']}</td>.*?</tr>", page, re.S).group(0)
    assert "Overdue one" in row and "Helen, Probation Service" in row and ">7<" in row
    assert "Later one" not in page
    # A past meeting lists who came and who sent apologies.
    with app.app_context():
        past = board["meetings"][0]
        db.session.add(Attendance(meeting_id=past, user_id=chair.id, attended=True))
        db.session.add(Attendance(meeting_id=past, user_id=peer.id, attended=False))
        db.session.commit()
    page = client.get(f"/boards/{board['board']}/agenda?meeting={past}").get_data(as_text=True)
    assert re.search(r"Present</dt>\s*<dd[^>]*>Helen</dd>", page)
    assert re.search(r"Apologies</dt>\s*<dd[^>]*>Ben</dd>", page)
    # With no meeting named: the next one. Another board's meeting is not found.
    assert "Room 7" in client.get(f"/boards/{board['board']}/agenda").get_data(as_text=True)
    other = make_board(app, level=Level.STRATEGIC)
    url = f"/boards/{board['board']}/agenda?meeting={other['meetings'][0]}"
    assert client.get(url).status_code == 404


def test_the_board_list_counts_members_and_expert_seats(app, client, make_user, signed_in):
    members = [(make_user(roles={Role.BOARD}), False) for _ in range(3)]
    members.append((make_user(roles={Role.PEER}), True))
    make_board(app, members=members)
    signed_in(Role.MANAGER)
    page = client.get("/boards").get_data(as_text=True)
    assert "Board DELIVERY" in page
    assert "25%" in page and "1 seat" in page
    assert (utcnow() + timedelta(days=7)).strftime("%Y") in page


# --- attendance, meetings and members -------------------------------------------------------


def test_attendance_is_saved_and_re_saving_replaces_it(app, client, make_user, signed_in):
    people = [make_user(roles={Role.BOARD}) for _ in range(3)]
    board = make_board(app, members=[(p, False) for p in people])
    signed_in(Role.MANAGER)
    past = board["meetings"][0]
    url = f"/boards/{board['board']}/meetings/{past}/attendance"

    def rows():
        with app.app_context():
            return sorted(
                (a.user_id, a.attended)
                for a in db.session.scalars(select(Attendance).filter_by(meeting_id=past))
            )

    present = [people[0].id, people[2].id]
    assert post(client, url, {"present": present}).status_code == 303
    first = rows()
    assert first == sorted((p.id, p.id in present) for p in people)
    assert post(client, url, {"present": present}).status_code == 303
    assert rows() == first  # the same answers twice: the same rows
    # The page shows what was saved; a change replaces it.
    page = client.get(url).get_data(as_text=True)
    assert len(re.findall(r'name="present"[^>]*checked', page)) == 2
    assert post(client, url, {"present": [people[1].id]}).status_code == 303
    assert rows() == sorted((p.id, p is people[1]) for p in people)
    with app.app_context():
        audited = db.session.scalar(
            select(func.count()).where(AuditEntry.action == "boards.attendance_recorded")
        )
    assert audited == 3


def test_attendance_waits_for_the_meeting_and_takes_only_members(app, client, make_user, signed_in):
    member = make_user(roles={Role.BOARD})
    stranger = make_user(roles={Role.BOARD})
    board = make_board(app, members=[(member, False)])
    signed_in(Role.MANAGER)
    future = f"/boards/{board['board']}/meetings/{board['meetings'][1]}/attendance"
    response = post(client, future, {"present": [member.id]})
    assert response.status_code == 200
    assert "once the meeting has taken place" in response.get_data(as_text=True)
    past = f"/boards/{board['board']}/meetings/{board['meetings'][0]}/attendance"
    response = post(client, past, {"present": [stranger.id]})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_manager_adds_a_meeting_in_local_time(app, client, signed_in, pin_today):
    pin_today(date(2029, 1, 15))  # the typed date is in a few years' time
    board = make_board(app, meetings=())
    signed_in(Role.MANAGER)
    url = f"/boards/{board['board']}/meetings/new"
    response = post(client, url, {"date": "2031-07-15", "time": "10.30", "place": "Town Hall"})
    assert response.status_code == 303
    with app.app_context():
        meeting = db.session.scalar(select(BoardMeeting).filter_by(board_id=board["board"]))
        # 10:30 in London in summer is 09:30 UTC.
        assert meeting.starts_at == datetime(2031, 7, 15, 9, 30, tzinfo=UTC)
        assert meeting.place == "Town Hall"
        assert db.session.scalar(select(AuditEntry).filter_by(action="boards.meeting_added"))


def test_a_meeting_with_mistakes_keeps_what_was_typed(app, client, signed_in, pin_today):
    pin_today(date(2029, 1, 15))  # the typed date is in a few years' time
    board = make_board(app, meetings=())
    signed_in(Role.MANAGER)
    url = f"/boards/{board['board']}/meetings/new"
    response = post(client, url, {"date": "2031-07-15", "time": "half ten", "place": "Library"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'value="half ten"' in page and 'value="Library"' in page
    assert "Enter a time on the 24-hour clock" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoardMeeting)) == 0


def test_a_manager_adds_and_removes_members(app, client, make_user, signed_in):
    peer = make_user("aisha", roles={Role.PEER}, preferred_name="Aisha")
    officer = make_user("officer", roles={Role.BOARD}, preferred_name="Olu")
    board = make_board(app, meetings=())
    signed_in(Role.MANAGER)
    url = f"/boards/{board['board']}/members"
    # A peer needs an expert-by-experience seat: a kind error, and the role is kept.
    response = post(client, url, {"person": str(peer.id), "role": "Vice-chair"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not a board member" in page and 'value="Vice-chair"' in page
    response = post(
        client, url, {"person": str(peer.id), "role": "Vice-chair", "expert_by_experience": "y"}
    )
    assert response.status_code == 303
    # An officer cannot take a lived experience seat, but can take an ordinary one.
    response = post(client, url, {"person": str(officer.id), "expert_by_experience": "y"})
    assert "seat is for a peer" in response.get_data(as_text=True)
    assert post(client, url, {"person": str(officer.id), "role": "Chair"}).status_code == 303
    with app.app_context():
        seats = {
            m.user_id: (m.role, m.expert_by_experience)
            for m in db.session.scalars(select(BoardMember).filter_by(board_id=board["board"]))
        }
        member_id = db.session.scalar(select(BoardMember.id).filter_by(user_id=officer.id))
    assert seats == {peer.id: ("Vice-chair", True), officer.id: ("Chair", False)}
    # Someone already on the board is no longer offered.
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{peer.id}"' not in page
    response = post(client, f"{url}/{member_id}/remove", {}, form_url=url)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(BoardMember, member_id) is None
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"boards.member_added", "boards.member_removed"} <= actions
    # Without the form's token nothing changes.
    assert client.post(f"{url}/{member_id}/remove").status_code in (400, 404)


# --- who may do what --------------------------------------------------------------------------

VIEW = [
    "/boards",
    "/boards/{board}",
    "/boards/{board}/agenda?meeting={meeting}",
    "/boards/{board}/meetings",
    "/boards/{board}/meetings?when=upcoming",
    "/boards/{board}/decisions?meeting={meeting}",
]
MANAGE = [
    "/boards/{board}/meetings/new",
    "/boards/{board}/meetings/{meeting}/attendance",
    "/boards/{board}/members",
]
SEES = {Role.BOARD, Role.MANAGER, Role.ADMIN}
RUNS = {Role.MANAGER, Role.ADMIN}


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "visitor")
def test_board_pages_answer_each_role_as_designed(app, client, make_user, role):
    board = make_board(app)
    if role is not None:
        make_user("me", roles={role})

        assert sign_in(client, "me").status_code == 303
    for template, allowed in [(u, SEES) for u in VIEW] + [(u, RUNS) for u in MANAGE]:
        url = template.format(board=board["board"], meeting=board["meetings"][0])
        status = client.get(url).status_code
        if role is None:
            assert status == 302, url
        else:
            assert status == (200 if role in allowed else 403), (role, url, status)
    # Changes are refused too, before anything is read from the form.
    if role is not None and role not in RUNS:
        response = client.post(f"/boards/{board['board']}/meetings/new", data={})
        assert response.status_code in (400, 403)  # no token: CSRF answers first
    # No such board, or a meeting of another board: 404 for those who may look.
    if role in SEES:
        assert client.get("/boards/999999").status_code == 404
        assert client.get("/boards/999999/agenda").status_code == 404
        assert client.get("/boards/999999/decisions").status_code == 404
        other = make_board(app, level=Level.STRATEGIC)
        url = f"/boards/{board['board']}/decisions?meeting={other['meetings'][0]}"
        assert client.get(url).status_code == 404
    if role in RUNS:  # every role that runs boards sees them: ``other`` is made above
        url = f"/boards/{board['board']}/meetings/{other['meetings'][0]}/attendance"
        assert client.get(url).status_code == 404


# --- bounded queries --------------------------------------------------------------------------


def _seed_items(app, start: int, count: int, owners: list[User], orgs: list[int]) -> None:
    today = utcnow().date()
    states = [State.TRIAGED, State.ACTION_PLANNED, State.IN_PROGRESS, State.ESCALATED]
    with app.app_context():
        for n in range(start, start + count):
            make_item(
                title=f"Item {n}",
                state=states[n % len(states)].value,
                owner_id=owners[n % len(owners)].id,
                owner_organisation_id=orgs[n % len(orgs)],
                target_date=today + timedelta(days=(n % 40) - 10),
                triaged_at=utcnow() - timedelta(days=n % 30),
                supporter_count=n % 4,
            )
        db.session.commit()


def _seed_meetings(app, board_id: int, past: int, upcoming: int, attendee_ids: list[int]) -> None:
    """``past`` meetings held (each with attendance taken and a decision) and ``upcoming``
    meetings planned, further from now than the fixture's own."""
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        item_id = make_item(title="Decided often").id
        for n in range(past):
            meeting = BoardMeeting(board_id=board_id, starts_at=now - timedelta(days=100 + n))
            db.session.add(meeting)
            db.session.flush()
            db.session.add_all(
                Attendance(meeting_id=meeting.id, user_id=u, attended=i % 2 == 0)
                for i, u in enumerate(attendee_ids)
            )
            db.session.add(Decision(item_id=item_id, meeting_id=meeting.id, text="Held over."))
        for n in range(upcoming):
            db.session.add(BoardMeeting(board_id=board_id, starts_at=now + timedelta(days=60 + n)))
        db.session.commit()


def test_the_board_page_makes_the_same_queries_for_20_and_60_of_everything(
    app, client, make_user, signed_in
):
    """Items, meetings held, meetings planned and decisions, 20 then 60: the board's page and
    its meetings and decisions pages run the same statements, and every bounded list on the
    board's page says exactly how many more there are and links to them."""
    owners = [make_user(roles={Role.BOARD}) for _ in range(4)]
    board = make_board(app, members=[(o, i % 2 == 0) for i, o in enumerate(owners)])
    board_id = board["board"]
    with app.app_context():
        orgs = [Organisation(name=f"Org {n}") for n in range(3)]
        db.session.add_all(orgs)
        db.session.flush()
        org_ids = [o.id for o in orgs]
        for meeting_id in board["meetings"][:1]:
            db.session.add_all(
                Attendance(meeting_id=meeting_id, user_id=o.id, attended=True) for o in owners
            )
        db.session.commit()
    signed_in(Role.BOARD)
    _seed_items(app, 0, 20, owners, org_ids)
    _seed_meetings(app, board_id, 20, 20, [o.id for o in owners])
    urls = [
        f"/boards/{board_id}",
        f"/boards/{board_id}/agenda",
        "/boards",
        f"/boards/{board_id}/meetings",
        f"/boards/{board_id}/meetings?when=upcoming",
        f"/boards/{board_id}/decisions",
    ]
    for url in urls:
        client.get(url)  # warm up anything loaded once per process
    small = {url: count_queries(app, client, url) for url in urls}
    _seed_items(app, 20, 40, owners, org_ids)
    _seed_meetings(app, board_id, 40, 40, [o.id for o in owners])
    with app.app_context():
        item_ids = db.session.scalars(select(Item.id).where(Item.title.like("Item %"))).all()
        db.session.add_all(
            Decision(item_id=i, meeting_id=board["meetings"][0], text="Agreed.") for i in item_ids
        )
        for n in range(board_services.LISTED):  # past the bound of one heading
            make_item(title=f"Escalated {n}", state=State.ESCALATED.value)
        totals = board_services.build_agenda(
            db.session.get(Board, board_id),
            sorted(
                db.session.scalars(select(BoardMeeting).where(BoardMeeting.board_id == board_id)),
                key=lambda m: m.starts_at,
            ),
            db.session.get(BoardMeeting, board["meetings"][1]),
            utcnow(),
        ).totals
        db.session.commit()
    large = {url: count_queries(app, client, url) for url in urls}
    assert large == small
    page = client.get(urls[0]).get_data(as_text=True)
    # Meetings: the 5 soonest of 62 to come; the latest 10 of 61 held, with attendance across
    # all of them (the fixture's meeting, all came; 60 seeded, half came: 244 recorded).
    assert "And 57 more: see" in page
    assert f'href="/boards/{board_id}/meetings?when=upcoming">every meeting coming up</a>' in page
    assert "The board has held 61 meetings. The latest 10 are below." in page
    assert "And 51 more: see" in page
    assert f'href="/boards/{board_id}/meetings">every past meeting</a>' in page
    assert f"Attendance across past meetings: {round(100 * 124 / 244)}%" in page
    # Decisions: the latest meeting's 60 come first; 20 listed of 120.
    assert page.count("Agreed.") == 20 and "Held over." not in page
    assert "120 decisions have been recorded. The latest 20 are below." in page
    assert "And 100 more: see" in page
    assert f'href="/boards/{board_id}/decisions">every decision the board has made</a>' in page
    # The agenda: at most LISTED under each heading, each heading's count exact.
    for key, total in totals.items():
        section = page.split(f'id="agenda-{key}"', 1)[1].split("</h3>", 1)[0]
        assert f"({total})" in section
    assert any(total > board_services.LISTED for total in totals.values())
    more = [t - board_services.LISTED for t in totals.values() if t > board_services.LISTED]
    assert all(f"And {n} more: see" in page for n in more)
    # The pages with them all: a page at a time, the count exact.
    meetings = client.get(urls[3]).get_data(as_text=True)
    assert "The board has held 61 meetings." in meetings and "Page 1 of 3" in meetings
    upcoming = client.get(urls[4]).get_data(as_text=True)
    assert "62 meetings are planned, the soonest first." in upcoming
    decisions = client.get(urls[5]).get_data(as_text=True)
    assert "120 decisions have been recorded." in decisions and "Page 1 of 5" in decisions
    assert decisions.count("Agreed.") == 25
    last = client.get(f"{urls[5]}?page=5").get_data(as_text=True)
    assert last.count("Held over.") == 20
