"""Scripts: UTF-8 text, one command a line; ``#`` starts a comment."""

from __future__ import annotations

import os
import sys
from pathlib import Path


class ScriptError(OSError):
    pass


def parse_script(text: str) -> list[str]:
    """The commands of a script, comments and blank lines dropped."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


MAX_SCRIPT_BYTES = 4 * 2**20  # ~100,000 commands; larger is not a script


def read_script(path: str | os.PathLike) -> list[str]:
    """Read a script file, or standard input for ``-``.

    A directory, an empty file, a binary file or one larger than
    :data:`MAX_SCRIPT_BYTES` is refused with a message, after reading at most
    that much (never the whole of a huge file)."""
    if str(path) == "-":
        data = sys.stdin.read(MAX_SCRIPT_BYTES + 1)
        if len(data) > MAX_SCRIPT_BYTES:
            raise ScriptError(
                f"standard input holds more than {MAX_SCRIPT_BYTES // 2**20} MB; "
                "that is not a script"
            )
        return _commands(data, "standard input")
    p = Path(path)
    try:
        if p.is_dir():
            raise ScriptError(f"{p} is a directory; give a script file (one command a line)")
        size = p.stat().st_size
        if size > MAX_SCRIPT_BYTES:
            raise ScriptError(
                f"{p} is {size / 2**20:,.0f} MB; a script is at most "
                f"{MAX_SCRIPT_BYTES // 2**20} MB of text (one command a line)"
            )
        with open(p, "rb") as f:
            raw = f.read(MAX_SCRIPT_BYTES + 1)
    except FileNotFoundError:
        raise ScriptError(f"no script at {p}") from None
    except OSError as e:
        raise ScriptError(f"cannot read script {p}: {e.strerror or e}") from None
    if len(raw) > MAX_SCRIPT_BYTES:  # grew while we looked, or a device
        raise ScriptError(f"{p} is larger than {MAX_SCRIPT_BYTES // 2**20} MB; not a script")
    if b"\x00" in raw:
        raise ScriptError(f"{p} is not a text file (it holds binary data)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScriptError(f"{p} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    return _commands(text.removeprefix("\ufeff"), str(p))


def _commands(text: str, where: str) -> list[str]:
    commands = parse_script(text)
    if not any(c.strip() for c in commands):
        raise ScriptError(
            f"{where} holds no commands (it is empty, or only blank and comment lines)"
        )
    return commands
