"""CLI of the judges: ``holochat eval judge`` (training: ``train_recipe.py``)."""

from __future__ import annotations

import argparse
import json
import sys


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped ones)")
    p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--record",
        action="store_true",
        help="store the result in the weights' config.json (extra.eval)",
    )


def run_eval(args: argparse.Namespace) -> int:
    from generators.errors import WeightsError
    from generators.evaluation.judge import evaluate_judge
    from generators.training.judge import load_judge
    from generators.weights import weights_path

    path = args.weights or weights_path("judge", args.domain)
    try:
        judge = load_judge(path)
    except WeightsError as e:
        print(f"holochat eval judge: {e}", file=sys.stderr)
        return 2
    res = evaluate_judge(judge, n_test=args.n_test)
    if args.record:
        from generators.checkpoint import record_eval

        record_eval(path, res)
    print(json.dumps(res) if args.json else json.dumps(res, indent=2))
    return 0
