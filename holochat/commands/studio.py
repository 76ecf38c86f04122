"""``holochat studio``: contact sheets from the procedural studio."""

from __future__ import annotations

import argparse
import sys


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", choices=["faces", "chairs"], default="faces")
    p.add_argument("--n", type=int, default=64, help="random samples (without --vary)")
    p.add_argument(
        "--vary",
        metavar="ATTRIBUTE",
        help="one row per identity/style sweeping ATTRIBUTE across its range",
    )
    p.add_argument("--rows", type=int, default=6, help="identities/styles when varying")
    p.add_argument("--cols", type=int, default=9, help="sweep steps when varying")
    p.add_argument("--size", type=int, choices=[64, 128], default=64)
    p.add_argument("--scale", type=int, default=2, help="upscale factor of the sheet")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    from generators.schema import UnknownAttributeError
    from generators.studio.sheets import random_sheet, save_png, vary_sheet

    if args.n < 1 or args.rows < 1 or args.cols < 1 or args.scale < 1:
        print("holochat studio: --n, --rows, --cols and --scale must be positive", file=sys.stderr)
        return 2
    try:
        if args.vary:
            sheet = vary_sheet(args.domain, args.vary, args.rows, args.cols, args.size, args.seed)
        else:
            sheet = random_sheet(args.domain, args.n, args.size, args.seed)
    except UnknownAttributeError as e:
        print(f"holochat studio: {e}", file=sys.stderr)
        return 2
    try:
        save_png(sheet, args.out, args.scale)
    except OSError as e:
        print(f"holochat studio: cannot write {args.out}: {e}", file=sys.stderr)
        return 1
    print(args.out)
    return 0
