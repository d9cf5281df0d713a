"""Receipts: photos and PDFs, checked by what they contain (never by their name or the
browser's word) in ``engage.core.uploads``, stored outside the web root under random names.

Photos are drawn again from their pixels before they are kept: the right way up, smaller for
people on little data, and without the phone's record of where the photo was taken.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from engage.core import audit, uploads
from engage.core.db import utcnow
from engage.extensions import db
from engage.payments.models import Receipt
from engage.people.models import User

#: The largest receipt accepted, in bytes (a photo from a good phone camera is 3 to 8 MB).
MAX_RECEIPT_BYTES = 10 * 1024 * 1024

#: The longest side of a stored photo, in pixels: still readable, a fraction of the data.
MAX_SIDE = 1600

#: How many receipts one line can carry.
MAX_PER_LINE = 6

#: What a receipt may be: a photo (WebP photos are kept as JPEG) or a PDF.
RECEIPT_TYPES = (uploads.JPEG, uploads.PNG, uploads.WEBP, uploads.PDF)


def folder() -> Path:
    """Receipts live in the instance folder, outside the web root."""
    path = Path(current_app.instance_path) / "receipts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(actor: User, owner: User, data: bytes, original_name: str = "") -> Receipt:
    """Check, clean and keep a receipt for ``owner``, not yet attached to a line.

    The file is written before the commit; :func:`discard` removes it if the commit fails.
    Raises UploadError (safe to show).
    """
    kept = uploads.clean(
        data,
        accept=RECEIPT_TYPES,
        wrong_type=_("A receipt must be a photo (JPEG or PNG) or a PDF."),
        max_bytes=MAX_RECEIPT_BYTES,
        max_side=MAX_SIDE,
        picture_as=uploads.JPEG,
    )
    stored_name = f"{secrets.token_hex(16)}.{kept.extension}"
    (folder() / stored_name).write_bytes(kept.data)
    receipt = Receipt(
        owner_id=owner.id,
        uploaded_by_id=actor.id,
        stored_name=stored_name,
        content_type=kept.content_type,
        size=len(kept.data),
        original_name=plain_name(original_name),
    )
    db.session.add(receipt)
    db.session.flush()
    audit.record("receipt.uploaded", actor=actor, subject=owner, receipt=receipt.id)
    return receipt


def plain_name(name: str) -> str:
    """A file name to show back to its owner: no path, no control characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f<>\"]+", "", name).strip()[:120]


def discard(receipts: list[Receipt]) -> None:
    for receipt in receipts:
        (folder() / receipt.stored_name).unlink(missing_ok=True)


def discard_names(names: list[str]) -> None:
    """Delete stored files by name (after the rows that named them were deleted)."""
    for name in names:
        (folder() / name).unlink(missing_ok=True)


def path(receipt: Receipt) -> Path:
    return folder() / receipt.stored_name


def waiting(owner: User, ids: list[int]) -> list[Receipt]:
    """Receipts uploaded for ``owner`` and not yet attached to a line, from a form's hidden
    field. Ids that are not theirs, or already used, are ignored."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            db.select(Receipt)
            .where(Receipt.id.in_(ids), Receipt.owner_id == owner.id, Receipt.line_id.is_(None))
            .order_by(Receipt.id)
        )
    )


def sweep(older_than_hours: int = 48) -> int:
    """Remove receipts that were uploaded but never attached to a line (the form was left),
    and files no receipt names (a server stopped between writing the file and committing its
    row). Returns how many went. The files go after the commit."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(hours=older_than_hours)
    stale = list(
        db.session.scalars(
            db.select(Receipt).where(Receipt.line_id.is_(None), Receipt.created_at < cutoff)
        )
    )
    for receipt in stale:
        db.session.delete(receipt)
    db.session.flush()
    names = [r.stored_name for r in stale]
    unnamed = [name for name in _files_nobody_names(cutoff) if name not in names]
    names += unnamed
    db.session.info.setdefault("receipts_to_remove", []).extend(names)
    return len(stale) + len(unnamed)


def _files_nobody_names(cutoff: datetime) -> list[str]:
    """Receipt files written before ``cutoff`` that no row names: a row is committed within
    moments of its file, so these are left by a request that never finished."""
    before = (cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=UTC)).timestamp()
    old = [p.name for p in folder().iterdir() if p.is_file() and p.stat().st_mtime < before]
    named: set[str] = set()
    for start in range(0, len(old), 500):
        chunk = old[start : start + 500]
        named.update(
            db.session.scalars(db.select(Receipt.stored_name).where(Receipt.stored_name.in_(chunk)))
        )
    return [name for name in old if name not in named]


def remove_swept_files() -> None:
    """After a commit of :func:`sweep`: delete the files of the rows that went."""
    for name in db.session.info.pop("receipts_to_remove", []):
        (folder() / name).unlink(missing_ok=True)
