"""``holochat compare SCRIPT --generators studio,convdeconv,textgan --out sheet.png``:
the states of one script rendered by several generators side by side."""

from __future__ import annotations

import argparse
import json
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("script", help="script file (one command a line, # comments), or - for stdin")
    p.add_argument(
        "--generators",
        default="studio,convdeconv,textgan",
        help="comma-separated generators, one row each (default: studio,convdeconv,textgan)",
    )
    p.add_argument("--out", required=True, metavar="PNG", help="the sheet to write")
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--seed", type=int, default=0, help="starting identity/style and z (default 0)")
    p.add_argument("--scale", type=int, default=2, help="pixels per image pixel (default 2)")
    p.add_argument(
        "--no-check",
        action="store_true",
        help="faces: do not frame in red the cells whose change the judge cannot read back",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="also print, per generator and turn, what the check asked and read",
    )


def _run_script(manager, domain: str, seed: int, generator: str, commands: list[str]):
    """(states, labels) of a script run from ``generator``'s start: the start
    and the state after each command, captioned with it ("(no change)" where
    it changed nothing)."""
    m = manager(domain, seed, generator, log=False)
    m.verify = False
    m.start()
    states, labels = [m.state], ["start"]
    for cmd in commands:
        r = m.turn(cmd)
        states.append(m.state)
        labels.append(cmd if r.changed else f"{cmd} (no change)")
    m.close()
    return states, labels


def run(args: argparse.Namespace) -> int:
    from dialogue.manager import DialogueManager
    from generators import registry
    from generators.errors import GeneratorError
    from sessions.compare import compare_sheet, flag_misses, render_rows
    from sessions.export import export_png
    from sessions.script import ScriptError, read_script

    names = [g.strip() for g in args.generators.split(",") if g.strip()]
    if not names:
        print("holochat compare: --generators names none", file=sys.stderr)
        return 2
    known = registry.available(args.domain)
    unknown = [g for g in names if g not in known]
    if unknown:
        print(
            f"holochat compare: no generator {', '.join(unknown)} for {args.domain}; "
            f"available: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    if not 1 <= args.scale <= 8:
        print("holochat compare: --scale must lie in 1…8", file=sys.stderr)
        return 2
    try:
        commands = read_script(args.script)
    except ScriptError as e:
        print(f"holochat compare: {e}", file=sys.stderr)
        return 2
    # the script's states, from one studio run (the parser does not depend on
    # the generator for schema edits); a generator whose edits are latent moves
    # (the dcgan) runs the script itself, so its row shows its own moves
    from dialogue.latent import latent_edits, verify_moves

    states, labels = _run_script(DialogueManager, args.domain, args.seed, "studio", commands)
    try:
        row_states = [
            _run_script(DialogueManager, args.domain, args.seed, g, commands)[0]
            if latent_edits(g)
            else states
            for g in names
        ]
        rows = [render_rows(st, [g])[0] for st, g in zip(row_states, names)]
    except GeneratorError as e:
        print(f"holochat compare: {e}", file=sys.stderr)
        return 3
    flags, records = None, None
    if args.domain == "faces" and not args.no_check:
        from dialogue.verify import verify_turn

        flags, records = [], []
        for st, row, g in zip(row_states, rows, names):
            f, rec = flag_misses(st, [row], verify_moves if latent_edits(g) else verify_turn)
            flags += f
            records += rec
    sheet = compare_sheet(rows, names, labels, args.scale, flags)
    try:
        export_png(sheet, args.out)
    except OSError as e:
        print(f"holochat compare: cannot write {args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    if args.json:
        print(
            json.dumps(
                {
                    "out": args.out,
                    "turns": labels,
                    "generators": names,
                    "verified": dict(zip(names, records)) if records else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        missed = sum(map(sum, flags)) if flags else 0
        print(
            f"Wrote {args.out}: {len(names)} generators × {len(states)} steps"
            + (f"; {missed} cells framed in red (the change does not read back)" if flags else "")
        )
    return 0
