"""The session log: JSON Lines, one record per turn, appended, flushed and
fsynced as each turn completes.  Nothing already on disk is ever rewritten.

Loading is forgiving where it can be and loud where it must be: a cut-off last
line (a crash mid-write) is skipped with a warning; a corrupt line in the
middle stops loading there with ``LogError`` naming the file and line, which
still carries every record before it; a record from a newer format version is
refused.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
MAX_LOG_BYTES = 512 * 2**20  # far beyond any session (a turn's record is ~3 KB)
MAX_RECORD_BYTES = 4 * 2**20  # one line; longer is not a record holochat wrote


class LogError(Exception):
    """A log that cannot be read.  ``records``: the readable turns before the
    damage (empty when there are none); ``newer``: a record is from a newer
    format, which this holochat neither replays nor resumes."""

    def __init__(self, message: str, records: list[dict] | None = None, *, newer: bool = False):
        super().__init__(message)
        self.records = records or []
        self.newer = newer


class LogWriteError(OSError):
    """The log cannot be written (unwritable directory, full disk)."""


@dataclass
class LoadedLog:
    path: Path
    records: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def _why(e: Exception) -> str:
    """Why a write failed, in words (a full disk says what to do)."""
    if isinstance(e, OSError) and e.errno is not None:
        from generators.errors import os_problem

        return os_problem(OSError(e.errno, e.strerror))  # the path is said already
    return str(e) or "the record could not be written"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SessionLog:
    """Append-only writer.  Opening never truncates an existing file.

    Each record is written and flushed to the operating system before
    ``append`` returns, so a crashed or killed process loses no completed turn.
    The fsync that puts it on the disk itself is issued at once too, by a
    background thread (``sync="background"``, the default), so a turn does not
    wait ~2 ms for the disk; ``close()`` waits for it.  ``sync="inline"`` fsyncs
    before returning.

    ``fresh=True`` is for a new session: a file that already holds records
    (another session's) is refused rather than appended to.
    """

    def __init__(self, path: str | os.PathLike, sync: str = "background", *, fresh: bool = False):
        self.path = Path(path)
        self._sync = sync
        self._dirty = threading.Event()
        self._stop = False
        self._syncer: threading.Thread | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "a", encoding="utf-8")
        except OSError as e:
            raise LogWriteError(f"cannot write session log to {self.path}: {_why(e)}") from None
        if fresh and self._f.tell() > 0:
            self._f.close()
            raise LogWriteError(
                f"cannot write session log to {self.path}: it already holds "
                "another session (resume it, or choose a new file)"
            )
        # a previous crash may have left a cut-off line: start on a fresh line
        try:
            if self.path.stat().st_size > 0:
                with open(self.path, "rb") as r:
                    r.seek(-1, os.SEEK_END)
                    if r.read(1) != b"\n":
                        self._f.write("\n")
        except OSError:
            pass

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(
            {"v": FORMAT_VERSION, **record},
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        )
        try:
            self._f.write(line + "\n")
            self._f.flush()
            if self._sync == "inline":
                os.fsync(self._f.fileno())
            else:
                self._start_syncer()
                self._dirty.set()
        except (OSError, ValueError) as e:
            raise LogWriteError(f"cannot append to session log {self.path}: {_why(e)}") from None

    def _start_syncer(self) -> None:
        if self._syncer is None:
            self._syncer = threading.Thread(
                target=self._sync_loop, name="holochat-log-fsync", daemon=True
            )
            self._syncer.start()

    def _sync_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            try:
                os.fsync(self._f.fileno())
            except (OSError, ValueError):
                pass
            if self._stop:
                return

    def close(self) -> None:
        if self._syncer is not None:
            self._stop = True
            self._dirty.set()
            self._syncer.join(timeout=5)
        try:
            os.fsync(self._f.fileno())
            self._f.close()
        except (OSError, ValueError):
            pass


def _lines(f, limit: int):
    """(line number, bytes, is_last, too_long) for each line of a binary file,
    reading one line ahead and never more than ``limit`` bytes of a line."""
    i = 0
    cur = f.readline(limit + 1)
    while cur:
        nxt = f.readline(limit + 1) if len(cur) <= limit else b""
        i += 1
        yield i, cur, not nxt, len(cur) > limit
        cur = nxt


def load_log(path: str | os.PathLike) -> LoadedLog:
    """Read a session log, one line at a time (a huge or binary file is
    refused after its first bytes, never read whole)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise LogError(f"{path} is a directory, not a session log")
        f = open(path, "rb")
    except FileNotFoundError:
        raise LogError(f"no session log at {path}") from None
    except OSError as e:
        raise LogError(f"cannot read session log {path}: {e.strerror or e}") from None
    with f:
        if size == 0:
            raise LogError(f"{path} is empty: it holds no session")
        if size > MAX_LOG_BYTES:
            raise LogError(
                f"{path} is {size / 2**20:,.0f} MB, larger than any session log "
                f"(at most {MAX_LOG_BYTES // 2**20} MB); is it the right file?"
            )
        head = f.read(8192)
        if b"\x00" in head:
            raise LogError(f"{path} is not a session log (it holds binary data)")
        f.seek(0)
        records: list[dict[str, Any]] = []
        warnings: list[str] = []
        try:
            for i, raw, last, too_long in _lines(f, MAX_RECORD_BYTES):
                complete = raw.endswith(b"\n")
                if not raw.strip():
                    continue
                try:
                    if too_long:
                        raise ValueError("longer than any record holochat writes")
                    rec = json.loads(raw.decode("utf-8"))
                    if not isinstance(rec, dict):
                        raise ValueError("not a JSON object")
                except (ValueError, UnicodeDecodeError) as e:
                    if last and records:
                        warnings.append(
                            f"{path}, line {i}: the last record was cut off and is skipped"
                        )
                        break
                    why = (
                        str(e)
                        if isinstance(e, ValueError) and len(str(e)) < 120
                        else "not a JSON record"
                    )
                    if not records:
                        raise LogError(f"{path} is not a session log (line {i}: {why})") from None
                    raise LogError(
                        f"{path}, line {i}: corrupt record ({why}); "
                        f"loaded the {len(records)} turns before it",
                        records,
                    ) from None
                v = rec.get("v")
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    if not records:
                        raise LogError(
                            f"{path} is not a session log (line {i} has no format version)"
                        )
                    raise LogError(f"{path}, line {i}: record has no valid format version", records)
                if v > FORMAT_VERSION:
                    raise LogError(
                        f"{path}, line {i}: written by a newer holochat (format v{v}; "
                        f"this one reads v{FORMAT_VERSION}); upgrade holochat to "
                        "open it",
                        records,
                        newer=True,
                    )
                if not complete:
                    warnings.append(
                        f"{path}, line {i}: the last line has no newline (the "
                        "session stopped while writing); it parsed and is kept"
                    )
                records.append(rec)
        except OSError as e:
            raise LogError(f"cannot read session log {path}: {e.strerror or e}", records) from None
    if not records:
        raise LogError(f"{path} holds no turns")
    return LoadedLog(path, records, warnings)
