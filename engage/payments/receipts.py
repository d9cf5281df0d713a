"""Receipts: photos and PDFs, checked by what they contain (never by their name or the
browser's word), stored outside the web root under random names.

Photos are opened and drawn again from their pixels before they are kept. That turns them the
right way up, makes them smaller for people on little data, and drops everything else a file
can carry: the phone's record of where the photo was taken, and anything hidden after the
picture. Files that carry markup or script are refused outright.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from engage.core import audit
from engage.core.db import utcnow
from engage.extensions import db
from engage.payments.models import Receipt
from engage.people.models import User

#: The largest receipt accepted, in bytes (a photo from a good phone camera is 3 to 8 MB).
MAX_RECEIPT_BYTES = 10 * 1024 * 1024

#: The longest side of a stored photo, in pixels: still readable, a fraction of the data.
MAX_SIDE = 1600

#: Photos bigger than this many pixels are refused rather than opened (decompression bombs).
MAX_PIXELS = 60_000_000

#: How many receipts one line can carry.
MAX_PER_LINE = 6

SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "jpg",
    "application/pdf": "pdf",
}

#: Markup or script has no business in a receipt: a file carrying it is a disguised web page.
MARKUP = re.compile(
    rb"<\s*(script|html|body|iframe|svg|object|embed|meta|\?php)|javascript:", re.IGNORECASE
)
#: PDF features that run code or carry other files.
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")


class ReceiptError(ValueError):
    """A file that cannot be a receipt. The message is safe to show."""


def sniff(data: bytes) -> str | None:
    """The content type from the first bytes, or None if it is not a type we accept."""
    for content_type, signatures in SIGNATURES.items():
        if any(data.startswith(sig) for sig in signatures):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(data: bytes) -> str:
    """Check ``data`` is a receipt we can keep; returns its content type.

    Raises ReceiptError when it is empty, too big, not a photo or PDF (a ZIP, a Word file, a
    web page), carries markup or script, or is a damaged picture.
    """
    if not data:
        raise ReceiptError(_("The file is empty. Choose the photo or PDF again."))
    if len(data) > MAX_RECEIPT_BYTES:
        raise ReceiptError(_("The file must be smaller than 10 MB. Try a smaller photo."))
    content_type = sniff(data)
    if content_type is None:
        raise ReceiptError(_("A receipt must be a photo (JPEG or PNG) or a PDF."))
    if MARKUP.search(data):
        raise ReceiptError(_("This file has something inside it that is not a receipt."))
    if content_type == "application/pdf":
        if PDF_ACTIVE.search(data):
            raise ReceiptError(_("This PDF has something inside it that is not a receipt."))
        if b"%%EOF" not in data[-2048:]:
            raise ReceiptError(_("This PDF seems to be damaged. Try saving it again."))
    return content_type


def clean_image(data: bytes) -> bytes:
    """Draw the photo again from its pixels: the right way up, at most MAX_SIDE pixels on its
    longest side, with no metadata (location) and nothing else the file carried."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ReceiptError(_("This photo is too big to open. Try a smaller photo."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=82, optimize=True)
            return out.getvalue()
    except ReceiptError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ReceiptError(_("This photo seems to be damaged. Try taking it again.")) from None


def folder() -> Path:
    """Receipts live in the instance folder, outside the web root."""
    path = Path(current_app.instance_path) / "receipts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(actor: User, owner: User, data: bytes, original_name: str = "") -> Receipt:
    """Check, clean and keep a receipt for ``owner``, not yet attached to a line.

    The file is written before the commit; :func:`discard` removes it if the commit fails.
    Raises ReceiptError (safe to show).
    """
    content_type = check(data)
    if content_type.startswith("image/"):
        data = clean_image(data)
        content_type = "image/jpeg"
    stored_name = f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}"
    (folder() / stored_name).write_bytes(data)
    receipt = Receipt(
        owner_id=owner.id,
        uploaded_by_id=actor.id,
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
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
    """Remove receipts that were uploaded but never attached to a line (the form was left).
    Returns how many went. The files go after the commit."""
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
    db.session.info.setdefault("receipts_to_remove", []).extend(r.stored_name for r in stale)
    return len(stale)


def remove_swept_files() -> None:
    """After a commit of :func:`sweep`: delete the files of the rows that went."""
    for name in db.session.info.pop("receipts_to_remove", []):
        (folder() / name).unlink(missing_ok=True)
