"""``holochat replay SESSION [--verify] [--out DIR] [--reparse] [--ui]``."""

from __future__ import annotations

import argparse
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", help="session name (in the data dir) or path to a .jsonl log")
    p.add_argument(
        "--verify",
        action="store_true",
        help="compare every image hash with the log; exit 1 on any difference",
    )
    p.add_argument("--out", metavar="DIR", help="write turn-NNN.png for every step")
    p.add_argument(
        "--reparse",
        action="store_true",
        help="re-read the logged inputs through the current parser instead of "
        "re-applying the logged ops",
    )
    p.add_argument(
        "--ui", action="store_true", help="play the session back step by step in the app"
    )


def run(args: argparse.Namespace) -> int:
    """Exit codes (docs/robustness.md): 0 ok, 1 ``--verify`` found a
    difference (or a frame could not be written), 2 the log cannot be read,
    3 a model could not render."""
    from holochat.display import shown
    from sessions.paths import resolve_session

    path = resolve_session(args.session)
    if args.ui:
        from holochat.app import run_replay_ui

        return run_replay_ui(path)
    if args.reparse:
        return _reparse(path, args)
    from sessions.replay import iter_replay

    warnings: list[str] = []
    first_bad = None
    n = 0
    # an unreadable log, a model that fails, a file that cannot be written: raised,
    # and put in words (with the exit code) by holochat.errors
    unreadable = []
    for t in iter_replay(path, args.out, warnings):
        n += 1
        if t.error is not None:  # a drawn step whose sketch file is gone
            unreadable.append(t)
            print(
                f"holochat replay: turn {t.turn} ({shown(repr(t.input), limit=200)}) cannot "
                f"be drawn: {shown(t.error, limit=600)}; the log is unchanged",
                file=sys.stderr,
            )
        elif not t.matches and first_bad is None:
            first_bad = t
        if not args.verify:
            print(f"{t.turn:3d}  {shown(t.input or '(start)', limit=200)}")
    for w in warnings:
        print(f"warning: {shown(w, limit=600)}", file=sys.stderr)
    if unreadable:
        print(
            f"holochat replay: {len(unreadable)} of {n} images could not be drawn, so they "
            "were not checked",
            file=sys.stderr,
        )
        return 1
    if args.verify:
        if first_bad is not None:
            print(
                f"holochat replay: turn {first_bad.turn} differs: logged image "
                f"{(first_bad.logged_sha256 or '')[:12]}…, "
                f"replayed {(first_bad.sha256 or '')[:12]}… "
                f"(input: {shown(repr(first_bad.input), limit=200)})",
                file=sys.stderr,
            )
            return 1
        print(f"verified: all {n} images match the log")
    return 0


def _reparse(path, args) -> int:
    """Read the logged inputs again through the current parser (a new,
    unlogged session from the same start) and show where the images differ."""
    from dialogue.manager import DialogueManager
    from holochat.display import shown
    from sessions.log import LogError, load_log
    from sessions.state import ImageState

    loaded = load_log(path)
    first = loaded.records[0]
    try:
        start = ImageState.from_json(first["state"])
    except (KeyError, TypeError, ValueError) as e:
        raise LogError(f"{path}: the first record is not a session start ({e})") from None
    m = DialogueManager(
        start.domain, first.get("start_seed", start.seed), log=False, out_dir=args.out, _start=start
    )
    m.start()
    first_bad = None
    for rec in loaded.records[1:]:
        r = m.turn(str(rec.get("input", "")))
        same = r.image_sha256 == rec.get("image_sha256")
        if not same and first_bad is None:
            first_bad = r.turn
        if not args.verify:
            print(
                f"{r.turn:3d}  {'=' if same else '≠'}  {shown(r.input, limit=200)}  →  "
                f"{shown(r.reply, multiline=True)}"
            )
    if args.verify:
        if first_bad is not None:
            print(
                f"holochat replay: turn {first_bad} differs when re-read with the current parser",
                file=sys.stderr,
            )
            return 1
        print(f"verified: all {len(loaded.records)} images match the log when re-read")
    return 0
