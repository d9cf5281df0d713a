"""Papers for a meeting: checked by their content, stored outside the web root under a random
name, and handed only to those who may see the meeting."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from engage.core import audit, uploads
from engage.extensions import db
from engage.forums.models import ForumError, Meeting, Paper
from engage.people.models import User

#: The largest paper accepted, in bytes.
MAX_PAPER_BYTES = 10 * 1024 * 1024


#: The longest side of a picture kept as a paper: an A4 page scanned at 300 dpi still fits.
PAPER_MAX_SIDE = 3600


#: What a paper may be, told by its content (``engage.core.uploads``).
PAPER_TYPES = (uploads.PDF, uploads.DOCX, uploads.PNG, uploads.JPEG)


def papers_folder() -> Path:
    """Papers live in the instance folder, outside the web root."""
    folder = Path(current_app.instance_path) / "papers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_paper(actor: User, meeting: Meeting, title: str, data: bytes) -> Paper:
    """Check and store a paper under a random name. Raises ForumError (safe to show) if it is
    empty, too big, not a PDF, Word document, PNG or JPEG, or carries anything that could run
    or give away where a photo was taken (see ``engage.core.uploads``).

    The file is written before the commit; ``discard_paper`` removes it if the commit fails.
    """
    try:
        kept = uploads.clean(
            data,
            accept=PAPER_TYPES,
            wrong_type=_(
                "The file must be a PDF, a Word document (.docx), or a PNG or JPEG picture."
            ),
            max_bytes=MAX_PAPER_BYTES,
            max_side=PAPER_MAX_SIDE,
        )
    except uploads.UploadError as error:
        raise ForumError(str(error)) from None
    stored_name = f"{secrets.token_hex(16)}.{kept.extension}"
    (papers_folder() / stored_name).write_bytes(kept.data)
    paper = Paper(
        meeting_id=meeting.id,
        title=title.strip(),
        stored_name=stored_name,
        content_type=kept.content_type,
        size=len(kept.data),
    )
    db.session.add(paper)
    db.session.flush()
    audit.record("forum.paper_added", actor=actor, meeting=meeting.id, paper=paper.id)
    return paper


def remove_paper(actor: User, paper: Paper) -> None:
    """Remove a paper's record; the route deletes its file once the removal is committed."""
    audit.record("forum.paper_removed", actor=actor, meeting=paper.meeting_id, paper=paper.id)
    db.session.delete(paper)
    db.session.flush()


def discard_paper(paper: Paper) -> None:
    (papers_folder() / paper.stored_name).unlink(missing_ok=True)


def paper_file(paper: Paper) -> Path:
    return papers_folder() / paper.stored_name


def papers_of(meeting: Meeting) -> list[Paper]:
    """A meeting's papers, oldest first."""
    return list(
        db.session.scalars(
            select(Paper).where(Paper.meeting_id == meeting.id).order_by(Paper.created_at)
        )
    )
