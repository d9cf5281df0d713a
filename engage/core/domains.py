"""What each domain adds to the whole: its scheduled jobs (``engage tick``), its part of the
demo partnership (``engage demo``) and what must be done again after ``engage restore``.

A domain registers them from its own package (its ``__init__.py``), so core never imports a
domain and a new domain adds itself without editing core. The README's "Adding a domain" lists
every other place a new domain touches.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: A scheduled job: does its work at ``now`` (flushing, never committing: ``engage tick``
#: commits once for all of them) and returns one line for the log, e.g. "Sent 3 reminders.".
TickJob = Callable[[datetime], str]


@dataclass(frozen=True)
class _Job:
    order: int
    run: TickJob
    #: Work that must wait until the jobs' changes are committed (e.g. deleting files).
    after_commit: Callable[[], None] | None


@dataclass
class DemoPartnership:
    """What the demo has made so far, handed to each domain's demo step in turn."""

    rng: random.Random
    #: The named demo accounts by username ("peer", "manager", "finance"…).
    accounts: dict[str, Any]
    #: The other demo peers, in the order they were made.
    peers: list[Any] = field(default_factory=list)


#: A domain's part of the demo: adds its data through its own services, flushing, never
#: committing.
DemoStep = Callable[[DemoPartnership], None]

#: Work after ``engage restore`` has put back a backup taken at ``taken_at`` (UTC) and migrated
#: it to head, e.g. erasing again the people erased since then, so a restore never brings an
#: erased person back. Flushes, never commits (``engage restore`` commits once for all of
#: them), and returns one line for the log. Files listed by :func:`keep_on_restore` are still
#: the current ones when it runs.
AfterRestore = Callable[[datetime], str]

_jobs: list[_Job] = []
_demo_steps: list[tuple[int, DemoStep]] = []
_after_restore: list[tuple[int, AfterRestore]] = []
_kept_on_restore: set[str] = set()


def tick_job(order: int, *, after_commit: Callable[[], None] | None = None):  # noqa: ANN201
    """Register a scheduled job; jobs run in ``order``, lowest first. Use as a decorator."""

    def register(job: TickJob) -> TickJob:
        if all(existing.run is not job for existing in _jobs):
            _jobs.append(_Job(order, job, after_commit))
        return job

    return register


def demo_step(order: int):  # noqa: ANN201
    """Register a domain's part of the demo; steps run in ``order``, lowest first, after the
    people domain has made the accounts. Use as a decorator."""

    def register(step: DemoStep) -> DemoStep:
        if all(existing is not step for _order, existing in _demo_steps):
            _demo_steps.append((order, step))
        return step

    return register


def tick_jobs() -> list[_Job]:
    return sorted(_jobs, key=lambda job: job.order)


def demo_steps() -> list[DemoStep]:
    return [step for _order, step in sorted(_demo_steps, key=lambda pair: pair[0])]


def after_restore(order: int):  # noqa: ANN201
    """Register work to do after a restore; it runs in ``order``, lowest first. Use as a
    decorator."""

    def register(hook: AfterRestore) -> AfterRestore:
        if all(existing is not hook for _order, existing in _after_restore):
            _after_restore.append((order, hook))
        return hook

    return register


def after_restore_hooks() -> list[AfterRestore]:
    return [hook for _order, hook in sorted(_after_restore, key=lambda pair: pair[0])]


def keep_on_restore(relative_path: str) -> str:
    """Name a file of the instance folder (e.g. ``"erasures.log"``) that ``engage restore``
    must not replace with the backup's older copy when it exists: a log of what happened
    since, which an :func:`after_restore` hook reads. It is still backed up."""
    _kept_on_restore.add(relative_path)
    return relative_path


def kept_on_restore() -> frozenset[str]:
    return frozenset(_kept_on_restore)
