"""Finance pages: the finance home, what someone has been paid, payment runs (made once,
marked paid once), and reversals by correcting entry."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.payments import bank_details
from engage.payments.models import (
    ClaimState,
    ExpenseClaim,
    InvolvementRecord,
    ItemKind,
    PaymentItem,
    PaymentRun,
    RecordStatus,
    RunStatus,
)
from engage.payments.runs import exports
from engage.payments.runs import routes as finance
from engage.payments.runs import services as run_services
from engage.payments.time_given import services as time_given
from engage.people.models import Role, User
from tests.conftest import csrf_token, post, sign_in
from tests.payments.conftest import give_bank_details

# Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def finance_actor(make_user):
    return make_user("fin", roles={Role.FINANCE}, preferred_name="Fran Finance")


@pytest.fixture
def finance_user(client, finance_actor, confirmed):
    """The finance officer, signed in, having just typed their password again (the payment
    files ask for it)."""
    assert sign_in(client, "fin").status_code == 303
    confirmed()
    return finance_actor


@pytest.fixture
def approved_record(app, make_rate, make_record, manager):
    """An approved fee for ``person``: 2 hours at £15.00 an hour unless told otherwise."""
    rates: set[str] = set()

    def make(person, activity="forum_meeting", minutes=120, **kwargs) -> int:
        if activity not in rates:
            make_rate(activity, "15.00")
            rates.add(activity)
        record_id = make_record(person, activity=activity, minutes=minutes, **kwargs)
        with app.test_request_context():
            time_given.approve_record(
                db.session.get(User, manager.id), db.session.get(InvolvementRecord, record_id)
            )
            db.session.commit()
        return record_id

    return make


@pytest.fixture
def people(app, make_user):
    """Ann is paid by bank transfer (with bank details), Vic in vouchers, Cas in cash."""
    people = {
        "ann": make_user("ann", preferred_name="Ann Apple", payment_preference="bank"),
        "vic": make_user("vic", preferred_name="Vic Voucher", payment_preference="voucher"),
        "cas": make_user("cas", preferred_name="Cas Cash", payment_preference="cash"),
    }
    give_bank_details(app, people["ann"])
    return people


@pytest.fixture
def made_run(app, finance_actor):
    """Make a run through the service (as finance would), optionally marked paid."""

    def make(record_ids=(), claim_ids=(), paid=False, key=None) -> int:
        with app.test_request_context():
            actor = db.session.get(User, finance_actor.id)
            run, _made = run_services.create_run(
                actor,
                key or f"key-{len(record_ids)}-{len(claim_ids)}-{paid}-{record_ids}{claim_ids}",
                list(record_ids),
                list(claim_ids),
            )
            if paid:
                run_services.mark_paid(actor, run)
            db.session.commit()
            return run.id

    return make


def _get(app, model, ident):
    with app.app_context():
        row = db.session.get(model, ident)
        if row is not None:
            db.session.refresh(row)
            db.session.expunge(row)
        return row


def _count(app, query) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(query.subquery()))


def _items(app, **where) -> list[PaymentItem]:
    with app.app_context():
        query = select(PaymentItem).order_by(PaymentItem.id)
        for name, value in where.items():
            query = query.where(getattr(PaymentItem, name) == value)
        rows = list(db.session.scalars(query))
        for row in rows:
            db.session.expunge(row)
        return rows


def _text(response) -> str:
    return response.get_data(as_text=True)


def _key(page: str) -> str:
    match = re.search(r'id="key" name="key" type="hidden" value="([0-9a-f]+)"', page) or re.search(
        r'name="key" type="hidden" value="([0-9a-f]+)"', page
    )
    assert match, "no run key on the page"
    return match.group(1)


# Who may open the pages ------------------------------------------------------------------------


@pytest.fixture
def every_page(app, people, approved_record, made_run):
    """One of each finance page: a ready run, a paid run with an item to reverse."""
    ready = made_run([approved_record(people["ann"])])
    paid = made_run([approved_record(people["vic"])], paid=True)
    item = _items(app, run_id=paid)[0]
    return [
        "/payments",
        "/payments?q=ann",
        f"/payments/people/{people['ann'].id}",
        "/payments/runs",
        "/payments/runs/new",
        f"/payments/runs/{ready}",
        f"/payments/runs/{ready}.csv",
        f"/payments/runs/{ready}.xlsx",
        f"/payments/runs/{ready}/paid",
        f"/payments/items/{item.id}/reverse",
    ]


@pytest.mark.parametrize(
    "role", [Role.PEER, Role.MANAGER, Role.BOARD, Role.PARTNER, Role.ADMIN], ids=str
)
def test_other_roles_are_refused(client, make_user, every_page, role):
    make_user("someone", roles={role})
    assert sign_in(client, "someone").status_code == 303
    for url in every_page:
        assert client.get(url).status_code == 403, url
    # Nor can they post.
    token = csrf_token(client, "/me")
    assert client.post("/payments/runs/new", data={"csrf_token": token}).status_code == 403


def test_visitors_are_sent_to_sign_in(app, every_page):
    fresh = app.test_client()  # nobody signed in
    for url in every_page:
        response = fresh.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]


def test_finance_opens_every_page(client, finance_user, every_page):
    for url in every_page:
        assert client.get(url).status_code == 200, url


def test_unknown_ids_are_404(client, finance_user):
    for url in [
        "/payments/people/99999",
        "/payments/runs/99999",
        "/payments/runs/99999.csv",
        "/payments/runs/99999.xlsx",
        "/payments/runs/99999/paid",
        "/payments/items/99999/reverse",
    ]:
        assert client.get(url).status_code == 404, url


# The finance home ------------------------------------------------------------------------------


def test_home_shows_what_is_ready_waiting_and_paid(
    app, client, finance_user, people, manager, approved_record, make_record, make_claim, made_run
):
    approved_record(people["ann"])  # £30.00
    make_claim(people["ann"], amount="4.50", state="approved", decider=manager)
    make_claim(people["vic"], amount="2.00")  # sent, waiting for a decision
    make_record(people["cas"])  # time waiting for approval
    paid = made_run([approved_record(people["vic"], activity="training", minutes=60)], paid=True)
    page = _text(client.get("/payments"))
    assert "2 payments are approved and ready to pay, £34.50 in all." in page
    assert 'href="/payments/runs/new"' in page
    # Waiting for approval, by age: one claim and one piece of time, both new.
    ages = page.split("by how long they have waited")[-1].split("</table>")[0]
    first_band = ages.split("Up to a week")[1].split("</tr>")[0]
    assert re.findall(r">(\d+)</td>", first_band) == ["1", "1"]
    # Paid by month: this month has the £15.00 training fee.
    months = page.split("Money paid out in each of the last 12 months")[-1].split("</table>")[0]
    assert months.count('<th scope="row"') == 13  # 12 months and the total
    assert "£15.00" in months
    # By activity this tax year.
    activity = page.split("tax year, by activity")[-1].split("</table>")[0]
    assert "Training" in activity and "Forum meeting" in activity
    assert page.count("<caption") == 3
    assert paid


def test_search_finds_people_by_name_or_username(client, finance_user, people, make_user):
    make_user("percent", preferred_name="Per Cent")
    page = _text(client.get("/payments?q=apple"))
    assert f'href="/payments/people/{people["ann"].id}"' in page
    assert "Vic Voucher" not in page
    page = _text(client.get("/payments?q=VIC"))
    assert f'href="/payments/people/{people["vic"].id}"' in page
    page = _text(client.get("/payments?q=%25"))  # a "%" matches nobody, not everybody
    assert "Nobody found with “%”" in page
    assert "Ann Apple" not in page
    page = _text(client.get("/payments?q=nobody-like-this"))
    assert "Nobody found" in page


def test_search_asks_for_more_when_too_many(client, finance_user, make_user, monkeypatch):
    monkeypatch.setattr(finance, "SEARCH_LIMIT", 2)
    for n in range(3):
        make_user(f"sam{n}", preferred_name=f"Sam {n}")
    page = _text(client.get("/payments?q=sam"))
    assert page.count('href="/payments/people/') == 2
    assert "Type more of it" in page


# One person ------------------------------------------------------------------------------------


def test_person_page_shows_this_tax_year(
    app, client, finance_user, people, manager, approved_record, make_claim, made_run
):
    ann = people["ann"]
    fee = approved_record(ann, minutes=90)  # £22.50
    claim = make_claim(ann, amount="3.20", state="approved", decider=manager)
    run_id = made_run([fee], [claim], paid=True)
    waiting = approved_record(ann, activity="training", minutes=60)  # £15.00, not in a run
    page = _text(client.get(f"/payments/people/{ann.id}"))
    assert "What Ann Apple has been paid" in page
    assert "Tax year 2026/27" in page
    summary = page.split('<dl class="govuk-summary-list">')[1].split("</dl>")[0]
    assert "£22.50" in summary and "£3.20" in summary and "£25.70" in summary
    reference = _get(app, PaymentRun, run_id).reference
    assert f'href="/payments/runs/{run_id}">{reference}</a>' in page
    assert "Involvement payment" in page and "Expenses" in page and "Bank transfer" in page
    assert f'href="/claims/{claim}"' in page
    # Approved and waiting.
    assert "£15.00 approved and not paid yet" in page
    assert waiting


def test_person_page_tax_year_choice(client, finance_user, people, approved_record, made_run):
    ann = people["ann"]
    made_run([approved_record(ann)], paid=True)
    page = _text(client.get(f"/payments/people/{ann.id}?year=2025"))
    assert "Tax year 2025/26" in page
    assert "Nothing was paid to Ann Apple in this tax year." in page
    assert re.search(r"From [^<]*6[^<]*2025 to [^<]*5[^<]*2026\.", page)
    assert "?year=2026" in page  # the year after
    for odd in ("abc", "1850", "99999", "2999"):
        page = _text(client.get(f"/payments/people/{ann.id}?year={odd}"))
        assert "Tax year 2026/27" in page, odd


def test_bank_details_are_masked_and_every_view_is_audited(app, client, finance_user, people):
    ann = people["ann"]
    with app.test_request_context():
        bank_details.set_bank_details(
            db.session.get(User, ann.id),
            db.session.get(User, ann.id),
            account_name="A Apple",
            sort_code="12-34-56",
            account_number="87654321",
        )
        db.session.commit()
    viewed = select(AuditEntry).where(
        AuditEntry.action == "bank_details.viewed", AuditEntry.subject_id == ann.id
    )
    for n in (1, 2):
        page = _text(client.get(f"/payments/people/{ann.id}"))
        assert "••-••-56" in page and "••••4321" in page and "A Apple" in page
        assert "87654321" not in page and "123456" not in page and "12-34-56" not in page
        assert _count(app, viewed) == n
    with app.app_context():
        entry = db.session.scalars(viewed).first()
        assert entry.actor_id == finance_user.id
        assert entry.detail_dict["where"] == "finance_person"


def test_person_without_bank_details(app, client, finance_user, people):
    page = _text(client.get(f"/payments/people/{people['vic'].id}"))
    assert "Vic Voucher has not given bank details." in page
    assert _count(app, select(AuditEntry).where(AuditEntry.action == "bank_details.viewed")) == 0


# Runs list ---------------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_a_page_at_a_time(
    app, client, finance_user, people, approved_record, made_run, monkeypatch
):
    monkeypatch.setattr(finance, "PAGE_SIZE", 2)
    ids = [made_run([approved_record(people["ann"])], key=f"run{n}") for n in range(3)]
    page = _text(client.get("/payments/runs"))
    refs = re.findall(r'href="/payments/runs/(\d+)">RUN-', page)
    assert refs == [str(ids[2]), str(ids[1])]
    assert "3 payment runs" in page
    assert "Fran Finance" in page and "£30.00" in page and "Ready to pay" in page
    assert 'href="/payments/runs/new"' in page
    page = _text(client.get("/payments/runs?page=2"))
    assert re.findall(r'href="/payments/runs/(\d+)">RUN-', page) == [str(ids[0])]


def test_no_runs_yet(client, finance_user):
    page = _text(client.get("/payments/runs"))
    assert "No payment runs yet" in page


# Making a run ----------------------------------------------------------------------------------


@pytest.fixture
def ready(app, people, manager, approved_record, make_claim, make_user, make_record, make_rate):
    """Two fees and a claim ready to pay, and a fee held for want of a payment choice."""
    ids = {
        "ann_fee": approved_record(people["ann"]),
        "vic_fee": approved_record(people["vic"], minutes=60),
        "ann_claim": make_claim(people["ann"], amount="4.50", state="approved", decider=manager),
    }
    undecided = make_user("una", preferred_name="Una Undecided")
    ids["held"] = approved_record(undecided, minutes=30)
    ids["una"] = undecided.id
    return ids


def test_new_run_page_lists_everything_ticked_and_the_held_fees(client, finance_user, ready):
    page = _text(client.get("/payments/runs/new"))
    for value in (
        f"fee:{ready['ann_fee']}",
        f"fee:{ready['vic_fee']}",
        f"claim:{ready['ann_claim']}",
    ):
        assert re.search(rf'value="{value}"[^>]* checked', page), value
    assert f'value="fee:{ready["held"]}"' not in page  # held: not selectable
    held = page.split("we cannot pay these yet")[1]
    assert "Una Undecided" in held and "£7.50" in held
    assert "have not told us how they want to be paid" in held
    assert "Ann Apple: £34.50" in page and "Vic Voucher: £15.00" in page
    assert "If you pay everything: 2 people, £49.50." in page
    assert len(_key(page)) == 32


def test_make_a_run_of_what_was_chosen(app, client, finance_user, ready):
    page = _text(client.get("/payments/runs/new"))
    key = _key(page)
    response = post(
        client,
        "/payments/runs/new",
        {"key": key, "items": [f"fee:{ready['ann_fee']}", f"claim:{ready['ann_claim']}"]},
    )
    assert response.status_code == 303
    run = _get(app, PaymentRun, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert run.key == key and run.item_count == 2 and run.total == Decimal("34.50")
    assert run.status == RunStatus.READY.value
    # What was not chosen stays ready for a later run.
    assert _get(app, InvolvementRecord, ready["vic_fee"]).run_id is None
    assert _get(app, InvolvementRecord, ready["ann_fee"]).run_id == run.id
    assert _get(app, ExpenseClaim, ready["ann_claim"]).run_id == run.id
    page = _text(client.get(response.headers["Location"]))
    assert f"Payment run {run.reference} is made" in page


def test_a_double_submit_makes_one_run(app, client, finance_user, ready):
    key = _key(_text(client.get("/payments/runs/new")))
    data = {"key": key, "items": [f"fee:{ready['ann_fee']}", f"fee:{ready['vic_fee']}"]}
    first = post(client, "/payments/runs/new", data)
    second = post(client, "/payments/runs/new", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, select(PaymentRun)) == 1
    assert _count(app, select(PaymentItem)) == 2
    page = _text(client.get(second.headers["Location"]))
    assert "This run was already made" in page


def test_a_race_on_the_key_answers_with_the_run_made(
    app, client, finance_user, ready, made_run, monkeypatch
):
    """Two requests with one key at the same moment: the other request made the run, this
    one's insert clashes on the unique key, the request is tried again from the start
    (engage.core.conflicts) and answers with the other's run."""
    key = _key(_text(client.get("/payments/runs/new")))
    winner = made_run([ready["ann_fee"]], key=key)
    real_create_run, clashes = run_services.create_run, []

    class UniqueClash(Exception):
        sqlstate = "23505"  # how PostgreSQL names a unique violation

    def lost_the_race_once(actor, key, record_ids, claim_ids, others=None):
        if not clashes:
            clashes.append(key)
            raise IntegrityError("INSERT INTO payment_run", {}, UniqueClash())
        return real_create_run(actor, key, record_ids, claim_ids, others)

    monkeypatch.setattr(run_services, "create_run", lost_the_race_once)
    response = post(
        client, "/payments/runs/new", {"key": key, "items": [f"fee:{ready['ann_fee']}"]}
    )
    assert clashes == [key]
    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/runs/{winner}"
    assert _count(app, select(PaymentRun)) == 1
    assert "This run was already made" in _text(client.get(response.headers["Location"]))


def test_items_taken_by_another_run_are_refused_and_the_form_kept(app, client, finance_user, ready):
    key = _key(_text(client.get("/payments/runs/new")))
    chosen = [f"fee:{ready['ann_fee']}", f"claim:{ready['ann_claim']}"]
    assert post(client, "/payments/runs/new", {"key": key, "items": chosen}).status_code == 303
    # The same payments again, from a page opened earlier (a new key).
    other_key = "f" * 32
    response = post(client, "/payments/runs/new", {"key": other_key, "items": chosen})
    assert response.status_code == 200
    page = _text(response)
    assert "There is nothing left to pay in what you chose" in page
    assert "There is a problem" in page
    assert _key(page) == other_key  # the key is kept
    assert _count(app, select(PaymentRun)) == 1
    assert _count(app, select(PaymentItem)) == 2


def test_nothing_chosen_is_an_error(app, client, finance_user, ready):
    key = _key(_text(client.get("/payments/runs/new")))
    response = post(client, "/payments/runs/new", {"key": key})
    assert response.status_code == 200
    page = _text(response)
    assert "Choose at least one payment to put in the run" in page
    assert 'href="#items"' in page  # the error summary leads to the first box
    assert not re.search(r'name="items" type="checkbox" value="[^"]+"[^>]* checked', page)
    assert _key(page) == key
    assert _count(app, select(PaymentRun)) == 0


def test_nonsense_choices_are_refused(app, client, finance_user, ready):
    key = _key(_text(client.get("/payments/runs/new")))
    for bad in ("fee:abc", "wage:1", "claim:", "fee:1" + "0" * 30):
        response = post(
            client, "/payments/runs/new", {"key": key, "items": [f"fee:{ready['ann_fee']}", bad]}
        )
        assert response.status_code == 200
        page = _text(response)
        assert "Choose payments from the list" in page
        assert re.search(rf'value="fee:{ready["ann_fee"]}"[^>]* checked', page)
    assert _count(app, select(PaymentRun)) == 0


def test_ids_that_are_not_ready_are_left_out(app, client, finance_user, ready, people, make_claim):
    draft = make_claim(people["vic"], send=False)
    key = _key(_text(client.get("/payments/runs/new")))
    response = post(
        client,
        "/payments/runs/new",
        {"key": key, "items": [f"claim:{draft}", f"fee:{ready['held']}", "fee:99999"]},
    )
    assert response.status_code == 200
    assert "There is nothing left to pay" in _text(response)
    assert _count(app, select(PaymentRun)) == 0


def test_a_form_without_its_key_is_refused(app, client, finance_user, ready):
    response = post(client, "/payments/runs/new", {"items": [f"fee:{ready['ann_fee']}"]})
    assert response.status_code == 200
    page = _text(response)
    assert "This form is out of date" in page
    assert len(_key(page)) == 32  # a new key to try again with
    assert _count(app, select(PaymentRun)) == 0


# Bank transfers without bank details ------------------------------------------------------------


@pytest.fixture
def no_details(app, make_user, manager, approved_record, make_claim):
    """Nia is paid by bank transfer but has given no bank details: an approved fee and an
    approved claim (both approved by the manager, Bea Boss) wait for her."""
    nia = make_user("nia", preferred_name="Nia Nodetails", payment_preference="bank")
    return {
        "nia": nia.id,
        "fee": approved_record(nia),
        "claim": make_claim(nia, amount="3.20", state="approved", decider=manager),
    }


def test_missing_bank_details_are_shown_before_the_run_with_who_to_ask(
    client, finance_user, ready, no_details
):
    page = _text(client.get("/payments/runs/new"))
    # Not in the list to tick: they cannot be paid yet.
    assert f'value="fee:{no_details["fee"]}"' not in page
    assert f'value="claim:{no_details["claim"]}"' not in page
    missing = page.split('id="missing-bank-details"')[1].split("</table>")[0]
    assert "Missing bank details" in missing
    assert "Nia Nodetails" in missing and "£33.20" in missing
    # Who to ask: Nia, or the manager who approved them, on the page where managers type them.
    assert "Ask Nia Nodetails, or Bea Boss (who approved this), to add their bank details." in (
        missing
    )
    assert f'href="/people/{no_details["nia"]}/bank-details"' in missing
    # Everyone else is still ready, and the total counts only what can be paid.
    assert "If you pay everything: 2 people, £49.50." in page


def test_a_run_never_holds_a_bank_transfer_without_bank_details(
    app, client, finance_user, ready, no_details
):
    """Whatever the form sends, the service leaves such items out; they stay approved."""
    key = _key(_text(client.get("/payments/runs/new")))
    chosen = [f"fee:{ready['ann_fee']}", f"fee:{no_details['fee']}", f"claim:{no_details['claim']}"]
    response = post(client, "/payments/runs/new", {"key": key, "items": chosen})
    assert response.status_code == 303
    run = _get(app, PaymentRun, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert run.item_count == 1
    assert [i.record_id for i in _items(app, run_id=run.id)] == [ready["ann_fee"]]
    fee = _get(app, InvolvementRecord, no_details["fee"])
    claim = _get(app, ExpenseClaim, no_details["claim"])
    assert (fee.status, fee.run_id) == (RecordStatus.APPROVED.value, None)
    assert (claim.state, claim.run_id) == (ClaimState.APPROVED.value, None)
    # Only such items: nothing to pay, and no run.
    with pytest.raises(run_services.RunError), app.test_request_context():
        run_services.create_run(
            db.session.get(User, finance_user.id),
            "only-nia",
            [no_details["fee"]],
            [no_details["claim"]],
        )


def test_held_payments_join_the_next_run_once_bank_details_are_given(
    app, client, finance_user, ready, no_details
):
    with app.test_request_context():
        nia = db.session.get(User, no_details["nia"])
        bank_details.set_bank_details(
            nia, nia, account_name="N Nodetails", sort_code="112233", account_number="44556677"
        )
        db.session.commit()
    page = _text(client.get("/payments/runs/new"))
    assert re.search(rf'value="fee:{no_details["fee"]}"[^>]* checked', page)
    assert re.search(rf'value="claim:{no_details["claim"]}"[^>]* checked', page)
    assert 'id="missing-bank-details"' not in page


def test_exports_refuse_a_bank_transfer_without_bank_details_from_older_data(
    app, client, finance_user, people, approved_record, made_run
):
    """A run made before runs refused them holds a bank line with a blank account: the files
    are refused (never a blank line), and the run's page says whose details to ask for."""
    run_id = made_run([approved_record(people["ann"]), approved_record(people["vic"])])
    with app.test_request_context():
        details = bank_details.bank_details_for(db.session.get(User, people["ann"].id))
        details.sort_code, details.account_number = "", ""
        db.session.commit()
        run = db.session.get(PaymentRun, run_id)
        for export in (exports.run_csv, exports.run_xlsx):
            with pytest.raises(exports.UnpayableRun) as refused:
                export(run)
            assert refused.value.payee_ids == [people["ann"].id]
    for extension in ("csv", "xlsx"):
        response = client.get(f"/payments/runs/{run_id}.{extension}")
        assert response.status_code == 303
        assert response.headers["Location"] == f"/payments/runs/{run_id}"
    page = _text(client.get(f"/payments/runs/{run_id}"))
    assert "The files cannot be made yet" in page
    assert "Missing bank details" in page
    assert f'href="/people/{people["ann"].id}/bank-details"' in page
    assert f'href="/payments/runs/{run_id}.csv"' not in page
    entries = select(AuditEntry).where(AuditEntry.action == "run.exported")
    assert _count(app, entries) == 0


def test_nothing_ready(client, finance_user):
    page = _text(client.get("/payments/runs/new"))
    assert "Nothing is approved and ready to pay" in page
    assert 'name="items"' not in page


# The run page ------------------------------------------------------------------------------------


def test_run_page_by_section_and_payee(
    app, client, finance_user, people, manager, approved_record, make_claim, made_run
):
    run_id = made_run(
        [approved_record(people["ann"]), approved_record(people["vic"], minutes=60)],
        [
            make_claim(
                people["cas"], amount="6.00", state="approved", decider=manager, method="cash"
            ),
            make_claim(people["ann"], amount="4.50", state="approved", decider=manager),
        ],
    )
    page = _text(client.get(f"/payments/runs/{run_id}"))
    bank, voucher, cash = (
        page.index(f">{label}</h2>") for label in ("Bank transfer", "Shopping voucher", "Cash")
    )
    assert bank < voucher < cash
    assert "Ann Apple</a>: £34.50" in page[bank:voucher]
    assert "Vic Voucher</a>: £15.00" in page[voucher:cash]
    assert "Cas Cash</a>: £6.00" in page[cash:]
    assert "£55.50" in page  # the run's total
    assert f'href="/payments/runs/{run_id}.csv"' in page
    assert f'href="/payments/runs/{run_id}.xlsx"' in page
    assert f'href="/payments/runs/{run_id}/paid"' in page
    assert "/reverse" not in page  # nothing is paid yet
    # A page number past the end shows the last page, not an error.
    assert client.get(f"/payments/runs/{run_id}?page=99").status_code == 200
    # A big run comes a page of payees at a time, each section's totals on every page.
    with app.test_request_context():
        run = db.session.get(PaymentRun, run_id)
        first, pages = run_services.sections(run, page=1, per_page=1)
        second, _pages = run_services.sections(run, page=2, per_page=1)
        third, _pages = run_services.sections(run, page=3, per_page=1)
    assert pages == 3
    assert [(s.method.value, s.people, str(s.total)) for s in first] == [("bank", 1, "34.50")]
    assert [p.display_name for p, _items, _total in first[0].payees] == ["Ann Apple"]
    assert [p.display_name for p, _items, _total in second[0].payees] == ["Vic Voucher"]
    assert [p.display_name for p, _items, _total in third[0].payees] == ["Cas Cash"]


# Exports -----------------------------------------------------------------------------------------


def test_csv_download(app, client, finance_user, people, approved_record, made_run):
    with app.test_request_context():
        ann = db.session.get(User, people["ann"].id)
        bank_details.set_bank_details(
            ann, ann, account_name="A Apple", sort_code="123456", account_number="87654321"
        )
        db.session.commit()
    run_id = made_run([approved_record(people["ann"]), approved_record(people["vic"])])
    response = client.get(f"/payments/runs/{run_id}.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="engage-run-{run_id:05d}.csv"'
    )
    text = response.data.decode("utf-8-sig")
    assert "87654321" in text and "12-34-56" in text
    entries = select(AuditEntry).where(AuditEntry.action == "run.exported")
    with app.app_context():
        entry = db.session.scalars(entries).one()
        assert entry.actor_id == finance_user.id
        assert entry.detail_dict == {
            "run": run_id,
            "format": "csv",
            "bank_payees": [people["ann"].id],
        }
    client.get(f"/payments/runs/{run_id}.xlsx")
    assert _count(app, entries) == 2


# Marking paid ------------------------------------------------------------------------------------


def test_mark_paid_once(
    app, client, finance_user, people, manager, approved_record, make_claim, made_run
):
    fee = approved_record(people["ann"])
    vic_fee = approved_record(people["vic"])
    claim = make_claim(people["ann"], amount="4.50", state="approved", decider=manager)
    run_id = made_run([fee, vic_fee], [claim])
    page = _text(client.get(f"/payments/runs/{run_id}/paid"))
    assert "Has the money for run RUN-" in page and "£64.50" in page
    paid_messages = select(Notification).where(Notification.subject == "We have paid you")
    url = f"/payments/runs/{run_id}/paid"
    first = post(client, url)
    assert first.status_code == 303 and first.headers["Location"] == f"/payments/runs/{run_id}"
    run = _get(app, PaymentRun, run_id)
    assert run.status == RunStatus.PAID.value and run.paid_by_id == finance_user.id
    items = _items(app, run_id=run_id)
    assert all(i.paid_at is not None for i in items)
    assert _get(app, InvolvementRecord, fee).status == RecordStatus.PAID.value
    assert _get(app, ExpenseClaim, claim).state == ClaimState.PAID.value
    with app.app_context():
        assert sorted(n.user_id for n in db.session.scalars(paid_messages)) == sorted(
            [people["ann"].id, people["vic"].id]
        )
    assert "marked as paid. We have told each person" in _text(
        client.get(first.headers["Location"])
    )
    # The second click (a page opened before): nothing changes, nobody is told twice.
    token = csrf_token(client, f"/payments/runs/{run_id}")
    second = client.post(url, data={"csrf_token": token})
    assert second.status_code == 303
    assert "already been marked as paid" in _text(client.get(second.headers["Location"]))
    assert _count(app, paid_messages) == 2
    assert [i.paid_at for i in _items(app, run_id=run_id)] == [i.paid_at for i in items]
    assert _get(app, PaymentRun, run_id).paid_at == run.paid_at
    # The page now offers reversals, not marking paid.
    page = _text(client.get(f"/payments/runs/{run_id}"))
    assert f'href="/payments/runs/{run_id}/paid"' not in page
    assert page.count("/reverse") == 3
    # Opening the confirmation page again goes back to the run.
    assert client.get(url).status_code == 303


def test_mark_paid_by_two_people_at_once(
    app, client, finance_user, people, approved_record, made_run, monkeypatch
):
    run_id = made_run([approved_record(people["ann"])])
    url = f"/payments/runs/{run_id}/paid"
    token = csrf_token(client, url)

    def raced(actor, run):
        raise StaleDataError("UPDATE payment_run expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(run_services, "mark_paid", raced)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    assert "already been marked as paid" in _text(client.get(response.headers["Location"]))
    assert _get(app, PaymentRun, run_id).status == RunStatus.READY.value


def test_mark_paid_needs_the_form_token(
    app, client, finance_user, people, approved_record, made_run
):
    run_id = made_run([approved_record(people["ann"])])
    response = client.post(f"/payments/runs/{run_id}/paid", data={})
    assert response.status_code in (200, 400)
    assert _get(app, PaymentRun, run_id).status == RunStatus.READY.value


# Reversals ---------------------------------------------------------------------------------------


@pytest.fixture
def paid_items(app, people, manager, approved_record, make_claim, made_run):
    fee = approved_record(people["ann"])
    claim = make_claim(people["ann"], amount="4.50", state="approved", decider=manager)
    run_id = made_run([fee], [claim], paid=True)
    items = {i.kind: i for i in _items(app, run_id=run_id)}
    return {
        "run": run_id,
        "fee": items["fee"],
        "claim": items["expenses"],
        "record": fee,
        "claim_id": claim,
    }


def test_reverse_page(client, finance_user, paid_items):
    page = _text(client.get(f"/payments/items/{paid_items['fee'].id}/reverse"))
    assert "Reverse a payment" in page and "£30.00" in page and "Ann Apple" in page
    assert "Pay it again in a later run" in page and "It was not owed" in page


def test_reverse_needs_a_reason_and_a_choice(app, client, finance_user, paid_items):
    url = f"/payments/items/{paid_items['fee'].id}/reverse"
    response = post(client, url, {"reason": "Bank sent it back"})
    assert response.status_code == 200
    page = _text(response)
    assert "Choose what should happen next" in page
    assert "Bank sent it back" in page  # what was typed comes back
    response = post(client, url, {"outcome": "again", "reason": "   "})
    page = _text(response)
    assert "Say why the payment is being reversed" in page
    assert re.search(r'value="again"[^>]* checked', page)
    response = post(client, url, {"outcome": "again", "reason": "x" * 1001})
    assert "1000 characters or fewer" in _text(response)
    response = post(client, url, {"outcome": "maybe", "reason": "Bank sent it back"})
    assert response.status_code == 200
    assert _count(app, select(PaymentItem).where(PaymentItem.kind == ItemKind.REVERSAL.value)) == 0


def test_reverse_as_not_owed(app, client, finance_user, paid_items):
    fee = paid_items["fee"]
    response = post(
        client,
        f"/payments/items/{fee.id}/reverse",
        {"reason": "Paid twice by hand", "outcome": "not_owed"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/runs/{paid_items['run']}"
    corrections = _items(app, reverses_id=fee.id)
    assert len(corrections) == 1
    correction = corrections[0]
    assert correction.amount == Decimal("-30.00") and correction.kind == ItemKind.REVERSAL.value
    assert correction.reason == "Paid twice by hand" and correction.run_id is None
    # The original item is never changed.
    again = _get(app, PaymentItem, fee.id)
    assert (again.amount, again.paid_at, again.run_id, again.line_key) == (
        fee.amount,
        fee.paid_at,
        fee.run_id,
        fee.line_key,
    )
    assert _get(app, InvolvementRecord, paid_items["record"]).status == RecordStatus.CANCELLED.value
    page = _text(client.get(response.headers["Location"]))
    assert "a correction of -£30.00 was added" in page
    assert "Paid twice by hand" in page  # in the corrections table
    assert page.count("/reverse") == 1  # only the claim can still be reversed


def test_reverse_to_pay_again_then_pay_in_a_new_run(app, client, finance_user, paid_items):
    for kind in ("fee", "claim"):
        response = post(
            client,
            f"/payments/items/{paid_items[kind].id}/reverse",
            {"reason": "The bank sent it back", "outcome": "again"},
        )
        assert response.status_code == 303
    record = _get(app, InvolvementRecord, paid_items["record"])
    claim = _get(app, ExpenseClaim, paid_items["claim_id"])
    assert (record.status, record.pay_attempt, record.run_id) == ("approved", 2, None)
    assert (claim.state, claim.pay_attempt, claim.run_id) == ("approved", 2, None)
    page = _text(client.get("/payments/runs/new"))
    assert re.search(rf'value="fee:{record.id}"[^>]* checked', page)
    response = post(
        client,
        "/payments/runs/new",
        {"key": _key(page), "items": [f"fee:{record.id}", f"claim:{claim.id}"]},
    )
    assert response.status_code == 303
    new_run = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_run != paid_items["run"]
    keys = sorted(i.line_key for i in _items(app, run_id=new_run))
    assert keys == sorted([f"fee:{record.id}:2", f"claim:{claim.id}:2"])


def test_a_second_reversal_is_refused(app, client, finance_user, paid_items):
    url = f"/payments/items/{paid_items['fee'].id}/reverse"
    data = {"reason": "Bounced", "outcome": "again"}
    token = csrf_token(client, url)
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 303
    response = client.post(url, data={**data, "csrf_token": token})  # resent from the same page
    assert response.status_code == 200
    page = _text(response)
    assert "This payment has been reversed already." in page
    assert (
        _count(app, select(PaymentItem).where(PaymentItem.reverses_id == paid_items["fee"].id)) == 1
    )
    # Opening the page again says so, with no form.
    page = _text(client.get(url))
    assert "This payment was reversed on" in page and "Bounced" in page
    assert 'name="reason"' not in page


def test_a_correction_or_an_unpaid_item_cannot_be_reversed(
    app, client, finance_user, paid_items, people, approved_record, made_run
):
    post(
        client,
        f"/payments/items/{paid_items['fee'].id}/reverse",
        {"reason": "x", "outcome": "again"},
    )
    correction = _items(app, reverses_id=paid_items["fee"].id)[0]
    response = post(
        client, f"/payments/items/{correction.id}/reverse", {"reason": "y", "outcome": "not_owed"}
    )
    assert "Only a payment that has been made can be reversed." in _text(response)
    unpaid_run = made_run([approved_record(people["vic"])])
    unpaid = _items(app, run_id=unpaid_run)[0]
    response = post(
        client, f"/payments/items/{unpaid.id}/reverse", {"reason": "y", "outcome": "again"}
    )
    assert "Only a payment that has been made can be reversed." in _text(response)
    assert _count(app, select(PaymentItem).where(PaymentItem.kind == "reversal")) == 1


def test_reversing_a_payment_outside_a_run_goes_back_to_the_person(
    app, client, finance_user, people, approved_record
):
    record = approved_record(people["ann"], method="in_kind")  # paid at once, outside a run
    item = _items(app, record_id=record)[0]
    assert item.run_id is None and item.paid_at is not None
    page = _text(client.get(f"/payments/people/{people['ann'].id}"))
    assert "Not in a run" in page and f"/payments/items/{item.id}/reverse" in page
    response = post(
        client,
        f"/payments/items/{item.id}/reverse",
        {"reason": "Wrong person", "outcome": "not_owed"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/payments/people/{people['ann'].id}"
    page = _text(client.get(response.headers["Location"]))
    assert "Correction" in page and "-£30.00" in page and "Why: Wrong person" in page


@pytest.mark.parametrize(
    "value", ["fee:²", "claim:١٢", "fee:99999999999999999999", "fee:-1", "x:1"]
)
def test_a_run_choice_that_is_not_a_real_item_is_ignored(value):
    from engage.payments.runs.forms import parse_choice

    assert parse_choice(value) is None


def test_the_tax_years_time_by_activity_counts_new_time_at_once(
    client, finance_user, people, make_record
):
    """The tax year's time by activity is kept between visits (engage.core.generation), and
    counted again as soon as a record changes."""

    def by_activity() -> str:
        page = _text(client.get("/payments"))
        return page.split("tax year, by activity")[-1].split("</table>")[0]

    make_record(people["ann"])
    before = by_activity()
    assert by_activity() == before
    make_record(people["cas"], activity="training", minutes=90)
    after = by_activity()
    assert "Training" in after and "Training" not in before
