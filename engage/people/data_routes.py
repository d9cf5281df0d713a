"""Pages for people's data rights: ``/me/data`` (download what is held about me) and
``/admin/data-requests`` (subject access requests that staff log and answer).

Preparing a download asks the person to confirm it is them (``people.reauth``) and gives a
link that works once, for ``DOWNLOAD_HOURS``. The token is shown to the one who prepared it
through their session, so going back to the page shows the link again until it is used.
"""

from __future__ import annotations

from flask import abort, flash, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engage.core import dates
from engage.core.db import utcnow
from engage.core.htmx import redirect_to, render
from engage.core.numbers import database_id
from engage.core.permissions import allow
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people import bp
from engage.people import data_permissions as perm
from engage.people.data_forms import DataRequestForm, MarkDoneForm, PrepareDownloadForm
from engage.people.data_requests import (
    CHANNEL_LABELS,
    DOWNLOAD_HOURS,
    DataDownload,
    DataRequest,
    download_for,
    mark_done,
    open_requests_first,
    prepare_download,
    record_request,
    use_download,
)
from engage.people.models import User
from engage.people.my_data import build, zip_name
from engage.people.reauth import confirm_url, recently_confirmed

#: The session key holding the links someone prepared and has not used yet.
_LINKS = "data_links"

#: How many answered requests the list shows under the open ones.
DONE_SHOWN = 50


def _remember(key: str, token: str) -> None:
    links = dict(session.get(_LINKS) or {})
    links[key] = token
    session[_LINKS] = links


def _ready(key: str) -> tuple[DataDownload, str] | None:
    """The unused, unexpired link this browser prepared for ``key``, with its token."""
    token = (session.get(_LINKS) or {}).get(key)
    if not token:
        return None
    download = download_for(token)
    if (
        download is None
        or download.used_at is not None
        or download.is_expired(utcnow())
        or download.prepared_by_id != current_user.id
    ):
        return None
    return download, token


# A person's own data -------------------------------------------------------------------------


@bp.route("/me/data", methods=["GET", "POST"])
@login_required
def my_data():
    allow(perm.can_download_own_data(current_user))
    form = PrepareDownloadForm()
    if form.validate_on_submit():
        if not recently_confirmed(current_user):
            return redirect_to(confirm_url(url_for("people.my_data")))
        _download, token = prepare_download(current_user, current_user)
        db.session.commit()
        _remember("me", token)
        return redirect_to(url_for("people.my_data"))
    return render(
        "people/my_data.html",
        form=form,
        ready=_ready("me"),
        hours=DOWNLOAD_HOURS,
    )


@bp.route("/data-download/<token>")
@login_required
def data_download(token: str):
    download = download_for(token)
    if download is None or not perm.can_use_download(current_user, download):
        abort(404)
    if download.used_at is not None or download.is_expired(utcnow()):
        return render(
            "people/my_data_link.html",
            status=410,
            used=download.used_at is not None,
            again_url=_again_url(download),
        )
    subject = download.subject
    archive = build(subject)
    if not use_download(current_user, download):
        # Another request used the link a moment ago.
        archive.close()
        db.session.rollback()
        return render(
            "people/my_data_link.html", status=410, used=True, again_url=_again_url(download)
        )
    db.session.commit()
    response = send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=zip_name(subject, dates.local_today()),
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _again_url(download: DataDownload) -> str:
    if download.request_id is not None:
        return url_for("people.data_request", request_id=download.request_id)
    return url_for("people.my_data")


# Subject access requests -------------------------------------------------------------------


def _request(request_id: int) -> DataRequest:
    """Load a request and check the viewer may handle it (404 otherwise)."""
    allow(perm.can_list_data_requests(current_user))
    item = db.session.get(DataRequest, request_id)
    if item is None or not perm.can_handle_data_request_for(current_user, item.subject):
        abort(404)
    return item


@bp.route("/admin/data-requests")
@login_required
def data_requests():
    allow(perm.can_list_data_requests(current_user))
    rows = list(db.session.scalars(open_requests_first(current_user)))
    open_rows = [row for row in rows if not row.is_done]
    done_rows = [row for row in rows if row.is_done][:DONE_SHOWN]
    return render(
        "people/data_requests.html",
        open_rows=open_rows,
        done_rows=done_rows,
        today=dates.local_today(),
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/admin/data-requests/new", methods=["GET", "POST"])
@login_required
def new_data_request():
    allow(perm.can_list_data_requests(current_user))
    form = DataRequestForm()
    if not form.is_submitted():
        wanted_id = _int_arg("for")
        wanted = db.session.get(User, wanted_id) if wanted_id else None
        if wanted is not None and perm.can_handle_data_request_for(current_user, wanted):
            form.login.data = wanted.email or wanted.username
        form.received_on.data = dates.local_today()
    if form.validate_on_submit():
        person = User.find_by_login(form.login.data)
        if person is None or not perm.can_handle_data_request_for(current_user, person):
            form.login.errors.append(
                _("We could not find a person you can do this for with that username or email")
            )
        else:
            item = record_request(
                current_user._get_current_object(),
                person,
                received_on=form.received_on.data,
                channel=form.channel.data,
                notes=form.notes.data or "",
            )
            db.session.commit()
            flash(_("Request recorded. It is due by %(day)s.", day=item.due_on), "success")
            return redirect_to(url_for("people.data_request", request_id=item.id))
    return render("people/data_request_new.html", status=400 if form.errors else 200, form=form)


def _int_arg(name: str) -> int | None:
    return database_id(request.args.get(name))


@bp.route("/admin/data-requests/<int:request_id>")
@login_required
def data_request(request_id: int):
    item = _request(request_id)
    recorded_by = db.session.get(User, item.recorded_by_id) if item.recorded_by_id else None
    downloads = list(
        db.session.scalars(
            select(DataDownload).where(DataDownload.request_id == item.id).order_by(DataDownload.id)
        )
    )
    return render(
        "people/data_request.html",
        item=item,
        recorded_by=recorded_by,
        downloads=downloads,
        ready=_ready(f"request-{item.id}"),
        today=dates.local_today(),
        channel_labels=CHANNEL_LABELS,
        prepare_form=PrepareDownloadForm(),
        done_form=MarkDoneForm(),
        hours=DOWNLOAD_HOURS,
    )


@bp.route("/admin/data-requests/<int:request_id>/prepare", methods=["POST"])
@login_required
def prepare_data_request(request_id: int):
    item = _request(request_id)
    form = PrepareDownloadForm()
    here = url_for("people.data_request", request_id=item.id)
    if form.validate_on_submit():
        if not recently_confirmed(current_user):
            return redirect_to(confirm_url(here))
        _download, token = prepare_download(current_user._get_current_object(), item.subject, item)
        db.session.commit()
        _remember(f"request-{item.id}", token)
    return redirect_to(here)


@bp.route("/admin/data-requests/<int:request_id>/done", methods=["POST"])
@login_required
def data_request_done(request_id: int):
    item = _request(request_id)
    form = MarkDoneForm()
    if form.validate_on_submit():
        try:
            mark_done(current_user._get_current_object(), item)
        except IllegalMove as error:
            db.session.rollback()
            flash(str(error), "warning")
        else:
            db.session.commit()
            flash(_("Marked as done."), "success")
    return redirect_to(url_for("people.data_requests"))


@bp.app_context_processor
def _data_permissions() -> dict:
    return {"data_perm": perm}
