"""CLI of the conv-deconv generator: ``holochat eval convdeconv`` (training:
``train_recipe.py``)."""

from __future__ import annotations

import argparse
import sys


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["chairs", "faces"], default="chairs")
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped ones)")
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sheet", metavar="PNG", help="also write a studio-vs-generator sheet")
    p.add_argument(
        "--judge",
        metavar="DIR",
        nargs="?",
        const="",
        help="faces: also the judge's figures (attribute accuracy, edit success, "
        "preservation, identity ratio) beside the studio's; DIR defaults to "
        "the shipped faces judge",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="store the result (and whether it passes acceptance) in the weights' "
        "config.json; only passing weights become the domain's default",
    )


def run_eval(args: argparse.Namespace) -> int:
    from generators.convdeconv_gen import ConvDeconvGenerator
    from generators.errors import WeightsError
    from generators.evaluation.convdeconv import comparison_sheet, evaluate_convdeconv

    try:
        gen = ConvDeconvGenerator(args.domain, args.weights)
    except WeightsError as e:
        print(f"holochat eval convdeconv: {e}", file=sys.stderr)
        return 2
    judge = None
    if args.judge is not None:
        if args.domain != "faces":
            print("holochat eval convdeconv: --judge reads faces only", file=sys.stderr)
            return 2
        from generators.training.judge import load_judge
        from generators.weights import weights_path

        try:
            judge = load_judge(args.judge or weights_path("judge", "faces"))
        except WeightsError as e:
            print(f"holochat eval convdeconv: {e}", file=sys.stderr)
            return 2
    res = evaluate_convdeconv(gen, n_test=args.n_test)
    if args.sheet:
        comparison_sheet(gen, args.sheet)
        res["sheet"] = args.sheet
    res["passes"] = bool(res["psnr_test"] >= 24 and res.get("mask_iou_test", 1.0) >= 0.90)
    if judge is not None:
        from generators.evaluation.convdeconv import judged

        res["judge"] = judged(gen, judge, n=min(args.n_test, 1000))
    if args.record:
        from generators.checkpoint import record_eval

        record_eval(gen.path, res)
    from holochat.commands.eval import print_result

    print_result(res, args.json)
    return 0
