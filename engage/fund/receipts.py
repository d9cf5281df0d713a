"""Receipts for fund payments made by card or in cash: a photo or PDF, checked by what it
contains (``engage.core.uploads.clean``), kept outside the web root under a random name."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from engage.core import uploads

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
TYPES = (uploads.JPEG, uploads.PNG, uploads.WEBP, uploads.PDF)


def folder() -> Path:
    path = Path(current_app.instance_path) / "fund-receipts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(data: bytes) -> tuple[str, str]:
    """Check and write a receipt; returns (stored name, content type). Raises UploadError
    (safe to show). The caller removes it with :func:`discard` if its transaction fails."""
    kept = uploads.clean(
        data,
        accept=TYPES,
        wrong_type=_("A receipt must be a photo (JPEG or PNG) or a PDF."),
        max_bytes=MAX_BYTES,
        max_side=MAX_SIDE,
        picture_as=uploads.JPEG,
    )
    name = f"{secrets.token_hex(16)}.{kept.extension}"
    (folder() / name).write_bytes(kept.data)
    return name, kept.content_type


def path(stored_name: str) -> Path:
    return folder() / stored_name


def discard(stored_name: str | None) -> None:
    if stored_name:
        path(stored_name).unlink(missing_ok=True)
