"""Where sessions and exports live (XDG data dir, overridable)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from generators.files import data_dir


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def exports_dir() -> Path:
    return data_dir() / "exports"


def new_session_name() -> str:
    """UTC timestamp plus a short random suffix (names never collide)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{os.urandom(2).hex()}"


def resolve_session(name_or_path: str | os.PathLike,
                    log_dir: str | os.PathLike | None = None) -> Path:
    """A session given by path, or by name in ``log_dir`` (default: the
    sessions dir)."""
    p = Path(name_or_path)
    if p.suffix == ".jsonl" or p.exists() or os.sep in str(name_or_path):
        return p
    return (Path(log_dir) if log_dir is not None else sessions_dir()) / f"{p}.jsonl"
