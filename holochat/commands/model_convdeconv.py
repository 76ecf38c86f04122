"""CLI of the conv-deconv generator: ``holochat train/eval convdeconv``."""

from __future__ import annotations

import argparse
import json
import sys


def configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["chairs", "faces"], default="chairs")
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--n-train", type=int, default=20000, help="studio training images")
    p.add_argument("--out", required=True, help="output folder (config.json + model.safetensors)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--sample-every", type=int, default=1000)
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop (checkpointed) after this long; the learning rate's cosine "
                        "follows the clock when that is further along than the steps")
    p.add_argument("--feature-weight", type=float, default=8.0, metavar="W",
                   help="faces: the studio's feature pixels (eyes, brows, mouth, rims, "
                        "lenses, beard edge) weigh 1 + W in the reconstruction loss "
                        "(default 8; 0: plain MSE)")
    p.add_argument("--perceptual", type=float, default=0.0, metavar="W",
                   help="faces: weight of a perceptual term on the faces judge's features "
                        "(default 0: none)")
    p.add_argument("--perceptual-judge", default=None, metavar="DIR",
                   help="the judge of --perceptual (default: the shipped faces judge)")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep an exponential moving average of the weights (e.g. 0.999) "
                        "and ship it (default 0: none)")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--init", metavar="DIR", default=None,
                   help="start from these weights (e.g. the shipped ones), fresh optimizer")


def run_train(args: argparse.Namespace) -> int:
    from generators.errors import WeightsError
    from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
    bad = _check_train(args)
    if bad:
        print(f"holochat train convdeconv: {bad}", file=sys.stderr)
        return 2
    opts = ConvDeconvTrainOptions(domain=args.domain, steps=args.steps, batch=args.batch,
                                  lr=args.lr, n_train=args.n_train, seed=args.seed,
                                  device=args.device, out=args.out, resume=args.resume,
                                  sample_every=args.sample_every, time_limit_s=args.time_limit,
                                  feature_weight=args.feature_weight,
                                  perceptual=args.perceptual,
                                  perceptual_judge=args.perceptual_judge, ema=args.ema,
                                  log_every=args.log_every,
                                  checkpoint_every=max(args.sample_every, 1),
                                  init=args.init, progress=sys.stderr.isatty())
    try:
        model = train_convdeconv(opts)
    except WeightsError as e:
        print(f"holochat train convdeconv: {e}", file=sys.stderr)
        return 2
    last = model.train_log[-1] if model.train_log else {}
    print(json.dumps({"out": args.out, **last}))
    return 0


def _check_train(args: argparse.Namespace) -> str | None:
    """A clear message for a bad option, or None."""
    import math
    if args.device.startswith("cuda"):
        import torch
        if not torch.cuda.is_available():
            return f"--device {args.device}: no CUDA GPU is available here"
    elif args.device != "cpu":
        return f"--device must be cpu or cuda, got {args.device!r}"
    for name in ("steps", "batch", "n_train", "log_every"):
        if getattr(args, name) < 1:
            return f"--{name.replace('_', '-')} must be positive"
    for name in ("feature_weight", "perceptual"):
        v = getattr(args, name)
        if not (v >= 0 and math.isfinite(v)):
            return f"--{name.replace('_', '-')} must be 0 or positive"
    if not (args.ema == 0 or 0 < args.ema < 1):
        return "--ema must be 0 (none) or a decay between 0 and 1, e.g. 0.999"
    if args.time_limit is not None and not args.time_limit > 0:
        return "--time-limit must be positive"
    return None


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["chairs", "faces"], default="chairs")
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped ones)")
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sheet", metavar="PNG", help="also write a studio-vs-generator sheet")
    p.add_argument("--judge", metavar="DIR", nargs="?", const="",
                   help="faces: also the judge's figures (attribute accuracy, edit success, "
                        "preservation, identity ratio) beside the studio's; DIR defaults to "
                        "the shipped faces judge")
    p.add_argument("--record", action="store_true",
                   help="store the result (and whether it passes acceptance) in the weights' "
                        "config.json; only passing weights become the domain's default")


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
