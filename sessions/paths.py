"""Where sessions and exports live (XDG data dir, overridable)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from generators.files import data_dir


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def exports_dir() -> Path:
    return data_dir() / "exports"


def new_session_name() -> str:
    """UTC timestamp plus a short random suffix (names never collide)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{os.urandom(2).hex()}"


def looks_like_path(name_or_path: str | os.PathLike) -> bool:
    """Given as a file path (a ``.jsonl`` suffix or a directory separator),
    not as a session name."""
    s = str(name_or_path)
    return s.endswith(".jsonl") or "/" in s or os.sep in s


def resolve_session(
    name_or_path: str | os.PathLike, log_dir: str | os.PathLike | None = None
) -> Path:
    """A session given by path, or by name in ``log_dir`` (default: the
    sessions dir).  A bare word is a name when the sessions dir has a session
    of that name, or when no file of that name exists here."""
    p = Path(name_or_path)
    if looks_like_path(name_or_path):
        return p
    named = (Path(log_dir) if log_dir is not None else sessions_dir()) / f"{p}.jsonl"
    try:
        if not named.exists() and p.is_file():
            return p
    except OSError:  # a name too long for the file system: not a file here
        pass
    return named


def is_named_session(
    name_or_path: str | os.PathLike, path: Path, log_dir: str | os.PathLike | None = None
) -> bool:
    """Whether ``resolve_session`` read ``name_or_path`` as a session name."""
    base = Path(log_dir) if log_dir is not None else sessions_dir()
    return not looks_like_path(name_or_path) and path == base / f"{name_or_path}.jsonl"
