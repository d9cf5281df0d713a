"""How fast are a survey round's results with 100,000 responses to 15 counted questions, how
much memory does a worker need for them, and does the number of SQL queries stay the same as
the round grows?

    .venv/bin/python bench/surveys.py [--responses 100000] [--first-step 1000]
        [--earlier 0.2 0.4] [--text-share 0.3] [--requests 20] [--page-budget 40]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_surveys]
        [--scratch-database engage_bench_surveys] [--explain] [--show-queries]

Steps (see bench/README.md, "surveys.py"):

1. A scratch database, as ``bench/home_profile.py`` makes it: SQLite in a temporary folder, or
   with ``--database-url`` a database ``--scratch-database`` (``engage_bench_surveys``, so that
   it never meets another bench's) created and dropped again on that PostgreSQL server on
   127.0.0.1. Then the migrations.
2. ``engage.demo.seed(extra_peers=20)``: the named accounts (password ``engage-demo``), the
   forums and the demo's own survey rounds. Then a 15-question definition built here (a
   pydantic ``Definition``: 10 agree, 2 single, 2 multiple, 1 number, and 1 free-text
   question) and three rounds of it made through ``services.create_round``: two earlier ones,
   closed (one with its results shared), and the round measured, closed two days ago.
3. In two steps (``--first-step`` responses, then ``--responses``) the round measured gets its
   responses, and the earlier rounds theirs (``--earlier``: their size as a share of it), with
   ``survey_response`` rows (random uuid hex ids, forums and equality groups with a skew, some
   blanks, a few deliberately tiny groups) and their ``survey_answer`` rows: one per counted
   question answered and, for ``--text-share`` of the responses, a free-text answer. Bulk
   inserts: psycopg ``COPY`` on PostgreSQL, SQLAlchemy Core ``insert()`` executemany on
   SQLite. On PostgreSQL ``VACUUM (ANALYZE)`` after each step: what autovacuum does after
   inserts like these (even where it is switched off, as on the bench machine).
4. After each step an in-process ``app.test_client()`` signs in as ``manager`` and ``board``
   and counts each page's SQL statements; the counts of both steps must be equal. Then each
   page in-process: the median of the whole request and of its time in ``cursor.execute``.
5. At full size, in-process: the results page's parts called one by one (the grouped counts,
   the questions, the breakdowns, the trend, the response counts, the first and the last page
   of the free text). With ``--explain`` the plans of each page's three slowest SELECTs
   (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite).
6. ``engage --app bench.wsgi_app:create_app() serve`` (gunicorn, 2 sync workers) on 127.0.0.1,
   sign in over HTTP (stdlib ``http.client``), then ``--requests`` sequential requests of each
   page after 2 warm-up requests, and 300 of the ceiling (the bytes of the manager's results
   page). Each page is served by fresh workers (SIGHUP to gunicorn), and the larger worker's
   ``VmHWM`` after its requests is the page's peak memory. Then fresh workers serve every
   page 3 times in turn, and each worker's ``VmHWM`` is the peak of mixed use.
7. A table, then gunicorn stopped and everything removed.

Only 127.0.0.1 is contacted (a ``--database-url`` for another host is refused).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    Client,
    Database,
    Page,
    Timing,
    fetch_ok,
    growth,
    normalise,
    scratch_site,
    sign_in,
)
from bench.payments import (  # noqa: E402
    Statement,
    count_queries,
    explain,
    in_process_clients,
    page_query,
    recording,
)
from bench.register import timed  # noqa: E402

SCRATCH_DB = "engage_bench_surveys"
DEMO_EXTRA_PEERS = 20
SLUG = "bench-results"
CHUNK = 10_000  # responses generated and inserted at a time
CEILING = Page("/bench/ceiling", "anonymous", "/bench/ceiling")
TARGET_MS = 1000.0  # the limit for a round of 100,000 responses

# ---------------------------------------------------------------------------------------------
# The definition: 15 counted questions (10 agree, 2 single, 2 multiple, 1 number), 1 free text

AGREE = [
    ("feel_heard", "I feel heard and listened to.", True),
    ("views_valued", "My views are valued.", True),
    ("makes_a_difference", "My involvement makes a difference.", True),
    ("feel_informed", "I am told what happened to what I raised.", True),
    ("inclusive", "The environment is welcoming and inclusive.", True),
    ("fits_my_needs", "Taking part fits my needs, such as access, times and payment.", True),
    ("treated_with_respect", "Staff treat me with respect.", True),
    ("in_control", "I feel in control of the support I get.", True),
    ("easy_to_reach", "Services are easy to reach when I need them.", False),
    ("would_recommend", "I would tell a friend to get involved.", False),
]
SERVICES = ["housing", "health", "drugs_alcohol", "mental_health", "justice", "other"]
HELPED = ["key_worker", "peer_support", "drop_in", "phone_line", "online", "nothing"]
BARRIERS = ["no_address", "no_id", "no_phone", "opening_hours", "transport"]


def _options(ids: list[str]) -> list[dict]:
    return [{"id": i, "text": {"en": i.replace("_", " ").capitalize()}} for i in ids]


def bench_definition():
    """The survey measured: built here, because the shipped definitions ask 7 questions."""
    from engage.surveys.definitions import Definition

    questions: list[dict] = []
    for qid, text, measured in AGREE:
        question = {"id": qid, "type": "agree", "text": {"en": text}}
        if measured:
            question["measure"] = qid
        questions.append(question)
    questions += [
        {
            "id": "told_story_once",
            "type": "single",
            "text": {"en": "Did you only have to tell your story once?"},
            "options": _options(["yes", "no", "not_sure"]),
            "measure": "told_story_once",
            "counts": ["yes"],
        },
        {
            "id": "main_service",
            "type": "single",
            "text": {"en": "Which service did you use most?"},
            "options": _options(SERVICES),
            "required": False,
        },
        {
            "id": "what_helped",
            "type": "multiple",
            "text": {"en": "What helped you?"},
            "options": _options(HELPED),
            "measure": "felt_supported",
            "counts": ["key_worker", "peer_support"],
        },
        {
            "id": "barriers",
            "type": "multiple",
            "text": {"en": "What got in the way?"},
            "options": _options(BARRIERS),
            "required": False,
        },
        {
            "id": "services_used",
            "type": "number",
            "text": {"en": "How many services did you use in the last six months?"},
            "min": 0,
            "max": 20,
            "required": False,
        },
        {
            "id": "what_should_change",
            "type": "text",
            "text": {"en": "What should change?"},
            "required": False,
        },
    ]
    return Definition.model_validate(
        {
            "slug": SLUG,
            "version": 1,
            "title": {"en": "Bench results survey"},
            "introduction": {"en": "Fifteen questions and one in your own words."},
            "anonymous": True,
            "results_shared": {"en": "At the forum within six weeks."},
            "questions": questions,
        }
    )


class Weighted:
    """A weighted choice with its cumulative weights worked out once (called ~10^6 times)."""

    def __init__(self, weights: dict) -> None:
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def __call__(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


#: Equality groups copied onto responses: a skew, blanks ("" = not answered), and tiny groups.
GENDER = Weighted({"woman": 40, "man": 45, "non-binary": 1.5, "prefer-not": 3, "": 10.5})
ETHNICITY = Weighted({"white": 70, "black": 8, "asian": 6, "mixed": 4, "prefer-not": 3, "": 9})
AGE_BAND = Weighted({
    "18-24": 8, "25-34": 24, "35-44": 27, "45-54": 21, "55-64": 10, "65+": 2,
    "prefer-not": 2, "": 6,
})  # fmt: skip
DISABILITY = Weighted({"yes": 45, "no": 35, "prefer-not": 5, "": 15})
ORIENTATION = Weighted(
    {"heterosexual": 72, "gay-lesbian": 4, "bisexual": 4, "other": 1, "prefer-not": 6, "": 13}
)
#: The equality columns a response copies (those the table has are filled).
EQUALITY = {
    "gender": GENDER,
    "ethnicity": ETHNICITY,
    "age_band": AGE_BAND,
    "disability": DISABILITY,
    "sexual_orientation": ORIENTATION,
}
#: Groups kept tiny on purpose (in the round measured only, whatever its size): results must
#: hide them, and hide the next smallest group too.
RARE = {"gender": ("other", 3), "ethnicity": ("other", 2), "forum_id": (None, 4)}
PAPER_SHARE = 0.03  # typed in from paper: no groups at all
WORDS = [
    "Being paid on the day made a real difference to me.",
    "Meetings in the evening would help people who work.",
    "I still had to tell my story three times at the housing office.",
    "More notice of meetings please, I need to plan my travel.",
    "The forum listens but I never hear what happened next.",
    "Having a quiet room at the meetings really helps.",
    "The GP receptionist turned me away because I had no address.",
    "I would like training so I can sit on interview panels.",
    "My key worker changed four times this year and each time I started again.",
    "The letters are too long and I do not understand what they want from me.",
    "Please answer the phone line after 5pm, that is when things go wrong.",
    "It was the peer mentor who got me through the door, not the leaflet.",
]


@dataclass
class BenchRound:
    id: int
    title: str
    share: float  # its size as a share of the round measured
    lean: float  # how well things are going (0 to 1): the trend rises
    opens: dt.date
    closes: dt.date
    responses: int = 0
    answers: int = 0
    texts: int = 0


# ---------------------------------------------------------------------------------------------
# Seeding


class SurveySeeder:
    """The demo, the bench definition and its rounds, then responses and answers in steps."""

    def __init__(self, app, earlier: list[float], text_share: float) -> None:
        self.app = app
        self.earlier = earlier
        self.text_share = text_share
        self.rng = random.Random(2026)
        self.definition = None
        self.rounds: list[BenchRound] = []  # oldest first; the last is the one measured
        self.manager = 0
        self.forums: Weighted | None = None
        self.forum_effect: dict[int | None, float] = {}
        self.rare_forum: int | None = None
        self.rows = Counter()

    @property
    def measured(self) -> BenchRound:
        return self.rounds[-1]

    def base(self) -> None:
        from sqlalchemy import select

        from engage import demo
        from engage.core import dates
        from engage.core.demo import happened_at, local_moment
        from engage.extensions import db
        from engage.forums.models import Forum
        from engage.people.models import User
        from engage.surveys import services
        from engage.surveys.models import Audience

        self.definition = bench_definition()
        with self.app.test_request_context():
            demo.seed(extra_peers=DEMO_EXTRA_PEERS)
            db.session.commit()
            manager = db.session.scalar(select(User).where(User.username == "manager"))
            self.manager = manager.id
            forum_ids = sorted(db.session.scalars(select(Forum.id)))
            # A long tail over the forums, the last kept tiny (RARE), and "not in a forum".
            *common, self.rare_forum = forum_ids
            weights = {f: 40 / (i + 1) for i, f in enumerate(common)} | {None: 15}
            self.forums = Weighted(weights)
            self.forum_effect = {f: self.rng.uniform(-0.08, 0.08) for f in weights}
            self.forum_effect[self.rare_forum] = 0.0
            today = dates.local_today()
            year = today.year
            plans = [
                (f"Bench results, winter {year - 1}", 400, self.earlier[0], 0.45, "share"),
                (f"Bench results, summer {year}", 220, self.earlier[1], 0.55, "close"),
                (f"Bench results, winter {year}", 40, 1.0, 0.62, "close"),
            ]
            for title, opened, share, lean, finish in plans:
                opens_at = local_moment(today - timedelta(days=opened), 9)
                closes_at = opens_at + timedelta(days=38)
                with happened_at(opens_at):
                    round_ = services.create_round(
                        manager,
                        self.definition,
                        title=title,
                        audience=Audience.ALL_PEERS,
                        opens_at=opens_at,
                        closes_at=closes_at,
                    )
                with happened_at(closes_at):
                    services.close_round(None, round_)
                if finish == "share":
                    with happened_at(closes_at + timedelta(days=14)):
                        services.share_results(manager, round_)
                self.rounds.append(
                    BenchRound(
                        id=round_.id,
                        title=title,
                        share=share,
                        lean=lean,
                        opens=opens_at.date(),
                        closes=closes_at.date() - timedelta(days=1),
                    )
                )
            db.session.commit()
            db.session.remove()

    # -- responses and answers -----------------------------------------------------------------

    def grow_to(self, measured: int) -> None:
        """Add responses until the round measured has ``measured`` and each earlier round its
        share of that, then VACUUM (ANALYZE) on PostgreSQL."""
        from engage.extensions import db

        with self.app.app_context():
            engine = db.engine
        for round_ in self.rounds:
            target = round(measured * round_.share)
            while round_.responses < target:
                n = min(CHUNK, target - round_.responses)
                responses, answers = self._chunk(round_, n)
                self._insert(engine, responses, answers)
                round_.responses += n
        _rebuild_tallies(engine)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in ("survey_response", "survey_answer", "survey_tally"):
                    connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        with self.app.app_context():
            db.session.remove()

    def _chunk(self, round_: BenchRound, n: int) -> tuple[list[dict], list[tuple]]:
        """``n`` responses to ``round_`` (dicts: the columns made here, the rest get their
        defaults in ``_insert``) and their answers (tuples in ``ANSWER_COLUMNS`` order)."""
        rng = self.rng
        definition = self.definition
        days = (round_.closes - round_.opens).days
        groups = {name: weights for name, weights in EQUALITY.items() if name in self.columns}
        responses, answers = [], []
        rare: list[tuple[str, object]] = []
        if round_ is self.measured and round_.responses == 0:
            for column, (value, count) in RARE.items():
                rare += [(column, self.rare_forum if column == "forum_id" else value)] * count
        for i in range(n):
            response = {
                "id": f"{rng.getrandbits(128):032x}",
                "round_id": round_.id,
                "user_id": None,  # anonymous: no person
                "definition_version": definition.version,
                "submitted_on": round_.opens
                + timedelta(days=min(int(rng.expovariate(1 / 6)), days)),
                "on_paper": i >= len(rare) and rng.random() < PAPER_SHARE,
                "forum_id": None,
            }
            if response["on_paper"]:  # typed in from paper: no person, so no groups
                response["entered_by_id"] = self.manager
            else:
                response["forum_id"] = self.forums(rng)
                for name, weights in groups.items():
                    response[name] = weights(rng)
            if i < len(rare):
                column, value = rare[i]
                response[column] = value
            responses.append(response)
            lean = round_.lean + self.forum_effect[response["forum_id"]] + rng.gauss(0, 0.12)
            for question in definition.questions:
                row = self._answer(question, lean)
                if row is None:
                    continue
                value, number, text = row
                answers.append((response["id"], round_.id, question.id, value, number, text))
                round_.answers += 1
                round_.texts += text is not None
        return responses, answers

    def _answer(self, question, lean: float) -> tuple[str | None, int | None, str | None] | None:
        """(value, number, text) as ``services._store`` writes them, or None: not answered."""
        rng = self.rng
        kind = question.type
        if kind == "text":
            if rng.random() >= self.text_share:
                return None
            return None, None, " ".join(rng.sample(WORDS, k=rng.choice((1, 1, 2, 3))))
        if not question.required and rng.random() < 0.08:
            return None
        if kind == "agree":
            if rng.random() < 0.06:
                return "prefer_not", None, None
            score = 1 + lean * 4 + rng.uniform(-1.6, 1.2)
            return str(min(5, max(1, round(score)))), None, None
        if kind == "single":
            options = [o.id for o in question.options]
            weights = [0.3 + lean] + [1.0] * (len(options) - 1)
            return rng.choices(options, weights)[0], None, None
        if kind == "multiple":
            options = [o.id for o in question.options]
            chosen = rng.sample(options, k=rng.choice((1, 1, 2, 2, 3)))
            return ",".join(sorted(chosen)), None, None
        number = min(question.max, int(rng.expovariate(1 / 3)))
        return str(number), number, None

    ANSWER_COLUMNS = ("response_id", "round_id", "question_id", "value", "number", "text")

    @property
    def columns(self) -> dict[str, object]:
        """``survey_response``'s columns and the value each gets when not made here: its
        scalar default ("" for the group columns), else NULL."""
        from engage.surveys.models import Response

        return {
            column.name: column.default.arg
            if column.default is not None and column.default.is_scalar
            else None
            for column in Response.__table__.columns
        }

    def _insert(self, engine, responses: list[dict], answers: list[tuple]) -> None:
        """psycopg COPY on PostgreSQL; SQLAlchemy Core insert() executemany on SQLite."""
        from sqlalchemy import insert

        from engage.surveys.models import Answer, Response

        defaults = self.columns
        rows = [defaults | response for response in responses]
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                cursor = connection.connection.driver_connection.cursor()
                names = list(defaults)
                with cursor.copy(f"COPY survey_response ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in names])
                names = self.ANSWER_COLUMNS
                with cursor.copy(f"COPY survey_answer ({', '.join(names)}) FROM STDIN") as copy:
                    for answer in answers:
                        copy.write_row(answer)
                cursor.close()
            else:
                connection.execute(insert(Response.__table__), rows)
                connection.execute(
                    insert(Answer.__table__),
                    [dict(zip(self.ANSWER_COLUMNS, a, strict=True)) for a in answers],
                )
        self.rows.update(survey_response=len(responses), survey_answer=len(answers))

    def check(self) -> dict[str, object]:
        """Rows per round, checked against what was generated."""
        from sqlalchemy import func, select

        from engage.extensions import db
        from engage.surveys.models import Answer, Response

        sizes: dict[str, object] = {}
        with self.app.app_context():
            for round_ in self.rounds:
                responses = db.session.scalar(
                    select(func.count()).select_from(Response).where(Response.round_id == round_.id)
                )
                answers = db.session.scalar(
                    select(func.count()).select_from(Answer).where(Answer.round_id == round_.id)
                )
                if (responses, answers) != (round_.responses, round_.answers):
                    raise RuntimeError(
                        f"round {round_.id}: {responses} responses and {answers} answers stored, "
                        f"{round_.responses} and {round_.answers} made"
                    )
                sizes[round_.title] = (
                    f"{responses:,} responses, {answers:,} answers ({round_.texts:,} free text)"
                )
            groups = {}
            for column in ("gender", "ethnicity", "forum_id"):
                col = getattr(Response, column)
                groups[column] = {
                    key: n
                    for key, n in db.session.execute(
                        select(col, func.count())
                        .where(Response.round_id == self.measured.id)
                        .group_by(col)
                    )
                }
            db.session.remove()
        sizes["groups"] = groups
        return sizes


# ---------------------------------------------------------------------------------------------
# Pages


def free_text_pages(texts: int) -> int:
    """How many pages the free text fills on the results page (at least 1)."""
    from engage.surveys.results_routes import FREE_TEXT_PAGE

    return max(-(-texts // FREE_TEXT_PAGE), 1)


def pages(round_id: int, last_page: int) -> list[Page]:
    results = f"/surveys/{round_id}/results"
    return [
        Page("/surveys/<id>/results", "manager", results),
        Page("/surveys/<id>/results?by=gender", "manager", results + "?by=gender"),
        Page("/surveys/<id>/results?by=forum", "manager", results + "?by=forum"),
        # The last page of the free text: the deepest OFFSET.
        Page("/surveys/<id>/results?page=<last>", "manager", f"{results}?page={last_page}"),
        Page("/surveys/<id>/results.csv", "manager", results + ".csv"),
        Page("/surveys/<id>/results.xlsx", "manager", results + ".xlsx"),
        # A board member sees the same results without the free text (managers only).
        Page("/surveys/<id>/results", "board", results),
    ]


# ---------------------------------------------------------------------------------------------
# In-process: each page's time and SQL time, the results page split, the free text


@dataclass
class PageProfile:
    page_ms: float
    sql_ms: float
    statements: list[Statement] = field(default_factory=list)


def profile_pages(app, page_list: list[Page], repeats: int) -> dict[tuple[str, str], PageProfile]:
    """Each page in-process (test_client): the median of the whole request and of its SQL
    time (in ``cursor.execute``), after one warm-up request."""
    clients = in_process_clients(app, {p.who for p in page_list})
    result = {}
    for page in page_list:
        client = clients[page.who]
        client.get(page.path)
        whole, sql, last = [], [], []
        for _ in range(repeats):
            with recording(app) as statements:
                start = time.perf_counter()
                response = client.get(page.path)
                whole.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"{page.path} as {page.who} answered {response.status_code}")
            sql.append(sum(s.seconds for s in statements))
            last = list(statements)
        result[(page.label, page.who)] = PageProfile(
            statistics.median(whole) * 1000, statistics.median(sql) * 1000, last
        )
    return result


def median_ms(function, repeats: int) -> tuple[float, object]:
    values, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        values.append(time.perf_counter() - start)
    return statistics.median(values) * 1000, out


def split_results(app, round_id: int, repeats: int) -> dict[str, float]:
    """The parts of ``results_page`` called one by one (median ms), as the view calls them."""
    from engage.extensions import db
    from engage.surveys import results, services
    from engage.surveys.models import SurveyRound
    from engage.surveys.results_routes import FREE_TEXT_PAGE

    parts: dict[str, float] = {}
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        threshold = services.suppression_threshold()
        parts["answer_counts()"], counts = median_ms(lambda: results.answer_counts(round_), repeats)
        parts["answer_counts(by=gender)"], by_gender = median_ms(
            lambda: results.answer_counts(round_, "gender"), repeats
        )
        parts["answer_counts(by=forum)"], by_forum = median_ms(
            lambda: results.answer_counts(round_, "forum"), repeats
        )
        parts["question_results()"], _ = median_ms(
            lambda: results.question_results(round_, counts, "en", threshold), repeats
        )
        parts["breakdowns(gender)"], _ = median_ms(
            lambda: results.breakdowns(round_, by_gender, "gender", "en", threshold), repeats
        )
        parts["breakdowns(forum)"], _ = median_ms(
            lambda: results.breakdowns(round_, by_forum, "forum", "en", threshold), repeats
        )
        parts["trend()"], _ = median_ms(lambda: results.trend(round_, "en", threshold), repeats)
        parts["services.counts()"], _ = median_ms(lambda: services.counts(round_), repeats)

        last = free_text_pages(db.session.scalar(_texts(round_id)))
        for number, name in ((1, "free_text(page 1)"), (last, f"free_text(page {last}, the last)")):

            def free_text(number=number):
                # As a new request would: the round loaded afresh, no identity map to reuse.
                db.session.expunge_all()
                fresh = db.session.get(SurveyRound, round_id)
                return results.free_text(fresh, number, FREE_TEXT_PAGE)[0]

            parts[name], _ = median_ms(free_text, repeats)
        db.session.remove()
    return parts


def _rebuild_tallies(engine) -> None:
    """The tallies results read. engage adds to them as each response is stored (one upsert
    per response); the bench inserts responses in bulk, so it sums them once in SQL, which
    gives the same rows."""
    from engage.surveys.models import DIMENSIONS

    columns = {"forum": "CAST(r.forum_id AS VARCHAR(20))"}
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM survey_tally")
        for dimension in DIMENSIONS:
            group = "''" if dimension == "all" else columns.get(dimension, f"r.{dimension}")
            connection.exec_driver_sql(
                "INSERT INTO survey_tally "
                "(round_id, dimension, group_value, question_id, value, n) "
                f"SELECT a.round_id, '{dimension}', COALESCE({group}, ''), a.question_id, a.value, "
                "COUNT(*) FROM survey_answer a JOIN survey_response r ON r.id = a.response_id "
                f"WHERE a.value IS NOT NULL GROUP BY a.round_id, COALESCE({group}, ''), "
                "a.question_id, a.value"
            )


def _texts(round_id: int):
    """A count of the round's free-text answers."""
    from sqlalchemy import func, select

    from engage.surveys.models import Answer

    return (
        select(func.count())
        .select_from(Answer)
        .where(Answer.round_id == round_id, Answer.text.is_not(None))
    )


# ---------------------------------------------------------------------------------------------
# Behind gunicorn: each page's peak memory


def worker_pids(master_pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def memory_kib(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def fresh_workers(process: subprocess.Popen, port: int, workers: int = 2) -> list[int]:
    """Replace gunicorn's workers with new ones: SIGHUP to our own gunicorn master, which
    forks new workers from the app it already loaded and lets the old ones finish. A page's
    peak memory is then its own, not what an earlier page left in the worker's heap (CPython
    keeps freed memory for reuse rather than giving it back)."""
    old = set(worker_pids(process.pid))
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = worker_pids(process.pid)
        if len(pids) == workers and not old & set(pids):
            client = Client(port)
            try:
                status, _ = client.get("/healthz")
            except OSError:
                status = 0
            finally:
                client.close()
            if status == 200:
                return pids
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not replace its workers within 60 s")


@dataclass
class PageMemory:
    idle: int  # KiB, the larger fresh worker's RSS before the page's requests
    peak: int  # KiB, the larger worker's VmHWM after them


def timed_with_memory(
    process: subprocess.Popen, port: int, client: Client, path: str, n: int, budget: float
) -> tuple[Timing, PageMemory]:
    """The page in fresh workers: 2 warm-up requests, then up to ``n`` timed ones (or
    ``budget`` seconds), and the peak resident memory (VmHWM) of the larger worker."""
    pids = fresh_workers(process, port)
    idle = max(memory_kib(p).get("VmRSS", 0) for p in pids)
    timing = timed(client, path, n, 2, budget)
    pids = worker_pids(process.pid)  # a worker killed by the timeout is replaced
    peak = max((memory_kib(p).get("VmHWM", 0) for p in pids), default=0)
    return timing, PageMemory(idle, peak)


def mixed_peaks(
    process: subprocess.Popen, port: int, clients: dict[str, Client], page_list: list[Page]
) -> list[int]:
    """Fresh workers serve every page 3 times in turn, as a day's use would mix them: each
    worker's peak RSS (KiB) afterwards."""
    fresh_workers(process, port)
    for _ in range(3):
        for page in page_list:
            fetch_ok(clients[page.who], page.path)
    return [memory_kib(p).get("VmHWM", 0) for p in worker_pids(process.pid)]


# ---------------------------------------------------------------------------------------------
# Report


def report(
    app,
    args,
    database: Database,
    seeder: SurveySeeder,
    page_list: list[Page],
    timings: dict[tuple[str, str], Timing],
    memory: dict[tuple[str, str], PageMemory],
    queries: dict[int, dict[tuple[str, str], list[str]]],
    profiles: dict[int, dict[tuple[str, str], PageProfile]],
    parts: dict[str, float],
    sizes: dict,
    mixed: list[int],
    seconds: dict[str, float],
    load: list[float],
) -> bool:
    ceiling = timings[(CEILING.label, CEILING.who)].pct(0.5)
    steps = sorted(queries)
    print()
    print(
        f"engage surveys benchmark, {dt.date.today().isoformat()}: {database.label}, "
        f"gunicorn 2 sync workers, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} before / {load[1]:.1f} before timing / {load[-1]:.1f} after"
    )
    groups = sizes.pop("groups")
    for title, line in sizes.items():
        print(f"{title}: {line}")
    for column, counts in groups.items():
        shown = ", ".join(
            f"{'(blank)' if k in ('', None) else k} {v}"
            for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        print(f"measured round by {column}: {shown}")
    print(
        "planner statistics: "
        + ("VACUUM (ANALYZE) after each seeding step" if database.admin_url else "none (SQLite)")
    )
    print()
    header = ["page", "as", "n", "p50 ms", "p95 ms", "p50 / ceiling", "bytes"]
    header += ["worker RSS idle MB", "peak RSS MB"]
    header += [f"queries @{n}" for n in steps]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in [*page_list, CEILING]:
        t = timings[(page.label, page.who)]
        m = memory.get((page.label, page.who))
        row = [
            f"`{page.label}`",
            page.who,
            str(len(t.latencies)),
            f"{t.pct(0.5):.1f}",
            f"{t.pct(0.95):.1f}",
            f"{t.pct(0.5) / ceiling:.1f}x",
            str(t.size),
            f"{m.idle / 1024:.0f}" if m else "",
            f"{m.peak / 1024:.0f}" if m else "",
        ]
        row += [str(len(queries[n].get((page.label, page.who), []))) for n in steps]
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "peak RSS of the two workers after serving every page above 3 times in turn: "
        + ", ".join(f"{kib / 1024:.0f} MB" for kib in mixed)
    )
    results_p50 = timings[(page_list[0].label, page_list[0].who)].pct(0.5)
    verdict = "yes" if results_p50 <= TARGET_MS else "NO"
    print(
        f"manager's results page p50 {results_p50:.0f} ms at {steps[-1]:,} responses: "
        f"within {TARGET_MS:.0f} ms: {verdict}"
    )
    print()
    print("in-process (median; SQL = time in cursor.execute):")
    header = ["page", "as"]
    for n in steps:
        header += [f"page ms @{n}", f"SQL ms @{n}", f"slowest statement ms @{n}"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for page in page_list:
        row = [f"`{page.label}`", page.who]
        for n in steps:
            p = profiles[n][(page.label, page.who)]
            slowest = max((s.seconds for s in p.statements), default=0) * 1000
            row += [f"{p.page_ms:.1f}", f"{p.sql_ms:.1f}", f"{slowest:.1f}"]
        print("| " + " | ".join(row) + " |")
    print()
    print(f"the results page's parts at {steps[-1]:,} responses, in-process (median ms):")
    for name, value in parts.items():
        print(f"  {name}: {value:.1f}")
    if args.explain:
        last = profiles[steps[-1]]
        for page in page_list:
            p = last[(page.label, page.who)]
            selects = [s for s in p.statements if page_query(s.sql)]
            for statement in sorted(selects, key=lambda s: -s.seconds)[:3]:
                print(f"\n-- {page.label} as {page.who}: {statement.seconds * 1000:.1f} ms")
                print("   " + normalise(statement.sql)[:400])
                try:
                    for line in explain(app, statement):
                        print("   | " + line)
                except Exception as error:  # a plan we cannot get is reported, not fatal
                    print(f"   (no plan: {error})")
    print()
    print("timings (s): " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()))
    same = True
    for page in page_list:
        by_n = {n: queries[n][(page.label, page.who)] for n in steps}
        changes = growth(by_n)
        if len(by_n[steps[0]]) != len(by_n[steps[-1]]) or changes:
            same = False
            print(f"\nQUERY COUNT CHANGES with responses for {page.label} as {page.who}:")
            for line in changes:
                print("  " + line[:300])
    if same:
        print(
            f"query counts are the same at {' and '.join(f'{n:,}' for n in steps)} responses "
            "for every page"
        )
    if args.show_queries:
        for page in page_list:
            print(f"\n-- {page.label} as {page.who} @{steps[-1]}:")
            for statement in queries[steps[-1]][(page.label, page.who)]:
                print("   " + normalise(statement)[:300])
    return same


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--responses", type=int, default=100_000, help="responses to the round measured"
    )
    parser.add_argument(
        "--first-step", type=int, default=1000, help="responses when queries are first counted"
    )
    parser.add_argument(
        "--earlier",
        type=float,
        nargs=2,
        default=[0.2, 0.4],
        metavar=("SHARE", "SHARE"),
        help="the two earlier rounds' sizes, as shares of the round measured",
    )
    parser.add_argument(
        "--text-share", type=float, default=0.3, help="share of responses with free text"
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--page-budget", type=float, default=40.0, help="stop timing a page after this many s"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="in-process requests per page (median)"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database on",
    )
    parser.add_argument(
        "--scratch-database",
        default=SCRATCH_DB,
        help=f"the scratch PostgreSQL database, created and dropped (default {SCRATCH_DB})",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of each page's slowest SELECTs"
    )
    parser.add_argument("--show-queries", action="store_true", help="print each page's SQL")
    args = parser.parse_args(argv)
    if not 10 <= args.first_step < args.responses:
        parser.error("--first-step must be at least 10 and below --responses")

    started = time.perf_counter()
    load = [os.getloadavg()[0]]  # other work on the machine skews the timings
    seconds: dict[str, float] = {}
    with scratch_site(
        "engage-bench-surveys-",
        args.database_url,
        scratch_database=args.scratch_database,
        freeze=False,
    ) as site:
        app, database = site.app, site.database
        seconds["migrate"] = site.migrate_seconds

        t = time.perf_counter()
        seeder = SurveySeeder(app, args.earlier, args.text_share)
        seeder.base()
        seconds["demo and rounds"] = time.perf_counter() - t

        queries: dict[int, dict[tuple[str, str], list[str]]] = {}
        profiles: dict[int, dict[tuple[str, str], PageProfile]] = {}
        seed_time = count_time = 0.0
        for n in (args.first_step, args.responses):
            t = time.perf_counter()
            seeder.grow_to(n)
            seed_time += time.perf_counter() - t
            page_list = pages(seeder.measured.id, free_text_pages(seeder.measured.texts))
            t = time.perf_counter()
            queries[n] = count_queries(app, page_list)
            profiles[n] = profile_pages(app, page_list, args.repeats)
            count_time += time.perf_counter() - t
            print(f"seeded {n:,} responses, counted queries, timed in-process", flush=True)
        seconds["seed responses"] = seed_time
        seconds["count and profile"] = count_time
        sizes = seeder.check()

        t = time.perf_counter()
        parts = split_results(app, seeder.measured.id, args.repeats)
        seconds["split"] = time.perf_counter() - t

        # The ceiling serves the bytes of the manager's results page, captured once now.
        body = in_process_clients(app, {"manager"})["manager"].get(page_list[0].path).get_data()
        site.set_ceiling(body)

        t = time.perf_counter()
        port = site.start_gunicorn()
        process = site.process
        seconds["start gunicorn"] = time.perf_counter() - t
        print(f"gunicorn (2 sync workers) on 127.0.0.1:{port}", flush=True)

        t = time.perf_counter()
        load.append(os.getloadavg()[0])
        clients = {who: sign_in(port, who) for who in ("manager", "board")} | {
            "anonymous": Client(port)
        }
        timings: dict[tuple[str, str], Timing] = {}
        memory: dict[tuple[str, str], PageMemory] = {}
        for page in page_list:
            try:
                timing, used = timed_with_memory(
                    process, port, clients[page.who], page.path, args.requests, args.page_budget
                )
            except (RuntimeError, OSError):
                log = (site.workdir / "gunicorn.log").read_text(errors="replace")
                print("gunicorn's log ends:\n" + log[-4000:], file=sys.stderr)
                raise
            timings[(page.label, page.who)] = timing
            memory[(page.label, page.who)] = used
            print(f"timed {page.label} as {page.who}", flush=True)
        timings[(CEILING.label, CEILING.who)] = timed(
            clients["anonymous"], CEILING.path, 300, 10, args.page_budget
        )
        mixed = mixed_peaks(process, port, clients, page_list)
        seconds["measure"] = time.perf_counter() - t
        for client in clients.values():
            client.close()
        site.stop_gunicorn()
        load.append(os.getloadavg()[0])
        seconds["total"] = time.perf_counter() - started
        same = report(
            app, args, database, seeder, page_list, timings, memory, queries, profiles, parts,
            sizes, mixed, seconds, load,
        )  # fmt: skip
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
