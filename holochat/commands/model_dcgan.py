"""CLI of the DCGAN: ``holochat train dcgan``.

    holochat train dcgan [--data DIR] [--from faces|DIR] --steps N --batch B
                         (--out DIR | --name NAME) [--device cpu|cuda] [--seed S] [--resume]
    holochat eval dcgan [--weights DIR] [--judge DIR] [--full] [--n N] [--json] [--record]

``--name NAME`` trains a personal model into ``<data dir>/models/dcgan-NAME``,
usable in the app as the generator ``dcgan:NAME``.

Multi-GPU / multi-process: ``torchrun --nproc_per_node N -m holochat train dcgan …``
(DistributedDataParallel; NCCL on GPUs, gloo on CPU; ``--batch`` is per process).
"""

from __future__ import annotations

import argparse
import sys

def configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", metavar="DIR", default=None,
                   help="train on every image in this folder (e.g. one person's photos); "
                        "default: studio faces")
    p.add_argument("--from", dest="dcgan_from", metavar="faces|DIR", default=None,
                   help="start from these weights (the shipped faces DCGAN, or a checkpoint "
                        "folder) and fine-tune")
    p.add_argument("--steps", type=int, default=20000, help="total training steps")
    p.add_argument("--batch", type=int, default=64, help="images per step per process")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="DIR", help="checkpoint folder")
    where.add_argument("--name", dest="model_name", metavar="NAME",
                       help="a personal model: saved in the data dir's models/dcgan-NAME and "
                            "usable as the generator dcgan:NAME")
    p.add_argument("--device", dest="train_device", choices=["cpu", "cuda"], default=None,
                   help="default: cuda when available")
    p.add_argument("--seed", dest="train_seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in --out")
    p.add_argument("--n-images", type=int, default=20000,
                   help="studio faces to train on (without --data)")
    p.add_argument("--ngf", type=int, default=None,
                   help="generator width (default 64, or the checkpoint's)")
    p.add_argument("--ndf", type=int, default=None,
                   help="discriminator width (default 64, or the checkpoint's)")
    p.add_argument("--r1", dest="r1_gamma", type=float, default=None, metavar="GAMMA",
                   help="R1 gradient penalty on real images (default 0, the paper's loss, "
                        "or the checkpoint's)")
    p.add_argument("--upsample", choices=["deconv", "resize", "bilinear"], default=None,
                   help="generator's x2 layers: the paper's transposed convs (default), "
                        "nearest resize + 3x3 conv, or bilinear resize + 3x3 conv (or the "
                        "checkpoint's)")
    p.add_argument("--output", dest="g_output", choices=["tanh", "compose"], default=None,
                   help="generator's last layer: the paper's tanh RGB (default) or compose "
                        "(albedo x shade and a mask over a background colour from z)")
    p.add_argument("--encoder", action="store_true", default=None,
                   help="train an image -> z encoder with the generator as a VAE, then "
                        "VAE-GAN (gives attribute directions a smoother latent space)")
    p.add_argument("--vae-warmup", type=int, default=None, metavar="STEPS",
                   help="with --encoder: steps of VAE loss alone before the GAN losses")
    p.add_argument("--kl-weight", type=float, default=None,
                   help="with --encoder: weight of the KL term per pixel (default 0.08)")
    p.add_argument("--rec-weight", type=float, default=None,
                   help="with --encoder: weight of the VAE loss beside the adversarial one "
                        "after the warm-up (default 300)")
    # issue #24's options: each off by default (or the checkpoint's when resuming)
    p.add_argument("--mapping", type=int, default=None, metavar="LAYERS",
                   help="a mapping network z -> w of this many fully connected layers "
                        "(StyleGAN; 2-4; default 0: none); directions are then fitted in w")
    p.add_argument("--mapping-lr-mul", type=float, default=None, metavar="X",
                   help="the mapping network learns at lr x this (default 0.1)")
    p.add_argument("--style", action="store_true", default=None,
                   help="w modulates every batch norm of the generator (conditional batch norm)")
    p.add_argument("--mbstd", dest="mbstd_group", type=int, default=None, metavar="GROUP",
                   help="minibatch standard deviation in D over groups of GROUP images "
                        "(StyleGAN: 4; default 0: off)")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY",
                   help="keep an EMA of G's weights with this decay (e.g. 0.999); it is what "
                        "samples are drawn from and what is saved as the model (default 0: off)")
    p.add_argument("--augment", default=None, metavar="OPS",
                   help="DiffAugment before D, comma-separated from color,translation,cutout "
                        "(default: none)")
    p.add_argument("--augment-p", type=float, default=None, metavar="P",
                   help="probability of each augmentation per image (default 1)")
    p.add_argument("--lr", type=float, default=None, help="G's Adam learning rate (default 2e-4)")
    p.add_argument("--lr-d", type=float, default=None,
                   help="D's learning rate (two time-scale update rule; default: --lr)")
    p.add_argument("--beta1", type=float, default=None, help="Adam beta1 (default 0.5)")
    p.add_argument("--beta2", type=float, default=None, help="Adam beta2 (default 0.999)")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop after this many seconds of training (checkpointed)")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument("--checkpoint-every", type=int, default=1000)
    p.add_argument("--compile", action="store_true", help="torch.compile the networks")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--debug-dump-weights", action="store_true",
                   help="each process writes OUT/rank-R.sha256 of its weights at the end")


def run_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import torch

    from generators.loaders import DatasetError
    from generators.nets.dcgan import DCGANConfig
    from generators.training import dcgan as T
    from generators.training import distributed
    for flag in ("steps", "batch", "n_images", "log_every", "sample_every", "checkpoint_every"):
        if getattr(args, flag) < 1:
            print(f"holochat train dcgan: --{flag.replace('_', '-')} must be positive",
                  file=sys.stderr)
            return 2
    device = args.train_device or ("cuda" if torch.cuda.is_available() else "cpu")
    if getattr(args, "model_name", None):
        from generators.dcgan_gen import personal_dir
        from generators.errors import GeneratorError
        try:
            args.out = str(personal_dir(args.model_name))
        except GeneratorError as e:
            print(f"holochat train dcgan: {e}", file=sys.stderr)
            return 2
    try:
        init_from = T.resolve_from(args.dcgan_from) if args.dcgan_from else None
        if args.resume and T.has_checkpoint(args.out):
            base = T.read_config(args.out)
        elif init_from is not None:
            base = T.read_config(init_from)
        else:
            base = DCGANConfig()
        cfg = replace(base, ngf=args.ngf or base.ngf, ndf=args.ndf or base.ndf,
                      r1_gamma=base.r1_gamma if args.r1_gamma is None else args.r1_gamma,
                      upsample=args.upsample or base.upsample,
                      output=args.g_output or base.output,
                      encoder=base.encoder if args.encoder is None else True,
                      vae_warmup=base.vae_warmup if args.vae_warmup is None else args.vae_warmup,
                      kl_weight=base.kl_weight if args.kl_weight is None else args.kl_weight,
                      rec_weight=base.rec_weight if args.rec_weight is None else args.rec_weight,
                      **_new_options(args, base))
        opts = T.TrainOptions(steps=args.steps, batch=args.batch, seed=args.train_seed,
                              device=device, out=args.out, resume=args.resume,
                              log_every=args.log_every, sample_every=args.sample_every,
                              checkpoint_every=args.checkpoint_every, compile=args.compile,
                              progress=not args.no_progress,
                              dump_digests=args.debug_dump_weights,
                              time_limit_s=args.time_limit)
        dist = distributed.init(device)
    except (T.TrainingError, DatasetError, ValueError, RuntimeError) as e:
        print(f"holochat train dcgan: {e}", file=sys.stderr)
        return 2
    if args.time_limit is not None and args.time_limit <= 0:
        print("holochat train dcgan: --time-limit must be positive", file=sys.stderr)
        return 2
    ok = False
    try:
        trainer = T.train(cfg, lambda: T.load_images(args.data, n_images=args.n_images,
                                           seed=args.train_seed, size=cfg.image_size),
                opts, dist=dist, init_from=init_from)
        ok = True
    except (T.TrainingError, DatasetError, ValueError, RuntimeError) as e:
        print(f"holochat train dcgan: {e}", file=sys.stderr)
        return 2
    finally:
        # tear the process group down before the interpreter exits: gloo's
        # threads otherwise abort the process ("terminate called without an
        # active exception") now and then
        dist.close(barrier=ok)
    if dist.is_main and not getattr(args, "model_name", None):
        import json
        print(json.dumps({"out": args.out, "step": trainer.step_count, "images_per_s": 0.0,
                          **trainer.last_log}))
    if getattr(args, "model_name", None) and dist.is_main:
        print(f"Saved the personal DCGAN '{args.model_name}' in {args.out}.\n"
              f"Use it with: holochat --generator dcgan:{args.model_name}\n"
              f"Fit its attribute directions with: holochat train directions --weights {args.out}")
    return 0


_NEW = {"mapping": "mapping", "mapping_lr_mul": "mapping_lr_mul", "mbstd_group": "mbstd_group",
        "ema": "ema", "augment": "augment", "augment_p": "augment_p", "lr": "lr",
        "lr_d": "lr_d", "beta1": "beta1", "beta2": "beta2"}


def _new_options(args: argparse.Namespace, base) -> dict:
    """Issue #24's config fields: the flag's value where given, else the base's."""
    out = {field: getattr(args, flag) for flag, field in _NEW.items()
           if getattr(args, flag, None) is not None}
    if getattr(args, "style", None):
        out["style"] = True
    return out


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", metavar="DIR", default=None,
                   help="DCGAN folder with its directions (default: the shipped faces DCGAN)")
    p.add_argument("--judge", metavar="DIR", default=None,
                   help="faces judge folder (default: the shipped one)")
    p.add_argument("--full", action="store_true",
                   help="the long run: 500 samples, every moved sample, completion of 100 "
                        "faces x 3 regions (200 steps, 4 restarts); the default is the fast "
                        "run (200 samples, 48 moves per direction, 4 faces, 100 steps, "
                        "2 restarts), within 3 minutes on 2 cores for the shipped widths")
    p.add_argument("--n", dest="n_samples", type=int, default=None, metavar="N",
                   help="sampled faces for the direction, coverage and FID figures "
                        "(default 200; --full 500)")
    p.add_argument("--per-direction", type=int, default=None, metavar="K",
                   help="at most K moved samples per direction (default 48; --full: all)")
    p.add_argument("--completion-n", type=int, default=None,
                   help="held-out studio faces to complete (0 leaves completion out; "
                        "default 4; --full 100)")
    p.add_argument("--seed", dest="eval_seed", type=int, default=0, metavar="S")
    p.add_argument("--sweep", metavar="S1,S2,...", default="",
                   help="also report success and preservation at these move strengths (the "
                        "trade-off curve; the acceptance figures stay at strength 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--record", action="store_true",
                   help="store the result (and whether it passes acceptance) in the weights' "
                        "config.json under extra.eval")
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
                print(f"  {attr:14s} " + "  ".join(
                    f"{val} {r['samples']:.2f}/{r['studio']:.2f}" for val, r in vals.items()))
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
        return fail("--n must be at least 2, --completion-n at least 0 and --per-direction "
                    "at least 1")
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
        return fail(f"the DCGAN in {gen.path} has no attribute directions; fit them with "
                    f"`holochat train directions --weights {gen.path}`")
    try:
        with _stderr_bar(not args.no_progress, "eval dcgan",
                         progress_total(gen, completion_n)) as tick:
            res = evaluate_dcgan(gen, judge, n=n, seed=args.eval_seed, full=args.full,
                                 completion_n=completion_n, sweep=sweep,
                                 per_direction=per_direction, on_progress=tick)
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
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda k: None
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)
        self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True))
        task = self.bar.add_task(self.label, total=self.total)
        self.bar.start()
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
