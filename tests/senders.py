"""A sender for tests: it records every message it is handed, from any thread."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

from engage.core.outbox import Message


class RecordingSender:
    """Configured as ``tests.senders:RecordingSender`` (the ``sent_messages`` fixture does it).

    ``delay`` keeps each send busy for a while, to widen the window in which two deliverers
    could both send one message; ``fail_with`` makes every send raise it.
    """

    sent: ClassVar[list[Message]] = []
    delay: ClassVar[float] = 0.0
    fail_with: ClassVar[Exception | None] = None
    _lock = threading.Lock()

    def __init__(self, config: Any):
        self.config = config

    def send(self, message: Message) -> None:
        if RecordingSender.delay:
            time.sleep(RecordingSender.delay)
        if RecordingSender.fail_with is not None:
            raise RecordingSender.fail_with
        with RecordingSender._lock:
            RecordingSender.sent.append(message)
