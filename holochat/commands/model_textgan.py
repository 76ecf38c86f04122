"""CLI of the GAN-CLS face generator: ``holochat train/eval textgan``."""

from __future__ import annotations

import argparse
import json
import math
import sys


def configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder (config.json + model.safetensors)")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop (checkpointed) after this long")
    p.add_argument("--n-train", type=int, default=40000, help="studio training faces")
    p.add_argument("--images-per-identity", type=int, default=8,
                   help="renders per training identity (n-train / this = identities)")
    p.add_argument("--captions-per-image", type=int, default=4)
    p.add_argument("--rec-weight", type=float, default=10.0,
                   help="weight of the L1 term to the paired studio image (0: pure GAN-CLS)")
    p.add_argument("--decay-from", type=int, default=None, metavar="STEP",
                   help="from this step on, lower both learning rates linearly to 0 at --steps")
    p.add_argument("--rec-loss", choices=("l1", "l2"), default="l1",
                   help="reconstruction term: l1 (pix2pix, default) or l2 (mean squared error)")
    p.add_argument("--r1", type=float, default=0.0, metavar="GAMMA",
                   help="R1 gradient penalty on D at real images (0: none)")
    p.add_argument("--warmup", type=int, default=0, metavar="STEPS",
                   help="first train G on the reconstruction term alone for this many steps (D idle), "
                        "then GAN-CLS")
    p.add_argument("--sample-every", type=int, default=1000)
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--ngf", type=int, default=None, help="generator width (default 64, or the "
                                                          "checkpoint's with --resume)")
    p.add_argument("--ndf", type=int, default=None, help="discriminator width (default 64, or "
                                                          "the checkpoint's with --resume)")
    p.add_argument("--trunk", type=int, default=None, metavar="WIDTH",
                   help="two fully connected layers of this width before G's first "
                        "up-convolution (default 0: none, the paper's generator)")
    p.add_argument("--output", choices=("tanh", "compose"), default=None,
                   help="G's output layer: tanh (the paper's, default) or compose (albedo x "
                        "shading and a mask over a background colour, as the conv-deconv "
                        "faces; or the checkpoint's with --resume)")
    p.add_argument("--refine", action=argparse.BooleanOptionalAction, default=None,
                   help="a 3x3 convolution after each of G's hidden up-convolutions "
                        "(default off, or the checkpoint's with --resume)")
    p.add_argument("--aux-weight", type=float, default=0.0,
                   help="weight of an auxiliary attribute classifier on D (AC-GAN); "
                        "0 (default): no classifier")
    p.add_argument("--init", metavar="DIR", default=None,
                   help="start from these weights (e.g. the shipped ones) with their "
                        "architecture, fresh optimizers")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate of both networks "
                                                          "(default 2e-4, the paper's)")
    p.add_argument("--gan-lr", type=float, default=None,
                   help="learning rate once the warm-up is over (default: --lr)")
    p.add_argument("--feature-weight", type=float, default=8.0, metavar="W",
                   help="the studio's feature pixels (eyes, brows, mouth, rims, lenses, beard "
                        "edge) weigh 1 + W in the reconstruction term (default 8; 0: plain)")
    p.add_argument("--perceptual", type=float, default=0.0, metavar="W",
                   help="weight of a perceptual term on the faces judge's features in G's loss "
                        "(default 0: none)")
    p.add_argument("--perceptual-judge", default=None, metavar="DIR",
                   help="the judge of --perceptual (default: the shipped faces judge)")
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep an exponential moving average of G (e.g. 0.999) and ship it "
                        "(default 0: none)")
    p.add_argument("--log-every", type=int, default=50)


def _fail(cmd: str, msg: str) -> int:
    print(f"holochat {cmd} textgan: {msg}", file=sys.stderr)
    return 2


def run_train(args: argparse.Namespace) -> int:
    from generators.errors import GeneratorError
    from generators.nets.textgan import TextGANConfig
    from generators.training.textgan import TextGANTrainOptions, TrainingError, train_textgan
    if args.device.startswith("cuda"):
        import torch
        if not torch.cuda.is_available():
            return _fail("train", f"--device {args.device}: no CUDA GPU is available here")
    elif args.device != "cpu":
        return _fail("train", f"--device must be cpu or cuda, got {args.device!r}")
    for name in ("steps", "batch", "n_train", "images_per_identity", "captions_per_image",
                 "ngf", "ndf"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            return _fail("train", f"--{name.replace('_', '-')} must be positive")
    if args.lr is not None and not args.lr > 0:
        return _fail("train", "--lr must be positive")
    if not 0 <= args.warmup <= args.steps:
        return _fail("train", f"--warmup must lie in 0…{args.steps} (--steps)")
    if args.trunk is not None and args.trunk < 0:
        return _fail("train", "--trunk must be 0 (none) or positive")
    if not (args.r1 >= 0 and math.isfinite(args.r1)):
        return _fail("train", "--r1 must be 0 or positive")
    if not (args.aux_weight >= 0 and math.isfinite(args.aux_weight)):
        return _fail("train", "--aux-weight must be 0 or positive")
    for name in ("feature_weight", "perceptual"):
        v = getattr(args, name)
        if not (v >= 0 and math.isfinite(v)):
            return _fail("train", f"--{name.replace('_', '-')} must be 0 or positive")
    if not (args.ema == 0 or 0 < args.ema < 1):
        return _fail("train", "--ema must be 0 (none) or a decay between 0 and 1, e.g. 0.999")
    if args.gan_lr is not None and not args.gan_lr > 0:
        return _fail("train", "--gan-lr must be positive")
    if args.log_every < 1:
        return _fail("train", "--log-every must be positive")
    if args.time_limit is not None and not args.time_limit > 0:
        return _fail("train", "--time-limit must be positive")
    if args.decay_from is not None and not 0 <= args.decay_from < args.steps:
        return _fail("train", f"--decay-from must lie in 0…{args.steps - 1} (before --steps)")
    opts = TextGANTrainOptions(steps=args.steps, batch=args.batch, seed=args.seed,
                               device=args.device, out=args.out, resume=args.resume,
                               n_train=args.n_train,
                               images_per_identity=args.images_per_identity,
                               captions_per_image=args.captions_per_image,
                               rec_weight=args.rec_weight, decay_from=args.decay_from,
                               aux_weight=args.aux_weight, warmup=args.warmup,
                               rec_loss=args.rec_loss, r1_gamma=args.r1,
                               sample_every=args.sample_every,
                               checkpoint_every=args.checkpoint_every,
                               feature_weight=args.feature_weight, perceptual=args.perceptual,
                               perceptual_judge=args.perceptual_judge, ema=args.ema,
                               gan_lr=args.gan_lr, log_every=args.log_every,
                               time_limit_s=args.time_limit, init=args.init,
                               progress=sys.stderr.isatty())
    cfg = TextGANConfig()
    from pathlib import Path
    base = args.out if args.resume else args.init
    if base:                        # continue with the checkpoint's own config
        from generators.checkpoint import read_config
        from generators.errors import WeightsError
        if (Path(base) / "config.json").exists():
            try:
                cfg = TextGANConfig.from_dict(read_config(base).get("config", {}))
            except (WeightsError, ValueError, TypeError) as e:
                return _fail("train", f"cannot start from {base}: {e}")
        elif args.init:
            return _fail("train", f"--init {args.init}: no config.json there")
    from dataclasses import replace
    cfg = replace(cfg, **{k: getattr(args, k) for k in ("ngf", "ndf", "lr") if getattr(args, k)})
    if args.trunk is not None:
        cfg = replace(cfg, trunk=args.trunk)
    if args.output is not None:
        cfg = replace(cfg, output=args.output)
    if args.refine is not None:
        cfg = replace(cfg, refine=args.refine)
    if not (args.resume or args.init) or args.aux_weight > 0:
        cfg = replace(cfg, aux_classifier=args.aux_weight > 0)
    try:
        trainer = train_textgan(opts, cfg)
    except (TrainingError, GeneratorError) as e:
        return _fail("train", str(e))
    print(json.dumps({"out": args.out, **(trainer.log[-1] if trainer.log else {})}))
    return 0


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default=None, help="weights folder (default: the shipped ones)")
    p.add_argument("--judge", default=None, help="faces judge folder (default: the shipped one)")
    p.add_argument("--n", type=int, default=400,
                   help="random states (edits: half as many); default 400 (about a minute "
                        "with the studio beside it); the shipped figures used 1000")
    p.add_argument("--no-studio", action="store_true",
                   help="leave out the studio rendering the same states (and the checks of "
                        "issue 29 that compare with it)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sheet", metavar="PNG", help="also write an edit sheet (one row per identity)")
    p.add_argument("--text-probe", action="store_true",
                   help="also train a linear probe on the caption embeddings and report how "
                        "well it reads the attributes from training and held-out templates "
                        "(the text side's ceiling for heldout_caption_accuracy)")
    p.add_argument("--record", action="store_true",
                   help="store the result (and whether it passes acceptance) in the weights' "
                        "config.json; only passing weights become the default face generator")


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
        return _fail("eval", f"no faces judge in {judge_path}; train one with `holochat train "
                             f"judge --domain faces --out {judge_path}` or pass --judge DIR")
    try:
        from generators.training.judge import load_judge
        judge = load_judge(judge_path)
        if judge.cfg.domain != "faces":
            return _fail("eval", f"the judge in {judge_path} reads {judge.cfg.domain}, not faces")
        gen = TextGANGenerator("faces", args.weights)
        from generators.evaluation.textgan import (edit_sheet, evaluate_against_studio,
                                                   evaluate_textgan)
        if args.no_studio:
            res = evaluate_textgan(gen, judge, n=args.n, seed=args.seed)
        else:
            res = evaluate_against_studio(gen, judge, n=args.n, seed=args.seed)
        if args.sheet:
            edit_sheet(gen, args.sheet, seed=args.seed)
            res["sheet"] = args.sheet
        if args.text_probe:
            from generators.evaluation.text_probe import caption_probe
            res["text_probe"] = caption_probe(seed=args.seed)
    except GeneratorError as e:          # weights or embedding model missing / broken
        return _fail("eval", str(e))
    except ImportError as e:             # e.g. generators/evaluation/fid.py absent from a build
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
