"""Board pages: members, meetings with attendance, and the agenda built from the register."""

from engage.changes import bp  # noqa: F401
