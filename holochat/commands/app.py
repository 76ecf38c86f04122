"""``holochat`` with no command: the Textual app.

Everything that can be checked before the app opens is checked here, so a
start either opens a working app or prints one line and exits non-zero:
no terminal, a bad ``--session`` name, a session path that does not exist, a
log that cannot be read (or is from a newer holochat), an unknown generator.
A ``--session NAME`` that has no log yet starts a new session of that name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generators.errors import EXIT_INPUT, EXIT_MODEL


class _Refused(str):
    """Why the app cannot start, and the exit code."""

    code = EXIT_INPUT


class _NoGenerator(_Refused):
    code = EXIT_MODEL


def _fail(message: str) -> int:
    from holochat.display import shown

    print(f"holochat: {shown(message, limit=600)}", file=sys.stderr)
    return getattr(message, "code", EXIT_INPUT)


def plan(args: argparse.Namespace):
    """The app's ``SessionSpec`` for these arguments, or a message saying why
    the app cannot start (the caller prints it and exits 2)."""
    from holochat.app import SessionSpec

    domain = args.domain or "faces"
    if args.session is not None:
        from sessions.log import LogError, load_log
        from sessions.names import InvalidNameError, name_problem
        from sessions.paths import is_named_session, looks_like_path, resolve_session

        given = str(args.session)
        problem = name_problem(given)
        if not looks_like_path(given) and problem is not None:
            if len(given) > 255 or not Path(given).is_file():
                return str(InvalidNameError(given, problem))
        path = resolve_session(given)
        if is_named_session(given, path):
            if not path.exists():
                problem = _generator_ok(domain, args.generator)
                if problem is not None:
                    return problem
                return SessionSpec(
                    domain=domain,
                    seed=args.seed,
                    generator=args.generator,
                    session_name=given,
                    greeting=f"There was no saved session called '{given}', so this is a "
                    f"new session with that name.",
                )
        elif not path.is_file():
            return (
                f"there is no session log at {given}"
                + (" (it is a directory)" if path.is_dir() else "")
                + ". 'holochat sessions' lists the saved sessions"
            )
        try:
            load_log(path)
        except LogError as e:
            if not e.records or e.newer:  # nothing to resume from, or not ours to write
                return f"{e}. 'holochat sessions' lists the saved sessions"
        return SessionSpec(resume=path)
    problem = _generator_ok(domain, args.generator)
    if problem is not None:
        return problem
    return SessionSpec(domain=domain, seed=args.seed, generator=args.generator)


def _generator_ok(domain: str, generator: str | None) -> str | None:
    if generator is None:
        return None
    from generators import registry

    if generator not in registry.names(domain):
        return _NoGenerator(
            f"there is no generator {generator!r} for {domain}; available: "
            f"{', '.join(registry.available(domain))}"
        )
    return None


def run(args: argparse.Namespace) -> int:
    spec = plan(args)
    if isinstance(spec, str):
        return _fail(spec)
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        return _fail("the app needs a terminal; use 'holochat run SCRIPT' to run commands headless")
    import os

    from holochat.app import run_app, start_fallback_warmup

    if os.environ.get("HOLOCHAT_WARMUP", "1") != "0":
        start_fallback_warmup((spec.domain,))  # as early as possible: before the UI loads
    return run_app(spec)
