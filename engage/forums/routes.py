"""Forum and meeting pages."""

from engage.forums import bp  # noqa: F401
