"""Printable pages as PDF: the board pack and the funder report are drawn from the same HTML a
browser shows, by WeasyPrint, laid out for A4 by the print stylesheet (static/css/print.css).

WeasyPrint reads the page's stylesheets straight from the fingerprinted copies of the static
files (``engage.core.assets``), with no HTTP request back to ourselves, which would need a server
to answer and the reader's session, and fetches nothing else: a PDF of people's records must not
reach out to any other address.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import threading
from collections import OrderedDict
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from flask import Response, current_app, make_response, request
from werkzeug.exceptions import ServiceUnavailable

from engage.core import assets

#: WeasyPrint warns about every rule of GOV.UK Frontend it does not draw (screen-width media
#: queries, @supports) and logs each step: noise in the log on every download.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

#: What a URL that is neither a static file nor inline data gets instead: nothing.
_REFUSED = "engage does not fetch this into a PDF"


def _static_file(url: str, static_root: Path, static_path: str) -> Path:
    """The file under ``static_root`` that ``url`` names (``<static_path>/css/print.css``);
    ValueError for any other address, so WeasyPrint leaves it out."""
    prefix = static_path.rstrip("/") + "/"
    path = unquote(urlsplit(url).path)
    if not path.startswith(prefix):
        raise ValueError(_REFUSED)
    root = static_root.resolve()
    file = (root / path[len(prefix) :]).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        raise ValueError(_REFUSED)
    return file


#: Stylesheets parsed once per process (by file, while it is unchanged): parsing GOV.UK
#: Frontend's is most of the time a PDF takes, and it is the same for every one.
_parsed: dict[Path, tuple[float, Any]] = {}

_STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
_HREF = re.compile(r"\bhref=\"([^\"]+)\"")


def _stylesheet(file: Path, url: str, fetcher: Any) -> Any:
    from weasyprint import CSS

    changed = file.stat().st_mtime
    cached = _parsed.get(file)
    if cached is None or cached[0] != changed:
        sheet = CSS(string=file.read_text(encoding="utf-8"), base_url=url, url_fetcher=fetcher)
        cached = _parsed[file] = (changed, sheet)
    return cached[1]


def _fetcher(static_root: Path, static_path: str, parsed: set[str]):  # noqa: ANN202
    """A WeasyPrint URL fetcher for static files and inline ``data:`` URLs only. The
    stylesheets in ``parsed`` are handed over already parsed, so they fetch as empty."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):  # noqa: ANN001, ANN201
            if url.startswith("data:"):
                return super().fetch(url, headers)
            file = _static_file(url, static_root, static_path)
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            body = b"" if url in parsed else file.read_bytes()
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    return StaticOnly(allowed_protocols={"http", "https", "data"})


def _weasyprint():  # noqa: ANN202
    """WeasyPrint, or a 503 with a page that says to print instead: it needs the system's Pango
    library (Debian: libpango-1.0-0), which a server may lack. The rest of engage works
    without it, and ``engage check`` says so before going live."""
    try:
        import weasyprint
    except OSError as error:
        current_app.logger.error("PDFs cannot be made: WeasyPrint cannot load (%s)", error)
        raise ServiceUnavailable() from error
    return weasyprint


#: A page's CSRF tokens (a form's hidden field, htmx's header): fresh random bytes on every
#: page, never drawn in a PDF, and not to be carried into a file that may be passed around.
_CSRF_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*|("X-CSRFToken": ")[^"]*')

#: PDFs each worker keeps, by the page they were drawn from, and their most bytes in all.
MOST_KEPT_PDFS = 16
MOST_KEPT_BYTES = 32 * 1024 * 1024
_kept_lock = threading.Lock()  # ``engage serve --threads``


def html_to_pdf(html: str) -> bytes:
    """The page ``html`` (as rendered for a browser) as a PDF, in print media. Its static
    stylesheets apply in the order the page links them (all of them: the PDF is print).
    Raises ``ServiceUnavailable`` (503) when this server cannot make PDFs.

    Drawing a board pack takes WeasyPrint over a second, and a PDF is a function of its page
    alone (the stylesheets' names carry their content's hash): each worker keeps the last few
    it drew, by the page's own hash, and hands the same page's PDF back at once. A page whose
    data changed is a different page, so nothing kept is ever out of date."""
    page = _CSRF_TOKEN.sub(lambda m: m.group(1) or m.group(2), html)
    key = hashlib.sha256(page.encode("utf-8")).digest()
    with _kept_lock:
        kept: OrderedDict[bytes, bytes] = current_app.extensions.setdefault(
            "engage.kept_pdfs", OrderedDict()
        )
        pdf = kept.get(key)
        if pdf is not None:
            kept.move_to_end(key)
            return pdf
    pdf = _draw(page)
    with _kept_lock:
        kept[key] = pdf
        while len(kept) > MOST_KEPT_PDFS or sum(map(len, kept.values())) > MOST_KEPT_BYTES:
            kept.popitem(last=False)
    return pdf


def _draw(html: str) -> bytes:
    weasyprint = _weasyprint()

    app = current_app
    root = assets.folder(app)
    static_path = app.static_url_path or "/static"
    base = request.url_root
    links = []
    for tag in _STYLESHEET_LINK.findall(html):
        href = _HREF.search(tag)
        if href is None:
            continue
        url = urljoin(base, unescape(href.group(1)))
        try:
            links.append((url, _static_file(url, root, static_path)))
        except ValueError:
            continue
    fetcher = _fetcher(root, static_path, {url for url, _file in links})
    sheets = [_stylesheet(file, url, fetcher) for url, file in links]
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=sheets)


def pdf_response(html: str, filename: str) -> Response:
    """A download of ``html`` as ``filename`` (ending .pdf), never kept by a cache."""
    response = make_response(html_to_pdf(html))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
