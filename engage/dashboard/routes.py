"""The programme dashboard (``/dashboard``) and its spreadsheet exports."""

from __future__ import annotations

from flask import make_response, request
from flask_login import current_user, login_required

from engage.core import dates
from engage.core.htmx import render
from engage.core.permissions import allow
from engage.dashboard import bp, exports, formatting, periods, services
from engage.dashboard import permissions as perm
from engage.dashboard.forms import PeriodForm


def chosen_period() -> tuple[PeriodForm, periods.Chosen | None]:
    """The period in the address: two dates typed in (``start``, ``end``), else a quick pick
    (``period``; an unknown one is the default). None when the dates typed are not usable;
    the form then carries the errors and what was typed."""
    today = dates.local_today()
    typed_dates = any(request.args.get(name, "").strip() for name in ("start", "end"))
    if typed_dates:
        form = PeriodForm(formdata=request.args)
        if not form.validate():
            return form, None
        return form, periods.typed(form.start.data, form.end.data)
    pick = request.args.get("period", periods.DEFAULT_PICK)
    if pick not in periods.QUICK_PICKS:
        pick = periods.DEFAULT_PICK
    chosen = periods.quick_pick(pick, today)
    shown = {"start": chosen.current.start, "end": chosen.current.end}
    form = PeriodForm(formdata=None, data=shown)
    return form, chosen


def _period_args(chosen: periods.Chosen) -> dict[str, str]:
    if chosen.pick:
        return {"period": chosen.pick}
    return {"start": chosen.current.start.isoformat(), "end": chosen.current.end.isoformat()}


@bp.route("/dashboard")
@login_required
def dashboard():
    allow(perm.can_view_dashboard(current_user))
    whole = perm.sees_whole_dashboard(current_user)
    form, chosen = chosen_period()
    sections = (
        services.build(chosen.current, chosen.previous, public_only=not whole) if chosen else []
    )
    return render(
        "dashboard/dashboard.html",
        form=form,
        chosen=chosen,
        sections=sections,
        whole=whole,
        picks=periods.QUICK_PICKS,
        period_args=_period_args(chosen) if chosen else {},
        fmt=formatting,
        status=200 if chosen else 400,
    )


@bp.route("/dashboard/export.<any(csv, xlsx):kind>")
@login_required
def export(kind: str):
    allow(perm.can_view_dashboard(current_user))
    whole = perm.sees_whole_dashboard(current_user)
    form, chosen = chosen_period()
    if chosen is None:
        return render(
            "dashboard/dashboard.html",
            form=form,
            chosen=None,
            sections=[],
            whole=whole,
            picks=periods.QUICK_PICKS,
            period_args={},
            fmt=formatting,
            status=400,
        )
    sections = services.build(chosen.current, chosen.previous, public_only=not whole)
    current = chosen.current
    name = f"engage-dashboard-{current.start.isoformat()}-to-{current.end.isoformat()}"
    if kind == "csv":
        body = exports.dashboard_csv(sections, chosen.current, chosen.previous)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = exports.dashboard_xlsx(sections, chosen.current, chosen.previous)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response
