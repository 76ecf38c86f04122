"""``holochat bench [--json] [--device cpu|cuda] [--quick]``: measure latency and throughput.

Writes one JSON per run under ``benchmarks/results/`` (machine description
included) and prints a table, or the JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SECTION_NAMES = (
    "parse",
    "turn",
    "render",
    "terminal",
    "cold_run",
    "app",
    "latency",
    "replay",
    "train",
)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the result JSON on stdout")
    p.add_argument(
        "--device",
        dest="bench_device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="device for the training throughput (default: cpu)",
    )
    p.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    p.add_argument(
        "--only",
        nargs="+",
        choices=SECTION_NAMES,
        metavar="SECTION",
        help=f"run only these sections ({', '.join(SECTION_NAMES)})",
    )
    p.add_argument(
        "--batch", type=int, default=None, help="training batch (default: 256 on cuda, 64 on cpu)"
    )
    p.add_argument("--steps", type=int, default=None, help="timed training steps")
    p.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile holochat's DCGAN trainer for the throughput run",
    )
    p.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        help="where to write the JSON (default: benchmarks/results/)",
    )


def run(args: argparse.Namespace) -> int:
    from holochat import bench

    if args.batch is not None and args.batch < 1 or args.steps is not None and args.steps < 1:
        print("holochat bench: --batch and --steps must be positive", file=sys.stderr)
        return 2
    settings = bench.Settings(
        device=args.bench_device,
        quick=args.quick,
        train_batch=args.batch,
        train_steps=args.steps,
        compile=args.compile,
        sections=tuple(args.only or ()),
    )
    progress = (
        None
        if args.json
        else (lambda name: print(f"measuring {name} …", file=sys.stderr, flush=True))
    )
    try:
        result = bench.run(settings, progress)
    except bench.Unavailable as e:
        print(f"holochat bench: {e}", file=sys.stderr)
        return 2
    path = bench.write(result, args.results_dir)
    result["path"] = str(path)
    if args.json:
        print(json.dumps(result))
    else:
        print(bench.table(result))
        for key, reason in result["null_reasons"].items():
            print(f"  {key}: not measured — {reason}")
        print(f"\nwritten to {path}")
    return 0
