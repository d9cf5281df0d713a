"""What each domain adds to the whole: its scheduled jobs (``engage tick``), its part of the
demo partnership (``engage demo``) and its part of erasing a person (``erasure_step``).

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

#: A domain's part of erasing a person (``engage.people.erasure.erase``): anonymises what the
#: domain holds about ``person`` (the first argument), flushing, never committing; ``actor``
#: (the second) is the admin erasing them, or None for a retention rule. Files to delete go
#: to ``engage.people.erasure.delete_after_commit``.
ErasureStep = Callable[[Any, Any], None]

_jobs: list[_Job] = []
_demo_steps: list[tuple[int, DemoStep]] = []
_erasure_steps: list[tuple[int, ErasureStep]] = []


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


def erasure_step(order: int):  # noqa: ANN201
    """Register a domain's part of erasing a person; steps run in ``order``, lowest first, all
    in one transaction (the people domain's own step comes last). Use as a decorator."""

    def register(step: ErasureStep) -> ErasureStep:
        if all(existing is not step for _order, existing in _erasure_steps):
            _erasure_steps.append((order, step))
        return step

    return register


def erasure_steps() -> list[ErasureStep]:
    return [step for _order, step in sorted(_erasure_steps, key=lambda pair: pair[0])]


def tick_jobs() -> list[_Job]:
    return sorted(_jobs, key=lambda job: job.order)


def demo_steps() -> list[DemoStep]:
    return [step for _order, step in sorted(_demo_steps, key=lambda pair: pair[0])]
