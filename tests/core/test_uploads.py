"""The one upload check: files are known by their content, pictures are measured before they
are opened and redrawn without what they carry, PDFs that run code and Word documents with
macros or outside links are refused. Builders here make the hostile files other domains'
tests send too."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from engage.core import uploads
from engage.core.uploads import UploadError

MB = 1024 * 1024


# Builders ------------------------------------------------------------------------------------


def png_bomb(side: int = 20_000) -> bytes:
    """A real 20000 × 20000 PNG of about 50 KB that would open to 400 million pixels."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte, then one bit per pixel
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def gps_photo(size=(4000, 3000), fmt="JPEG") -> bytes:
    """A photo taken sideways, carrying where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the phone was held sideways
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, format=fmt, exif=exif)
    return out.getvalue()


def pdf(*objects: bytes) -> bytes:
    body = b"".join(b"%d 0 obj %s endobj\n" % (n, o) for n, o in enumerate(objects, start=1))
    return b"%PDF-1.7\n" + body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_with_javascript() -> bytes:
    return pdf(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF whose second object is compressed inside an object stream."""
    packed = zlib.compress(b"2 0 " + hidden)
    stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(
        packed
    )
    return pdf(b"<< /Type /Catalog /OpenAction 2 0 R >>", stream + packed + b"\nendstream")


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>{extra}</Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{links}</Relationships>"
)
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def docx_bytes(extra_parts: dict[str, bytes] | None = None, links: str = "", types: str = ""):
    """A real (small) Word document, as Word saves one, with optional additions."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(extra=types))
        archive.writestr(
            "_rels/.rels",
            RELS.format(
                links=f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" '
                'Target="word/document.xml"/>'
            ),
        )
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
            'main"><w:body><w:p><w:r><w:t>Draft leaflet</w:t></w:r></w:p></w:body></w:document>',
        )
        archive.writestr(
            "word/_rels/document.xml.rels",
            RELS.format(
                links=f'<Relationship Id="rId9" Type="{OFFICE}/hyperlink" '
                'Target="https://example.org/" TargetMode="External"/>' + links
            ),
        )
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def _clean(data: bytes, accept=(uploads.JPEG, uploads.PNG, uploads.PDF, uploads.DOCX)):
    return uploads.clean(
        data, accept=accept, wrong_type="Choose a PDF", max_bytes=10 * MB, max_side=3000
    )


# Pictures ------------------------------------------------------------------------------------


def test_a_decompression_bomb_is_refused_before_it_is_opened(ctx, monkeypatch):
    def never(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", never)
    data = png_bomb()
    assert len(data) < 100_000
    with pytest.raises(UploadError, match="too big to open"):
        _clean(data)
    assert Image.MAX_IMAGE_PIXELS == uploads.MAX_PIXELS  # Pillow's own limit, set on purpose


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_pictures_are_redrawn_upright_without_their_location(ctx, fmt):
    kept = _clean(gps_photo(fmt=fmt))
    assert kept.content_type == f"image/{fmt.lower()}"  # a picture keeps its own format
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.format == fmt
        assert max(image.size) == 3000 and image.size[1] > image.size[0]  # upright
        assert not image.getexif()  # no location, no orientation, nothing
        assert "exif" not in image.info and "icc_profile" not in image.info


def test_markup_needs_a_whole_tag_so_photo_bytes_do_not_look_like_markup(ctx):
    for data in (b"<svgz", b"<bodyguard", b"<html5"):
        assert not uploads.MARKUP.search(data)
    for data in (b"<svg onload=x>", b"< script>", b"<HTML>", b"javascript:alert(1)"):
        assert uploads.MARKUP.search(data)


# PDFs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pdf_with_javascript(),
        pdf(b"<< /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
        pdf(b"<< /Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >> >>"),
        pdf(b"<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>"),
        pdf(b"<< /Type /Catalog /AcroForm << /XFA 2 0 R >> >>"),
        pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
    ],
    ids=["javascript", "escaped-names", "launch", "embedded-files", "xfa", "in-object-stream"],
)
def test_pdfs_that_could_run_code_or_carry_files_are_refused(ctx, data):
    with pytest.raises(UploadError, match="could run by itself"):
        _clean(data)


def test_plain_pdfs_are_kept_as_they_are(ctx):
    for data in (
        pdf(b"<< /Type /Catalog >>"),
        pdf_with_object_stream(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        # A picture's bytes that happen to read "/JS" are not an action.
        pdf(b"<< /Length 8 >>\nstream\n\x00/JS \x01\x02\nendstream"),
    ):
        kept = _clean(data)
        assert (kept.content_type, kept.data, kept.extension) == (uploads.PDF, data, "pdf")


def test_a_pdf_we_cannot_look_inside_is_refused(ctx):
    broken = b"<< /Type /ObjStm /Filter /FlateDecode /Length 9 >>\nstream\nnot zlib!\nendstream"
    with pytest.raises(UploadError, match="cannot check this PDF"):
        _clean(pdf(b"<< /Type /Catalog >>", broken))


# Word documents -------------------------------------------------------------------------------


def test_a_plain_word_document_is_kept(ctx):
    data = docx_bytes()
    kept = _clean(data)
    assert (kept.content_type, kept.data, kept.extension) == (uploads.DOCX, data, "docx")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            docx_bytes(
                {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros"},
                types='<Default Extension="bin" ContentType="application/vnd.ms-office.'
                'vbaProject"/>',
            ),
            "macros",
        ),
        (
            docx_bytes(
                links=f'<Relationship Id="rId2" Type="{OFFICE}/attachedTemplate" '
                'Target="https://attacker.example/t.dotm" TargetMode="External"/>'
            ),
            "macros, links",
        ),
        (docx_bytes({"word/embeddings/oleObject1.bin": b"MZ program"}), "macros"),
        (docx_bytes({"word/afchunk.mht": b"<html>"}), "macros"),
        (
            docx_bytes(
                {
                    "customXml/item1.xml": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
                    "customXml/_rels/item1.xml.rels": b'<!DOCTYPE x [<!ENTITY a "a">]><x/>',
                }
            ),
            "macros",
        ),
        (
            docx_bytes(
                types='<Default Extension="x" ContentType="application/vnd.ms-word.'
                'document.macroEnabled.main+xml"/>'
            ),
            "macros",
        ),
    ],
    ids=["macros", "remote-template", "ole-object", "web-page", "entities", "macro-enabled"],
)
def test_word_documents_with_macros_or_outside_links_are_refused(ctx, data, message):
    with pytest.raises(UploadError, match=message):
        _clean(data)


def test_a_zip_that_is_not_a_word_document_is_the_wrong_type(ctx):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    for data in (out.getvalue(), b"PK\x03\x04 not a zip at all"):
        with pytest.raises(UploadError, match="Choose a PDF"):
            _clean(data)


def test_the_size_limit_and_the_accepted_types_are_the_callers(ctx):
    with pytest.raises(UploadError, match="smaller than 1 MB"):
        uploads.clean(
            b"%PDF-" + b"x" * MB, accept=[uploads.PDF], wrong_type="x", max_bytes=MB, max_side=10
        )
    with pytest.raises(UploadError, match="Only PDFs"):
        uploads.clean(
            docx_bytes(), accept=[uploads.PDF], wrong_type="Only PDFs", max_bytes=MB, max_side=10
        )
