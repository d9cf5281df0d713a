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


#: A number no row has, put where the varying id goes so one ``url_for`` gives the whole shape.
_MARK = 987654321987


def id_urls(endpoint: str, key: str, **values: Any):  # noqa: ANN201 (a function of an id)
    """The path of ``endpoint`` for many values of one integer ``key`` with a single
    ``url_for``: a long list builds each link by joining strings (``url_for`` costs about as
    much as rendering the rest of the row)."""
    head, _, tail = url_for(endpoint, **values, **{key: _MARK}).partition(str(_MARK))

    def url(value: int) -> str:
        return f"{head}{int(value)}{tail}"

    return url
