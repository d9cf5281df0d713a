"""The programme dashboard: the measures each partnership promised its board and funder,
computed for any period from what engage already holds, with the previous period beside them.
Managers and board members see every section; partner officers see the figures that identify
nobody. The board pack and the funder report are built from the same sections."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)


@bp.app_context_processor
def _permissions() -> dict:
    from engage.dashboard import permissions

    return {"dashboard_perm": permissions}


from engage.dashboard import models, report_routes, routes, who_routes  # noqa: E402,F401
