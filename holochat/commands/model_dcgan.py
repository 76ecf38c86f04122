"""CLI of the DCGAN: ``holochat eval dcgan`` (training: ``train_recipe.py``).

holochat eval dcgan [--weights DIR] [--judge DIR] [--full] [--n N] [--json] [--record]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--weights",
        metavar="DIR",
        default=None,
        help="DCGAN folder with its directions (default: the shipped faces DCGAN)",
    )
    p.add_argument(
        "--judge", metavar="DIR", default=None, help="faces judge folder (default: the shipped one)"
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the long run: 500 samples, every moved sample, completion of 100 "
        "faces x 3 regions (200 steps, the best 4 of 64 starts); the default is "
        "the fast run (200 samples, 48 moves per direction, 8 faces, 100 steps, "
        "the best 4 of 64 starts), within 3 minutes on 2 cores for the shipped widths",
    )
    p.add_argument(
        "--n",
        dest="n_samples",
        type=int,
        default=None,
        metavar="N",
        help="sampled faces for the direction, coverage and FID figures (default 200; --full 500)",
    )
    p.add_argument(
        "--per-direction",
        type=int,
        default=None,
        metavar="K",
        help="at most K moved samples per direction (default 48; --full: all)",
    )
    p.add_argument(
        "--completion-n",
        type=int,
        default=None,
        help="held-out studio faces to complete (0 leaves completion out; default 8; --full 100)",
    )
    p.add_argument("--seed", dest="eval_seed", type=int, default=0, metavar="S")
    p.add_argument(
        "--sweep",
        metavar="S1,S2,...",
        default="",
        help="also report success and preservation at these move strengths (the "
        "trade-off curve; the acceptance figures stay at strength 1)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--record",
        action="store_true",
        help="store the result (and whether it passes acceptance) in the weights' "
        "config.json under extra.eval",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar (on stderr)")


def _fmt(v, se=None) -> str:
    if not isinstance(v, float):
        return str(v)
    return f"{v:.3f} ± {se:.3f}" if isinstance(se, float) else f"{v:.3f}"


def print_eval(res: dict) -> None:
    """The eval's figures as text, each with its standard error beside it."""
    for k, v in res.items():
        if k.endswith("_se"):
            continue
        se = res.get(f"{k}_se")
        if k == "strength_sweep":
            for rec in v:
                ok = _fmt(rec["direction_success"], rec.get("direction_success_se"))
                kept = _fmt(rec["direction_preservation"], rec.get("direction_preservation_se"))
                print(f"  strength {rec['strength']:<6g} success {ok}  preservation {kept}")
        elif k == "directions":
            for name, rec in v.items():
                print(f"  {name:28s} " + "  ".join(f"{a} {_fmt(b)}" for a, b in rec.items()))
        elif k == "attribute_coverage":
            print("attribute coverage (judge's reading of samples vs studio renders)")
            for attr, vals in v.items():
                print(
                    f"  {attr:14s} "
                    + "  ".join(
                        f"{val} {r['samples']:.2f}/{r['studio']:.2f}" for val, r in vals.items()
                    )
                )
        elif isinstance(v, dict):
            print(f"{k:30s} " + "  ".join(f"{a} {_fmt(b)}" for a, b in v.items()))
        else:
            print(f"{k:30s} {_fmt(v, se)}")


def run_eval(args: argparse.Namespace) -> int:
    import json

    from generators.dcgan_gen import DCGANGenerator
    from generators.errors import GeneratorError
    from generators.evaluation.dcgan import FAST, FULL, evaluate_dcgan, progress_total
    from holochat.commands.model_directions import load_judge_or_explain

    def fail(msg: str) -> int:
        print(f"holochat eval dcgan: {msg}", file=sys.stderr)
        return 2

    preset = FULL if args.full else FAST
    n = preset["n"] if args.n_samples is None else args.n_samples
    completion_n = preset["completion_n"] if args.completion_n is None else args.completion_n
    per_direction = preset["per_direction"] if args.per_direction is None else args.per_direction
    if n < 2 or completion_n < 0 or (per_direction is not None and per_direction < 1):
        return fail(
            "--n must be at least 2, --completion-n at least 0 and --per-direction at least 1"
        )
    try:
        sweep = [float(s) for s in args.sweep.split(",") if s.strip()]
    except ValueError:
        return fail(f"--sweep takes numbers separated by commas, got {args.sweep!r}")
    if not all(0 < s < 100 for s in sweep):
        return fail("--sweep strengths must be positive (and below 100)")
    try:
        gen = DCGANGenerator("faces", args.weights)
        judge, _ = load_judge_or_explain(args.judge)
    except (GeneratorError, ValueError) as e:
        return fail(str(e))
    if gen.directions is None:
        return fail(
            f"the DCGAN in {gen.path} has no attribute directions; fit them with "
            f"`holochat train directions --weights {gen.path}`"
        )
    try:
        with _stderr_bar(
            not args.no_progress, "eval dcgan", progress_total(gen, completion_n)
        ) as tick:
            res = evaluate_dcgan(
                gen,
                judge,
                n=n,
                seed=args.eval_seed,
                full=args.full,
                completion_n=completion_n,
                sweep=sweep,
                per_direction=per_direction,
                on_progress=tick,
            )
    except (GeneratorError, ValueError) as e:
        return fail(str(e))
    if args.record:
        from generators.checkpoint import record_eval

        try:
            record_eval(gen.path, res)
        except (OSError, ValueError) as e:
            return fail(f"cannot record the eval in {gen.path}: {e}")
    if args.json:
        print(json.dumps(res))
    else:
        print_eval(res)
    return 0


class _stderr_bar:
    """A rich progress bar on stderr (so ``--json`` keeps stdout to one
    object); yields ``tick(k)``."""

    def __init__(self, enabled: bool, label: str, total: int):
        self.enabled = enabled and sys.stderr.isatty()
        self.label, self.total = label, total
        self.bar: Any = None

    def __enter__(self):
        if not self.enabled:
            return lambda k: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn(self.label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        task = self.bar.add_task(self.label, total=self.total)
        self.bar.start()
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
