"""The benchmark's app: the real engage app plus one extra route, served by ``engage serve``
itself so the figures describe what production runs (the same start-up, fork and gc freeze):

    cd /path/to/checkout && engage --app 'bench.wsgi_app:create_app()' serve --workers 2

Configuration comes from the environment, exactly as for ``engage serve``: ``ENGAGE_INSTANCE_PATH``
or ``ENGAGE_DATABASE_URL``, ``ENGAGE_SECRET_KEY``, ``ENGAGE_LOGIN_LIMIT_PER_ACCOUNT`` ... (see
``engage/config.py``). ``bench/home_profile.py`` sets them.

The extra route, ``/bench/ceiling``, answers with a fixed HTML string: the bytes of a home page
captured once before the server starts (the file named by ``ENGAGE_BENCH_CEILING_FILE``). It does
no database work and renders no template, so its latency is what the server, Flask's routing and
engage's request hooks cost on their own: the ceiling a real page can approach. It exists only
in this module; the real app never has it.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

from engage import create_app as create_engage_app

CEILING_PATH = "/bench/ceiling"


def add_ceiling_route(app: Flask, body: bytes) -> None:
    """Serve ``body`` as a static HTML page at ``/bench/ceiling``."""

    def ceiling() -> Response:
        return Response(body, mimetype="text/html")

    app.add_url_rule(CEILING_PATH, "bench_ceiling", ceiling)


def create_app() -> Flask:
    app = create_engage_app()
    source = os.environ.get("ENGAGE_BENCH_CEILING_FILE")
    body = Path(source).read_bytes() if source else b"<!doctype html><title>ceiling</title>"
    add_ceiling_route(app, body)
    return app
