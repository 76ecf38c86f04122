"""``holochat run SCRIPT``: run a script of commands headless."""

from __future__ import annotations

import argparse
import json
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("script", help="script file (one command a line, # comments), or - for stdin")
    p.add_argument("--out", metavar="DIR", help="write turn-NNN.png for every turn into DIR")
    p.add_argument(
        "--jsonl",
        action="store_true",
        help="print one JSON record per turn on stdout (and nothing else)",
    )
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--seed", type=int, default=0, help="starting identity/style and z (default 0)")
    p.add_argument("--generator", default=None, help="starting generator (default: the domain's)")
    p.add_argument("--log", metavar="PATH", help="session log file (default: in the data dir)")
    p.add_argument("--no-log", action="store_true", help="do not write a session log")


def _needs_fallback(commands: list[str], domain: str) -> bool:
    """Whether some line is not read by the grammar alone (then the
    embedding model is loaded in the background from the start)."""
    from dialogue import grammar
    from generators.schema import get_schema

    attrs = get_schema(domain).defaults()
    for c in commands:
        try:
            if not grammar.parse_ops(c, domain, attrs):
                return True
        except Exception:  # noqa: BLE001 - the parser decides later
            return True
    return False


def run(args: argparse.Namespace) -> int:
    """Exit codes (docs/robustness.md): 0 ok (lines that were not understood
    included), 1 files could not be written (turn images, the session log),
    2 the script could not be read, 3 a model could not be built or could not
    render.  Errors raised here are put in words by holochat.errors."""
    from dialogue.manager import DialogueManager
    from generators.errors import EXIT_INCOMPLETE, EXIT_MODEL, EXIT_OK
    from holochat.display import shown
    from sessions.script import read_script

    commands = read_script(args.script)
    if _needs_fallback(commands, args.domain):
        from holochat.app import start_fallback_warmup

        start_fallback_warmup((args.domain,))
    m = DialogueManager(
        args.domain,
        args.seed,
        args.generator,
        log=not args.no_log,
        log_path=args.log,
        out_dir=args.out,
    )
    shown_w = 0

    def warn() -> None:
        nonlocal shown_w
        for w in m.warnings[shown_w:]:
            print(f"warning: {shown(w, limit=600)}", file=sys.stderr)
        shown_w = len(m.warnings)

    start = m.start()
    warn()
    if start.image is None:
        print(f"holochat run: {shown(start.reply, limit=600)}", file=sys.stderr)
        m.close()
        return EXIT_MODEL
    failed_render = False
    try:
        for cmd in commands:
            r = m.turn(cmd)
            if args.jsonl:
                sys.stdout.write(json.dumps(r.record(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                print(f"{r.turn}> {shown(r.input, limit=200)}  →  {shown(r.reply, multiline=True)}")
            failed_render |= r.kind == "error"  # the model could not render this turn
            warn()
    finally:
        m.close()
    if m.log_path and not args.jsonl:
        print(f"session saved to {m.log_path}")
    if m.write_errors:
        return EXIT_INCOMPLETE
    return EXIT_MODEL if failed_render else EXIT_OK
