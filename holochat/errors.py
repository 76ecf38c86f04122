"""One place that turns the project's exceptions into words and exit codes.

``explain(exc)`` gives what happened and what to do (the exact command where
there is one) and the exit code; no class names and no tracebacks reach the
person unless ``--debug`` or ``HOLOCHAT_DEBUG=1`` asks for them.  The exit
codes are ``generators.errors.EXIT_*`` and are listed in docs/robustness.md.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass

from generators.errors import (
    EXIT_INCOMPLETE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_MODEL,
    GeneratorError,
    describe,
    is_write_problem,
    os_problem,
)


@dataclass(frozen=True)
class Explained:
    message: str
    code: int


def debug_enabled() -> bool:
    return os.environ.get("HOLOCHAT_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def explain(e: BaseException) -> Explained:
    from sessions.log import LogError, LogWriteError
    from sessions.names import InvalidNameError
    from sessions.script import ScriptError

    if isinstance(e, KeyboardInterrupt):
        return Explained("interrupted", EXIT_INTERRUPTED)
    if isinstance(e, InvalidNameError):
        return Explained(str(e), EXIT_INPUT)
    if isinstance(e, LogError):
        return Explained(f"{e}. 'holochat sessions' lists the saved sessions", EXIT_INPUT)
    if isinstance(e, ScriptError):
        return Explained(str(e), EXIT_INPUT)
    if isinstance(e, LogWriteError):
        return Explained(str(e), EXIT_INCOMPLETE)
    if isinstance(e, GeneratorError):
        return Explained(describe(e), EXIT_MODEL)
    try:
        from generators.text.embedding import EmbeddingUnavailable

        if isinstance(e, EmbeddingUnavailable):
            return Explained(str(e), EXIT_MODEL)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(e, OSError):
        if e.errno is not None:
            code = EXIT_INCOMPLETE if is_write_problem(e) else EXIT_INPUT
            return Explained(os_problem(e), code)
        return Explained(describe(e), EXIT_INCOMPLETE)
    return Explained(describe(e), EXIT_INTERNAL)


def report(command: str, e: BaseException, stream=None) -> int:
    """Print one line for the person (and the traceback with --debug); return
    the exit code."""
    stream = stream or sys.stderr
    ex = explain(e)
    from holochat.display import shown

    prefix = f"holochat {command}: " if command else "holochat: "
    print(prefix + shown(ex.message, limit=600), file=stream)
    if debug_enabled():
        traceback.print_exception(e, file=stream)
    return ex.code
