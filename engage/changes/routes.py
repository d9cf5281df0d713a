"""Register pages: raise an item, follow it, triage, plan, resolve; "you said, we did"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, flash, g, make_response, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import exists, func, or_, select

from engage.changes import bp, exports, measures, services
from engage.changes import permissions as perm
from engage.changes.forms import (
    OTHER,
    CloseForm,
    ConfirmForm,
    DecisionForm,
    MergeForm,
    OwnershipForm,
    RaiseForm,
    ReasonForm,
    RegisterSettingsForm,
    ResolveForm,
    StaffRaiseForm,
    StepForm,
    SupportForm,
)
from engage.changes.models import (
    LEVEL_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    THEME_LABELS,
    BoardMeeting,
    Decision,
    Event,
    IllegalMove,
    Item,
    Level,
    Source,
    State,
    Support,
)
from engage.core import audit, dates
from engage.core.conflicts import ChangedMeanwhile, check_version, saving
from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.numbers import database_id, page_of, requested_id, whole_number
from engage.core.permissions import allow
from engage.extensions import db
from engage.people.models import Organisation, Role, User
from engage.people.permissions import can_act_on_behalf

PAGE_SIZE = 25


def _supports(item: Item, user) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Support.item_id == item.id, Support.user_id == user.id))
        )
    )


def _load(item_id: int) -> Item:
    """Load an item the viewer may see; anything else is 404, so nothing is revealed."""
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    supporter = {current_user.id} if _supports(item, current_user) else set()
    if not perm.can_view_item(current_user, item, supporter):
        abort(404)
    return item


#: How many supporters' accounts an item page shows; the count covers everyone.
ACCOUNTS_SHOWN = 50


def _organisations() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(Organisation).where(Organisation.is_active).order_by(Organisation.name)
    )
    return [(str(o.id), o.name) for o in rows]


def visible_items_query(user):
    """Items this person may list: all for boards and managers, otherwise their own."""
    query = select(Item)
    if perm.sees_whole_register(user):
        return query
    own = [
        Item.raised_by_id == user.id,
        Item.id.in_(select(Support.item_id).where(Support.user_id == user.id)),
    ]
    if user.has_role(Role.PARTNER) and user.organisation_id:
        own.append(Item.owner_organisation_id == user.organisation_id)
    return query.where(or_(*own))


REGISTER_FILTERS = ("state", "theme", "level", "agency", "q")


def filtered_items_query(user, filters: dict[str, str]):
    """The items this person may see, narrowed by the register's filters. The list, the
    measures and the CSV export all use this one query, so they always agree."""
    query = visible_items_query(user)
    state = filters.get("state", "")
    if state == "open":
        query = query.where(Item.state.in_([s.value for s in State if s.is_open]))
    elif state in {s.value for s in State}:
        query = query.where(Item.state == state)
    if filters.get("theme", "") in {t.value for t in THEME_LABELS}:
        query = query.where(Item.theme == filters["theme"])
    level = whole_number(filters.get("level"), min(Level), max(Level))
    if level is not None:
        query = query.where(Item.level == level)
    agency = database_id(filters.get("agency"))
    if agency is not None:
        query = query.where(Item.agency_id == agency)
    if filters.get("q", ""):
        like = f"%{filters['q'].lower()}%"
        query = query.where(func.lower(Item.title).like(like))
    return query


def _register_filters() -> dict[str, str]:
    """The filters in the address. A level or organisation that could not exist is dropped,
    so it is neither used nor carried into the next page's links."""
    # A NUL (which PostgreSQL refuses in text) is never in a title or a filter.
    filters = {k: request.args.get(k, "").replace("\x00", "").strip() for k in REGISTER_FILTERS}
    if whole_number(filters["level"], min(Level), max(Level)) is None:
        filters["level"] = ""
    if database_id(filters["agency"]) is None:
        filters["agency"] = ""
    return filters


@bp.route("/register")
@login_required
def register():
    filters = _register_filters()
    query = filtered_items_query(current_user, filters)
    whole = perm.sees_whole_register(current_user)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_of(total, PAGE_SIZE)
    items = db.session.scalars(page.of(query.order_by(Item.id.desc()))).all()
    return render(
        "changes/register.html",
        block="results",
        items=items,
        total=total,
        page=page.number,
        pages=page.pages,
        filters=filters,
        filter_args={k: v for k, v in filters.items() if v},
        states=list(State),
        themes=THEME_LABELS,
        levels=LEVEL_LABELS,
        agencies=_organisations(),
        whole=whole,
        # Managers and boards only: the measures of the filtered items, from one query.
        measures=measures.register_measures(query, today=dates.local_today()) if whole else None,
    )


@bp.route("/register.csv")
@login_required
@writes_when_read
def register_csv():
    """The filtered register as a spreadsheet file, for managers and boards."""
    allow(perm.sees_whole_register(current_user))
    filters = _register_filters()
    query = filtered_items_query(current_user, filters)
    timezone = dates.local_timezone()
    body = exports.register_csv(query, timezone)
    audit.record("register.exported", actor=current_user, **{k: v for k, v in filters.items() if v})
    db.session.commit()
    response = make_response(body.encode("utf-8-sig"))  # the BOM tells spreadsheets: UTF-8
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(dates.local_today())}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/register/new", methods=["GET", "POST"])
@login_required
def new():
    allow(perm.can_raise_item(current_user))
    # ?for=<id>: a manager raising an item with and for a peer (assisted digital). It is the
    # peer's item, with the peer's choice about their name, recorded as entered on behalf.
    for_person = None
    for_id = requested_id("for")
    if for_id is not None:
        for_person = db.session.get(User, for_id)
        if for_person is None or not can_act_on_behalf(current_user, for_person):
            abort(404)
    staff = perm.can_raise_for_others(current_user) and for_person is None
    form = StaffRaiseForm() if staff else RaiseForm()
    form.agency.choices = [("", _("Choose one")), *_organisations(), (OTHER, _("Other"))]
    if form.validate_on_submit():
        source = Source(form.source.data) if staff else Source.PEER
        item = services.raise_item(
            current_user,
            on_behalf_of=for_person,
            title=form.title.data,
            what_happened=form.what_happened.data,
            theme=form.theme.data,
            who_affected=form.who_affected.data or "",
            agency_id=int(form.agency.data) if form.agency.data.isdigit() else None,
            agency_other=form.agency_other.data or "",
            show_name=form.show_name.data == "yes",
            source=source,
            source_note=getattr(form, "source_note", None) and form.source_note.data or "",
            submission_key=form.submission_key.key,
        )
        db.session.commit()
        return redirect_to(url_for("changes.raised", item_id=item.id))
    similar = db.session.scalars(
        select(Item)
        .where(
            Item.state.in_(
                [
                    State.TRIAGED.value,
                    State.ACTION_PLANNED.value,
                    State.IN_PROGRESS.value,
                    State.ESCALATED.value,
                ]
            )
        )
        .order_by(Item.supporter_count.desc(), Item.id.desc())
        .limit(8)
    ).all()
    return render(
        "changes/new.html", form=form, staff=staff, similar=similar, for_person=for_person
    )


@bp.route("/register/<int:item_id>/raised")
@login_required
def raised(item_id: int):
    item = _load(item_id)
    # Raised by a manager with and for a peer: the page speaks to the manager about the peer.
    for_person = item.raised_by if item.raised_by_id not in (None, current_user.id) else None
    return render("changes/raised.html", item=item, for_person=for_person)


@bp.route("/register/<int:item_id>")
@login_required
def item(item_id: int):
    item = _load(item_id)
    # Only accounts this viewer may read, newest first, and a bounded number of them: an item
    # thousands of people back must still open quickly on a cheap phone.
    readable = select(Support).where(Support.item_id == item.id, Support.account != "")
    if not perm.can_read_every_account(current_user):
        allowed = [Support.user_id == current_user.id]
        if perm.can_read_shared_accounts(current_user):
            allowed.append(Support.share_with_board.is_(True))
        readable = readable.where(or_(*allowed))
    accounts = db.session.scalars(readable.order_by(Support.id.desc()).limit(ACCOUNTS_SHOWN)).all()
    # Each "me too" is counted in the summary, not listed one line each in the history.
    events = db.session.scalars(
        select(Event)
        .where(Event.item_id == item.id, Event.kind != "supported")
        .order_by(Event.at, Event.id)
    ).all()
    decisions = db.session.scalars(
        select(Decision).where(Decision.item_id == item.id).order_by(Decision.decided_at)
    ).all()
    raiser = item.raised_by if perm.can_see_raiser(current_user, item) else None
    # Staff are told when "You said, we did" leaves the raiser's words out (consent to quote).
    withheld = (
        services.quote_withheld_because(item) if perm.can_manage_item(current_user, item) else None
    )
    return render(
        "changes/item.html",
        item=item,
        raiser=raiser,
        quote_withheld=withheld,
        accounts=accounts,
        supported=_supports(item, current_user),
        events=events,
        decisions=decisions,
        states=STATE_LABELS,
        sources=SOURCE_LABELS,
        today=dates.local_today(),
    )


@bp.route("/register/<int:item_id>/support", methods=["GET", "POST"])
@login_required
def support(item_id: int):
    item = db.session.get(Item, item_id)
    if item is None or not perm.can_support(current_user, item):
        abort(404)
    form = SupportForm()
    if form.validate_on_submit():
        services.support(
            current_user, item, form.account.data or "", bool(form.share_with_board.data)
        )
        db.session.commit()
        flash(_("Thank you. You will hear when this item changes."), "success")
        return redirect_to(url_for("changes.item", item_id=item.id))
    return render("changes/support.html", form=form, item=item)


# Staff actions: one small page each, all with the same shape. Each names its form, who may
# take it, its heading and the service that does it with the form's answers.
@dataclass(frozen=True)
class _Action:
    form: type
    permitted: Callable[[User, Item], bool]
    heading: str
    service: Callable[..., object]


ACTIONS = {
    "triage": _Action(
        ConfirmForm, perm.can_triage, _l("Accept into the register"), services.triage
    ),
    "close": _Action(CloseForm, perm.can_triage, _l("Close this item"), services.close),
    "merge": _Action(
        MergeForm, perm.can_triage, _l("Merge with another item"), services.merge_into
    ),
    "owner": _Action(
        OwnershipForm,
        perm.can_manage_item,
        _l("Owner, target date and level"),
        services.set_ownership,
    ),
    "step": _Action(
        StepForm, perm.can_manage_item, _l("Add a step to the action plan"), services.add_step
    ),
    "start": _Action(ConfirmForm, perm.can_manage_item, _l("Start work"), services.start),
    "resolve": _Action(
        ResolveForm,
        perm.can_manage_item,
        _l("Resolve: check it really changed"),
        services.resolve,
    ),
    "reopen": _Action(ReasonForm, perm.can_manage_item, _l("Reopen this item"), services.reopen),
    "decision": _Action(
        DecisionForm, perm.can_manage_item, _l("Record a decision"), services.record_decision
    ),
}


@bp.route("/register/<int:item_id>/<action>", methods=["GET", "POST"])
@login_required
def act(item_id: int, action: str):
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    item = _load(item_id)
    allow(chosen.permitted(current_user, item))
    form = chosen.form()
    _fill_choices(form, action)
    problem, status = None, 200
    if request.method == "GET":
        form.version.data = str(item.version)
        if action == "owner":
            form.owner.data = str(item.owner_id or "")
            form.organisation.data = str(item.owner_organisation_id or "")
            form.target_date.data = item.target_date
            form.level.data = str(item.level)
    if form.validate_on_submit():
        try:
            with saving():
                check_version(item, form.version.data)
                chosen.service(current_user._get_current_object(), item, **form.arguments())
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except IllegalMove as error:
            problem = str(error)
        else:
            flash(_("Saved."), "success")
            return redirect_to(url_for("changes.item", item_id=item.id))
        # Nothing was saved. Keep what they typed, and let the next save go against the
        # item as it is now.
        db.session.rollback()
        item = _load(item_id)
        form.version.data = str(item.version)
    return render(
        "changes/action.html",
        form=form,
        item=item,
        heading=chosen.heading,
        action=action,
        problem=problem,
        status=status,
    )


def _fill_choices(form, action: str) -> None:
    if action == "owner":
        form.owner.choices = [("", _("Nobody yet"))] + [
            (
                str(user.id),
                _("%(name)s, %(organisation)s", name=user.display_name, organisation=org.name)
                if org
                else user.display_name,
            )
            for user, org in services.possible_owners()
        ]
        form.organisation.choices = [("", _("None yet")), *_organisations()]
    if action == "decision":
        meetings = db.session.scalars(
            select(BoardMeeting).order_by(BoardMeeting.starts_at.desc()).limit(20)
        ).all()
        form.meeting.choices = [("", _("Not at a meeting"))] + [
            (str(m.id), f"{m.board.name} – {m.starts_at:%Y-%m-%d}") for m in meetings
        ]


#: How long a shared cache (or the browser) may keep the public "You said, we did" page.
PUBLIC_MAX_AGE = 300


@bp.route("/you-said-we-did")
def you_said_we_did():
    """What changed because people spoke up, with the programme's figures for the last 12
    months. People signed in read it as ever (a raiser's words where they consent); once the
    partnership publishes it, anyone may read the public version, which never has a raiser's
    words or anyone's name, and may be cached for a few minutes."""
    if not perm.can_read_you_said_we_did(current_user, services.is_published()):
        return current_app.login_manager.unauthorized()
    public = not perm.reads_raisers_words(current_user)
    if public:
        # Nothing on the public page posts, so it has no CSRF token. Flask-WTF makes one only
        # when the request has none, so this one stands in and the visitor's session is left
        # alone: no cookie is set, and every visitor gets the same page, fit for a cache.
        g.setdefault(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), "")
    query = select(Item).where(Item.state == State.RESOLVED.value)
    page = page_of(db.session.scalar(select(func.count()).select_from(query.subquery())), PAGE_SIZE)
    items = db.session.scalars(
        page.of(query.order_by(Item.resolved_at.desc(), Item.id.desc()))
    ).all()
    # Imported here: the dashboard's sections come from every domain, this one included.
    from engage.dashboard import formatting, periods
    from engage.dashboard import services as dashboard

    chosen = periods.quick_pick("last-12-months", dates.local_today())
    response = render(
        "changes/you_said_we_did.html",
        items=items,
        public=public,
        quotable=set() if public else services.quotable(items),
        page=page.number,
        pages=page.pages,
        chosen=chosen,
        sections=dashboard.public_figures(chosen.current, chosen.previous),
        fmt=formatting,
    )
    # A response that sets a cookie is never kept for others (a visitor whose session is
    # refreshed on each request, say): it keeps the default "no-store".
    if public and not current_app.session_interface.should_set_cookie(current_app, session):
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.route("/register/settings", methods=["GET", "POST"])
@login_required
def register_settings():
    """Publishing "You said, we did", and N for the action plan measure."""
    allow(perm.can_change_register_settings(current_user))
    form = RegisterSettingsForm()
    if request.method == "GET":
        form.publish.data = "yes" if services.is_published() else "no"
        form.plan_days.data = measures.plan_within_days()
    if form.validate_on_submit():
        services.change_settings(
            current_user._get_current_object(),
            publish=form.publish.data == "yes",
            plan_days=form.plan_days.data,
        )
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect_to(url_for("changes.register_settings"))
    return render(
        "changes/settings.html",
        form=form,
        published=services.is_published(),
        status=400 if form.errors else 200,
    )
