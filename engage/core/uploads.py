"""Files people upload (receipts, meeting papers), checked once, here, by what they contain.

A file's name and the browser's word for its type are never trusted: the first bytes say what
it is, and only the types the caller accepts are kept. Beyond the type:

- **Pictures** are measured before they are decoded, and refused when they have more pixels
  than any camera makes (a small file that would open to gigabytes is a decompression bomb).
  Kept pictures are drawn again from their pixels: turned the right way up, at most
  ``max_side`` pixels on their longest side, with nothing else the file carried (the phone's
  record of where the photo was taken, comments, anything hidden after the picture).
- **PDFs** that can run code or carry other files (JavaScript, launch actions, embedded
  files, forms that submit or import data) are refused, including where those are hidden in
  compressed object streams or spelt with ``#`` escapes.
- **Word documents** must be a real Word package (.docx): no macros, no ActiveX, no embedded
  programs or web pages, and no links that make Word fetch something when the file is opened.
- Anything carrying **markup or script** (a web page dressed up as a picture or a PDF) is
  refused.

Callers store what :func:`clean` returns, under a random name, outside the web root.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from xml.etree import ElementTree

from flask_babel import gettext as _

from engage.core.rules import IllegalMove

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf", DOCX: "docx"}

#: More pixels than this is not a photo or a scan but a decompression bomb (a 50 megapixel
#: camera makes 50 million). Pillow's own limit is set to the same figure when engage first
#: opens a picture (``_pillow``), so Pillow refuses too (it raises above twice its limit).
MAX_PIXELS = 60_000_000

#: Markup or script has no business in a picture or a PDF: a file carrying it is a disguised
#: web page. A tag's name must end (a space, ">" or "/"), so the random bytes of a big photo
#: do not pass for markup by chance.
MARKUP = re.compile(
    rb"<\s*(script|html|body|iframe|svg|object|embed|meta|\?php)[\s>/]|javascript:",
    re.IGNORECASE,
)

#: PDF names that run code, open other files or programs, or carry files inside the PDF.
PDF_ACTIVE = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"XFA",
        b"GoToE",
        b"ImportData",
        b"SubmitForm",
    }
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n")
#: How much a PDF's compressed object streams may open up to before we stop checking.
MAX_PDF_EXPANDED = 50 * 1024 * 1024

#: A Word package: at most this many parts, opening up to at most this many bytes.
MAX_DOCX_PARTS = 2000
MAX_DOCX_EXPANDED = 200 * 1024 * 1024
_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: Parts a plain document never needs: macros, ActiveX controls, OLE objects and programs
#: (``.bin``), macro-enabled documents inside it, and web pages pulled in as "alt chunks".
_DOCX_REFUSED = re.compile(
    r"(\.bin|\.(doc|xls|ppt|dot|xla)m|\.html?|\.mht(ml)?|\.exe|\.js|\.vbs)$|(^|/)activeX/",
    re.IGNORECASE,
)
_XML_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


class UploadError(IllegalMove):
    """A file that cannot be kept. The message is plain and safe to show."""


@dataclass(frozen=True)
class CleanFile:
    """What to store: the (redrawn) bytes, their content type and file extension."""

    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(data: bytes) -> str | None:
    """The content type from the file's first bytes, or None if it is none we know."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return DOCX  # a ZIP: only a real Word package passes check_docx
    return None


def clean(
    data: bytes,
    *,
    accept: Collection[str],
    wrong_type: str,
    max_bytes: int,
    max_side: int,
    picture_as: str | None = None,
) -> CleanFile:
    """Check an upload and return what may be stored.

    ``accept``: the content types wanted; anything else gets ``wrong_type`` (which should
    say what to choose instead). ``max_bytes``: the largest file taken. Pictures are
    redrawn at most ``max_side`` pixels on their longest side, as ``picture_as`` (JPEG or
    PNG; by default in their own format, WebP as JPEG). Raises UploadError (safe to show).
    """
    if not data:
        raise UploadError(_("The file is empty. Choose the file again."))
    if len(data) > max_bytes:
        raise UploadError(
            _("The file must be smaller than %(mb)d MB.", mb=max_bytes // (1024 * 1024))
        )
    content_type = sniff(data)
    if content_type not in accept:
        raise UploadError(wrong_type)
    if content_type == DOCX:
        if not is_docx(data):
            raise UploadError(wrong_type)
        check_docx(data)
        return CleanFile(data, DOCX)
    if MARKUP.search(data):
        raise UploadError(_("This file has something hidden inside it, so we cannot keep it."))
    if content_type == PDF:
        check_pdf(data)
        return CleanFile(data, PDF)
    target = picture_as or (JPEG if content_type == WEBP else content_type)
    return CleanFile(redraw(data, max_side=max_side, as_type=target), target)


# Pictures ------------------------------------------------------------------------------------


def _pillow():  # noqa: ANN202
    """Pillow, imported when a picture is first opened rather than at start-up (about 2.5 MiB
    that a worker serving pages never needs), with its decompression-bomb limit set to ours."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image, ImageOps, UnidentifiedImageError


def redraw(data: bytes, *, max_side: int, as_type: str = JPEG) -> bytes:
    """Draw the picture again from its pixels: upright, at most ``max_side`` pixels on its
    longest side, as ``as_type``, carrying nothing but the pixels. Raises UploadError when
    it is too big to open safely or damaged."""
    Image, ImageOps, UnidentifiedImageError = _pillow()  # noqa: N806 — Pillow's own names
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # The size comes from the header: nothing has been decoded yet.
            if probe.width * probe.height > MAX_PIXELS:
                raise UploadError(_too_big_picture())
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((max_side, max_side))
            if as_type == PNG:
                alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA" if alpha else "RGB")
            elif image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.info = {}  # no location, comments, colour profile or anything else
            out = io.BytesIO()
            if as_type == PNG:
                image.save(out, format="PNG", optimize=True)
            else:
                image.save(out, format="JPEG", quality=82, optimize=True)
            return out.getvalue()
    except UploadError:
        raise
    except Image.DecompressionBombError:
        raise UploadError(_too_big_picture()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadError(_("This picture seems to be damaged. Try taking it again.")) from None


def _too_big_picture() -> str:
    return _("This picture is too big to open. Try a smaller one.")


# PDFs ----------------------------------------------------------------------------------------


def _names(data: bytes) -> set[bytes]:
    """Every PDF name in ``data``, with ``#xx`` escapes read (``/J#61vaScript`` is
    ``/JavaScript``)."""
    return {
        re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)
        for name in _PDF_NAME.findall(data)
    }


def _outside_streams(data: bytes) -> bytes:
    """The PDF without the contents of its streams (pictures, fonts, page drawings): the
    objects themselves, where actions live."""
    parts, position = [], 0
    for match in _PDF_STREAM.finditer(data):
        if match.start() < position:
            continue
        parts.append(data[position : match.start()])
        end = data.find(b"endstream", match.end())
        position = end if end != -1 else len(data)
    parts.append(data[position:])
    return b"".join(parts)


def _object_streams(data: bytes) -> list[bytes]:
    """The opened contents of the PDF's object streams, where objects (and so actions) can be
    kept compressed, out of sight of a plain search. Raises UploadError for one we cannot
    open or that opens up too far."""
    opened, budget = [], MAX_PDF_EXPANDED
    for match in _PDF_STREAM.finditer(data):
        start = data.rfind(b"obj", 0, match.start())
        names = _names(data[max(start, match.start() - 4096, 0) : match.start()])
        if b"ObjStm" not in names:
            continue
        if names & {b"ASCIIHexDecode", b"ASCII85Decode", b"LZWDecode", b"RunLengthDecode"}:
            raise UploadError(_unreadable_pdf())
        end = data.find(b"endstream", match.end())
        body = data[match.end() : end if end != -1 else len(data)]
        if b"FlateDecode" not in names:
            opened.append(body)
            continue
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(body, budget)
        except zlib.error:
            raise UploadError(_unreadable_pdf()) from None
        if inflater.unconsumed_tail:
            raise UploadError(_unreadable_pdf())
        budget -= len(content)
        opened.append(content)
    return opened


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that runs code, opens programs or carries files, or is cut short."""
    if b"%%EOF" not in data[-2048:]:
        raise UploadError(_("This PDF seems to be damaged. Try saving it again."))
    names = _names(_outside_streams(data))
    if b"Encrypt" in names and b"ObjStm" in names:
        # Its hidden parts are locked, so we cannot see what they do.
        raise UploadError(_unreadable_pdf())
    for content in _object_streams(data):
        names |= _names(content)
    # Long names are looked for everywhere too, in case a stream hides an object a reader
    # would still find; short ones (/JS) could turn up by chance in a picture's bytes.
    names |= {name for name in _names(data) if len(name) > 4}
    if names & PDF_ACTIVE:
        raise UploadError(
            _("This PDF has something inside it that could run by itself, so we cannot keep it.")
        )


def _unreadable_pdf() -> str:
    return _("We cannot check this PDF. Print it or save it again as a new PDF, then try again.")


# Word documents ------------------------------------------------------------------------------


def is_docx(data: bytes) -> bool:
    """Whether ``data`` is a Word package at all: a ZIP with a main Word document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= parts


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    with archive.open(name) as part:
        text = part.read(1024 * 1024 + 1)
    # Word never writes a document type or entities: refusing them leaves no entity tricks
    # (billion laughs, outside files) for the parser below, in UTF-8 or UTF-16.
    declarations = [m.encode(c) for m in ("<!DOCTYPE", "<!ENTITY") for c in _XML_ENCODINGS]
    if len(text) > 1024 * 1024 or any(d in text for d in declarations):
        raise UploadError(_unsafe_document())
    try:
        return ElementTree.fromstring(text)  # noqa: S314 - no DOCTYPE, so nothing to expand
    except ElementTree.ParseError:
        raise UploadError(_("This document seems to be damaged. Try saving it again.")) from None


def check_docx(data: bytes) -> None:
    """Refuse a Word package with macros, ActiveX, embedded programs or web pages, parts that
    open up to far more than the file, or links Word would follow when it opens the file
    (anything outside the document but a hyperlink)."""
    try:
        _check_docx_parts(data)
    except UploadError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, ValueError):
        raise UploadError(_("This document seems to be damaged. Try saving it again.")) from None


def _check_docx_parts(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_DOCX_PARTS or sum(m.file_size for m in members) > MAX_DOCX_EXPANDED:
            raise UploadError(_unsafe_document())
        if any(_DOCX_REFUSED.search(m.filename) for m in members):
            raise UploadError(_unsafe_document())
        types = _xml(archive, "[Content_Types].xml")
        declared = {(e.get("ContentType") or "") for e in types}
        if _DOCX_MAIN not in declared or any(
            "macroEnabled" in t or "vbaProject" in t or "activeX" in t for t in declared
        ):
            raise UploadError(_unsafe_document())
        for member in members:
            if not member.filename.endswith(".rels"):
                continue
            for link in _xml(archive, member.filename).iter(_RELATIONSHIPS):
                external = (link.get("TargetMode") or "").lower() == "external"
                if external and not (link.get("Type") or "").endswith("/hyperlink"):
                    raise UploadError(_unsafe_document())


def _unsafe_document() -> str:
    return _(
        "This document has macros, links or other files inside it, so we cannot keep it. "
        "Save it as a plain Word document (.docx) or a PDF, then try again."
    )
