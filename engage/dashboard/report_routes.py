"""The funder report (``/dashboard/report``): a chosen period and set of sections as a printable
page and a PDF, and saved snapshots of it (``/dashboard/reports``) that never change."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engage.core.domains import dashboard_sections
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of
from engage.core.permissions import allow
from engage.dashboard import bp, formatting, periods, services, snapshots
from engage.dashboard import permissions as perm
from engage.dashboard.forms import SaveReportForm
from engage.dashboard.models import ReportSnapshot
from engage.dashboard.pdf import pdf_response
from engage.dashboard.routes import chosen_period
from engage.extensions import db

#: Saved snapshots listed per page.
PAGE_SIZE = 25

#: Sent with the section boxes, so "none ticked" is told apart from "not chosen yet" (all).
CHOSE_SECTIONS = "sections"


def _chosen_keys() -> tuple[list[str], str | None]:
    """The section keys ticked, in the dashboard's order (all of them until the form is sent),
    and what is wrong when none is."""
    registered = [s.key for s in dashboard_sections()]
    if not request.args.get(CHOSE_SECTIONS):
        return registered, None
    ticked = set(request.args.getlist("section"))
    keys = [key for key in registered if key in ticked]
    return keys, None if keys else _("Choose at least one section for the report")


def _args(chosen: periods.Chosen | None, keys: list[str]) -> dict:
    """The address arguments that ask for this report again (the PDF, the save form)."""
    out: dict = {CHOSE_SECTIONS: "1", "section": keys}
    if chosen is None:
        return out
    if chosen.pick:
        out["period"] = chosen.pick
    else:
        out["start"] = chosen.current.start.isoformat()
        out["end"] = chosen.current.end.isoformat()
    return out


def _default_title(chosen: periods.Chosen) -> str:
    return _(
        "Funder report, %(start)s to %(end)s",
        start=format_date(chosen.current.start, "long"),
        end=format_date(chosen.current.end, "long"),
    )


def _report(save_form: SaveReportForm | None = None, *, pdf: bool = False, status: int = 200):
    """The live report for the period and sections in the address: the page, or with ``pdf``
    the PDF drawn from it. A period or choice that cannot be used gives the page again with
    what was typed and what is wrong (400)."""
    form, chosen = chosen_period()
    keys, sections_problem = _chosen_keys()
    usable = chosen is not None and sections_problem is None
    # Every section is built, so each box can be named; only the ticked ones are shown.
    built = services.build(chosen.current, chosen.previous) if chosen is not None else []
    if save_form is None:
        save_form = SaveReportForm(formdata=None)
        if chosen is not None:
            save_form.title.data = _default_title(chosen)
    titles = {s.key: s.title for s in built}
    context = {
        "form": form,
        "chosen": chosen,
        "picks": periods.QUICK_PICKS,
        "choices": [(r.key, titles.get(r.key, r.key), r.key in keys) for r in dashboard_sections()],
        "sections_problem": sections_problem,
        "sections": [s for s in built if s.key in keys] if usable else [],
        "save_form": save_form,
        "report_args": _args(chosen, keys),
        "fmt": formatting,
        "snapshot": None,
        "pdf": pdf,
    }
    if not usable:
        return render("dashboard/report.html", status=400, **context)
    if pdf:
        name = f"funder-report-{chosen.current.start.isoformat()}-to-{chosen.current.end}.pdf"
        return pdf_response(render_template("dashboard/report.html", **context), name)
    return render("dashboard/report.html", status=status, **context)


@bp.route("/dashboard/report")
@login_required
def report():
    allow(perm.can_make_reports(current_user))
    return _report()


@bp.route("/dashboard/report.pdf")
@login_required
def report_pdf():
    allow(perm.can_make_reports(current_user))
    return _report(pdf=True)


@bp.route("/dashboard/reports", methods=["GET", "POST"])
@login_required
def reports():
    """GET: the saved snapshots, newest first. POST: save the report asked for in the address
    (period and sections) as a snapshot; the same form sent twice saves it once."""
    if request.method == "GET":
        allow(perm.can_read_snapshots(current_user))
        page = page_of(snapshots.count(), PAGE_SIZE)
        return render(
            "dashboard/reports.html",
            saved=snapshots.saved(PAGE_SIZE, (page.number - 1) * PAGE_SIZE),
            page=page.number,
            pages=page.pages,
            make=perm.can_make_reports(current_user),
        )
    allow(perm.can_make_reports(current_user))
    save_form = SaveReportForm()
    _form, chosen = chosen_period()
    keys, sections_problem = _chosen_keys()
    if chosen is None or sections_problem or not save_form.validate_on_submit():
        return _report(save_form, status=400)
    sections = services.build(chosen.current, chosen.previous, only=set(keys), fresh=True)
    snapshot = snapshots.save(
        current_user,
        save_form.title.data,
        chosen,
        keys,
        sections,
        submission_key=save_form.submission_key.key,
    )
    db.session.commit()
    flash(_("The report is saved. Its figures will stay as they are now."), "success")
    return redirect_to(url_for("dashboard.snapshot", snapshot_id=snapshot.id))


def _snapshot(snapshot_id: int) -> ReportSnapshot:
    allow(perm.can_read_snapshots(current_user), hide=True)
    snapshot = db.session.get(ReportSnapshot, snapshot_id)
    if snapshot is None:
        abort(404)
    return snapshot


def _snapshot_context(snapshot: ReportSnapshot, pdf: bool) -> dict:
    return {
        "snapshot": snapshot,
        "chosen": snapshots.period(snapshot),
        "sections": snapshots.loads(snapshot.figures),
        "fmt": formatting,
        "pdf": pdf,
    }


@bp.route("/dashboard/reports/<int:snapshot_id>")
@login_required
def snapshot(snapshot_id: int):
    """A saved report exactly as it was saved."""
    return render("dashboard/report.html", **_snapshot_context(_snapshot(snapshot_id), pdf=False))


@bp.route("/dashboard/reports/<int:snapshot_id>.pdf")
@login_required
def snapshot_pdf(snapshot_id: int):
    saved = _snapshot(snapshot_id)
    html = render_template("dashboard/report.html", **_snapshot_context(saved, pdf=True))
    return pdf_response(html, f"funder-report-{saved.id}-{saved.created_at:%Y-%m-%d}.pdf")
