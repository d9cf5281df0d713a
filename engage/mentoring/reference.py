"""The reference letter a manager prints from someone's progression passport, for a job
application: an opening and a closing the admins word (kept as runtime settings, with the
wording engage comes with as the default), the facts of the passport between them, a few
words of the manager's own if they like, and the manager's signature.

The letter is made when it is shown and never kept; each time one is made is recorded in
the audit log (who, for whom), without its words. The wording never mentions why someone
came to us (no lived-experience areas, no DBS, no disadvantage): only what they did.
"""

from __future__ import annotations

from dataclasses import dataclass

from engage.core import audit, settings
from engage.people.models import User

OPENING_SETTING = "mentoring.reference_opening"
CLOSING_SETTING = "mentoring.reference_closing"

# One line per paragraph: the letter keeps the wording's line breaks, so a break inside a
# sentence would print as a break in the middle of it.
DEFAULT_OPENING = (
    "To whom it may concern,\n\n"
    "I am glad to write this reference for {name}. {name} has given their time and skills to "
    "{partnership}, and has helped us make local services work better. The details below are "
    "taken from our records."
)
DEFAULT_CLOSING = (
    "{name} has been a valued part of our work, and we are happy to recommend them. If you "
    "would like to know more, please get in touch with us.\n\n"
    "Yours faithfully,"
)

#: What the wording may say in braces; anything else is left as it is written.
PLACEHOLDERS = ("name", "partnership")

#: The longest paragraph an admin may keep.
WORDING_LENGTH = 3000


@dataclass(frozen=True)
class Wording:
    opening: str
    closing: str

    @property
    def is_standard(self) -> bool:
        return (self.opening.strip(), self.closing.strip()) == (
            DEFAULT_OPENING.strip(),
            DEFAULT_CLOSING.strip(),
        )


def wording() -> Wording:
    """The wording in force: what the admins saved, or engage's own."""
    return Wording(
        settings.get(OPENING_SETTING) or DEFAULT_OPENING,
        settings.get(CLOSING_SETTING) or DEFAULT_CLOSING,
    )


def set_wording(actor: User, *, opening: str, closing: str) -> None:
    """Keep the admins' wording (line breaks as ``\\n``). Audited, without the words."""
    settings.put(OPENING_SETTING, opening.replace("\r\n", "\n").strip())
    settings.put(CLOSING_SETTING, closing.replace("\r\n", "\n").strip())
    audit.record("reference.wording_changed", actor=actor)


def fill(text: str, **values: str) -> str:
    """Put the named values into the wording. Plain replacement, not ``str.format``, so a
    brace typed by an admin can never reach anything else."""
    for key in PLACEHOLDERS:
        text = text.replace("{" + key + "}", values.get(key, ""))
    return text


def record_letter(actor: User, person: User, *, own_words: bool) -> None:
    """A manager made a reference letter for ``person``: recorded each time, with whether they
    added words of their own, never the words themselves. The route commits it."""
    audit.record("reference.letter_made", actor=actor, subject=person, own_words=own_words)
