"""CLI of the DCGAN: ``holochat train dcgan``.

    holochat train dcgan [--data DIR] [--from faces|DIR] --steps N --batch B --out DIR
                         [--device cpu|cuda] [--seed S] [--resume]

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
    p.add_argument("--out", required=True, metavar="DIR", help="checkpoint folder")
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
    try:
        init_from = T.resolve_from(args.dcgan_from) if args.dcgan_from else None
        if args.resume and T.has_checkpoint(args.out):
            base = T.read_config(args.out)
        elif init_from is not None:
            base = T.read_config(init_from)
        else:
            base = DCGANConfig()
        cfg = replace(base, ngf=args.ngf or base.ngf, ndf=args.ndf or base.ndf)
        opts = T.TrainOptions(steps=args.steps, batch=args.batch, seed=args.train_seed,
                              device=device, out=args.out, resume=args.resume,
                              log_every=args.log_every, sample_every=args.sample_every,
                              checkpoint_every=args.checkpoint_every, compile=args.compile,
                              progress=not args.no_progress,
                              dump_digests=args.debug_dump_weights)
        dist = distributed.init(device)
    except (T.TrainingError, DatasetError, ValueError, RuntimeError) as e:
        print(f"holochat train dcgan: {e}", file=sys.stderr)
        return 2
    ok = False
    try:
        T.train(cfg, lambda: T.load_images(args.data, n_images=args.n_images,
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
    return 0
