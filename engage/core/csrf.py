"""CSRF tokens masked afresh each time a page shows one, so compressed pages keep them secret.

Pages are gzipped (``engage.core.compression``). Compression shrinks a page more when part of it
repeats another part, so an attacker who can make a page echo a guess (a search, a field typed
back after an error) and can watch the sizes on the wire could learn the token a character at
a time (BREACH). As Django does, every token a page shows is the real one XORed with fresh
random bytes, sent with those bytes: ``base64url(mask + (token XOR mask))``. The bytes differ on
every page and every form, so there is nothing stable to guess; unmasking gives back the token,
which Flask-WTF then checks exactly as before (signature and session).

Flask-WTF is kept whole: :class:`CSRFProtect` unmasks what a form or htmx's ``X-CSRFToken``
header sends before its usual check, the ``csrf_token()`` of templates masks, and
:class:`FormCSRF` does both for the forms' own ``csrf_token`` field.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from flask import Flask
from flask_wtf import csrf as flask_wtf_csrf


def masked_token() -> str:
    """This request's CSRF token (Flask-WTF's ``generate_csrf``), masked (:func:`mask`)."""
    return mask(flask_wtf_csrf.generate_csrf())


def mask(token: str) -> str:
    """``token`` masked with fresh random bytes. An empty token (a page made for everyone, see
    ``changes.you_said_we_did``) stays empty."""
    if not token:
        return token
    raw = token.encode("ascii")
    mask = secrets.token_bytes(len(raw))
    hidden = bytes(a ^ b for a, b in zip(raw, mask, strict=True))
    return base64.urlsafe_b64encode(mask + hidden).decode("ascii").rstrip("=")


def unmask(value: str | None) -> str | None:
    """The token behind a :func:`masked_token`. Anything else comes back unchanged, for
    Flask-WTF to refuse (or, for a token shown before masking began, to accept)."""
    if not value:
        return value
    try:
        data = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
        if len(data) % 2:
            return value
        half = len(data) // 2
        return bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return value


class CSRFProtect(flask_wtf_csrf.CSRFProtect):
    """Flask-WTF's protection of every POST, reading masked tokens."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = masked_token
        # Registered after Flask-WTF's own, so templates get this one.
        app.context_processor(lambda: {"csrf_token": masked_token})

    def _get_csrf_token(self) -> str | None:
        return unmask(super()._get_csrf_token())


class FormCSRF(flask_wtf_csrf._FlaskFormCSRF):
    """A form's own ``csrf_token`` field: shows a masked token, checks an unmasked one."""

    def generate_csrf_token(self, csrf_token_field):  # noqa: ANN001, ANN201
        return mask(super().generate_csrf_token(csrf_token_field))

    def validate_csrf_token(self, form, field):  # noqa: ANN001, ANN201
        field.data = unmask(field.data)
        super().validate_csrf_token(form, field)
