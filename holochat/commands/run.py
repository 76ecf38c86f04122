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
        start = m.start()
    except GeneratorError as e:
        print(f"holochat run: {e}", file=sys.stderr)
        return 3
    for w in m.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if start.image is None:
        print(f"holochat run: {start.reply}", file=sys.stderr)
        return 3
    failed_render = False
    shown = len(m.warnings)
    for cmd in commands:
        r = m.turn(cmd)
        if args.jsonl:
            sys.stdout.write(json.dumps(r.record(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            print(f"{r.turn}> {r.input}\n   {r.reply}")
        failed_render |= r.image is None
        for w in m.warnings[shown:]:
            print(f"warning: {w}", file=sys.stderr)
        shown = len(m.warnings)
    m.close()
    if m.log_path and not args.jsonl:
        print(f"session saved to {m.log_path}")
    if args.out and any("cannot write" in w for w in m.warnings):
        return 1
    return 3 if failed_render else 0
