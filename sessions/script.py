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


def read_script(path: str | os.PathLike) -> list[str]:
    """Read a script file, or standard input for ``-``."""
    if str(path) == "-":
        return parse_script(sys.stdin.read())
    p = Path(path)
    try:
        return parse_script(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScriptError(f"no script at {p}") from None
    except UnicodeDecodeError as e:
        raise ScriptError(f"{p} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ScriptError(f"cannot read script {p}: {e.strerror or e}") from None
