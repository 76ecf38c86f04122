"""CLI of the sketch-to-picture model: ``holochat eval pix2pix`` (training: ``train_recipe.py``)."""

from __future__ import annotations

import argparse
import json
import sys


def _fail(cmd: str, msg: str) -> int:
    print(f"holochat {cmd} pix2pix: {msg}", file=sys.stderr)
    return 2


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument(
        "--weights", default=None, help="pix2pix weights folder (default: the shipped ones)"
    )
    p.add_argument(
        "--baseline",
        default=None,
        metavar="DIR",
        help="the same U-Net trained with L1 only (holochat train pix2pix "
        "--gan-weight 0), measured beside it",
    )
    p.add_argument("--judge", default=None, help="faces judge folder (default: the shipped one)")
    p.add_argument("--n", type=int, default=200, help="held-out sketches (and as many perturbed)")
    p.add_argument(
        "--n-train",
        type=int,
        default=None,
        help="training pictures the nearest-neighbour baseline searches "
        "(default: the model's own training set size)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--sheet", metavar="PNG", help="also write a sheet: sketch / output / studio rows"
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="store the result in the weights' config.json (extra.eval)",
    )


def run_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from generators.errors import GeneratorError
    from generators.weights import weights_path

    if args.n < 2:
        return _fail("eval", "--n must be at least 2")
    if args.n_train is not None and args.n_train < 1:
        return _fail("eval", "--n-train must be positive")
    path = Path(args.weights) if args.weights else weights_path("pix2pix", args.domain)
    judge = None
    if args.domain == "faces":
        judge_path = Path(args.judge) if args.judge else weights_path("judge", "faces")
        if not (judge_path / "model.safetensors").exists():
            return _fail("eval", f"no faces judge in {judge_path}; pass --judge DIR")
    try:
        from generators.evaluation.pix2pix import evaluate_pix2pix
        from generators.training.pix2pix import load_pix2pix

        model = load_pix2pix(path)
        if model.cfg.domain != args.domain:
            return _fail(
                "eval", f"the weights in {path} draw {model.cfg.domain}, not {args.domain}"
            )
        baseline = load_pix2pix(args.baseline) if args.baseline else None
        if args.domain == "faces":
            from generators.training.judge import load_judge

            judge = load_judge(judge_path)
        res = evaluate_pix2pix(
            model,
            args.domain,
            n=args.n,
            seed=args.seed,
            judge=judge,
            baseline=baseline,
            n_train=args.n_train,
            sheet=args.sheet,
        )
    except GeneratorError as e:  # weights missing / broken
        return _fail("eval", str(e))
    res = {"weights": str(path), **res}
    if args.baseline:
        res["baseline_weights"] = str(args.baseline)
    from holochat.commands.model_textgan import _clean

    res = _clean(res)  # NaN → null: valid JSON
    if args.record:
        from generators.checkpoint import record_eval

        record_eval(path, res)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:34s} {json.dumps(v) if isinstance(v, (dict, list)) else v}")
    return 0
