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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


class LogError(Exception):
    def __init__(self, message: str, records: list[dict] | None = None):
        super().__init__(message)
        self.records = records or []


class LogWriteError(OSError):
    """The log cannot be written (unwritable directory, full disk)."""


@dataclass
class LoadedLog:
    path: Path
    records: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


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

    def __init__(self, path: str | os.PathLike, sync: str = "background", *,
                 fresh: bool = False):
        self.path = Path(path)
        self._sync = sync
        self._dirty = threading.Event()
        self._stop = False
        self._syncer: threading.Thread | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "a", encoding="utf-8")
        except OSError as e:
            raise LogWriteError(f"cannot write session log to {self.path}: "
                                f"{e.strerror or e}") from None
        if fresh and self._f.tell() > 0:
            self._f.close()
            raise LogWriteError(f"cannot write session log to {self.path}: it already holds "
                                "another session (resume it, or choose a new file)")
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
        line = json.dumps({"v": FORMAT_VERSION, **record}, ensure_ascii=False,
                          separators=(",", ":"), allow_nan=False)
        try:
            self._f.write(line + "\n")
            self._f.flush()
            if self._sync == "inline":
                os.fsync(self._f.fileno())
            else:
                self._start_syncer()
                self._dirty.set()
        except (OSError, ValueError) as e:
            raise LogWriteError(f"cannot append to session log {self.path}: {e}") from None

    def _start_syncer(self) -> None:
        if self._syncer is None:
            self._syncer = threading.Thread(target=self._sync_loop, name="holochat-log-fsync",
                                            daemon=True)
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


def load_log(path: str | os.PathLike) -> LoadedLog:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LogError(f"no session log at {path}") from None
    except OSError as e:
        raise LogError(f"cannot read session log {path}: {e.strerror or e}") from None
    lines = data.split(b"\n")
    complete_last = data.endswith(b"\n")
    if complete_last:
        lines = lines[:-1]
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    for i, raw in enumerate(lines, start=1):
        last = i == len(lines)
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
            if not isinstance(rec, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            if last:
                warnings.append(f"{path}, line {i}: the last record was cut off and is skipped")
                break
            raise LogError(f"{path}, line {i}: corrupt record ({e}); "
                           f"loaded the {len(records)} turns before it", records) from None
        v = rec.get("v")
        if not isinstance(v, int) or v < 1:
            raise LogError(f"{path}, line {i}: record has no valid format version", records)
        if v > FORMAT_VERSION:
            raise LogError(f"{path}, line {i}: written by a newer holochat (format v{v}; "
                           f"this one reads v{FORMAT_VERSION}); upgrade holochat to open it",
                           records)
        if not complete_last and last:
            warnings.append(f"{path}, line {i}: the last line has no newline (the session "
                            "stopped while writing); it parsed and is kept")
        records.append(rec)
    if not records:
        raise LogError(f"{path} holds no turns")
    return LoadedLog(path, records, warnings)
