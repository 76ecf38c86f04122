"""Session and export names: one check, used everywhere a name is taken.

A name is what a person types after ``--session``, "save as", or an export
command.  It becomes a file name inside the data directory, so it must not
be able to point anywhere else: letters, digits, ``-``, ``_`` and ``.``
only (ASCII), no path separators, no ``..``, not starting with a dot, and at
most :data:`MAX_NAME_LENGTH` characters.
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 64

_ALLOWED = re.compile(r"[A-Za-z0-9._-]+")


class InvalidNameError(ValueError):
    """A name that cannot be used for a session or export file.

    ``str(err)`` is a sentence for the person: what is wrong and what names
    are accepted.
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"{_show(name)} cannot be used as a name: {reason}. "
            f"Use letters, digits, '-', '_' and '.' (up to {MAX_NAME_LENGTH} "
            f"characters), for example 'portrait-1'."
        )


def _show(name: str) -> str:
    """The name quoted for a message, control characters made visible and
    long names shortened."""
    shown = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"'{shown}'" if shown else "An empty name"


def name_problem(name: object) -> str | None:
    """Why ``name`` is not a valid session/export name, or None if it is."""
    if not isinstance(name, str):
        return "it is not text"
    if not name or not name.strip():
        return "it is empty"
    if "/" in name or "\\" in name:
        return "it contains a path separator"
    if ".." in name:
        return "it contains '..'"
    if name.startswith("."):
        return "it starts with '.'"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is longer than {MAX_NAME_LENGTH} characters"
    if not _ALLOWED.fullmatch(name):
        bad = next(ch for ch in name if not _ALLOWED.fullmatch(ch))
        return f"it contains {_show(bad)}"
    return None


def is_valid_name(name: object) -> bool:
    return name_problem(name) is None


def check_name(name: object) -> str:
    """Return ``name`` unchanged if valid, else raise :class:`InvalidNameError`."""
    problem = name_problem(name)
    if problem is not None:
        raise InvalidNameError(name if isinstance(name, str) else repr(name), problem)
    return name  # type: ignore[return-value]
