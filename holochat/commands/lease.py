"""``holochat lease``: train every generator at once on one (lent) GPU within a
time budget and pack one bundle per model (see holochat/lease.py and
docs/training.md).  ``scripts/gpu-train.sh`` is the wrapper to run."""

from __future__ import annotations

import argparse
import os
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        default=os.environ.get("OUT"),
        help="empty folder for the bundles and summary.json (default: $OUT)",
    )
    p.add_argument(
        "--minutes",
        type=float,
        default=8.0,
        help="wall-clock budget of the whole run, start-up and packing included",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="a few steps of every model on the CPU with tiny settings (CI)",
    )
    p.add_argument(
        "--from-shipped",
        action="store_true",
        help="continue from the shipped weights where the architecture allows",
    )
    p.add_argument(
        "--only",
        default="",
        metavar="NAME,NAME",
        help="train only these jobs (default: all but convdeconv-chairs; a lease returns 8 files)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="JOB:ARGS",
        help="extra training arguments for one job: recipe settings or "
        "options, e.g. 'textgan-faces:warmup=20000 --steps 9000' (repeatable)",
    )
    p.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default=None,
        help="default: cuda when there is one (cpu with --smoke)",
    )


def run(args: argparse.Namespace) -> int:
    from holochat import lease

    if not args.out:
        print("holochat lease: give --out DIR (or set $OUT)", file=sys.stderr)
        return 2
    if not args.minutes > 0:
        print("holochat lease: --minutes must be positive", file=sys.stderr)
        return 2
    only = [s for s in args.only.split(",") if s]
    try:
        extra = job_arguments(args.set, lease.job_names())
    except ValueError as e:
        print(f"holochat lease: {e}", file=sys.stderr)
        return 2
    try:
        summary = lease.run(
            args.out,
            minutes=args.minutes,
            smoke=args.smoke,
            from_shipped=args.from_shipped,
            only=only or None,
            device=args.device,
            extra=extra,
        )
    except (ValueError, RuntimeError) as e:
        print(f"holochat lease: {e}", file=sys.stderr)
        return 2
    failed = [n for n, j in summary["jobs"].items() if "bundle" not in j]
    if failed:
        print(
            f"holochat lease: no bundle from {', '.join(failed)} (see summary.json)",
            file=sys.stderr,
        )
        return 1
    return 0


def job_arguments(items: list[str], jobs: list[str]) -> dict[str, list[str]]:
    """``--set JOB:ARGS`` items as each job's extra ``holochat train`` arguments;
    a bare KEY=VALUE is a recipe setting (``--set KEY=VALUE``)."""
    extra: dict[str, list[str]] = {}
    for item in items:
        name, sep, rest = item.partition(":")
        if not sep or name not in jobs:
            raise ValueError(
                f"--set wants JOB:ARGS with JOB one of {', '.join(jobs)}; got {item!r}"
            )
        out = extra.setdefault(name, [])
        for token in rest.split():
            if "=" in token and not token.startswith("-") and out[-1:] != ["--set"]:
                out.append("--set")
            out.append(token)
    return extra
