"""One helper decides between a whole page and an htmx fragment, so that every page works as
plain HTML and htmx only makes it quicker. Routes never read ``HX-*`` headers themselves."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def _wants_fragment() -> bool:
    # Boosted requests (whole-page navigation) get the page; other htmx requests the fragment.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render ``template``, or only its ``block`` for an htmx request.

    The response varies on ``HX-Request`` so a cache never serves a fragment as a page.
    """
    if block and _wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(location: str) -> Response:
    """After a successful POST: a 303 for browsers, ``HX-Redirect`` for htmx requests."""
    if _wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
    else:
        response = redirect(location, 303)
    response.vary.add("HX-Request")
    return response


def updated(
    template: str, block: str, location: str, message: str | None = None, **context: Any
) -> Response:
    """After a successful POST that htmx makes in place (a one-tap reply): the updated block
    for htmx (which shows ``message`` itself), and for a plain form post the usual 303 back to
    ``location`` with ``message`` flashed."""
    if _wants_fragment():
        return render(template, block=block, **context)
    if message:
        flash(message, "success")
    return redirect_to(location)
