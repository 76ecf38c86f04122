"""The ``holochat`` command: argument parsing and dispatch only."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# name -> one-line help; each lives in holochat/commands/<name>.py
COMMANDS: dict[str, str] = {
    "run": "run a script of commands headless (one command a line)",
    "replay": "re-run a saved session, optionally verifying every image hash",
    "parse": "show how a command is read",
    "studio": "write contact sheets from the procedural studio",
    "train": "train a generator or judge",
    "eval": "measure a generator or judge",
    "bench": "measure latency and throughput",
    "sessions": "list saved sessions",
    "dcgan": "DCGAN tools: complete, morph, arithmetic",
    "lease": "train every generator at once on a lent GPU and pack weight bundles",
    "weights": "install a trained weights bundle (only when its eval beats the shipped one)",
    "sketch": "turn a line drawing into a picture (pix2pix)",
    "compare": "render one script with several generators side by side",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="holochat",
        description="A conversational image studio in the terminal. "
        "With no command, starts the app.",
    )
    p.add_argument(
        "--domain",
        choices=["faces", "chairs"],
        default=None,
        help="starting domain of a new session (default: faces)",
    )
    p.add_argument("--seed", type=int, default=None, help="starting identity/style seed")
    p.add_argument(
        "--session", default=None, metavar="NAME", help="resume a saved session (name or path)"
    )
    p.add_argument("--generator", default=None, help="starting generator")
    p.add_argument(
        "--debug", action="store_true", help="show tracebacks of errors (also HOLOCHAT_DEBUG=1)"
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_ in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        mod = _module(name)
        if mod is not None:
            mod.configure(sp)
    return p


def _module(name: str):
    try:
        return importlib.import_module(f"holochat.commands.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"holochat.commands.{name}":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        os.environ["HOLOCHAT_DEBUG"] = "1"
    if args.command is None:
        from holochat.commands import app as mod
    else:
        mod = _module(args.command)
    if mod is None:
        print(f"holochat {args.command}: not available in this build", file=sys.stderr)
        return 2
    try:
        return int(mod.run(args) or 0)
    except BrokenPipeError:
        return 0
    except (Exception, KeyboardInterrupt) as e:  # every error in the person's words
        from holochat.errors import report

        return report(args.command or "", e)


if __name__ == "__main__":
    sys.exit(main())
