"""Running survey rounds and taking answers.

Every rule lives here: who a round is for, when it takes answers, one response per person
(also under concurrent presses and a reused link), hidden answers discarded, and anonymity
(an anonymous response is stored with no person, no time finer than the day, nothing in the
audit log or the outbox that joins it to anyone).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from engage.core import audit, dates, outbox
from engage.core import settings as stored_settings
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import secret_url
from engage.extensions import db
from engage.people.models import EqualityMonitoring, Role, User, UserRole, hash_token, new_token
from engage.surveys import definitions as defs
from engage.surveys.models import (
    DIMENSIONS,
    Answer,
    Audience,
    Draft,
    Response,
    RoundInvitee,
    RoundState,
    SurveyError,
    SurveyRound,
    Tally,
    _random_key,
)

log = logging.getLogger("engage.surveys")

#: The reminder goes when this little time is left (or half-way, for a short round).
REMIND_BEFORE_CLOSE = timedelta(days=3)

THRESHOLD_KEY = "surveys.suppression_threshold"
DEFAULT_THRESHOLD = 5


def suppression_threshold() -> int:
    """The smallest group results show (a setting, 5 unless changed)."""
    value = stored_settings.get(THRESHOLD_KEY)
    return int(value) if value and value.isdigit() else DEFAULT_THRESHOLD


def set_suppression_threshold(actor: User, threshold: int) -> None:
    stored_settings.put(THRESHOLD_KEY, str(threshold))
    audit.record("survey.threshold_changed", actor=actor, threshold=threshold)


# Rounds ------------------------------------------------------------------------------------


def create_round(
    actor: User,
    definition: defs.Definition,
    *,
    title: str,
    audience: Audience,
    opens_at: datetime,
    closes_at: datetime,
    forum_id: int | None = None,
    people: list[User] | None = None,
    submission_key: str | None = None,
) -> SurveyRound:
    """Plan a round. It opens (and invitations go) at ``opens_at``, at once if that has
    passed. A repeated ``submission_key`` returns the round it made."""
    if submission_key:
        earlier = db.session.scalar(
            select(SurveyRound).where(SurveyRound.submission_key == submission_key)
        )
        if earlier is not None:
            return earlier
    now = utcnow()
    if closes_at <= opens_at:
        raise SurveyError(_("The closing time must be after the opening time."))
    if closes_at <= now:
        raise SurveyError(_("The closing time must be in the future."))
    if audience == Audience.FORUM and forum_id is None:
        raise SurveyError(_("Choose the forum whose members the survey is for."))
    if audience == Audience.LIST and not people:
        raise SurveyError(_("Choose at least one person the survey is for."))
    round_ = SurveyRound(
        title=title.strip(),
        slug=definition.slug,
        definition_version=definition.version,
        definition_json=json.dumps(definition.to_snapshot(), sort_keys=True),
        fingerprint=definition.fingerprint(),
        anonymous=definition.anonymous,
        audience=audience.value,
        forum_id=forum_id if audience == Audience.FORUM else None,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by_id=actor.id,
        submission_key=submission_key or None,
    )
    db.session.add(round_)
    db.session.flush()
    if audience == Audience.LIST:
        for person in {p.id: p for p in people or []}.values():
            db.session.add(RoundInvitee(round_id=round_.id, user_id=person.id))
    audit.record("survey.round_planned", actor=actor, round=round_.id)
    if opens_at <= now:
        open_round(actor, round_)
    db.session.flush()
    return round_


def _audience_query(round_: SurveyRound):  # noqa: ANN202 (a Select of user ids)
    """SQL: the ids of everyone the round's audience names now (active accounts only)."""
    audience = round_.audience_enum
    if audience == Audience.LIST:
        return select(RoundInvitee.user_id).where(RoundInvitee.round_id == round_.id)
    if audience == Audience.FORUM:
        from engage.forums.models import ForumMember

        query = select(ForumMember.user_id).where(
            ForumMember.forum_id == round_.forum_id, ForumMember.left_on.is_(None)
        )
    else:
        role = {
            Audience.ALL_PEERS: Role.PEER,
            Audience.BOARD: Role.BOARD,
            Audience.PARTNERS: Role.PARTNER,
        }[audience]
        query = select(UserRole.user_id).where(UserRole.role == role.value)
    active = select(User.id).where(User.is_active)
    return query.where(query.selected_columns[0].in_(active))


def _audience_ids(round_: SurveyRound) -> set[int]:
    """Everyone the round's audience names now (active accounts only)."""
    return set(db.session.scalars(_audience_query(round_)))


def _audience_takes_in(round_: SurveyRound, person_id: int) -> bool:
    """The round's audience names this person now: one look-up, not the whole audience (the
    home page asks this of every open round)."""
    query = _audience_query(round_)
    return bool(
        db.session.scalar(select(query.where(query.selected_columns[0] == person_id).exists()))
    )


def in_audience(round_: SurveyRound, person: User) -> bool:
    """The round is for this person: they were invited, or its audience takes them in now
    (someone who joined the forum after it opened can still answer)."""
    if not person.is_active:
        return False
    if _invitee(round_, person) is not None:
        return True
    return round_.audience_enum != Audience.LIST and _audience_takes_in(round_, person.id)


def _invitee(round_: SurveyRound, person: User) -> RoundInvitee | None:
    return db.session.get(RoundInvitee, (round_.id, person.id))


def _ensure_invitee(round_: SurveyRound, person: User) -> RoundInvitee:
    invitee = _invitee(round_, person)
    if invitee is None:
        invitee = RoundInvitee(round_id=round_.id, user_id=person.id)
        db.session.add(invitee)
        db.session.flush()
    return invitee


def open_round(actor: User | None, round_: SurveyRound) -> int:
    """Open the round and invite everyone it is for who has not been invited yet (on a
    reopening, only newcomers). Returns how many invitations were queued."""
    round_.move_to(RoundState.OPEN)
    now = utcnow()
    if round_.opens_at > now:
        round_.opens_at = now
    invited = 0
    for user_id in sorted(_audience_ids(round_)):
        person = db.session.get(User, user_id)
        invitee = _ensure_invitee(round_, person)
        if not invitee.invited and not invitee.responded:
            _send_link(round_, person, invitee, reminder=False)
            invitee.invited = True
            invited += 1
    audit.record("survey.round_opened", actor=actor, round=round_.id, invited=invited)
    db.session.flush()
    return invited


def _send_link(round_: SurveyRound, person: User, invitee: RoundInvitee, reminder: bool) -> None:
    """An invitation (or the reminder) with a personal answer link, so someone without a
    password answers from a text message. A new link replaces the one sent before."""
    token = new_token()
    invitee.token_hash = hash_token(token)
    link = secret_url("surveys.answer_link", round_id=round_.id, token=token)
    with in_their_language(person):
        when = format_datetime(round_.closes_at, "EEEE d MMMM, HH:mm")
        privacy = (
            _("Your answers are anonymous: nobody can see who said what.")
            if round_.anonymous
            else _("The team running the survey will see your name with your answers.")
        )
        if reminder:
            subject = _("A reminder: %(title)s closes soon", title=round_.title)
            opening = _("There is still time to tell us what you think.")
        else:
            subject = _("Tell us what you think: %(title)s", title=round_.title)
            opening = _("We would like to hear what you think.")
        body = _(
            "Hello %(name)s,\n\n%(opening)s %(title)s is open until %(when)s. It takes about "
            "five minutes. %(privacy)s\n\nAnswer here (this link is just for you, you do not "
            "need to sign in):\n%(link)s\n",
            name=person.display_name,
            opening=opening,
            title=round_.title,
            when=when,
            privacy=privacy,
            link=link,
        )
        outbox.queue(
            kind=outbox.Kind.INVOLVEMENT, user=person, subject=subject, body=body, secrets=[link]
        )


def close_round(actor: User | None, round_: SurveyRound) -> None:
    """Close the round: at its closing time (``engage tick``), or early by a manager."""
    round_.move_to(RoundState.CLOSED)
    now = utcnow()
    if round_.closes_at > now:
        round_.closes_at = now
    # Half-finished answers will never be sent now; keep nothing people did not submit. A
    # draft already sent (an anonymous answer part-way through being stored) is kept for
    # finish_interrupted: it is an answer given in time.
    db.session.execute(
        delete(Draft).where(Draft.round_id == round_.id, Draft.response_id.is_(None))
    )
    audit.record("survey.round_closed", actor=actor, round=round_.id)


def reopen_round(actor: User, round_: SurveyRound, closes_at: datetime) -> None:
    """Take answers again until ``closes_at``; only before the results are shared."""
    if closes_at <= utcnow():
        raise SurveyError(_("The new closing time must be in the future."))
    if round_.state_enum != RoundState.CLOSED:
        round_.move_to(RoundState.OPEN)  # raises with the reason
    round_.closes_at = closes_at
    open_round(actor, round_)


def share_results(actor: User, round_: SurveyRound) -> None:
    """Mark the results shared: the round is final and can no longer reopen."""
    round_.move_to(RoundState.SHARED)
    round_.shared_at = utcnow()
    audit.record("survey.results_shared", actor=actor, round=round_.id)


def send_reminder(actor: User | None, round_: SurveyRound) -> int:
    """The one reminder, to everyone invited who has not answered yet."""
    if round_.state_enum != RoundState.OPEN:
        raise SurveyError(_("Reminders go only while a survey is open."))
    if round_.reminded_at is not None:
        raise SurveyError(_("The reminder for this survey has already gone."))
    round_.reminded_at = utcnow()
    waiting = db.session.scalars(
        select(RoundInvitee).where(
            RoundInvitee.round_id == round_.id, RoundInvitee.responded.is_(False)
        )
    ).all()
    for invitee in waiting:
        _send_link(round_, invitee.user, invitee, reminder=True)
    audit.record("survey.reminder_sent", actor=actor, round=round_.id, count=len(waiting))
    db.session.flush()
    return len(waiting)


def run_schedule(now: datetime) -> str:
    """``engage tick``: open planned rounds whose time has come, send the one reminder near
    the end, and close rounds whose closing time has passed."""
    opened = closed = reminded = 0
    for round_ in db.session.scalars(
        select(SurveyRound).where(
            SurveyRound.state == RoundState.PLANNED.value, SurveyRound.opens_at <= now
        )
    ):
        open_round(None, round_)
        opened += 1
    for round_ in db.session.scalars(
        select(SurveyRound).where(SurveyRound.state == RoundState.OPEN.value)
    ).all():
        if round_.closes_at <= now:
            close_round(None, round_)
            closed += 1
            continue
        half_way = round_.opens_at + (round_.closes_at - round_.opens_at) / 2
        due = max(round_.closes_at - REMIND_BEFORE_CLOSE, half_way)
        if round_.reminded_at is None and now >= due:
            send_reminder(None, round_)
            reminded += 1
    db.session.flush()
    return f"Surveys: opened {opened}, reminded {reminded}, closed {closed}."


# Answering ---------------------------------------------------------------------------------


def person_for_link(round_id: int, token: str) -> RoundInvitee | None:
    """The invitation a personal answer link belongs to, or None for a wrong or old link."""
    return db.session.scalar(
        select(RoundInvitee).where(
            RoundInvitee.round_id == round_id, RoundInvitee.token_hash == hash_token(token)
        )
    )


def has_responded(round_: SurveyRound, person: User) -> bool:
    """Asked of the database each time, never of a row loaded earlier in the request: a press
    of "Send" a moment ago may have answered since."""
    return bool(
        db.session.scalar(
            select(RoundInvitee.responded).where(
                RoundInvitee.round_id == round_.id, RoundInvitee.user_id == person.id
            )
        )
    )


def draft_answers(round_: SurveyRound, person: User) -> dict[str, Any]:
    draft = db.session.get(Draft, (round_.id, person.id))
    answers = draft.answers if draft is not None else {}
    return round_.definition.keep_visible(answers)


def _check_can_answer(round_: SurveyRound, person: User) -> None:
    if not round_.accepting():
        raise SurveyError(_("This survey is not taking answers now."))
    if has_responded(round_, person):
        raise SurveyError(_("You have already answered this survey. Thank you."))


def save_answer(round_: SurveyRound, person: User, question_id: str, value: Any) -> None:
    """Keep one answer in the person's draft. Answers to questions this one now hides are
    dropped straight away, so nothing hidden is ever kept half-way."""
    _check_can_answer(round_, person)
    definition = round_.definition
    definition.question(question_id)  # KeyError for a question the survey does not ask
    draft = db.session.get(Draft, (round_.id, person.id))
    if draft is None:
        draft = Draft(round_id=round_.id, user_id=person.id)
        db.session.add(draft)
    answers = draft.answers
    if value in (None, "", []):
        answers.pop(question_id, None)
    else:
        answers[question_id] = value
    draft.answers = definition.keep_visible(answers)
    db.session.flush()


def missing_answers(definition: defs.Definition, answers: dict[str, Any]) -> list[str]:
    """Required questions still shown and unanswered, in order."""
    return [
        q.id
        for q in definition.visible_questions(answers)
        if q.required and answers.get(q.id) in (None, "", [])
    ]


def submit(round_: SurveyRound, person: User) -> Response | None:
    """Store the person's draft as their one response.

    The "has responded" mark is set with one conditional update, so of ten presses at once
    (or a reused link) exactly one stores a response; the others are told they have answered.

    In an anonymous round this is the one service that commits, because its promise is about
    transactions. Written in one transaction, the anonymous response and the person's mark
    would share a transaction id (PostgreSQL's ``xmin`` on both rows) and a commit time, and
    whoever can read the database could join the answers back to the person. So it commits
    three times, each step touching one side only:

    1. the mark, and on the person's draft the id the response will have (the draft is kept);
    2. the response, its answers and tallies, with that id and nothing about the person;
    3. the draft's removal.

    Nothing is lost and nobody answers twice: after step 1 the mark refuses a second answer
    and the draft still holds the answers; if step 2 or 3 does not happen (an error, a killed
    worker), ``engage tick`` finishes it from the draft (:func:`finish_interrupted`), and the
    response's id (its primary key) stops it being stored twice. Returns the response, or
    None when step 2 failed and was left for ``engage tick``.

    Separate transactions committed a moment apart still sit near each other in time; what
    they no longer share is an id that joins them for certain. Responses keep only the day.
    """
    _check_can_answer(round_, person)
    answers = draft_answers(round_, person)
    missing = missing_answers(round_.definition, answers)
    if missing:
        raise SurveyError(_("Some questions still need an answer."))
    invitee = _ensure_invitee(round_, person)
    claimed = db.session.execute(
        update(RoundInvitee)
        .where(
            RoundInvitee.round_id == round_.id,
            RoundInvitee.user_id == person.id,
            RoundInvitee.responded.is_(False),
        )
        .values(responded=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise SurveyError(_("You have already answered this survey. Thank you."))
    db.session.refresh(invitee)
    if round_.anonymous:
        return _submit_anonymously(round_, person, answers)
    response = _store(round_, answers, person=person)
    db.session.execute(delete(Draft).where(Draft.round_id == round_.id, Draft.user_id == person.id))
    audit.record("survey.answered", actor=person, round=round_.id)
    db.session.flush()
    return response


def _submit_anonymously(
    round_: SurveyRound, person: User, answers: dict[str, Any]
) -> Response | None:
    """Steps 1 to 3 of :func:`submit` for an anonymous round; the mark is set already."""
    round_id, person_id = round_.id, person.id
    draft = db.session.get(Draft, (round_id, person_id))
    if draft is None:  # every question was optional and left blank
        draft = Draft(round_id=round_id, user_id=person_id)
        db.session.add(draft)
    draft.answers = answers
    draft.response_id = _random_key()
    db.session.commit()  # 1: the mark and the claimed id; no answer is written yet
    try:
        response = _store_claimed(draft)
        db.session.commit()  # 2: the response, with nothing about the person
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("an anonymous response to round %s was left for engage tick", round_id)
        return None
    _forget_draft(round_id, person_id)
    return response


def _store_claimed(draft: Draft) -> Response:
    """Store a claimed draft's answers as the anonymous response it claimed."""
    round_ = db.session.get(SurveyRound, draft.round_id)
    person = db.session.get(User, draft.user_id)
    return _store(round_, draft.answers, person=person, response_id=draft.response_id)


def _forget_draft(round_id: int, person_id: int) -> None:
    """Step 3: remove the draft in a transaction of its own. A failure only leaves it for
    ``engage tick``, which sees its response is stored and removes it."""
    try:
        db.session.execute(
            delete(Draft).where(Draft.round_id == round_id, Draft.user_id == person_id)
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("a survey draft in round %s was left for engage tick", round_id)


#: A claimed draft this old was left by a step that failed or a worker that died (the three
#: steps of an anonymous submit take well under a second).
INTERRUPTED_AFTER = timedelta(minutes=5)


def finish_interrupted(now: datetime) -> str:
    """``engage tick``: finish anonymous submits interrupted after the "has responded" mark.

    Each left draft's response is stored unless it already is (its id says so), then the draft
    is removed, each in its own transaction as in :func:`submit`."""
    drafts = db.session.execute(
        select(Draft.round_id, Draft.user_id, Draft.response_id).where(
            Draft.response_id.is_not(None), Draft.updated_at < now - INTERRUPTED_AFTER
        )
    ).all()
    stored = 0
    for round_id, person_id, response_id in drafts:
        if db.session.get(Response, response_id) is None:
            try:
                _store_claimed(db.session.get(Draft, (round_id, person_id)))
                db.session.commit()
            except SQLAlchemyError:  # kept for the next tick
                db.session.rollback()
                log.exception("could not store an interrupted answer in round %s", round_id)
                continue
            stored += 1
        _forget_draft(round_id, person_id)
    return f"Surveys: stored {stored} interrupted anonymous answer(s)."


def submit_paper(
    actor: User,
    round_: SurveyRound,
    answers: dict[str, Any],
    *,
    person: User | None = None,
    submission_key: str | None = None,
) -> Response:
    """Staff type in a paper form. In an identified round it is the named person's one
    response; in an anonymous round nobody is chosen and nothing records who filled it in."""
    if submission_key:
        earlier = db.session.scalar(
            select(Response).where(Response.submission_key == submission_key)
        )
        if earlier is not None:
            return earlier
    if round_.state_enum not in (RoundState.OPEN, RoundState.CLOSED):
        raise SurveyError(_("Paper answers can be added while the survey is open or closed."))
    definition = round_.definition
    answers = definition.keep_visible(answers)
    if missing_answers(definition, answers):
        raise SurveyError(_("Some questions still need an answer."))
    if round_.anonymous:
        person = None
    elif person is None:
        raise SurveyError(_("Choose whose answers these are."))
    if person is not None:
        if not in_audience(round_, person):
            raise SurveyError(_("This survey is not for that person."))
        invitee = _ensure_invitee(round_, person)
        if invitee.responded:
            raise SurveyError(_("That person has already answered this survey."))
        invitee.responded = True
    response = _store(round_, answers, person=person, entered_by=actor, on_paper=True)
    response.submission_key = submission_key or None
    if person is not None:
        db.session.execute(
            delete(Draft).where(Draft.round_id == round_.id, Draft.user_id == person.id)
        )
        audit.record("survey.paper_entered", actor=actor, subject=person, round=round_.id)
    else:
        audit.record("survey.paper_entered", actor=actor, round=round_.id)
    db.session.flush()
    return response


def _groups(round_: SurveyRound, person: User | None) -> dict[str, Any]:
    """What a response is broken down by: the person's forum and the equality answers they
    chose to share, copied now so results never join back to them."""
    if person is None:
        return {}
    forum_id = round_.forum_id
    if forum_id is None:
        from engage.forums.models import ForumMember

        forum_id = db.session.scalar(
            select(ForumMember.forum_id)
            .where(ForumMember.user_id == person.id, ForumMember.left_on.is_(None))
            .order_by(ForumMember.joined_on, ForumMember.id)
            .limit(1)
        )
    groups: dict[str, Any] = {"forum_id": forum_id}
    equality = db.session.scalar(
        select(EqualityMonitoring).where(EqualityMonitoring.user_id == person.id)
    )
    if equality is not None:
        for name in ("gender", "ethnicity", "age_band", "disability", "sexual_orientation"):
            groups[name] = getattr(equality, name) or ""
    return groups


def _store(
    round_: SurveyRound,
    answers: dict[str, Any],
    *,
    person: User | None,
    entered_by: User | None = None,
    on_paper: bool = False,
    response_id: str | None = None,
) -> Response:
    response = Response(
        id=response_id or _random_key(),
        round_id=round_.id,
        user_id=None if round_.anonymous or person is None else person.id,
        definition_version=round_.definition_version,
        submitted_on=dates.local_today(),
        on_paper=on_paper,
        entered_by_id=entered_by.id if entered_by else None,
        **_groups(round_, person),
    )
    db.session.add(response)
    db.session.flush()
    definition = round_.definition
    counted: list[tuple[str, str]] = []
    for question in definition.visible_questions(answers):
        value = answers.get(question.id)
        if value in (None, "", []):
            continue
        row = Answer(response_id=response.id, round_id=round_.id, question_id=question.id)
        if question.type == "text":
            row.text = str(value)
        elif question.type == "number":
            row.number = int(value)
            row.value = str(int(value))
        elif question.type == "multiple":
            row.value = ",".join(sorted(value))
        else:
            row.value = str(value)
        db.session.add(row)
        if row.value is not None:
            counted.append((question.id, row.value))
    db.session.flush()
    _count(round_.id, response, counted)
    return response


def _count(round_id: int, response: Response, counted: list[tuple[str, str]]) -> None:
    """Add one response's answers to the round's tallies, overall and in each of its groups,
    in one statement. Rows are written in one order, so two responses stored at once wait for
    each other instead of deadlocking."""
    groups = {"all": ""}
    for dimension in DIMENSIONS[1:]:
        value = getattr(response, dimension if dimension != "forum" else "forum_id")
        groups[dimension] = "" if value is None else str(value)
    rows = sorted(
        (
            {"round_id": round_id, "dimension": d, "group_value": g, "question_id": q, "value": v}
            for d, g in groups.items()
            for q, v in counted
        ),
        key=lambda row: (row["dimension"], row["group_value"], row["question_id"], row["value"]),
    )
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Tally.__table__).values([{**row, "n": 1} for row in rows])
    statement = statement.on_conflict_do_update(
        index_elements=["round_id", "dimension", "group_value", "question_id", "value"],
        set_={"n": Tally.__table__.c.n + statement.excluded.n},
    )
    db.session.execute(statement)


# Lists -------------------------------------------------------------------------------------


def waiting_for(person: User) -> list[SurveyRound]:
    """Open rounds this person may answer and has not, soonest closing first (their home page
    and ``/surveys``)."""
    now = utcnow()
    candidates = db.session.scalars(
        select(SurveyRound)
        .where(
            SurveyRound.state == RoundState.OPEN.value,
            SurveyRound.opens_at <= now,
            SurveyRound.closes_at > now,
        )
        .order_by(SurveyRound.closes_at)
    ).all()
    return [r for r in candidates if in_audience(r, person) and not has_responded(r, person)]


def counts(round_: SurveyRound) -> dict[str, int]:
    """How many were invited and how many answered (online and on paper)."""
    from sqlalchemy import func

    invited = db.session.scalar(
        select(func.count()).where(RoundInvitee.round_id == round_.id, RoundInvitee.invited)
    )
    responses = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.round_id == round_.id)
    )
    paper = db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.round_id == round_.id, Response.on_paper)
    )
    return {"invited": invited or 0, "responses": responses or 0, "paper": paper or 0}


def has_responses(round_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.round_id == round_id))))


def raise_from_answer(
    actor: User, answer: Answer, *, submission_key: str | None = None, **item: Any
):
    """Put what someone wrote into the register, anonymised, with the round as its source, so
    what people write goes somewhere. Each answer is raised once."""
    from engage.changes import services as register
    from engage.changes.models import Item, Source

    if answer.raised_item_id is not None:
        earlier = db.session.get(Item, answer.raised_item_id)
        if submission_key and earlier is not None and earlier.submission_key == submission_key:
            return earlier  # the same form sent twice
        raise SurveyError(_("This answer is already in the register."))
    round_ = db.session.get(SurveyRound, answer.round_id)
    raised = register.raise_item(
        actor,
        source=Source.SURVEY,
        source_note=round_.title,
        submission_key=submission_key,
        **item,
    )
    answer.raised_item_id = raised.id
    audit.record("survey.answer_raised", actor=actor, round=round_.id, item=raised.id)
    db.session.flush()
    return raised


def definitions_changed_in_place() -> list[str]:
    """Survey files edited without a new version after people answered them: each is named
    with what to do. Answers stay readable (each round keeps its own copy), but a later round
    of the "same" version would ask different questions, so its trend would mislead."""
    from sqlalchemy import func

    files = defs.all_definitions()
    rounds = db.session.execute(
        select(SurveyRound.slug, SurveyRound.definition_version, SurveyRound.fingerprint)
        .where(exists().where(Response.round_id == SurveyRound.id))
        .group_by(SurveyRound.slug, SurveyRound.definition_version, SurveyRound.fingerprint)
        .having(func.count() > 0)
    ).all()
    problems = []
    for slug, version, fingerprint in rounds:
        current = files.get((slug, version))
        if current is not None and current.fingerprint() != fingerprint:
            problems.append(
                f"The survey {slug!r} version {version} was changed after people answered it: "
                f"undo the change, or give the changed survey version {version + 1}."
            )
    return sorted(set(problems))
