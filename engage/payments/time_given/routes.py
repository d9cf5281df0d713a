"""Involvement records (time given) pages: the approval queue, entering time by hand, and one
record with its history.

Managers approve; finance may look. The person whose time it is may read their own record
(and choose not to be paid for it); anybody else's record answers 404. People who asked to be
warned about benefits limits get the warning shown to the manager, with the numbers, before
the work is recorded or approved. A warning is never a block.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engage.core import dates
from engage.core.conflicts import ChangedMeanwhile, check_version, saving
from engage.core.htmx import redirect_to, render
from engage.core.numbers import database_id, page_of, requested_page
from engage.core.permissions import allow
from engage.extensions import db
from engage.payments import bp, earnings
from engage.payments.models import (
    ACTIVITY_LABELS,
    METHOD_LABELS,
    PERIOD_LABELS,
    RECORD_STATUS_LABELS,
    UNIT_LABELS,
    ZERO,
    IllegalMove,
    InvolvementRecord,
    PaymentEvent,
    RecordStatus,
)
from engage.payments.permissions import (
    can_approve_record,
    can_decline_record,
    can_enter_time,
    can_review_time,
    can_view_record,
)
from engage.payments.time_given import services
from engage.payments.time_given.forms import (
    ApproveRecordsForm,
    ConfirmForm,
    RecordForm,
    RejectForm,
)
from engage.people.models import PAYMENT_LABELS, PaymentPreference, Role, User, UserRole

PAGE_SIZE = 25
#: The most records one "Approve selected" acts on (a page holds 25).
MAX_BULK = 200
ALL = "all"


def _labels() -> dict[str, Any]:
    return {
        "status_labels": {k.value: v for k, v in RECORD_STATUS_LABELS.items()},
        "activity_labels": {k.value: v for k, v in ACTIVITY_LABELS.items()},
        "method_labels": {k.value: v for k, v in METHOD_LABELS.items()},
        "unit_labels": {k.value: v for k, v in UNIT_LABELS.items()},
        "period_labels": {k.value: v for k, v in PERIOD_LABELS.items()},
        "rates_url": url_for("payments.rates"),
    }


def _filters(values: Any) -> dict[str, Any]:
    """The queue's filters from a query string or a form, each checked against what exists
    (anything else falls back to the default)."""
    status = (values.get("status") or "").strip()
    if status != ALL and status not in {s.value for s in RecordStatus}:
        status = RecordStatus.PENDING.value
    activity = (values.get("activity") or "").strip()
    if activity not in {a.value for a in ACTIVITY_LABELS}:
        activity = ""
    return {"status": status, "activity": activity, "page": requested_page(values)}


def _queue_url(filters: dict[str, Any]) -> str:
    args = {k: v for k, v in filters.items() if v and not (k == "page" and v == 1)}
    if args.get("status") == RecordStatus.PENDING.value:
        del args["status"]
    return url_for("payments.time_records", **args)


# The approval queue -------------------------------------------------------------------------


@bp.route("/payments/time")
@login_required
def time_records():
    allow(can_review_time(current_user))
    filters = _filters(request.args)
    query = select(InvolvementRecord)
    if filters["status"] != ALL:
        query = query.where(InvolvementRecord.status == filters["status"])
    if filters["activity"]:
        query = query.where(InvolvementRecord.activity == filters["activity"])
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = page_of(total, PAGE_SIZE, filters["page"])
    rows = (
        db.session.scalars(
            # The person's profile comes with them (a joined relationship): one query.
            page.of(
                query.options(joinedload(InvolvementRecord.person)).order_by(
                    InvolvementRecord.created_at.desc(), InvolvementRecord.id.desc()
                )
            )
        )
        .unique()
        .all()
    )
    manager = can_enter_time(current_user)
    approvable = {r.id for r in rows if _approvable(r)}
    return render(
        "payments/records/list.html",
        rows=rows,
        total=total,
        page=page.number,
        pages=page.pages,
        filters=filters,
        filter_args={k: v for k, v in filters.items() if k != "page" and v},
        statuses=list(RecordStatus),
        warnings=earnings.warnings_for_records(rows),
        manager=manager,
        approvable=approvable,
        **_labels(),
    )


def _approvable(record: InvolvementRecord) -> bool:
    return services.can_be_approved(record) and can_approve_record(current_user, record)


@bp.route("/payments/time/approve", methods=["POST"])
@login_required
def approve_records():
    # Managers act on time; finance only looks.
    allow(can_enter_time(current_user))
    form = ApproveRecordsForm()
    back = _queue_url(_filters(request.form))
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(messages[0] if messages else _("Tick at least one record to approve"), "error")
        return redirect_to(back)
    wanted = list(dict.fromkeys(form.records.data))[:MAX_BULK]
    rows = (
        db.session.scalars(
            select(InvolvementRecord)
            .options(joinedload(InvolvementRecord.person))
            .where(InvolvementRecord.id.in_(wanted))
        )
        .unique()
        .all()
    )
    try:
        with saving():
            done = services.approve_many(current_user._get_current_object(), rows)
    except ChangedMeanwhile as error:
        flash(str(error), "error")
        return redirect_to(back)
    if done.approved:
        total = sum((r.amount for r in done.approved), ZERO)
        flash(
            ngettext(
                "%(num)d record approved, %(amount)s in all. It will be paid in the next "
                "payment run.",
                "%(num)d records approved, %(amount)s in all. They will be paid in the next "
                "payment run.",
                len(done.approved),
                amount=_money(total),
            ),
            "success",
        )
    if done.already:
        flash(
            ngettext(
                "%(num)d record was already approved. Nothing changed.",
                "%(num)d records were already approved. Nothing changed.",
                len(done.already),
            ),
            "info",
        )
    if done.own:
        flash(
            _(
                "Not approved: %(names)s. This is your own time, so another manager must "
                "approve it.",
                names=_names(done.own),
            ),
            "error",
        )
    if done.no_rate:
        flash(
            _(
                "Not approved: %(names)s. There is no rate for that activity on that day. "
                "Add one to the rate card, then approve.",
                names=_names(done.no_rate),
            ),
            "error",
        )
    if done.moved:
        flash(
            _(
                "Not approved: %(names)s. It is no longer waiting for approval.",
                names=_names(done.moved),
            ),
            "error",
        )
    return redirect_to(back)


def _money(amount: Any) -> str:
    from engage.core.money import format_money

    return format_money(amount)


def _names(records: list[InvolvementRecord]) -> str:
    return ", ".join(
        _("%(name)s on %(date)s", name=r.person.display_name, date=format_date(r.activity_date))
        for r in records
    )


# Entering time by hand ----------------------------------------------------------------------


def _active_peers() -> list[User]:
    peers = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PEER.value, User.is_active.is_(True))
    ).unique()
    return sorted(peers, key=lambda p: (p.display_name.lower(), p.username))


def _signature(form: RecordForm) -> str:
    """What a benefits warning was shown for: "record it anyway" holds for these values
    only, so a changed amount is checked again."""
    return "|".join(
        str(v)
        for v in (
            form.person.data,
            form.activity.data,
            form.activity_date.data,
            form.length.data,
            form.preparation_minutes.data or 0,
            form.method.data,
        )
    )


def _by_key(key: str) -> InvolvementRecord | None:
    return db.session.scalar(select(InvolvementRecord).where(InvolvementRecord.source_key == key))


def _their_way(person: User | None) -> str:
    """The first payment choice on the form, naming the way the person chose to be paid."""
    preference = person.profile.payment_preference if person and person.profile else None
    if preference == PaymentPreference.DECLINE.value:
        return _("The way they chose (%(method)s)", method=_("not to be paid"))
    if preference in PAYMENT_LABELS:
        return _("The way they chose (%(method)s)", method=PAYMENT_LABELS[preference])
    return _("The way they chose on their profile")


@bp.route("/payments/time/new", methods=["GET", "POST"])
@login_required
def new_record():
    allow(can_enter_time(current_user))
    today = dates.local_today()
    form = RecordForm()
    peers = {p.id: p for p in _active_peers()}
    form.person.choices = [("", _("Choose a peer"))] + [
        (str(p.id), f"{p.display_name} ({p.username})") for p in peers.values()
    ]
    if request.method == "GET":
        wanted = database_id(request.args.get("for"))
        if wanted in peers:
            form.person.data = str(wanted)
        form.activity_date.data = today
    person = peers.get(database_id(form.person.data))
    form.method.choices[0] = (form.method.choices[0][0], _their_way(person))
    warnings: list[earnings.Warning] = []
    if form.validate_on_submit() and person is not None:
        key = "manual:" + form.submission_key.key
        earlier = _by_key(key)
        if earlier is not None:  # a double click or a resent form: it is recorded already
            return redirect_to(url_for("payments.time_record", record_id=earlier.id))
        method = form.chosen_method()
        given = {
            "activity": form.activity.data,
            "on": form.activity_date.data,
            "minutes": form.length.data,
            "preparation_minutes": form.preparation_minutes.data or 0,
        }
        projected = services.projected_earnings(person, method=method, **given)
        signature = _signature(form)
        if form.confirmed.data != signature:
            warnings = earnings.warnings_for(person, form.activity_date.data, projected)
        if warnings:
            form.confirmed.data = signature
            form.submit.label.text = _("Record it anyway")
        else:
            record = services.record_involvement(
                current_user._get_current_object(),
                person,
                **given,
                description=form.description.data or "",
                source="manual",
                source_key=key,
                method=method,
            )
            db.session.commit()
            flash(_saved_message(record), "success")
            return redirect_to(url_for("payments.time_record", record_id=record.id))
    return render(
        "payments/records/new.html",
        form=form,
        person=person,
        warnings=warnings,
        **_labels(),
    )


def _saved_message(record: InvolvementRecord) -> str:
    name = record.person.display_name
    if record.status == RecordStatus.DECLINED.value:
        return _(
            "Recorded for %(name)s as declined: %(amount)s is paid. The fee it was worth "
            "(%(fee)s) is kept on the record.",
            name=name,
            amount=_money(ZERO),
            fee=_money(record.fee),
        )
    if record.rate_id is None:
        return _(
            "Recorded for %(name)s. There is no rate for this activity on that day yet, so it "
            "waits for one on the rate card before it can be approved.",
            name=name,
        )
    return _(
        "Recorded for %(name)s: %(amount)s, waiting for approval.",
        name=name,
        amount=_money(record.amount),
    )


# One record ------------------------------------------------------------------------------


def _load(record_id: int) -> InvolvementRecord:
    """A record the viewer may see; anybody else's answers 404, so nothing is revealed."""
    record = db.session.scalar(
        select(InvolvementRecord)
        .options(joinedload(InvolvementRecord.person), joinedload(InvolvementRecord.rate))
        .where(InvolvementRecord.id == record_id)
    )
    if record is None or not can_view_record(current_user, record):
        abort(404)
    return record


def _warnings(record: InvolvementRecord) -> list[earnings.Warning]:
    if record.status != RecordStatus.PENDING.value or not can_enter_time(current_user):
        return []
    return earnings.warnings_for(
        record.person, record.activity_date, record.amount, exclude_record_id=record.id
    )


def _people(*ids: int | None) -> dict[int, User]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


@bp.route("/payments/time/<int:record_id>")
@login_required
def time_record(record_id: int):
    record = _load(record_id)
    history = (
        db.session.scalars(
            select(PaymentEvent)
            .options(joinedload(PaymentEvent.actor))
            .where(PaymentEvent.record_id == record.id)
            .order_by(PaymentEvent.at, PaymentEvent.id)
        )
        .unique()
        .all()
    )
    people = _people(record.entered_by_id, record.decided_by_id)
    own = record.person_id == current_user.id
    return render(
        "payments/records/show.html",
        record=record,
        history=history,
        entered_by=people.get(record.entered_by_id),
        decided_by=people.get(record.decided_by_id),
        own=own,
        # Declining or accepting payment lives with the person's own payments pages.
        pid={} if own else {"person_id": record.person_id},
        manager=can_enter_time(current_user),
        can_review=can_review_time(current_user),
        can_approve=can_approve_record(current_user, record),
        can_decline=can_decline_record(current_user, record),
        pending=record.status == RecordStatus.PENDING.value,
        warnings=_warnings(record),
        confirm_form=ConfirmForm(formdata=None, version=str(record.version)),
        payment_labels={k.value: v for k, v in PAYMENT_LABELS.items()},
        **_labels(),
    )


@bp.route("/payments/time/<int:record_id>/approve", methods=["GET", "POST"])
@login_required
def approve_record(record_id: int):
    record = _load(record_id)
    allow(can_approve_record(current_user, record))
    here = url_for("payments.time_record", record_id=record.id)
    form = ConfirmForm()
    if request.method == "GET":
        form.version.data = str(record.version)
    elif record.status == RecordStatus.APPROVED.value:  # a double click: done already
        flash(_("This was already approved. Nothing changed."), "info")
        return redirect_to(here)
    problem = None
    if form.validate_on_submit():
        try:
            with saving():
                check_version(record, form.version.data)
                services.approve_record(current_user._get_current_object(), record)
        except ChangedMeanwhile as error:
            flash(str(error), "error")
            return redirect_to(here)
        except IllegalMove as error:
            db.session.rollback()
            problem = str(error)
            record = _load(record_id)
        else:
            flash(
                _(
                    "Approved: %(name)s, %(amount)s. It will be paid in the next payment run.",
                    name=record.person.display_name,
                    amount=_money(record.amount),
                ),
                "success",
            )
            return redirect_to(url_for("payments.time_records"))
    return render(
        "payments/records/approve.html",
        record=record,
        form=form,
        problem=problem,
        warnings=_warnings(record),
        pending=record.status == RecordStatus.PENDING.value,
        **_labels(),
    )


@bp.route("/payments/time/<int:record_id>/reject", methods=["GET", "POST"])
@login_required
def reject_record(record_id: int):
    record = _load(record_id)
    allow(can_approve_record(current_user, record))
    here = url_for("payments.time_record", record_id=record.id)
    form = RejectForm()
    if request.method == "GET":
        form.version.data = str(record.version)
    if form.validate_on_submit():
        try:
            with saving():
                check_version(record, form.version.data)
                services.reject_record(current_user._get_current_object(), record, form.reason.data)
        except ChangedMeanwhile as error:
            flash(str(error), "error")
            return redirect_to(here)
        except IllegalMove as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(error)]
            record = _load(record_id)
        else:
            flash(_("Not approved. %(name)s can read why.", name=record.person.display_name))
            return redirect_to(here)
    return render(
        "payments/records/reject.html",
        record=record,
        form=form,
        pending=record.status == RecordStatus.PENDING.value,
        **_labels(),
    )


@bp.route("/payments/time/<int:record_id>/price", methods=["POST"])
@login_required
def reprice_record(record_id: int):
    record = _load(record_id)
    allow(can_enter_time(current_user))
    here = url_for("payments.time_record", record_id=record.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with saving():
            priced = services.reprice(current_user._get_current_object(), record)
    except ChangedMeanwhile as error:
        flash(str(error), "error")
        return redirect_to(here)
    if priced:
        flash(_("Priced from the rate card: %(amount)s.", amount=_money(record.amount)), "success")
    elif record.rate_id is not None:
        flash(_("This record already has its rate. Nothing changed."), "info")
    else:
        flash(
            _(
                "There is still no rate for this activity on %(date)s. Add one to the rate "
                "card first.",
                date=format_date(record.activity_date),
            ),
            "error",
        )
    return redirect_to(here)
