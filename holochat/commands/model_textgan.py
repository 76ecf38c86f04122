"""CLI of the GAN-CLS face generator: ``holochat eval textgan`` (training: ``train_recipe.py``)."""

from __future__ import annotations

import argparse
import math
import sys


def _fail(cmd: str, msg: str) -> int:
    print(f"holochat {cmd} textgan: {msg}", file=sys.stderr)
    return 2


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped ones)")
    p.add_argument("--judge", default=None, help="faces judge folder (default: the shipped one)")
    p.add_argument(
        "--n",
        type=int,
        default=400,
        help="random states (edits: half as many); default 400 (about a minute "
        "with the studio beside it); the shipped figures used 1000",
    )
    p.add_argument(
        "--no-studio",
        action="store_true",
        help="leave out the studio rendering the same states (and the checks of "
        "issue 29 that compare with it)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sheet", metavar="PNG", help="also write an edit sheet (one row per identity)")
    p.add_argument(
        "--text-probe",
        action="store_true",
        help="also train a linear probe on the caption embeddings and report how "
        "well it reads the attributes from training and held-out templates "
        "(the text side's ceiling for heldout_caption_accuracy)",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="store the result (and whether it passes acceptance) in the weights' "
        "config.json; only passing weights become the default face generator",
    )


def _clean(v):
    """NaN → null, so the output stays valid JSON."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def run_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from generators.errors import GeneratorError
    from generators.textgan_gen import TextGANGenerator
    from generators.weights import weights_path

    if args.n < 2:
        return _fail("eval", "--n must be at least 2")
    judge_path = Path(args.judge) if args.judge else weights_path("judge", "faces")
    if not (judge_path / "model.safetensors").exists():
        return _fail(
            "eval",
            f"no faces judge in {judge_path}; train one with `holochat train "
            f"judge --domain faces --out {judge_path}` or pass --judge DIR",
        )
    try:
        from generators.training.judge import load_judge

        judge = load_judge(judge_path)
        if judge.cfg.domain != "faces":
            return _fail("eval", f"the judge in {judge_path} reads {judge.cfg.domain}, not faces")
        gen = TextGANGenerator("faces", args.weights)
        from generators.evaluation.textgan import (
            edit_sheet,
            evaluate_against_studio,
            evaluate_textgan,
        )

        if args.no_studio:
            res = evaluate_textgan(gen, judge, n=args.n, seed=args.seed)
        else:
            res = evaluate_against_studio(gen, judge, n=args.n, seed=args.seed)
        if args.sheet:
            edit_sheet(gen, args.sheet, seed=args.seed)
            res["sheet"] = args.sheet
        if getattr(gen.cfg, "tokens", False):  # a learned text head: its own reading
            from generators.evaluation.textgan import text_head_accuracy

            res["text_head"] = text_head_accuracy(gen, n=args.n, seed=args.seed)
        if args.text_probe:
            from generators.evaluation.text_probe import caption_probe

            res["text_probe"] = caption_probe(seed=args.seed)
    except GeneratorError as e:  # weights or embedding model missing / broken
        return _fail("eval", str(e))
    except ImportError as e:  # e.g. generators/evaluation/fid.py absent from a build
        return _fail("eval", f"this build cannot measure textgan ({e})")
    res = _clean(res)
    if args.record:
        from generators.checkpoint import record_eval

        record_eval(gen.path, res)
    from holochat.commands.eval import print_result

    if args.json or "studio" not in res:
        print_result(res, args.json, width=40, digits=4)
    else:
        from generators.evaluation.textgan import format_side_by_side

        print(format_side_by_side(res))
    return 0
