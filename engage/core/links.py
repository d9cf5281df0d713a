"""Absolute links for messages, which are also built outside requests (``engage tick``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for

from engage.core.outbox import Secret


def absolute_url(endpoint: str, **values: Any) -> str:
    """``ENGAGE_BASE_URL`` plus the path of ``endpoint``, in a request or not."""
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context():
        return base + url_for(endpoint, **values)


def secret_url(endpoint: str, name: str = "link", **values: Any) -> Secret:
    """A link only its recipient may read (a single-use sign-in link, a private feed), as a
    :class:`~engage.core.outbox.Secret`: put into a message's text it stays a placeholder, and
    the outbox merges it in only when sending. ``name`` tells two secrets in one message apart.
    """
    return Secret(absolute_url(endpoint, **values), name=name)
