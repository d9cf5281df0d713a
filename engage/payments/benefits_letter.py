"""The letter for a benefits adviser: wording the partnership sets (admins keep it), filled in
for one person."""

from __future__ import annotations

from engage.core import audit, settings
from engage.people.models import User

LETTER_SETTING = "payments.letter"

# One line per paragraph: the letter is shown with its line breaks kept, so a break inside a
# sentence would print as a break in the middle of it.
DEFAULT_LETTER = (
    "To whom it may concern,\n\n"
    "{name} takes part in the work of {partnership} as an expert by experience. They help us "
    "make services better for people facing several disadvantages at once.\n\n"
    "We pay people for the time they give us: for meetings, interview panels, reviews and "
    "similar work. These are involvement payments. They are occasional, and the amount depends "
    "on how much someone chooses to take part. {name} can choose not to be paid at any time.\n\n"
    "We also pay back travel, childcare and other costs of taking part. Those are repayments of "
    "money spent, not earnings.\n\n"
    "The statement with this letter shows every payment we made to {name} in the dates it "
    "covers.\n\n"
    "If you need to know more, please contact us.\n\n"
    "{partnership}\n"
    "{date}"
)

#: What a letter's wording may say in braces; anything else is left as it is written.
LETTER_PLACEHOLDERS = ("name", "partnership", "date")


def letter_wording() -> str:
    return settings.get(LETTER_SETTING) or DEFAULT_LETTER


def set_letter_wording(actor: User, text: str) -> None:
    settings.put(LETTER_SETTING, text.strip())
    audit.record("payments.letter_changed", actor=actor)


def fill_letter(text: str, **values: str) -> str:
    """Put the named values into the wording. Plain replacement, not ``str.format``, so a
    brace typed by an admin can never reach anything else."""
    for key in LETTER_PLACEHOLDERS:
        text = text.replace("{" + key + "}", values.get(key, ""))
    return text
