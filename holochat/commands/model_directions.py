"""CLI of the DCGAN's attribute directions: ``holochat train directions``.

    holochat train directions --weights DIR [--judge DIR] [--n 20000] [--seed 0]
                              [--space auto|z|w] [--extremes 0.5]

Samples ``--n`` latents, renders them with the DCGAN in ``--weights``, reads
every attribute with the faces judge, fits the directions
(generators/latent/directions.py) and saves ``directions.safetensors`` +
``directions.json`` into ``--weights``.  With a mapping network the
directions are fitted in w (``--space auto``); the linear-separability probe
(balanced accuracy per attribute, in z and in w) is printed and saved in
``directions.json`` under ``probe``.  Exit codes: 0 done; 2 bad input or
missing / unreadable weights (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure_train(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--weights",
        metavar="DIR",
        default=None,
        help="DCGAN folder (default: the shipped faces DCGAN); the directions are saved into it",
    )
    p.add_argument(
        "--judge", metavar="DIR", default=None, help="faces judge folder (default: the shipped one)"
    )
    p.add_argument(
        "--n",
        dest="n_samples",
        type=int,
        default=20000,
        metavar="N",
        help="latents to sample and label",
    )
    p.add_argument("--seed", dest="dir_seed", type=int, default=0, metavar="S")
    p.add_argument(
        "--space",
        choices=["auto", "z", "w"],
        default="auto",
        help="latent space of the directions (auto: w when the DCGAN has a mapping "
        "network, else z)",
    )
    p.add_argument(
        "--extremes",
        type=float,
        default=None,
        metavar="F",
        help="fit each yes/no boundary on this fraction of each side that the judge "
        "is surest of (InterFaceGAN; default 0.5; 1 = every sample)",
    )
    p.add_argument(
        "--no-whiten",
        action="store_true",
        help="in w: fit on w itself instead of the whitened w (see "
        "generators/latent/directions.py)",
    )
    p.add_argument(
        "--reach",
        type=float,
        default=None,
        metavar="F",
        help="make one unit of each yes/no direction turn this fraction of the fitting "
        "faces that lack it, as the judge reads them (default 0.9; 0 keeps the plain "
        "group gap)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _fail(msg: str) -> int:
    print(f"holochat train directions: {msg}", file=sys.stderr)
    return 2


def load_judge_or_explain(judge: str | None):
    """(judge, folder) or raise ValueError with what to do."""
    from generators.errors import WeightsError
    from generators.training.judge import load_judge
    from generators.weights import weights_path

    folder = Path(judge) if judge else weights_path("judge", "faces")
    if not (folder / "model.safetensors").exists():
        raise ValueError(
            f"no faces judge in {folder}; train one with `holochat train judge "
            f"--domain faces --out {folder}` or pass --judge DIR"
        )
    try:
        j = load_judge(folder)
    except WeightsError as e:
        raise ValueError(str(e)) from None
    if j.cfg.domain != "faces":
        raise ValueError(f"the judge in {folder} reads {j.cfg.domain}, not faces")
    return j.eval(), folder


def probe_lines(probe: dict | None) -> list[str]:
    """The linear-separability probe as lines: the mean and every target, per space."""
    if not probe:
        return []
    spaces = [s for s in ("z", "w") if probe.get(s)]
    out = [
        "linear separability (balanced accuracy of a logistic probe, held-out 20 %): "
        + ", ".join(
            f"{s} {probe[s]['mean']:.3f}" for s in spaces if probe[s].get("mean") is not None
        )
    ]
    names = sorted({n for s in spaces for n in probe[s]["targets"]})
    for n in names:
        out.append(
            f"  {n:24s} "
            + "  ".join(
                f"{s} {probe[s]['targets'][n]:.3f}" if n in probe[s]["targets"] else f"{s}   -  "
                for s in spaces
            )
        )
    return out


def run_train(args: argparse.Namespace) -> int:
    from generators.dcgan_gen import DCGANGenerator
    from generators.errors import GeneratorError
    from generators.latent.directions import EXTREMES, MIN_GROUP, REACH, estimate
    from generators.training.progress import progress_bar

    if args.n_samples < 2 * MIN_GROUP:
        return _fail(f"--n must be at least {2 * MIN_GROUP}")
    extremes = EXTREMES if args.extremes is None else args.extremes
    if not 0 < extremes <= 1:
        return _fail("--extremes must be in (0, 1]")
    reach = REACH if args.reach is None else args.reach
    if not 0 <= reach <= 1:
        return _fail("--reach must be in [0, 1]")
    try:
        gen = DCGANGenerator("faces", args.weights)
    except GeneratorError as e:
        return _fail(str(e))
    try:
        judge, judge_dir = load_judge_or_explain(args.judge)
    except ValueError as e:
        return _fail(str(e))
    if judge.cfg.image_size != gen.cfg.image_size:
        return _fail(
            f"the judge reads {judge.cfg.image_size}-pixel images, the DCGAN makes "
            f"{gen.cfg.image_size}-pixel ones"
        )
    try:
        with progress_bar(not args.no_progress) as bar:
            task = (
                bar.add_task("directions: sample and label", total=args.n_samples) if bar else None
            )
            d = estimate(
                gen.G,
                judge,
                n=args.n_samples,
                seed=args.dir_seed,
                judge_dir="shipped" if args.judge is None else str(judge_dir),
                space=args.space,
                extremes=extremes,
                whiten=False if args.no_whiten else None,
                reach=reach or None,
                on_progress=(lambda k: bar.advance(task, k)) if bar else None,
            )
        d.save(gen.path)
    except (GeneratorError, ValueError) as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"cannot write the directions into {gen.path}: {e.strerror or e}")
    print(
        f"fitted {len(d)} directions in {d.space} from {args.n_samples} samples; "
        f"saved to {gen.path}"
    )
    for line in probe_lines(d.meta.get("probe")):
        print(line)
    for info in d.infos:
        cal = info.calibration["projected"]
        what = (
            f"{cal:.3f} latent units per {info.unit or 'unit'} (R² {info.r2:.2f})"
            if info.kind == "numeric"
            else f"distance {cal:.2f} × reach {info.reach:g} "
            f"({info.n_pos} with, {info.n_neg} without)"
        )
        print(f"  {info.name:24s} {what}")
    for name, why in d.meta.get("skipped", {}).items():
        print(f"  {name:24s} skipped: {why}")
    return 0
