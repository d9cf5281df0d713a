"""Pages, CSV and JSON gzipped for browsers that accept it: a page's HTML shrinks to a fifth.

A small hook with the standard library's gzip rather than Flask-Compress: the rules fit in a
few lines, and they are ours to see (never a file sent from disk, never a streamed download,
never what is compressed already: PDFs, spreadsheets, photos). Static files come compressed
already (``engage.core.assets``).

Compressing a page that holds a secret next to something the visitor can make it echo lets an
attacker who watches the sizes guess the secret (BREACH). The CSRF token is the secret on
every page, so it is masked afresh wherever it appears (``engage.core.csrf``).
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

#: The types worth compressing: text made per request.
COMPRESSIBLE = frozenset({"text/html", "text/csv", "text/plain", "application/json"})
#: Below this, gzip's own header and checksum cost more than they save.
MIN_SIZE = 500
#: zlib's default: nearly level 9's size in a third of the time.
LEVEL = 6


def compress(response: Response) -> Response:
    """``response`` gzipped when the request accepts gzip and the response is worth it."""
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or request.accept_encodings["gzip"] <= 0
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    """Register the hook. Call it before any other ``after_request`` hook: Flask runs them
    last registered first, and this one must see the finished body."""
    app.after_request(compress)
