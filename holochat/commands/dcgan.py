"""``holochat dcgan``: DCGAN tools.

    holochat dcgan complete IMAGE (--mask MASK.png | --region left) --out OUT.png
                            [--weights DIR] [--steps N] [--restarts R] [--seed S]
                            [--sheet BEFORE_AFTER.png] [--device cpu|cuda]
    holochat dcgan morph SESSION --from STEP --to STEP [--frames 8] [--gif OUT.gif]
                         [--sheet OUT.png]
    holochat dcgan arithmetic --out OUT.png [--weights DIR] [--judge DIR] [--seed S]
                              [--samples N] [--device cpu|cuda]

Exit codes: 0 done; 1 an output could not be written, or the arithmetic found
too few exemplars; 2 bad input or missing weights (one line on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path


class _Fail(Exception):
    """One line for stderr and an exit code."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="dcgan_command", metavar="TOOL", required=True)

    c = sub.add_parser(
        "complete",
        help="fill in missing pixels of an image (Yeh et al.)",
        description="Fill in the missing part of an image by searching the "
        "DCGAN's latent space for the face that fits the known "
        "pixels.",
    )
    c.add_argument("image", help="image file (any size; centre-cropped and resized)")
    where = c.add_mutually_exclusive_group(required=True)
    where.add_argument("--mask", help="mask image: light pixels are missing, dark are known")
    where.add_argument(
        "--region", help="a named region: left, right, top, bottom, center, eyes, mouth"
    )
    c.add_argument("--out", required=True, help="PNG of the completed image")
    c.add_argument("--sheet", help="PNG sheet: input, masked input, generated, blended")
    _weights_args(c)
    c.add_argument("--steps", type=int, default=400, help="optimisation steps")
    c.add_argument("--restarts", type=int, default=8, help="random starts optimised together")
    c.add_argument(
        "--pool",
        type=int,
        default=64,
        help="random latents scored first; the best --restarts of them start the search",
    )
    c.add_argument(
        "--space",
        choices=["auto", "z", "w"],
        default="auto",
        help="search z, or w after the mapping network (auto: w for the latent GAN)",
    )
    c.add_argument("--seed", dest="dcgan_seed", type=int, default=0)
    c.set_defaults(_tool=run_complete)

    m = sub.add_parser(
        "morph",
        help="interpolate between two steps of a saved session",
        description="Blend the states of two history steps of a saved session "
        "and render the frames with the session's generator.",
    )
    m.add_argument("session", help="session name (in the data dir) or path to a .jsonl log")
    m.add_argument("--from", dest="from_step", type=int, required=True, metavar="STEP")
    m.add_argument("--to", dest="to_step", type=int, required=True, metavar="STEP")
    m.add_argument("--frames", type=int, default=8, help="frames, both ends included")
    m.add_argument("--gif", help="write the morph as an animated GIF")
    m.add_argument("--sheet", help="write the frames as a contact sheet (PNG)")
    m.set_defaults(_tool=run_morph)

    a = sub.add_parser(
        "arithmetic",
        help="the sunglasses vector arithmetic as a sheet",
        description="(beard, sunglasses) - (beard, no eyewear) + (no beard, no "
        "eyewear), with beard standing in for gender (Radford et "
        "al.); exemplars are read by the faces judge.",
    )
    a.add_argument("--out", required=True, help="PNG sheet to write")
    _weights_args(a)
    a.add_argument(
        "--judge",
        metavar="DIR",
        default=None,
        help="judge weights (default: the shipped faces judge)",
    )
    a.add_argument("--samples", type=int, default=2000, help="latents sampled to find exemplars")
    a.add_argument("--seed", dest="dcgan_seed", type=int, default=0)
    a.set_defaults(_tool=run_arithmetic)


def _weights_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--weights",
        metavar="DIR",
        default=None,
        help="DCGAN checkpoint folder (default: the shipped faces weights)",
    )
    p.add_argument(
        "--device",
        dest="dcgan_device",
        choices=["cpu", "cuda"],
        default=None,
        help="default: cuda when available",
    )


def run(args: argparse.Namespace) -> int:
    try:
        return int(args._tool(args) or 0)
    except _Fail as e:
        print(f"holochat dcgan {args.dcgan_command}: {e}", file=sys.stderr)
        return e.code


# -- shared -----------------------------------------------------------------------------------
def load_pair(weights: str | None, device: str | None = None):
    """The (generator, critic) of a checkpoint folder, in eval mode (the critic:
    ``nets.dcgan.critic``, the discriminator the completion prior asks)."""
    import torch

    from generators.nets.dcgan import DCGAN
    from generators.training import dcgan as T

    folder = Path(weights) if weights else T.shipped_dir("faces")
    if not (folder / T.CONFIG_FILE).is_file() or not (folder / T.MODEL_FILE).is_file():
        if weights:
            raise _Fail(f"no DCGAN weights in {folder} (needs {T.CONFIG_FILE} and {T.MODEL_FILE})")
        raise _Fail(
            "this build ships no DCGAN weights for faces; train them with "
            "`holochat train dcgan --out DIR` and pass --weights DIR"
        )
    try:
        cfg, tensors = T.read_model(folder)
        pair = DCGAN(cfg)
        T.load_weights(pair, tensors)
    except T.TrainingError as e:
        raise _Fail(str(e)) from None
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dev == "cuda" and not torch.cuda.is_available():
        raise _Fail("--device cuda: no CUDA device here")
    pair.to(dev).eval()
    from generators.nets.dcgan import critic

    return pair.generator, critic(pair)


@contextlib.contextmanager
def _bar(total: int, label: str):
    """A rich progress bar on a terminal; yields ``advance(k)`` (k steps done)."""
    from generators.training.progress import progress_bar

    with progress_bar(sys.stdout.isatty() and sys.stderr.isatty()) as bar:
        if bar is None:
            yield lambda k: None
            return
        task = bar.add_task(label, total=total)
        yield lambda k: bar.update(task, completed=k)


def _write(what: str, write, path: str) -> None:
    try:
        write()
    except OSError as e:
        raise _Fail(f"cannot write {what} {path}: {e.strerror or e}", code=1) from None


# -- complete ------------------------------------------------------------------------------------
def run_complete(args: argparse.Namespace) -> int:
    from generators.latent import completion as C
    from sessions.export import export_png, export_sheet

    if args.steps < 1 or args.restarts < 1 or args.pool < 0:
        raise _Fail("--steps and --restarts must be positive, --pool at least 0")
    G, D = load_pair(args.weights, args.dcgan_device)
    size = G.cfg.image_size
    try:
        image = C.load_image(args.image, size)
        missing = (
            C.load_mask(args.mask, size)
            if args.mask is not None
            else C.region_mask(args.region, size)
        )
        with _bar(args.steps, "completing") as advance:
            res = C.complete(
                G,
                D,
                image,
                missing,
                steps=args.steps,
                restarts=args.restarts,
                seed=args.dcgan_seed,
                on_step=advance,
                space=args.space,
                pool=args.pool,
            )
    except ValueError as e:  # CompletionError: bad image, mask or region
        raise _Fail(str(e)) from None
    _write("the image", lambda: export_png(res.blended, args.out), args.out)
    if args.sheet:
        frames = [image, C.with_hole(image, missing), res.generated, res.blended]
        labels = ["input", "masked", "generated", "blended"]
        _write(
            "the sheet",
            lambda: export_sheet(frames, labels, args.sheet, cols=4, scale=2),
            args.sheet,
        )
    print(
        json.dumps(
            {
                "out": args.out,
                "sheet": args.sheet,
                "loss": round(res.loss, 5),
                "contextual": round(res.contextual, 5),
                "prior": round(res.prior, 5),
                "missing_pixels": int(missing.sum()),
                "space": res.space,
            }
        )
    )
    return 0


# -- morph ---------------------------------------------------------------------------------------
def session_states(path) -> dict:
    """step → state of every step of a saved session (its logged ops re-applied;
    nothing rendered)."""
    import numpy as np

    from sessions.replay import iter_replay

    blank = np.zeros((1, 1, 3), np.uint8)
    return {t.turn: t.state for t in iter_replay(path, render=lambda state: blank)}


def morph_frames(state_a, state_b, n: int, render) -> tuple[list, list[str]]:
    """``n`` frames from ``state_a`` to ``state_b`` (sessions.apply.interpolate:
    numbers and z linearly, identities and categories as blends), rendered."""
    import numpy as np

    from sessions.apply import interpolate

    ts = np.linspace(0.0, 1.0, n)
    frames = [render(interpolate(state_a, state_b, float(t))) for t in ts]
    return frames, [f"t={t:.2f}" for t in ts]


def morph_sheet(frames, labels, path, cols: int = 8):
    """The frames of a morph as a labelled contact sheet (PNG, atomic)."""
    from sessions.export import export_sheet

    return export_sheet(frames, labels, path, cols=cols, scale=2)


def run_morph(args: argparse.Namespace) -> int:
    from generators.errors import GeneratorError
    from sessions.export import export_gif
    from sessions.log import LogError
    from sessions.paths import resolve_session
    from sessions.replay import render_state

    if args.frames < 2:
        raise _Fail("--frames must be at least 2")
    if not args.gif and not args.sheet:
        raise _Fail("nothing to write: give --gif OUT.gif and/or --sheet OUT.png")
    path = resolve_session(args.session)
    try:
        states = session_states(path)
    except (LogError, OSError) as e:
        raise _Fail(str(e)) from None
    last = max(states)
    for flag, step in (("--from", args.from_step), ("--to", args.to_step)):
        if step not in states:
            raise _Fail(f"{flag} {step}: the session has steps 0 to {last}")
    a, b = states[args.from_step], states[args.to_step]
    if a.domain != b.domain:
        raise _Fail(
            f"step {args.from_step} shows {a.domain} and step {args.to_step} shows "
            f"{b.domain}; only images of one domain can be blended"
        )
    try:
        frames, labels = morph_frames(a, b, args.frames, render_state)
    except GeneratorError as e:
        raise _Fail(f"cannot render the frames: {e}") from None
    labels[0], labels[-1] = f"step {args.from_step}", f"step {args.to_step}"
    if args.gif:
        _write("the GIF", lambda: export_gif(frames, args.gif, duration_ms=150), args.gif)
    if args.sheet:
        _write("the sheet", lambda: morph_sheet(frames, labels, args.sheet), args.sheet)
    print(
        json.dumps(
            {
                "session": str(path),
                "from": args.from_step,
                "to": args.to_step,
                "frames": len(frames),
                "generator": a.generator,
                "gif": args.gif,
                "sheet": args.sheet,
            }
        )
    )
    return 0


# -- arithmetic ---------------------------------------------------------------------------------
def run_arithmetic(args: argparse.Namespace) -> int:
    from generators.errors import WeightsError
    from generators.latent.arithmetic import ExemplarError, arithmetic_sheet

    if args.samples < 3:
        raise _Fail("--samples must be at least 3")
    G, _ = load_pair(args.weights, args.dcgan_device)
    from generators.training.judge import load_judge
    from generators.weights import weights_path

    judge_dir = Path(args.judge) if args.judge else weights_path("judge", "faces")
    try:
        judge = load_judge(judge_dir).eval()  # on the CPU, where read_attributes feeds it
    except WeightsError as e:
        raise _Fail(f"judge: {e}") from None
    try:
        res = arithmetic_sheet(G, judge, args.out, seed=args.dcgan_seed, n=args.samples)
    except ExemplarError as e:
        raise _Fail(str(e), code=1) from None
    except OSError as e:
        raise _Fail(f"cannot write the sheet {args.out}: {e.strerror or e}", code=1) from None
    print(json.dumps(res))
    return 0
