"""CLI of the judges: ``holochat train/eval judge``."""

from __future__ import annotations

import argparse
import json
import sys


def configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--n-train", type=int, default=60000, help="studio training renders")
    p.add_argument("--images-per-identity", type=int, default=4,
                   help="renders per training identity / style (n-train / this = identities)")
    p.add_argument("--blocks", type=int, default=1, help="residual 3x3 convs per stage")
    p.add_argument("--local-blocks", type=int, default=1,
                   help="residual convs of the pooled 16x16 branch (0: none)")
    p.add_argument("--init", metavar="DIR", default=None,
                   help="start from these judge weights (same configuration)")
    p.add_argument("--weight", action="append", default=[], metavar="ATTR=W",
                   help="cross-entropy weight of a class attribute (repeatable; default 1, "
                        "but expression=3 for faces)")
    p.add_argument("--expression-map", type=float, default=10.0,
                   help="faces: weight of the auxiliary loss on where the expression changed "
                        "pixels (0: none)")
    p.add_argument("--save-every", type=int, default=1000,
                   help="save a snapshot to --out every so many steps (0: only at the end)")
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--identities-per-batch", type=int, default=32,
                   help="identities per batch (4 renders each)")
    p.add_argument("--width", type=int, default=32, help="channels of the first conv stage")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--fine-blocks", type=int, default=0,
                   help="faces: residual convs of a 32x32 branch for the eye and mouth band "
                        "(default 0: none); --init from a judge without it widens its heads")
    p.add_argument("--fine-width", type=int, default=64, help="channels of that branch")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop (and save) after this long; the cosine schedule follows the "
                        "clock when that is further along than the steps")
    p.add_argument("--log-every", type=int, default=100)


def run_train(args: argparse.Namespace) -> int:
    from generators.training.judge import JudgeTrainOptions, train_judge
    bad = None
    if args.device.startswith("cuda"):
        import torch
        if not torch.cuda.is_available():
            bad = f"--device {args.device}: no CUDA GPU is available here"
    elif args.device != "cpu":
        bad = f"--device must be cpu or cuda, got {args.device!r}"
    if args.time_limit is not None and not args.time_limit > 0:
        bad = "--time-limit must be positive"
    for name in ("steps", "n_train", "identities_per_batch", "log_every", "width"):
        if getattr(args, name) < 1:
            bad = f"--{name.replace('_', '-')} must be positive"
    if args.fine_blocks < 0 or args.fine_width < 1:
        bad = "--fine-blocks must be 0 or more and --fine-width positive"
    if bad:
        print(f"holochat train judge: {bad}", file=sys.stderr)
        return 2
    weights = {}
    for item in args.weight:
        name, _, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            print(f"holochat train judge: --weight wants ATTR=NUMBER, got {item!r}",
                  file=sys.stderr)
            return 2
    opts = JudgeTrainOptions(domain=args.domain, steps=args.steps, n_train=args.n_train,
                             out=args.out, device=args.device, seed=args.seed, width=args.width,
                             lr=args.lr, images_per_identity=args.images_per_identity,
                             blocks=args.blocks, local_blocks=args.local_blocks,
                             save_every=args.save_every, init=args.init,
                             weights=weights or None, expression_map=args.expression_map,
                             identities_per_batch=args.identities_per_batch,
                             fine_blocks=args.fine_blocks, fine_width=args.fine_width,
                             time_limit_s=args.time_limit, log_every=args.log_every,
                             progress=sys.stderr.isatty(), echo=not sys.stderr.isatty())
    from generators.errors import WeightsError
    try:
        judge = train_judge(opts)
    except (ValueError, WeightsError) as e:       # bad --weight, --init that does not fit
        print(f"holochat train judge: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"out": args.out, **(judge.train_log[-1] if judge.train_log else {})}))
    return 0


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped ones)")
    p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--json", action="store_true")
    p.add_argument("--record", action="store_true",
                   help="store the result in the weights' config.json (extra.eval)")


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
