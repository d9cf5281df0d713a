"""The real engage app with pauses at the dangerous moments, for the crash-safety tests only:

    engage --app 'tests.crash_app:create_app()' serve --workers 2

``ENGAGE_TEST_PAUSE_DIR`` names a folder. When it holds a file ``pause-<name>``, the wrapped
function ``<name>`` does its work (files written, rows flushed, the transaction still open) and
then writes ``reached-<name>`` holding the worker's process id and waits there, forever, for
the test to kill the worker. Without the flag file it runs as it always does.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from flask import Flask

from engage import create_app as create_engage_app


def _pause_after(module: object, name: str, folder: Path) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def paused(*args, **kwargs):  # noqa: ANN202
        result = original(*args, **kwargs)
        if (folder / f"pause-{name}").exists():
            (folder / f"reached-{name}").write_text(str(os.getpid()))
            while True:  # until SIGKILL
                time.sleep(0.05)
        return result

    setattr(module, name, paused)


def create_app() -> Flask:
    app = create_engage_app()
    folder = Path(os.environ["ENGAGE_TEST_PAUSE_DIR"])
    from engage.payments.claims import receipts
    from engage.payments.claims import services as claims
    from engage.payments.runs import services as runs

    # The receipt's file is written and its row flushed, not committed.
    _pause_after(receipts, "store", folder)
    # The claim, its line and the receipt's link are flushed, not committed.
    _pause_after(claims, "quick_claim", folder)
    # The run and every one of its payment items are flushed, not committed.
    _pause_after(runs, "create_run", folder)
    # The run, its items, fees and claims are marked paid and flushed, not committed.
    _pause_after(runs, "mark_paid", folder)
    return app
