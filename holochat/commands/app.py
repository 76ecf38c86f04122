"""``holochat`` with no command: the Textual app."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print("holochat: the app needs a terminal; use 'holochat run SCRIPT' to run "
              "commands headless", file=sys.stderr)
        return 2
    from holochat.app import SessionSpec, run_app
    return run_app(SessionSpec(domain=args.domain or "faces", seed=args.seed,
                               generator=args.generator, resume=args.session))
