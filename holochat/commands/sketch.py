"""``holochat sketch DRAWING.png --out OUT.png``: a picture from a line drawing (pix2pix)."""

from __future__ import annotations

import argparse
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("drawing", help="a black-on-white line drawing (PNG, JPEG, …; any size)")
    p.add_argument(
        "--domain",
        choices=["faces", "chairs"],
        default=None,
        help="what the drawing shows (default: faces)",
    )
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument(
        "--weights",
        default=None,
        metavar="DIR",
        help="pix2pix weights folder (default: the shipped ones of --domain)",
    )
    p.add_argument("--scale", type=int, default=4, help="upscale factor of the 64×64 picture")
    p.add_argument(
        "--with-sketch",
        action="store_true",
        help="write the drawing as fitted to 64×64 beside the picture",
    )


def _fail(msg: str) -> int:
    print(f"holochat sketch: {msg}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from generators.errors import GeneratorError
    from generators.studio.sketch import DrawingError, fit_drawing, load_drawing

    domain = args.domain or "faces"
    if not 1 <= args.scale <= 32:
        return _fail("--scale must lie in 1…32")
    try:
        fitted = fit_drawing(load_drawing(args.drawing))
    except DrawingError as e:
        return _fail(str(e))
    try:
        from generators.pix2pix_gen import Pix2PixGenerator

        gen = Pix2PixGenerator(domain, args.weights)
        picture = gen.render_sketches(fitted)[0]
    except GeneratorError as e:  # weights missing / broken / wrong domain
        return _fail(str(e))
    image = picture
    if args.with_sketch:
        from generators.studio.sheets import grid

        image = grid([np.repeat(fitted[..., None], 3, 2), picture], 2, pad=0)
    from generators.files import save_png

    try:
        save_png(image, args.out, args.scale)
    except (OSError, ValueError) as e:
        return _fail(f"cannot write {args.out}: {e}")
    print(args.out)
    return 0
