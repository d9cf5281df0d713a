"""The append-only audit log: who did what to whose data, and when.

Every service that reads or changes a person's record calls :func:`record`. Rows are never
updated or deleted: the ORM refuses it here, and database triggers refuse it underneath
(see the first migration).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from engage.core.db import utcnow
from engage.extensions import db


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # None: system
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # whose data
    action: Mapped[str] = mapped_column(
        String(60), index=True
    )  # e.g. "profile.viewed", "roles.changed"
    on_behalf: Mapped[bool] = mapped_column(default=False)  # staff acted for the subject
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON: what changed, never secrets
    ip: Mapped[str | None] = mapped_column(String(45))

    @property
    def detail_dict(self) -> dict[str, Any]:
        return json.loads(self.detail) if self.detail else {}


def record(
    action: str,
    *,
    actor: Any | None,
    subject: Any | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append an audit entry to the current transaction.

    ``actor`` and ``subject`` are users (or None for the system / no one person). When the
    actor is staff acting on someone else's data it is recorded as done on their behalf.
    """
    actor_id = getattr(actor, "id", None)
    subject_id = getattr(subject, "id", None)
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        on_behalf=actor_id is not None and subject_id is not None and actor_id != subject_id,
        detail=json.dumps(detail, default=str, sort_keys=True) if detail else "",
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("The audit log is append-only.")
