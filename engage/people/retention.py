"""Retention: how long each kind of record is kept, as runtime settings an admin can change
within bounds, applied by ``engage tick`` and listed at ``/admin/retention`` with what each
rule will do next.

Each rule says, for a moment ``now`` and its setting ``n``, how many records are due now and
the next moment something becomes due, and applies itself (flushing, never committing; files
go after ``engage tick`` commits). Runs are logged and audited with counts, never names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from engage.core import audit, settings
from engage.core.dates import start_of_day
from engage.core.domains import tick_job
from engage.core.outbox import Notification, Status
from engage.extensions import db
from engage.people.models import Role, User, UserRole, UserSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """One retention rule. ``due(now, n)`` answers (how many are due now, the next moment
    one more becomes due or None); ``apply(now, n)`` does it and returns how many."""

    key: str  # the setting's key, and the rule's name in logs and the audit log
    title: object  # lazy text
    explains: object  # lazy text: what happens, and why this long
    unit: str  # "years", "months" or "days"
    default: int
    lowest: int
    highest: int
    due: Callable[[datetime, int], tuple[int, datetime | None]]
    apply: Callable[[datetime, int], int]

    @property
    def setting(self) -> str:
        return f"retention.{self.key}"


def _before(now: datetime, unit: str, n: int) -> datetime:
    return now - relativedelta(**{unit: n})


def _after(moment: datetime, unit: str, n: int) -> datetime:
    return moment + relativedelta(**{unit: n})


def _split(moments: list[datetime], now: datetime, unit: str, n: int):
    """How many of ``moments`` are older than the rule allows, and when the next one will be."""
    cutoff = _before(now, unit, n)
    due = sum(1 for m in moments if m < cutoff)
    later = [_after(m, unit, n) for m in moments if m >= cutoff]
    return due, min(later) if later else None


# Inactive peers ------------------------------------------------------------------------------


def _last_activity() -> dict[int, datetime]:
    """Each peer-only account not yet erased, with the last time they did anything: signed
    in, gave time (involvement), or claimed expenses; their account's making if nothing."""
    from engage.payments.models import ExpenseClaim, InvolvementRecord

    peers = select(UserRole.user_id).where(UserRole.role == Role.PEER.value)
    others = select(UserRole.user_id).where(UserRole.role != Role.PEER.value)
    last: dict[int, datetime] = {}
    for user_id, created_at, signed_in in db.session.execute(
        select(User.id, User.created_at, User.last_sign_in_at).where(
            User.erased_at.is_(None), User.id.in_(peers), User.id.not_in(others)
        )
    ):
        last[user_id] = max(m for m in (created_at, signed_in) if m is not None)
    for user_id, day in db.session.execute(
        select(InvolvementRecord.person_id, func.max(InvolvementRecord.activity_date)).group_by(
            InvolvementRecord.person_id
        )
    ):
        if user_id in last and day is not None:
            last[user_id] = max(last[user_id], start_of_day(day))
    for user_id, made in db.session.execute(
        select(ExpenseClaim.claimant_id, func.max(ExpenseClaim.created_at)).group_by(
            ExpenseClaim.claimant_id
        )
    ):
        if user_id in last and made is not None:
            last[user_id] = max(last[user_id], made)
    return last


def _inactive_due(now: datetime, n: int):
    return _split(list(_last_activity().values()), now, "years", n)


def _erase_inactive(now: datetime, n: int) -> int:
    from engage.people.erasure import ErasureError, erase

    cutoff = _before(now, "years", n)
    erased = held = 0
    for user_id, moment in sorted(_last_activity().items()):
        if moment < cutoff:
            person = db.session.get(User, user_id)
            try:
                if person is not None and erase(person, None, "retention: inactive"):
                    erased += 1
            except ErasureError:
                # e.g. money still to pay them in a run: tried again at the next tick.
                held += 1
    if held:
        log.warning("Retention: %s inactive peer(s) not erased yet (see their accounts).", held)
    return erased


# Applications not taken forward -------------------------------------------------------------


def _stopped_applications():
    from engage.mentoring.erasure import ANONYMISED_NAME
    from engage.mentoring.models import Application, Stage

    return select(Application).where(
        Application.stage.in_([Stage.WITHDRAWN.value, Stage.NOT_PROGRESSED.value]),
        Application.name != ANONYMISED_NAME,
    )


def _applications_due(now: datetime, n: int):
    moments = [a.stage_since for a in db.session.scalars(_stopped_applications())]
    return _split(moments, now, "months", n)


def _anonymise_applications(now: datetime, n: int) -> int:
    from engage.mentoring.erasure import anonymise_application
    from engage.mentoring.models import Application

    cutoff = _before(now, "months", n)
    stale = list(
        db.session.scalars(_stopped_applications().where(Application.stage_since < cutoff))
    )
    for application in stale:
        anonymise_application(application)
    return len(stale)


# Receipts -------------------------------------------------------------------------------------


def _paid_receipts():
    from engage.payments.models import ClaimLine, ClaimState, ExpenseClaim, Receipt

    return (
        select(Receipt, ExpenseClaim.paid_at)
        .join(ClaimLine, Receipt.line_id == ClaimLine.id)
        .join(ExpenseClaim, ClaimLine.claim_id == ExpenseClaim.id)
        .where(ExpenseClaim.state == ClaimState.PAID.value, ExpenseClaim.paid_at.is_not(None))
    )


def _receipts_due(now: datetime, n: int):
    return _split([paid for _r, paid in db.session.execute(_paid_receipts())], now, "years", n)


def _delete_receipts(now: datetime, n: int) -> int:
    from engage.payments.claims import receipts as receipt_files
    from engage.people.erasure import delete_after_commit

    cutoff = _before(now, "years", n)
    gone = 0
    for receipt, paid in db.session.execute(_paid_receipts()).all():
        if paid < cutoff:
            delete_after_commit(receipt_files.path(receipt))
            db.session.delete(receipt)
            gone += 1
    return gone


# Sign-in sessions -----------------------------------------------------------------------------


def _sessions_due(now: datetime, n: int):
    return _split(list(db.session.scalars(select(UserSession.last_seen_at))), now, "days", n)


def _delete_sessions(now: datetime, n: int) -> int:
    result = db.session.execute(
        delete(UserSession).where(UserSession.last_seen_at < _before(now, "days", n))
    )
    return result.rowcount or 0


# Outbox messages ------------------------------------------------------------------------------

#: Messages still to go (or maybe going) are never removed.
_WAITING = (Status.PENDING.value, Status.SENDING.value, Status.FAILED.value)


def _old_messages():
    from engage.mentoring.models import ApplicationMessage

    # A message an application's page shows goes when the application is anonymised.
    return select(Notification.created_at).where(
        Notification.status.not_in(_WAITING),
        Notification.id.not_in(select(ApplicationMessage.notification_id)),
    )


def _messages_due(now: datetime, n: int):
    return _split(list(db.session.scalars(_old_messages())), now, "days", n)


def _delete_messages(now: datetime, n: int) -> int:
    from engage.mentoring.models import ApplicationMessage

    result = db.session.execute(
        delete(Notification).where(
            Notification.status.not_in(_WAITING),
            Notification.id.not_in(select(ApplicationMessage.notification_id)),
            Notification.created_at < _before(now, "days", n),
        )
    )
    return result.rowcount or 0


RULES: tuple[Rule, ...] = (
    Rule(
        "inactive_peers_years",
        _l("Peers who have stopped taking part"),
        _l(
            "A peer who has not signed in, given time or claimed expenses for this many years "
            "is erased: their account becomes “A former member” and their payment records are "
            "kept without their name. Six years matches what HMRC asks us to keep."
        ),
        "years",
        6,
        1,
        20,
        _inactive_due,
        _erase_inactive,
    ),
    Rule(
        "applications_months",
        _l("Applications for peer roles not taken forward"),
        _l(
            "An application that was withdrawn or not taken forward loses the applicant's "
            "name, contact details and what they wrote after this many months. Its stage "
            "stays, so the numbers still add up."
        ),
        "months",
        12,
        1,
        120,
        _applications_due,
        _anonymise_applications,
    ),
    Rule(
        "receipts_years",
        _l("Receipts"),
        _l(
            "Photos and files of receipts are deleted this many years after the claim was "
            "paid. The claim itself stays. HMRC asks us to keep them six years."
        ),
        "years",
        6,
        6,
        20,
        _receipts_due,
        _delete_receipts,
    ),
    Rule(
        "sessions_days",
        _l("Sign-in records"),
        _l(
            "The record of each signed-in browser (when it was last used, which browser) is "
            "deleted this many days after it was last used."
        ),
        "days",
        90,
        30,
        365,
        _sessions_due,
        _delete_sessions,
    ),
    Rule(
        "outbox_days",
        _l("Messages sent"),
        _l(
            "E-mails and texts that have gone, or could not go, are deleted from the outbox "
            "this many days after they were written. Messages still waiting are kept."
        ),
        "days",
        90,
        7,
        3650,
        _messages_due,
        _delete_messages,
    ),
)

UNIT_LABELS = {"years": _l("years"), "months": _l("months"), "days": _l("days")}


def rule(key: str) -> Rule:
    return next(r for r in RULES if r.key == key)


def value(rule: Rule) -> int:
    """The rule's setting; a missing or out-of-bounds value falls back to the default."""
    raw = settings.get(rule.setting)
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        return rule.default
    return number if rule.lowest <= number <= rule.highest else rule.default


def set_value(actor: User, rule: Rule, number: int) -> None:
    """Change a rule's setting (audited). Raises ValueError outside the rule's bounds."""
    if not rule.lowest <= number <= rule.highest:
        raise ValueError(f"{rule.key} must be from {rule.lowest} to {rule.highest}")
    before = value(rule)
    settings.put(rule.setting, str(number))
    audit.record("retention.changed", actor=actor, rule=rule.key, before=before, after=number)
    db.session.flush()


@dataclass(frozen=True)
class Forecast:
    rule: Rule
    value: int
    due_now: int
    next_due: datetime | None


def forecast(now: datetime) -> list[Forecast]:
    """For each rule: its setting, how many records are due now, and when the next is."""
    rows = []
    for each in RULES:
        n = value(each)
        due_now, next_due = each.due(now, n)
        rows.append(Forecast(each, n, due_now, next_due))
    return rows


def apply_all(now: datetime) -> dict[str, int]:
    """Apply every rule at ``now``; returns how many records each removed or anonymised.
    Flushes, never commits; audited and logged with counts only."""
    counts: dict[str, int] = {}
    for each in RULES:
        counts[each.key] = each.apply(now, value(each))
        db.session.flush()
    if any(counts.values()):
        audit.record("retention.applied", actor=None, **counts)
    log.info("Retention: %s.", ", ".join(f"{key} {count}" for key, count in sorted(counts.items())))
    return counts


@tick_job(90)
def apply_retention(now: datetime) -> str:
    """The retention rules (files go after ``engage tick`` commits)."""
    counts = apply_all(now)
    return (
        "Retention: erased {inactive_peers_years} inactive peer(s), anonymised "
        "{applications_months} application(s), deleted {receipts_years} receipt(s), "
        "{sessions_days} sign-in record(s) and {outbox_days} message(s).".format(**counts)
    )
