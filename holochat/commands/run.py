"""``holochat run SCRIPT``: run a script of commands headless."""

from __future__ import annotations

import argparse
import json
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("script", help="script file (one command a line, # comments), or - for stdin")
    p.add_argument("--out", metavar="DIR", help="write turn-NNN.png for every turn into DIR")
    p.add_argument("--jsonl", action="store_true",
                   help="print one JSON record per turn on stdout (and nothing else)")
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--seed", type=int, default=0, help="starting identity/style and z (default 0)")
    p.add_argument("--generator", default=None, help="starting generator (default: the domain's)")
    p.add_argument("--log", metavar="PATH", help="session log file (default: in the data dir)")
    p.add_argument("--no-log", action="store_true", help="do not write a session log")


def run(args: argparse.Namespace) -> int:
    """Exit codes: 0 ok (lines that were not understood included), 1 turn
    images could not be written, 2 the script could not be read, 3 a model
    could not be built or could not render."""
    from dialogue.manager import DialogueManager
    from generators.errors import GeneratorError
    from sessions.script import ScriptError, read_script

    try:
        commands = read_script(args.script)
    except ScriptError as e:
        print(f"holochat run: {e}", file=sys.stderr)
        return 2
    try:
        m = DialogueManager(args.domain, args.seed, args.generator, log=not args.no_log,
                            log_path=args.log, out_dir=args.out)
    except GeneratorError as e:
        print(f"holochat run: {e}", file=sys.stderr)
        return 3
    shown = 0

    def warn() -> None:
        nonlocal shown
        for w in m.warnings[shown:]:
            print(f"warning: {w}", file=sys.stderr)
        shown = len(m.warnings)

    start = m.start()
    warn()
    if start.image is None:
        print(f"holochat run: {start.reply}", file=sys.stderr)
        m.close()
        return 3
    failed_render = False
    for cmd in commands:
        r = m.turn(cmd)
        if args.jsonl:
            sys.stdout.write(json.dumps(r.record(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            print(f"{r.turn}> {r.input}  →  {r.reply}")
        failed_render |= r.kind == "error"          # the model could not render this turn
        warn()
    m.close()
    if m.log_path and not args.jsonl:
        print(f"session saved to {m.log_path}")
    if m.write_errors:
        return 1
    return 3 if failed_render else 0
