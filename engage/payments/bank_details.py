"""Bank details: where a person's bank transfers go. The person gives them, or a manager types
them in for a peer; only the person and finance see them, masked, and every view by someone
else is audited. The numbers never go into the audit log, and are encrypted at rest."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from engage.core import audit, outbox
from engage.core.i18n import in_their_language
from engage.extensions import db
from engage.payments.models import BankDetails, IllegalMove
from engage.people.models import User


def has_bank_details(person_id):  # noqa: ANN001, ANN201 (a column or a number)
    """SQL: the person has bank details a transfer can go to (a sort code and an account
    number). Rows from before the form checked them may hold blanks: those do not count.
    Both columns are encrypted but keep a blank in the clear, which is what this asks."""
    return exists(
        select(BankDetails.id).where(
            BankDetails.user_id == person_id,
            func.coalesce(BankDetails.sort_code, "") != "",
            func.coalesce(BankDetails.account_number, "") != "",
        )
    )


SORT_CODE = re.compile(r"^\d{6}$")
ACCOUNT_NUMBER = re.compile(r"^\d{8}$")


def clean_digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def set_bank_details(
    actor: User,
    person: User,
    *,
    account_name: str,
    sort_code: str,
    account_number: str,
    roll_number: str = "",
) -> BankDetails:
    """Save where to send someone's bank transfers. Raises IllegalMove for digits that cannot
    be right."""
    sort_code, account_number = clean_digits(sort_code), clean_digits(account_number)
    if not SORT_CODE.match(sort_code):
        raise IllegalMove(_("A sort code is 6 numbers, like 12-34-56"))
    if not ACCOUNT_NUMBER.match(account_number):
        raise IllegalMove(_("An account number is 8 numbers"))
    row = db.session.scalar(select(BankDetails).where(BankDetails.user_id == person.id))
    if row is None:
        row = BankDetails(user_id=person.id)
        db.session.add(row)
    row.account_name = account_name.strip()
    row.sort_code, row.account_number = sort_code, account_number
    row.roll_number = roll_number.strip()
    row.updated_by_id = actor.id
    db.session.flush()
    # The numbers themselves never go into the audit log.
    audit.record("bank_details.changed", actor=actor, subject=person)
    _tell_them_their_bank_details_changed(person)
    return row


def _tell_them_their_bank_details_changed(person: User) -> None:
    """A kind note to the person, whoever made the change: if it was not them (or someone
    they asked), they can tell us before any money goes astray. An account message, so it
    goes even while they have paused invitations. It never holds the numbers."""
    with in_their_language(person):
        outbox.queue(
            kind=outbox.Kind.ACCOUNT,
            user=person,
            subject=_("Your bank details were changed"),
            body=_(
                "Hello %(name)s,\n\nThe bank details we use to pay you were changed today. "
                "If it was you, or someone you asked to do it, there is nothing more to do.\n\n"
                "If it was not, please tell us straight away, and we will hold any payment "
                "until it is put right.\n\n%(partnership)s",
                name=person.display_name,
                partnership=current_app.config["PARTNERSHIP_NAME"],
            ),
        )


def bank_details_for(person: User) -> BankDetails | None:
    return db.session.scalar(select(BankDetails).where(BankDetails.user_id == person.id))


def view_bank_details(actor: User, person: User, where: str) -> BankDetails | None:
    """Bank details to show (masked) on a page. Someone else's view (finance) is audited:
    who, whose, where and when; a person looking at their own is not."""
    row = bank_details_for(person)
    if row is not None and actor.id != person.id:
        audit.record("bank_details.viewed", actor=actor, subject=person, where=where)
    return row
