"""Static files: fingerprinted names, compressed copies, and a year in browsers' caches.

A peer on a phone with little data pays for every byte, so each page's stylesheets and scripts
should cross the wire once, compressed, and never be asked for again. At start-up (no build
step: ``engage run``, ``engage serve`` and the tests all do it) every file under ``static/`` is
copied into the instance folder's ``.static/`` under a name carrying a hash of its content
(``css/engage.css`` becomes ``css/engage.3f9a1c2b4d5e.css``), with gzip and, where the Brotli
package is installed, brotli copies beside it. ``url_for('static', filename='css/engage.css')``
gives the fingerprinted name, and WhiteNoise serves those names ahead of Flask with
``Cache-Control: max-age=31536000, public, immutable``: a changed file gets a new name, so a
browser never needs to ask whether the one it has is still current.

A stylesheet's ``url(...)`` and a module's ``import ... from './x.mjs'`` that name another
static file are rewritten to its fingerprinted name (as Django's ManifestStaticFilesStorage does),
so a file's hash covers what it loads and nothing is fetched under an old name.

Copies are written once (a name already there has that content) and atomically, so gunicorn
workers and test servers sharing an instance folder never see half a file. Old versions stay:
a page loaded just before a restart can still fetch what it names. With ``engage --debug run``
an edited file gets its new name on the next request.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor, brotli_installed

#: A year: the longest lifetime HTTP caches are asked to honour (RFC 9111).
CACHE_CONTROL = "max-age=31536000, public, immutable"

#: ``url(x)`` in a stylesheet.
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")
#: ``from './x.mjs'``, ``import './x.mjs'`` and ``import('./x.mjs')`` in a module: relative only.
_JS_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}/[^'"]+)\2""")


def fingerprinted(name: str, content: bytes) -> str:
    """``name`` with the first 12 hex digits of ``content``'s SHA-256 before its extension."""
    digest = hashlib.sha256(content).hexdigest()[:12]
    folder, _, base = name.rpartition("/")
    stem, dot, extension = base.rpartition(".")
    hashed = f"{stem}.{digest}.{extension}" if dot and stem else f"{base}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


class Manifest:
    """The fingerprinted name of every file under ``source`` (``names``), each written with its
    compressed copies under ``target``."""

    def __init__(self, source: Path, target: Path, scratch: Path) -> None:
        self.source, self.target, self.scratch = source, target, scratch
        self.files = sorted(
            path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()
        )
        self.stamp = self._stamp()
        self.names: dict[str, str] = {}
        for name in self.files:
            self._build(name, ())

    def _stamp(self) -> list[tuple[str, float]]:
        return [(str(path), path.stat().st_mtime) for path in sorted(self.source.rglob("*"))]

    def stale(self) -> bool:
        """True once a file under ``source`` has been edited, added or removed."""
        return self._stamp() != self.stamp

    def _build(self, name: str, loading: tuple[str, ...]) -> str:
        if name in self.names:
            return self.names[name]
        content = (self.source / name).read_bytes()
        if name.endswith(".css"):
            content = self._rewrite(_CSS_URL, 2, name, content, loading)
        elif name.endswith((".js", ".mjs")):
            content = self._rewrite(_JS_IMPORT, 3, name, content, loading)
        hashed = self.names[name] = fingerprinted(name, content)
        self._write(hashed, content)
        return hashed

    def _rewrite(
        self, pattern: re.Pattern, group: int, name: str, content: bytes, loading: tuple
    ) -> bytes:
        """``content`` with each reference to another static file given its hashed name."""

        def swap(match: re.Match) -> str:
            reference = match.group(group)
            path = reference.split("#")[0].split("?")[0]
            if ":" in path or path.startswith("/"):  # data:, https:, or from the site's root
                return match.group(0)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
            if target not in self.files or target in loading:
                return match.group(0)  # not ours (left as it was), or a loop
            hashed = posixpath.basename(self._build(target, (*loading, name)))
            new = posixpath.join(posixpath.dirname(path), hashed) + reference[len(path) :]
            return match.group(0).replace(reference, new, 1)

        return pattern.sub(swap, content.decode("utf-8")).encode("utf-8")

    def _write(self, hashed: str, content: bytes) -> None:
        final = self.target / hashed
        if final.exists():  # the same name always has the same content
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        # The compressed copies first: once the file itself is there, they are too.
        compressor = Compressor(quiet=True)
        if compressor.should_compress(hashed):
            encodings: list[tuple[str, Callable[[bytes], bytes]]] = [
                (".gz", compressor.compress_gzip)
            ]
            if brotli_installed:
                encodings.append((".br", compressor.compress_brotli))
            for suffix, compress in encodings:
                packed = compress(content)
                if len(packed) < len(content) * 0.95:  # WhiteNoise's own threshold
                    self._atomic(final.with_name(final.name + suffix), packed)
        self._atomic(final, content)

    def _atomic(self, path: Path, content: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.scratch, prefix=".static-")
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)


def _add_headers(headers: Headers, path: str, url: str) -> None:
    headers["Cache-Control"] = CACHE_CONTROL
    headers["X-Content-Type-Options"] = "nosniff"


def init_app(app: Flask) -> None:
    """Build the fingerprinted copies, make ``url_for('static', ...)`` name them, and serve
    them with WhiteNoise in front of the app. ``app.extensions["engage.assets"]`` is the
    :class:`Manifest`; :func:`folder` is where the copies are."""
    source = Path(app.static_folder or "static")
    target = folder(app)
    manifest = app.extensions["engage.assets"] = Manifest(source, target, Path(app.instance_path))
    # Only the fingerprinted copies are served here: any other /static/ address falls through
    # to Flask's static route, which answers 404 for a name it has never had.
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(target),
        prefix=app.static_url_path,
        autorefresh=app.debug,
        allow_all_origins=False,
        add_headers_function=_add_headers,
    )

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            name = values.get("filename")
            values["filename"] = app.extensions["engage.assets"].names.get(name, name)

    if app.debug:
        # While someone works on the stylesheets, their next reload shows the edit.
        @app.before_request
        def _rebuild_edited() -> None:
            if app.extensions["engage.assets"].stale():
                app.extensions["engage.assets"] = Manifest(source, target, manifest.scratch)


def folder(app: Flask) -> Path:
    """Where the fingerprinted copies of the static files are: a hidden folder of the instance
    folder, which backups leave out and restores leave alone (``engage.core.backup``)."""
    return Path(app.instance_path) / ".static"
