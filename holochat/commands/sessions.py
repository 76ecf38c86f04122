"""``holochat sessions``: list saved sessions."""

from __future__ import annotations

import argparse
import time


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    import json

    from sessions.paths import sessions_dir
    d = sessions_dir()
    rows = []
    for p in sorted(d.glob("*.jsonl"), key=lambda p: p.stat().st_mtime):
        with open(p, "rb") as f:
            turns = sum(1 for line in f if line.strip())
        rows.append({"name": p.stem, "turns": max(0, turns - 1), "path": str(p),
                     "modified": time.strftime("%Y-%m-%d %H:%M", time.localtime(p.stat().st_mtime))})
    if args.json:
        print(json.dumps(rows))
    elif not rows:
        print(f"no saved sessions in {d}")
    else:
        for r in rows:
            print(f"{r['modified']}  {r['turns']:4d} turns  {r['name']}")
    return 0
