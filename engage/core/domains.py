"""What each domain adds to the whole: its scheduled jobs (``engage tick``), its part of the
dashboard (``dashboard_section``), its part of the
demo partnership (``engage demo``), its part of a person's data download (``/me/data``),
its part of erasing a person (``erasure_step``) and what must be done again after
``engage restore``.

A domain registers them from its own package (its ``__init__.py``), so core never imports a
domain and a new domain adds itself without editing core. The README's "Adding a domain" lists
every other place a new domain touches.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
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


@dataclass(frozen=True)
class DataFile:
    """One file in a person's data download (``engage.people.my_data``).

    ``name`` is the file's name without an extension for a table (``forums-replies``: it
    becomes ``forums-replies.csv`` and ``forums-replies.json``), or with one for an uploaded
    file (``receipts/claim-3-1.jpg``). ``description`` says in plain words what it holds, for
    the README. A table gives ``rows`` (dicts with the same keys, in column order); an uploaded
    file gives ``path`` (read from disk while the ZIP is written, never all at once) or ``data``.
    """

    name: str
    description: str
    rows: list[dict[str, Any]] | None = None
    path: Path | None = None
    data: bytes | None = None


#: A domain's part of a person's data: every record it holds about ``person``, with other
#: people's names redacted (``engage.people.my_data.someone``). Reads through the models'
#: attributes, so columns encrypted at rest come out readable.
PersonalDataExporter = Callable[[Any], Iterable[DataFile]]


@dataclass(frozen=True)
class _Exporter:
    order: int
    export: PersonalDataExporter
    #: The tables whose rows about a person this exporter puts in the download: a test fails
    #: when a table with a column pointing at ``user.id`` is in no exporter (or exclusion).
    tables: tuple[str, ...]


_exporters: list[_Exporter] = []


def personal_data(order: int, *, tables: Iterable[str]):  # noqa: ANN201
    """Register a domain's part of "download my data"; parts come in ``order``, lowest first.
    ``tables`` names every table the exporter covers. Use as a decorator."""

    def register(export: PersonalDataExporter) -> PersonalDataExporter:
        if all(existing.export is not export for existing in _exporters):
            _exporters.append(_Exporter(order, export, tuple(tables)))
        return export

    return register


def personal_data_exporters() -> list[_Exporter]:
    return sorted(_exporters, key=lambda exporter: exporter.order)


#: Work after ``engage restore`` has put back a backup taken at ``taken_at`` (UTC) and migrated
#: it to head, e.g. erasing again the people erased since then, so a restore never brings an
#: erased person back. Flushes, never commits (``engage restore`` commits once for all of
#: them), and returns one line for the log. Files listed by :func:`keep_on_restore` are still
#: the current ones when it runs.
AfterRestore = Callable[[datetime], str]

_after_restore: list[tuple[int, AfterRestore]] = []
_kept_on_restore: set[str] = set()


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
    """Name a file of the instance folder (e.g. ``"erasure-log.jsonl"``) that ``engage restore``
    must not replace with the backup's older copy when it exists: a log of what happened
    since, which an :func:`after_restore` hook reads. It is still backed up."""
    _kept_on_restore.add(relative_path)
    return relative_path


def kept_on_restore() -> frozenset[str]:
    return frozenset(_kept_on_restore)


@dataclass(frozen=True)
class _Section:
    order: int
    key: str
    build: Callable[[Any, Any], Any]


_sections: list[_Section] = []


def dashboard_section(order: int, key: str):  # noqa: ANN201
    """Register a domain's section of the programme dashboard (and so of the board pack and
    the funder report): a :data:`engage.core.figures.SectionBuilder`. Sections come in
    ``order``, lowest first; ``key`` names it in URLs and exports ("voice"). Use as a
    decorator."""

    def register(build: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        if all(existing.key != key for existing in _sections):
            _sections.append(_Section(order, key, build))
        return build

    return register


def dashboard_sections() -> list[_Section]:
    return sorted(_sections, key=lambda section: section.order)


@dataclass(frozen=True)
class RunLine:
    """One payment another domain puts in a payment run (``engage.payments``), beside the
    fees and claims: a fund's payment to a supplier, say. It is in its own section of the run
    and of its files, and is never an involvement payment: it counts towards nobody's
    earnings."""

    #: The checkbox value on the new-run page and the line's key: "<source kind>:<id>".
    key: str
    #: Who is paid (a supplier's name), and what for (a reference, never a person's name).
    payee: str
    description: str
    amount: Any  # a Decimal
    account_name: str = ""
    sort_code: str = ""
    account_number: str = ""


@dataclass(frozen=True)
class RunSource:
    """A domain's payments for payment runs. ``kind`` prefixes its checkbox values ("fund");
    ``section`` is its section's heading. ``ready()`` lists the lines waiting for a run;
    ``take(run, actor, ids)`` puts those of ``ids`` still waiting into ``run`` (locking them,
    flushing) and returns them; ``lines(run)`` lists a run's lines; ``paid(run, actor)`` is
    called when finance marks the run paid. Each flushes, never commits."""

    kind: str
    section: Callable[[], str]
    ready: Callable[[], list[RunLine]]
    take: Callable[[Any, Any, list[int]], list[RunLine]]
    lines: Callable[[Any], list[RunLine]]
    paid: Callable[[Any, Any], None]


_run_sources: dict[str, RunSource] = {}


def run_source(source: RunSource) -> RunSource:
    """Register a domain's payments for payment runs (once per ``kind``)."""
    _run_sources.setdefault(source.kind, source)
    return source


def run_sources() -> list[RunSource]:
    return [_run_sources[kind] for kind in sorted(_run_sources)]
