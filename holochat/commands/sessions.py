"""``holochat sessions``: list saved sessions (name, turns, last modified)."""

from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the list as JSON")


def _turns(path) -> int:
    """Turns in a log: its complete lines, less the start record."""
    with open(path, "rb") as f:
        lines = sum(1 for line in f if line.endswith(b"\n") and line.strip())
    return max(0, lines - 1)


def run(args: argparse.Namespace) -> int:
    import json
    import time

    from holochat.display import shown
    from sessions.paths import sessions_dir

    d = sessions_dir()
    rows = []
    try:
        found = sorted(d.glob("*.jsonl"), key=lambda p: p.stat().st_mtime) if d.is_dir() else []
    except OSError:
        found = []
    for p in found:
        try:
            turns = _turns(p)
        except OSError:
            continue
        rows.append(
            {
                "name": p.stem,
                "turns": turns,
                "path": str(p),
                "modified": time.strftime("%Y-%m-%d %H:%M", time.localtime(p.stat().st_mtime)),
            }
        )
    if args.json:
        print(json.dumps(rows))
    elif not rows:
        print(f"no saved sessions in {d}")
    else:
        for r in rows:
            print(f"{r['modified']}  {r['turns']:4d} turns  {shown(r['name'], limit=120)}")
    return 0
