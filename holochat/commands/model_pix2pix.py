"""CLI of the sketch-to-picture model: ``holochat train/eval pix2pix``."""

from __future__ import annotations

import argparse
import json
import math
import sys


def configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--out", required=True, help="output folder (config.json + model.safetensors)")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop (checkpointed) after this long")
    p.add_argument("--n-train", type=int, default=10000, help="studio training pictures")
    p.add_argument("--images-per-seed", type=int, default=20,
                   help="renders per training identity / style")
    p.add_argument("--variants", type=int, default=1, help="random sketches per picture")
    p.add_argument("--gan-weight", type=float, default=1.0,
                   help="weight of the conditional GAN term (0: the L1-only baseline)")
    p.add_argument("--l1-weight", type=float, default=100.0, help="lambda of the L1 term")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 2e-4)")
    p.add_argument("--decay-from", type=int, default=None, metavar="STEP",
                   help="from this step on, lower both learning rates linearly to 0 at --steps")
    p.add_argument("--r1", type=float, default=0.0, metavar="GAMMA",
                   help="R1 gradient penalty on D at real pairs (0: none)")
    p.add_argument("--ngf", type=int, default=None, help="U-Net width (default 32)")
    p.add_argument("--ndf", type=int, default=None, help="PatchGAN width (default 32)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes that draw the training sketches (default 2; 8 on CUDA)")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--sample-every", type=int, default=1000)
    p.add_argument("--checkpoint-every", type=int, default=1000)


def _fail(cmd: str, msg: str) -> int:
    print(f"holochat {cmd} pix2pix: {msg}", file=sys.stderr)
    return 2


def run_train(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from generators.errors import GeneratorError
    from generators.nets.pix2pix import Pix2PixConfig
    from generators.training.pix2pix import Pix2PixTrainOptions, TrainingError, train_pix2pix
    if args.device.startswith("cuda"):
        import torch
        if not torch.cuda.is_available():
            return _fail("train", f"--device {args.device}: no CUDA GPU is available here")
    elif args.device != "cpu":
        return _fail("train", f"--device must be cpu or cuda, got {args.device!r}")
    for name in ("steps", "batch", "n_train", "images_per_seed", "variants", "ngf", "ndf",
                 "log_every", "sample_every", "checkpoint_every", "workers"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            return _fail("train", f"--{name.replace('_', '-')} must be positive")
    for name in ("gan_weight", "l1_weight", "r1"):
        v = getattr(args, name)
        if not (v >= 0 and math.isfinite(v)):
            return _fail("train", f"--{name.replace('_', '-')} must be 0 or positive")
    if args.lr is not None and not (args.lr > 0 and math.isfinite(args.lr)):
        return _fail("train", "--lr must be positive")
    if args.decay_from is not None and not 0 <= args.decay_from < args.steps:
        return _fail("train", f"--decay-from must lie in 0…{args.steps - 1} (before --steps)")
    if args.time_limit is not None and not args.time_limit > 0:
        return _fail("train", "--time-limit must be positive")
    opts = Pix2PixTrainOptions(domain=args.domain, steps=args.steps, batch=args.batch,
                               seed=args.seed, device=args.device, out=args.out,
                               resume=args.resume, n_train=args.n_train,
                               images_per_seed=args.images_per_seed, variants=args.variants,
                               gan_weight=args.gan_weight, l1_weight=args.l1_weight,
                               decay_from=args.decay_from, r1_gamma=args.r1,
                               log_every=args.log_every, sample_every=args.sample_every,
                               checkpoint_every=args.checkpoint_every,
                               time_limit_s=args.time_limit, progress=sys.stderr.isatty(),
                               workers=args.workers)
    cfg = Pix2PixConfig(domain=args.domain)
    if args.resume and (Path(args.out) / "config.json").exists():
        from generators.checkpoint import read_config
        try:                          # continue with the checkpoint's own config
            cfg = Pix2PixConfig.from_dict(read_config(args.out).get("config", {}))
        except (GeneratorError, ValueError, TypeError) as e:
            return _fail("train", f"cannot resume {args.out}: {e}")
        if cfg.domain != args.domain:
            return _fail("train", f"{args.out} holds a {cfg.domain} model, not {args.domain}")
    cfg = replace(cfg, **{k: getattr(args, k) for k in ("ngf", "ndf", "lr") if getattr(args, k)})
    try:
        trainer = train_pix2pix(opts, cfg)
    except (TrainingError, GeneratorError) as e:
        return _fail("train", str(e))
    print(json.dumps({"out": args.out, **(trainer.log[-1] if trainer.log else {})}))
    return 0


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--weights", default=None, help="pix2pix weights folder (default: the shipped ones)")
    p.add_argument("--baseline", default=None, metavar="DIR",
                   help="the same U-Net trained with L1 only (holochat train pix2pix "
                        "--gan-weight 0), measured beside it")
    p.add_argument("--judge", default=None, help="faces judge folder (default: the shipped one)")
    p.add_argument("--n", type=int, default=200, help="held-out sketches (and as many perturbed)")
    p.add_argument("--n-train", type=int, default=None,
                   help="training pictures the nearest-neighbour baseline searches "
                        "(default: the model's own training set size)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sheet", metavar="PNG", help="also write a sheet: sketch / output / studio rows")
    p.add_argument("--record", action="store_true",
                   help="store the result in the weights' config.json (extra.eval)")


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
            return _fail("eval", f"the weights in {path} draw {model.cfg.domain}, not {args.domain}")
        baseline = load_pix2pix(args.baseline) if args.baseline else None
        if args.domain == "faces":
            from generators.training.judge import load_judge
            judge = load_judge(judge_path)
        res = evaluate_pix2pix(model, args.domain, n=args.n, seed=args.seed, judge=judge,
                               baseline=baseline, n_train=args.n_train, sheet=args.sheet)
    except GeneratorError as e:          # weights missing / broken
        return _fail("eval", str(e))
    res = {"weights": str(path), **res}
    if args.baseline:
        res["baseline_weights"] = str(args.baseline)
    from holochat.commands.model_textgan import _clean
    res = _clean(res)                    # NaN → null: valid JSON
    if args.record:
        from generators.checkpoint import record_eval
        record_eval(path, res)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:34s} {json.dumps(v) if isinstance(v, (dict, list)) else v}")
    return 0
