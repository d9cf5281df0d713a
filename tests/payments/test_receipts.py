"""Receipts are checked by what they contain, never by their name: wrong types, oversize
files, disguised web pages, ZIPs and damaged pictures are refused; photos are redrawn without
their location data."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from engage.core.uploads import UploadError
from engage.extensions import db
from engage.payments.claims import receipts
from engage.payments.models import Receipt
from engage.people.models import User
from tests.core.test_uploads import docx_bytes, pdf_with_javascript, png_bomb
from tests.payments.conftest import pdf_bytes, photo_bytes


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("receipt.jpg", photo_bytes())
    return out.getvalue()


def _png_with_text_chunk(text: bytes) -> bytes:
    """A valid PNG carrying ``text`` in a tEXt chunk, as a disguised page would."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text.decode())
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 255)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"just some text, renamed to receipt.jpg", "must be a photo"),
        (b"<html><script>alert(1)</script></html>", "must be a photo"),
        (_zip(), "must be a photo"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"<script>alert(1)</script>", "hidden inside"),
        (photo_bytes() + b"<script>alert(1)</script>", "hidden inside"),
        (_png_with_text_chunk(b"<svg onload=alert(1)>"), "hidden inside"),
        (pdf_with_javascript(), "could run by itself"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\n", "damaged"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "damaged"),
        (png_bomb(), "too big to open"),
        (docx_bytes(), "must be a photo"),
    ],
    ids=[
        "empty",
        "text",
        "html",
        "zip",
        "png-with-script",
        "jpeg-with-script-after",
        "png-with-svg-in-a-chunk",
        "pdf-with-javascript",
        "pdf-cut-short",
        "broken-jpeg",
        "decompression-bomb",
        "word-document",
    ],
)
def test_files_that_are_not_receipts_are_refused(ctx, make_user, data, message):
    person = db.session.get(User, make_user().id)
    with pytest.raises(UploadError, match=message):
        receipts.store(person, person, data, "receipt.jpg")
    assert db.session.scalar(db.select(db.func.count(Receipt.id))) == 0


def test_a_file_over_10_mb_is_refused(ctx, make_user):
    person = db.session.get(User, make_user().id)
    data = photo_bytes() + b"\x00" * (receipts.MAX_RECEIPT_BYTES + 1)
    with pytest.raises(UploadError, match="smaller than 10 MB"):
        receipts.store(person, person, data, "big.jpg")


def test_photos_are_redrawn_upright_smaller_and_without_location(ctx, make_user):
    person = db.session.get(User, make_user().id)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the phone was held sideways
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS: where the photo was taken
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 200, 10)).save(out, format="JPEG", exif=exif)
    receipt = receipts.store(person, person, out.getvalue(), "C:\\Users\\sam\\IMG_1.JPG")
    stored = receipts.path(receipt).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == receipts.MAX_SIDE
        assert image.size[1] > image.size[0]  # turned the right way up
        assert not image.getexif().get(0x8825) and not image.getexif().get(0x0112)
    assert receipt.original_name == "IMG_1.JPG"  # no path from the phone or computer
    assert receipt.size == len(stored) and receipt.stored_name.endswith(".jpg")
    assert len(receipt.stored_name) == 36  # random, nothing from the person's file name


def test_pngs_and_pdfs_are_accepted(ctx, make_user):
    person = db.session.get(User, make_user().id)
    png = receipts.store(person, person, photo_bytes(fmt="PNG"), "scan.png")
    pdf = receipts.store(person, person, pdf_bytes(), "ticket.pdf")
    assert png.content_type == "image/jpeg"  # redrawn
    assert pdf.content_type == "application/pdf" and pdf.stored_name.endswith(".pdf")
    assert receipts.path(pdf).read_bytes() == pdf_bytes()


def test_receipts_live_outside_the_web_root(app, ctx, make_user):
    from pathlib import Path

    person = db.session.get(User, make_user().id)
    receipt = receipts.store(person, person, photo_bytes(), "a.jpg")
    path = receipts.path(receipt).resolve()
    assert path.is_relative_to(Path(app.instance_path).resolve())
    assert not path.is_relative_to(Path(app.static_folder).resolve())


def test_waiting_receipts_are_only_the_owners_own(ctx, make_user):
    owner = db.session.get(User, make_user().id)
    other = db.session.get(User, make_user().id)
    mine = receipts.store(owner, owner, photo_bytes(), "a.jpg")
    theirs = receipts.store(other, other, photo_bytes(), "b.jpg")
    assert receipts.waiting(owner, [mine.id, theirs.id]) == [mine]


def test_receipts_never_attached_are_swept_away(ctx, make_user):
    from datetime import timedelta

    from engage.core.db import utcnow

    person = db.session.get(User, make_user().id)
    old = receipts.store(person, person, photo_bytes(), "old.jpg")
    new = receipts.store(person, person, photo_bytes(), "new.jpg")
    old.created_at = utcnow() - timedelta(days=3)
    db.session.flush()
    path = receipts.path(old)
    assert receipts.sweep() == 1
    receipts.remove_swept_files()
    assert not path.exists() and receipts.path(new).exists()
    assert db.session.get(Receipt, new.id) is not None


def test_receipt_files_no_row_names_are_swept_away_after_two_days(ctx):
    """A server stopped between writing a receipt's file and committing its row leaves a file
    nothing names: the sweep removes it once it is two days old, and never a fresh one."""
    import os

    from engage.core.db import utcnow

    folder = receipts.folder()
    orphan, fresh = folder / "orphan-crash-test.jpg", folder / "fresh-crash-test.jpg"
    orphan.write_bytes(b"left by a killed request")
    fresh.write_bytes(b"its row is being committed")
    now = utcnow().timestamp()  # the tests' pinned "now", which file times must follow
    os.utime(orphan, (now - 3 * 24 * 3600,) * 2)
    os.utime(fresh, (now,) * 2)
    assert receipts.sweep() == 1
    assert orphan.exists()  # the files go only after the commit
    receipts.remove_swept_files()
    assert not orphan.exists() and fresh.exists()
    fresh.unlink()
