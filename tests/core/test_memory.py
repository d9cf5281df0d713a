"""A worker carries only what its pages use: heavy libraries (pandas, numpy, spreadsheet and
PDF writers, Alembic) load where they are used, so a worker that serves the key pages of every
domain, and never an export, never loads them. Each would otherwise sit in the memory of every
gunicorn worker (pandas and numpy alone are about 45 MiB; bench/memory.py measures it).

Checked in a fresh Python process built as ``engage serve`` builds the app, because this test
process has loaded everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.servers import ROOT, engage_env, run_engage, scratch_database

#: Libraries no key page may load, and why each is heavy.
HEAVY = {
    "pandas": "payment-run and survey exports only",
    "numpy": "comes with pandas",
    "xlsxwriter": "spreadsheet downloads only",
    "weasyprint": "PDF downloads only",
    "icalendar": "calendar files only",
    "segno": "setting up two-step sign in only",
    "PIL": "opening an uploaded picture only",
    "alembic": "migrations, never a request",
    "flask_migrate": "migrations, never a request",
}

#: Builds the app as ``engage serve`` does, signs in as each role, opens the key page of every
#: domain, and prints what answered and which heavy modules are loaded.
SCRIPT = r"""
import json, re, sys
from sqlalchemy import func, select
from engage import create_app, serving

with serving():
    app = create_app()

from engage.changes.models import Board
from engage.extensions import db
from engage.forums.models import Invitation, Meeting
from engage.people.models import User
from engage.surveys.models import RoundState, SurveyRound, Tally

with app.app_context():
    peer = db.session.scalar(select(User.id).where(User.username == "peer"))
    mine = select(Invitation.meeting_id).where(Invitation.user_id == peer)
    meeting = db.session.scalars(select(Meeting).where(Meeting.id.in_(mine))).first()
    round_id = db.session.scalar(
        select(SurveyRound.id)
        .join(Tally, Tally.round_id == SurveyRound.id)
        .where(SurveyRound.state.in_([RoundState.CLOSED.value, RoundState.SHARED.value]))
        .group_by(SurveyRound.id)
        .order_by(func.count().desc())
    )
    board = db.session.scalar(select(Board.id).order_by(Board.id))
    db.session.remove()

pages = [
    ("peer", "/"), ("peer", "/me"), ("peer", f"/meetings/{meeting.id}"),
    ("peer", f"/forums/{meeting.forum_id}"), ("peer", "/register"), ("peer", "/me/payments"),
    ("peer", "/surveys"),
    ("manager", "/"), ("manager", "/register"), ("manager", f"/meetings/{meeting.id}"),
    ("manager", "/claims"), ("manager", "/dashboard"),
    ("manager", f"/surveys/{round_id}/results"), ("manager", "/applications"),
    ("manager", "/people"), ("manager", f"/people/{peer}"), ("manager", "/fund"),
    ("finance", "/payments"), ("finance", "/claims"),
    ("board", f"/boards/{board}"), ("partner", "/requests"),
]
answers = {}
clients = {}
for who in ("peer", "manager", "finance", "board", "partner"):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    answer = client.post(
        "/login", data={"login": who, "password": "engage-demo", "csrf_token": token}
    )
    answers[f"POST /login as {who}"] = answer.status_code
    clients[who] = client
for who, path in pages:
    answers[f"{path} as {who}"] = clients[who].get(path).status_code
print(json.dumps({"answers": answers, "loaded": sorted(set(sys.modules) & set(HEAVY))}))
"""


@pytest.fixture(autouse=True)
def _rollback():
    """Replace the shared rolled-back session (tests/conftest.py): the demo has its own."""
    yield


def test_the_key_pages_load_no_heavy_library(tmp_path):
    with scratch_database(tmp_path, "test_memory") as url:
        env = engage_env(tmp_path, url)
        run_engage(env, "demo", "--peers", "3")
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", f"HEAVY = {sorted(HEAVY)!r}\n" + SCRIPT],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert {
        page: status
        for page, status in found["answers"].items()
        if status != (303 if page.startswith("POST") else 200)
    } == {}
    assert {name: HEAVY[name] for name in found["loaded"]} == {}


def test_the_pdf_check_does_not_load_weasyprint_into_the_server():
    """``engage serve`` runs the production checks in the process that forks the workers."""
    script = (
        "import sys\n"
        "from engage import checks\n"
        "print(checks._weasyprint_error(), 'weasyprint' in sys.modules)\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["None", "False"]
