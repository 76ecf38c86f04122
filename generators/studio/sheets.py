"""Contact sheets of studio renders (random samples, attribute sweeps)."""

from __future__ import annotations

import numpy as np

from generators.datasets import sample_attributes
from generators.files import save_png  # noqa: F401  (sheets are saved with it)
from generators.schema import BOOL, CATEGORY, SEED, get_schema
from generators.studio import render


def grid(images: list[np.ndarray], cols: int, pad: int = 2, fill: int = 255) -> np.ndarray:
    """Tile equal-sized H×W×3 images into rows of ``cols``."""
    h, w, _ = images[0].shape
    rows = (len(images) + cols - 1) // cols
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), fill, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + c * (w + pad) : pad + c * (w + pad) + w,
        ] = im
    return out


def sweep_values(domain: str, attribute: str, cols: int) -> list:
    a = get_schema(domain).get(attribute)
    if a.kind == CATEGORY:
        return list(a.values)
    if a.kind == BOOL:
        return [False, True]
    if a.kind == SEED:
        return list(range(cols))
    lo, hi = a.bounds
    if a.wraps:
        hi -= (hi - lo) / cols
    return [float(v) for v in np.linspace(lo, hi, cols)]


def vary_sheet(
    domain: str, attribute: str, rows: int = 6, cols: int = 9, size: int = 64, seed: int = 0
) -> np.ndarray:
    """One row per identity/style (defaults elsewhere), sweeping ``attribute``."""
    schema = get_schema(domain)
    values = sweep_values(domain, attribute, cols)
    images = []
    for r in range(rows):
        base = schema.defaults(seed * 1000 + r)
        for v in values:
            a = dict(base)
            a[attribute] = v
            images.append(render(domain, a, size))
    return grid(images, len(values))


def random_sheet(domain: str, n: int = 64, size: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = [
        render(domain, sample_attributes(domain, rng, int(rng.integers(2**31))), size)
        for _ in range(n)
    ]
    return grid(images, int(np.ceil(np.sqrt(n))))
