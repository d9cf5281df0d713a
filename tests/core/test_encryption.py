"""Sensitive columns are encrypted at rest: the database holds no plaintext bank details or
equality answers, the models read them back, and an altered value fails loudly."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engage.core import encryption
from engage.extensions import db
from engage.payments import bank_details
from engage.people import services
from engage.people.models import EqualityMonitoring, User


def _raw(sql: str, **params) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text(sql), params)]


@pytest.fixture
def ann(ctx, make_user) -> User:
    person = db.session.get(User, make_user("ann").id)
    bank_details.set_bank_details(
        person,
        person,
        account_name="Ann Apple",
        sort_code="40-11-62",
        account_number="31926819",
        roll_number="ROLL-77",
    )
    services.save_equality(
        person,
        person,
        {
            "gender": "woman",
            "ethnicity": "white_british",
            "age_band": "35_44",
            "disability": "yes",
            "sexual_orientation": "",  # left blank
            "lived_experience": "homelessness,addiction",
        },
    )
    db.session.flush()
    db.session.expire_all()
    return person


def test_bank_details_are_ciphertext_in_the_database(ann):
    [row] = _raw(
        "SELECT account_name, sort_code, account_number, roll_number FROM bank_details "
        "WHERE user_id = :id",
        id=ann.id,
    )
    stored = " ".join(row)
    for plaintext in ("Ann Apple", "401162", "31926819", "6819", "ROLL-77"):
        assert plaintext not in stored
    assert all(value.startswith("gAAAAA") for value in row)  # Fernet tokens
    # The models read them back, masked as before.
    details = bank_details.bank_details_for(ann)
    assert (details.sort_code, details.account_number) == ("401162", "31926819")
    assert details.masked_account_number == "••••6819"
    assert details.account_name == "Ann Apple" and details.roll_number == "ROLL-77"


def test_the_same_value_never_looks_the_same_twice(ctx, make_user):
    """Each value has its own random IV: equal sort codes cannot be matched up in the
    database."""
    people = [db.session.get(User, make_user().id) for _ in range(2)]
    for person in people:
        bank_details.set_bank_details(
            person, person, account_name="Same", sort_code="123456", account_number="11112222"
        )
    db.session.flush()
    codes = _raw(
        "SELECT sort_code FROM bank_details WHERE user_id IN (:a, :b)",
        a=people[0].id,
        b=people[1].id,
    )
    assert codes[0] != codes[1]


def test_equality_answers_are_ciphertext_even_when_blank(ann):
    [row] = _raw(
        "SELECT gender, ethnicity, age_band, disability, sexual_orientation, lived_experience "
        "FROM equality_monitoring WHERE user_id = :id",
        id=ann.id,
    )
    stored = " ".join(row)
    for plaintext in ("woman", "white_british", "35_44", "homelessness", "addiction"):
        assert plaintext not in stored
    # Even "not answered" is encrypted: the database does not show what was left blank.
    assert row[4] != "" and encryption.decrypt(row[4]) == ""
    answers = services.equality_for(ann)
    assert (answers.gender, answers.sexual_orientation) == ("woman", "")
    assert answers.lived_experience == "homelessness,addiction"


def test_a_blank_account_stays_blank_so_runs_can_hold_the_payment(ann):
    """Sort code and account number keep a blank in the clear (a blank holds no secret), so
    SQL can still ask who has somewhere a bank transfer can go."""
    db.session.execute(
        text("UPDATE bank_details SET sort_code = '', account_number = '' WHERE user_id = :id"),
        {"id": ann.id},
    )
    assert not db.session.scalar(db.select(bank_details.has_bank_details(ann.id)))
    db.session.expire_all()
    assert bank_details.bank_details_for(ann).sort_code == ""


def test_has_bank_details_still_works_in_sql(ann, make_user):
    other = make_user()
    assert db.session.scalar(db.select(bank_details.has_bank_details(ann.id)))
    assert not db.session.scalar(db.select(bank_details.has_bank_details(other.id)))


def test_an_altered_value_fails_loudly(ann):
    [(token,)] = _raw("SELECT account_number FROM bank_details WHERE user_id = :id", id=ann.id)
    # Flip one character in the middle of the ciphertext.
    middle = len(token) // 2
    altered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    db.session.execute(
        text("UPDATE bank_details SET account_number = :t WHERE user_id = :id"),
        {"t": altered, "id": ann.id},
    )
    db.session.expire_all()
    with pytest.raises(encryption.EncryptionError, match="could not be decrypted") as failed:
        bank_details.bank_details_for(ann)
    assert "31926819" not in str(failed.value)


def test_plaintext_left_in_an_encrypted_column_is_refused(ann):
    db.session.execute(
        text("UPDATE equality_monitoring SET gender = 'woman' WHERE user_id = :id"),
        {"id": ann.id},
    )
    db.session.expire_all()
    with pytest.raises(encryption.EncryptionError):
        db.session.scalar(db.select(EqualityMonitoring).where(EqualityMonitoring.user_id == ann.id))


def test_a_value_written_under_another_key_is_refused(app, ann):
    foreign = encryption.Fernet(encryption.new_key().encode()).encrypt(b"woman").decode()
    db.session.execute(
        text("UPDATE equality_monitoring SET gender = :t WHERE user_id = :id"),
        {"t": foreign, "id": ann.id},
    )
    db.session.expire_all()
    with pytest.raises(encryption.EncryptionError):
        services.equality_for(ann)
