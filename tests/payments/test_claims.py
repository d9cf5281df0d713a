"""Claim pages: the phone claim, receipts kept across mistakes, drafts, questions and answers,
decisions, who sees what, and double clicks."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

from engage.core import dates
from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.payments.models import ClaimLine, ExpenseClaim, PaymentEvent, Receipt
from engage.people.models import Role
from tests.conftest import csrf_token, post, sign_in
from tests.payments.conftest import NOW, claim, pdf_bytes, photo_bytes


def _form(client, url: str) -> dict:
    """The hidden fields of a form page (token, submission key, kept receipts)."""
    page = client.get(url).get_data(as_text=True)
    fields = dict(
        re.findall(r'<input[^>]*name="(\w+)"[^>]*type="hidden"[^>]*value="([^"]*)"', page)
    )
    fields.update(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)
    )
    fields.update(re.findall(r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', page))
    fields.setdefault("csrf_token", csrf_token(client, url))
    return fields


def _claims(peer_id: int) -> list[ExpenseClaim]:
    return db.session.scalars(
        db.select(ExpenseClaim).where(ExpenseClaim.claimant_id == peer_id)
    ).all()


def _quick(client, url="/claims/new", files=None, **values):
    data = _form(client, url)
    data.update(
        {"kind": "bus", "when": "today", "amount": "4.50", "method": "bank", "send": "Send"}
    )
    data.update(values)
    if files is not None:
        data["receipts"] = files
    return client.post(url, data=data, content_type="multipart/form-data"), data


def test_a_peer_claims_bus_fare_with_a_photo_in_one_page(app, client, signed_in):
    peer = signed_in(Role.PEER, payment_preference="bank")
    page = client.get("/claims/new").get_data(as_text=True)
    assert (
        "What did you pay for?" in page and 'accept="image/jpeg,image/png,application/pdf"' in page
    )
    response, _data = _quick(client, files=[(io.BytesIO(photo_bytes()), "IMG_0001.jpg")])
    assert response.status_code == 303
    with app.app_context():
        [made] = _claims(peer.id)
        assert made.state == "submitted" and made.total == Decimal("4.50")
        assert made.submitted_at is not None and made.entered_by_id is None
        [line] = made.lines
        assert line.kind == "bus" and len(line.receipts) == 1
        assert line.receipts[0].content_type == "image/jpeg"
        kinds = [
            e.kind
            for e in db.session.scalars(
                db.select(PaymentEvent).where(PaymentEvent.claim_id == made.id)
            )
        ]
        assert kinds == ["started", "line_added", "state"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sent, waiting for a decision" in page and "£4.50" in page


def test_a_double_click_makes_one_claim(app, client, signed_in):
    peer = signed_in(Role.PEER)
    first, data = _quick(client)
    again = client.post("/claims/new", data=data, content_type="multipart/form-data")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert len(_claims(peer.id)) == 1
        assert db.session.scalar(db.select(db.func.count(ClaimLine.id))) == 1


def test_a_mistake_keeps_what_was_typed_and_the_photo(app, client, signed_in):
    peer = signed_in(Role.PEER)
    response, data = _quick(
        client,
        kind="taxi",
        amount="12.40",
        description="Home from the Hub",
        files=[(io.BytesIO(photo_bytes()), "taxi.jpg")],
    )
    assert response.status_code == 200  # no reason for the taxi
    page = response.get_data(as_text=True)
    assert "Say why you needed a taxi" in page
    assert 'value="12.40"' in page and "Home from the Hub" in page
    assert "We have kept your receipt" in page and "taxi.jpg" in page
    kept = re.search(r'name="receipt_ids" type="hidden" value="([\d,]*)"', page).group(1)
    assert kept
    with app.app_context():
        assert _claims(peer.id) == []  # nothing made half-way
    # Sent again with the reason, without choosing the photo again.
    data.update(reason="My knee was bad", receipt_ids=kept)
    data.pop("receipts", None)
    again = client.post("/claims/new", data=data, content_type="multipart/form-data")
    assert again.status_code == 303
    with app.app_context():
        [made] = _claims(peer.id)
        assert made.lines[0].reason == "My knee was bad"
        assert [r.original_name for r in made.lines[0].receipts] == ["taxi.jpg"]


def test_bad_amounts_and_dates_are_explained(client, signed_in):
    signed_in(Role.PEER)
    for amount, message in [
        ("four pounds", "Enter an amount in pounds and pence, like 4.50"),
        ("-3", "Enter an amount in pounds and pence, like 4.50"),
        ("4.505", "Enter an amount in pounds and pence, like 4.50"),
        ("", "Enter how much it cost, like 4.50"),
        ("5000", "For more than £1,000, talk to the team first"),
    ]:
        response, _ = _quick(client, amount=amount)
        assert response.status_code == 200, amount
        assert message in response.get_data(as_text=True), amount
    response, _ = _quick(client, when="other", spent_on="31/02/2026")
    assert "Enter a real date, like 27/11/2026" in response.get_data(as_text=True)
    response, _ = _quick(client, when="other", spent_on="")
    assert "Enter the day you paid" in response.get_data(as_text=True)
    for long_ago_or_to_come in ("01/01/2099", "01/01/0001", "0001-01-01"):
        response, _ = _quick(client, when="other", spent_on=long_ago_or_to_come)
        assert (
            "Enter a date that is today or in the past, and not more than 2 years ago"
            in response.get_data(as_text=True)
        )
    response, _ = _quick(client, kind="rocket")
    assert response.status_code == 200
    assert "Choose what you paid for" in response.get_data(as_text=True)


def test_a_file_that_is_not_a_receipt_is_refused_and_nothing_is_made(app, client, signed_in):
    peer = signed_in(Role.PEER)
    zip_file = b"PK\x03\x04" + b"\x00" * 100
    response, _ = _quick(client, files=[(io.BytesIO(zip_file), "receipt.jpg")])
    assert response.status_code == 200
    assert "receipt.jpg: A receipt must be a photo" in response.get_data(as_text=True)
    with app.app_context():
        assert _claims(peer.id) == []
        assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 0


def test_mileage_is_paid_at_the_rate_in_force(app, client, signed_in, admin):
    from engage.payments import rate_card

    with app.test_request_context():
        rate_card.add_mileage_rate(
            db.session.get(type(admin), admin.id),
            per_mile=Decimal("0.45"),
            effective_from=dates.local_date(NOW).replace(year=2020),
        )
        db.session.commit()
    peer = signed_in(Role.PEER)
    response, _ = _quick(client, kind="mileage", amount="", miles="12")
    assert response.status_code == 303
    with app.app_context():
        [made] = _claims(peer.id)
        assert made.total == Decimal("5.40")
        assert made.lines[0].per_mile == Decimal("0.450")


def test_a_draft_gets_more_lines_then_is_sent_once(app, client, signed_in):
    peer = signed_in(Role.PEER)
    response, _ = _quick(client, more="Save and add another", send="")
    assert response.status_code == 303 and response.headers["Location"].endswith("/lines/new")
    with app.app_context():
        [draft] = _claims(peer.id)
        assert draft.state == "draft"
        claim_id = draft.id
    url = f"/claims/{claim_id}/lines/new"
    data = _form(client, url)
    data.update({"kind": "subsistence", "when": "yesterday", "amount": "6.20"})
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data).status_code == 303  # the same form twice
    token = csrf_token(client, f"/claims/{claim_id}")
    for _ in range(2):
        assert (
            client.post(f"/claims/{claim_id}/submit", data={"csrf_token": token}).status_code == 303
        )
    with app.app_context():
        sent = claim(claim_id)
        assert sent.state == "submitted" and sent.total == Decimal("10.70") and len(sent.lines) == 2
        sends = db.session.scalars(
            db.select(PaymentEvent).where(
                PaymentEvent.claim_id == claim_id, PaymentEvent.to_state == "submitted"
            )
        )
        assert len(list(sends)) == 1


def test_a_draft_can_lose_a_line_and_be_deleted(app, client, signed_in):
    peer = signed_in(Role.PEER)
    _quick(client, more="Save", send="")
    with app.app_context():
        [draft] = _claims(peer.id)
        claim_id, line_id = draft.id, draft.lines[0].id
    token = csrf_token(client, f"/claims/{claim_id}")
    client.post(f"/claims/{claim_id}/lines/{line_id}/remove", data={"csrf_token": token})
    with app.app_context():
        assert claim(claim_id).lines == [] and claim(claim_id).total == Decimal("0.00")
    response = client.post(f"/claims/{claim_id}/submit", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Add at least one expense" in client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert client.get(f"/claims/{claim_id}/delete").status_code == 200
    client.post(f"/claims/{claim_id}/delete", data={"csrf_token": token})
    with app.app_context():
        assert claim(claim_id) is None


def test_query_answer_approve_round_trip_tells_the_peer(app, client, make_user, make_claim):
    peer = make_user("sam", roles={Role.PEER}, email="sam@example.org")
    make_user("priya", roles={Role.MANAGER})
    claim_id = make_claim(peer)
    sign_in(client, "priya")
    page = client.get("/claims").get_data(as_text=True)
    assert f"C{claim_id:05d}" in page and "Sam" in page
    response = post(client, f"/claims/{claim_id}/query", {"question": "Was it a return?"})
    assert response.status_code == 303
    # A decision from the stale page (version from before the question) is refused.
    stale = post(
        client,
        f"/claims/{claim_id}/reject",
        {"reason": "No", "version": "1"},
        form_url=f"/claims/{claim_id}",
    )
    assert stale.status_code == 303
    with app.app_context():
        assert claim(claim_id).state == "queried"
        note = db.session.scalars(
            db.select(Notification).where(Notification.to_address == "sam@example.org")
        ).all()[-1]
        assert "Was it a return?" in note.body
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "sam")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "We have a question" in page and "Was it a return?" in page
    empty = post(
        client, f"/claims/{claim_id}/answer", {"answer": ""}, form_url=f"/claims/{claim_id}"
    )
    assert empty.status_code == 200 and "Write your answer" in empty.get_data(as_text=True)
    assert (
        post(
            client,
            f"/claims/{claim_id}/answer",
            {"answer": "Yes, there and back"},
            form_url=f"/claims/{claim_id}",
        ).status_code
        == 303
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "priya")
    approve = post(client, f"/claims/{claim_id}/approve", form_url=f"/claims/{claim_id}")
    assert approve.status_code == 303
    with app.app_context():
        done = claim(claim_id)
        assert done.state == "approved" and done.answer == "Yes, there and back"
        assert done.decided_by_id is not None


def test_reject_needs_a_reason_the_peer_can_read(app, client, make_user, make_claim):
    peer = make_user("sam", roles={Role.PEER})
    make_user("priya", roles={Role.MANAGER})
    claim_id = make_claim(peer)
    sign_in(client, "priya")
    response = post(client, f"/claims/{claim_id}/reject", {"reason": "  "})
    assert response.status_code == 200 and "Say why" in response.get_data(as_text=True)
    post(client, f"/claims/{claim_id}/reject", {"reason": "This was claimed already as C00001."})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "sam")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Not approved" in page and "This was claimed already as C00001." in page


def test_nobody_approves_their_own_claim(app, client, make_user, make_claim):
    both = make_user("pat", roles={Role.PEER, Role.MANAGER})
    claim_id = make_claim(both)
    sign_in(client, "pat")
    assert "Approve" not in client.get(f"/claims/{claim_id}").get_data(as_text=True)
    response = post(client, f"/claims/{claim_id}/approve", form_url=f"/claims/{claim_id}")
    assert response.status_code == 403
    assert client.get(f"/claims/{claim_id}/reject").status_code == 403
    with app.app_context():
        assert claim(claim_id).state == "submitted"


def test_another_peers_claim_and_receipts_are_not_found(app, client, make_user, make_claim):
    owner = make_user("owner", roles={Role.PEER})
    make_user("other", roles={Role.PEER})
    claim_id = make_claim(owner)
    with app.app_context():
        receipt_id = claim(claim_id).lines[0].receipts[0].id
    sign_in(client, "other")
    for url in (
        f"/claims/{claim_id}",
        f"/claims/{claim_id}/receipts/{receipt_id}",
        f"/claims/{claim_id}/lines/new",
        f"/claims/{claim_id}/delete",
        f"/claims/{claim_id}/query",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/claims")
    for url in (
        f"/claims/{claim_id}/answer",
        f"/claims/{claim_id}/submit",
        f"/claims/{claim_id}/approve",
    ):
        assert client.post(url, data={"csrf_token": token, "answer": "x"}).status_code == 404
    assert f"C{claim_id:05d}" not in client.get("/claims").get_data(as_text=True)


def test_receipts_are_served_only_to_those_allowed_and_audited(app, client, make_user, make_claim):
    owner = make_user("owner", roles={Role.PEER})
    make_user("fin", roles={Role.FINANCE})
    claim_id = make_claim(owner)
    with app.app_context():
        receipt_id = claim(claim_id).lines[0].receipts[0].id
    sign_in(client, "owner")
    response = client.get(f"/claims/{claim_id}/receipts/{receipt_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, "fin")
    assert client.get(f"/claims/{claim_id}/receipts/{receipt_id}").status_code == 200
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEntry.action)).all()
        assert "receipt.viewed" in actions


def test_a_manager_claims_for_a_peer_on_their_behalf(app, client, make_user, signed_in):
    peer = make_user("sam", roles={Role.PEER}, payment_preference="cash")
    manager = signed_in(Role.MANAGER)
    page = client.get(f"/claims/new?for={peer.id}").get_data(as_text=True)
    assert "You are working on behalf of Sam" in page
    response, _ = _quick(client, url=f"/claims/new?for={peer.id}", method="cash")
    assert response.status_code == 303
    with app.app_context():
        [made] = _claims(peer.id)
        assert made.entered_by_id == manager.id and made.method == "cash"
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "claim.started")
        ).one()
        assert entry.on_behalf and entry.subject_id == peer.id
    # Who entered it cannot approve it.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "someone else needs to approve it" in page
    staff = make_user("fin", roles={Role.FINANCE})
    assert client.get(f"/claims/new?for={staff.id}").status_code == 404


def test_claim_messages_speak_to_a_manager_about_the_peer(app, client, make_user, signed_in):
    """Sent, saved as a draft and sent later, asked a question and answered, not approved, and
    approved without bank details: each page speaks to the manager about the peer."""
    from engage.payments.claims import services as claim_services
    from engage.people.models import User

    kit = make_user("kit", preferred_name="Kit", payment_preference="bank")
    signed_in(Role.MANAGER)
    checker = make_user("checker", roles={Role.MANAGER})
    peer_voice = ("We will tell you", "Add everything you paid for", "Your answer is sent")

    def page_after(response) -> str:
        assert response.status_code == 303
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        for words in peer_voice:
            assert words not in page, words
        return page

    form = client.get(f"/claims/new?for={kit.id}").get_data(as_text=True)
    assert "Tell us what Kit paid for." in form and "Tell us what you paid for" not in form
    sent, _data = _quick(client, url=f"/claims/new?for={kit.id}")
    page = page_after(sent)
    ref = re.search(r"Claim (C\d+) sent for Kit", page).group(1)
    assert f"Claim {ref} sent for Kit. We will tell Kit when it is approved." in page
    assert "We will tell Kit when it has been checked." in page

    draft, _data = _quick(client, url=f"/claims/new?for={kit.id}", more="Save", send="")
    assert draft.status_code == 303
    with app.app_context():
        claim_id = max(c.id for c in _claims(kit.id))
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Add everything Kit paid for, then send it." in page
    token = csrf_token(client, f"/claims/{claim_id}")
    page = page_after(client.post(f"/claims/{claim_id}/submit", data={"csrf_token": token}))
    assert "We will tell Kit when it is approved." in page

    with app.app_context():
        asker = db.session.get(User, checker.id)
        claim_services.query(asker, db.session.get(ExpenseClaim, claim_id), "A return?")
        db.session.commit()
    answered = post(
        client, f"/claims/{claim_id}/answer", {"answer": "Yes"}, form_url=f"/claims/{claim_id}"
    )
    assert "Answer sent for Kit." in page_after(answered)

    with app.app_context():
        decider = db.session.get(User, checker.id)
        claims = sorted(_claims(kit.id), key=lambda c: c.id)
        claim_services.reject(decider, claims[0], "Paid already.")
        claim_services.approve(decider, db.session.get(ExpenseClaim, claim_id))
        db.session.commit()
        rejected_id = claims[0].id
    page = client.get(f"/claims/{rejected_id}").get_data(as_text=True)
    assert "Kit has been told why" in page and "If you want to talk" not in page
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "We need Kit's bank details to pay them." in page
    assert f'href="/people/{kit.id}/bank-details"' in page and "your bank details" not in page


def test_cash_on_the_day_is_paid_when_someone_else_approves(app, client, make_user, signed_in):
    peer = make_user("sam", roles={Role.PEER}, payment_preference="bank")
    signed_in(Role.MANAGER)
    assert "Who was given cash?" in client.get("/claims/cash").get_data(as_text=True)
    url = f"/claims/cash?for={peer.id}"
    response, _ = _quick(client, url=url, signature_note="")
    assert "Say how the cash was signed for" in response.get_data(as_text=True)
    response, _ = _quick(client, url=url, signature_note="Signed the sheet, 3 March")
    assert response.status_code == 303
    with app.app_context():
        [made] = _claims(peer.id)
        assert made.paid_on_day and made.method == "cash" and made.state == "submitted"
        claim_id = made.id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    make_user("fin", roles={Role.FINANCE})
    sign_in(client, "fin")
    post(client, f"/claims/{claim_id}/approve", form_url=f"/claims/{claim_id}")
    with app.app_context():
        paid = claim(claim_id)
        assert paid.state == "paid" and paid.paid_at is not None
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Paid in cash on the day." in page


def test_a_peer_adds_a_receipt_to_answer_a_question(app, client, make_user, make_claim):
    peer = make_user("sam", roles={Role.PEER})
    manager = make_user("priya", roles={Role.MANAGER})
    claim_id = make_claim(peer, state="queried", decider=manager, with_receipt=False)
    with app.app_context():
        line_id = claim(claim_id).lines[0].id
    sign_in(client, "sam")
    token = csrf_token(client, f"/claims/{claim_id}")
    response = client.post(
        f"/claims/{claim_id}/lines/{line_id}/receipts",
        data={"csrf_token": token, "receipts": [(io.BytesIO(pdf_bytes()), "ticket.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        [receipt] = claim(claim_id).lines[0].receipts
        assert receipt.content_type == "application/pdf"
    download = client.get(f"/claims/{claim_id}/receipts/{receipt.id}")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_queue_is_for_managers_and_finance(app, client, make_user, make_claim):
    peer = make_user("sam", roles={Role.PEER})
    make_claim(peer)
    for role in (Role.BOARD, Role.PARTNER, Role.ADMIN):
        make_user(role.value, roles={role})
        sign_in(client, role.value)
        assert client.get("/claims").status_code == 403, role
        assert client.get("/claims/new").status_code == 403, role
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    make_user("fin", roles={Role.FINANCE})
    sign_in(client, "fin")
    page = client.get("/claims").get_data(as_text=True)
    assert "1 claim is waiting for a decision." in page
    for state in ("approved", "paid", "rejected", "all", "nonsense"):
        assert client.get(f"/claims?state={state}").status_code == 200


def test_claiming_works_in_polish_and_arabic(app, client, signed_in):
    from engage.people.models import User

    peer = signed_in(Role.PEER, payment_preference="bank")
    for locale, direction in (("pl", "ltr"), ("ar", "rtl")):
        with app.app_context():
            db.session.get(User, peer.id).locale = locale
            db.session.commit()
        page = client.get("/claims/new").get_data(as_text=True)
        assert f'lang="{locale}" dir="{direction}"' in page
        assert "What did you pay for?" not in page  # translated, not English
        response, _data = _quick(client, amount="2,50")  # a comma before the pence
        assert response.status_code == 303
    with app.app_context():
        assert [c.total for c in _claims(peer.id)] == [Decimal("2.50"), Decimal("2.50")]


def test_a_claims_history_reads_in_the_readers_language(app, client, signed_in):
    """The history keeps a line's kind and amount as values, so a claim made in English reads
    "Bilet autobusowy, 3,40 £" to a Polish reader; rows written before, as text, still show."""
    from engage.people.models import User

    peer = signed_in(Role.PEER, payment_preference="bank")
    _quick(client, amount="3.40", more="Save", send="")
    with app.app_context():
        [draft] = _claims(peer.id)
        claim_id, line_id = draft.id, draft.lines[0].id
    token = csrf_token(client, f"/claims/{claim_id}")
    client.post(f"/claims/{claim_id}/lines/{line_id}/remove", data={"csrf_token": token})
    english = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "added Bus fare" in english and "removed Bus fare" in english
    for locale, words in (
        ("pl", ["dodanie: Bilet autobusowy, 3,40\xa0£", "usunięcie: Bilet autobusowy, 3,40\xa0£"]),
        ("ar", ["أجرة الحافلة"]),
    ):
        with app.app_context():
            db.session.get(User, peer.id).locale = locale
            db.session.commit()
        page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
        assert "Bus fare" not in page and "£3.40" not in page, locale
        for word in words:
            assert word in page, (locale, word)
    with app.app_context():  # a row from before the values were kept reads as it was written
        db.session.add(PaymentEvent(claim_id=claim_id, kind="line_added", note="Bus fare: £3.40"))
        db.session.commit()
    assert "Bus fare: £3.40" in client.get(f"/claims/{claim_id}").get_data(as_text=True)


def test_the_claim_form_offers_what_other_domains_register(app, client, signed_in, monkeypatch):
    """Payments knows no meetings or opportunities: the choices of what a claim was for come
    from providers other domains register, newest first."""
    from engage.payments.claims import links

    monkeypatch.setattr(links, "_providers", [])
    seen = []

    def offered(person, today):
        seen.append(person.id)
        return [
            ("meeting:41", "Spring forum", today - timedelta(days=3)),
            ("opportunity:9", "Interview panel", today),
        ]

    links.register_claim_links(offered)
    links.register_claim_links(offered)  # registering again offers it once
    peer = signed_in(Role.PEER, payment_preference="bank")
    page = client.get("/claims/new").get_data(as_text=True)
    assert seen == [peer.id]
    assert page.index("Not for a meeting") < page.index("Interview panel")
    assert page.index("Interview panel") < page.index("Spring forum")
    assert 'value="opportunity:9"' in page and 'value="meeting:41"' in page
