"""Line drawings of studio renders: the sketches pix2pix learns to turn into pictures.

A sketch is black strokes on white (H×W uint8, 255 = paper), 64×64, drawn from
two sources:

- the studio's own geometry: ``render_face`` / ``render_chair`` report which
  part every pixel shows (``info["labels"]``, rendered at twice the size), and
  every border between two parts is a stroke: the silhouette, the hair line,
  ears, nose, eyes (pupils filled), brows, mouth, beard, glasses (sunglasses
  filled or outlined), hat; a chair's boxes face by face (so its edges), legs,
  pedestal;
- an edge map of the picture itself (XDoG-style difference of Gaussians of
  the luminance, dark side only), so shading borders appear as a person might
  draw them; included in about half the sketches.

A *stroke* is the part of one border (one pair of parts, or the edge map) that
lies in one cell of a 4×4 grid over the image; strokes are what gets dropped.
Everything a person varies is randomised from the seed (``SketchStyle``):
stroke width, wobble (a smooth random displacement field), dropped strokes,
gaps, a small shift / scale / rotation and a few stray marks.  Equal
(domain, attributes, seed, perturb) give equal sketches on any machine.

``perturb``: the eval's harder sketches, 30 % of the strokes dropped and
twice the wobble of the same seed's style.  ``clean``: one fixed style (no
drops, gaps, strays or displacement), what the ``pix2pix`` generator draws
for a state.

``sketch_dataset`` pairs a ``cached_dataset`` with its sketches, computed from
its attributes and cached beside it (``sketch-….npz``).  ``fit_drawing``
fits any black-on-white drawing (any size, RGB / grey / alpha) to 64×64.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

SKETCH_VERSION = 1  # bump when sketches change (cached sketch sets are rebuilt)
SIZE = 64
SCALE = 2  # geometry is rendered at SCALE × SIZE and the strokes drawn there
CELLS = 4  # strokes: one border × one cell of a CELLS × CELLS grid
PERTURB_DROP = 0.30
PERTURB_WOBBLE = 2.0
_SALT = 0x5E7C4
_EDGE_PAIR = 255 * 256 + 255  # the edge map's "border" code
_FILLED_FACE = (11,)  # pupils are filled
_SUNGLASSES = 16


class DrawingError(ValueError):
    """A drawing that cannot be used (unreadable, empty); the message says why."""


@dataclass(frozen=True)
class SketchStyle:
    """How one sketch is drawn (lengths in output pixels)."""

    width: float = 1.0  # stroke radius at twice the size (≈ stroke width in output px)
    wobble: float = 0.0  # std of the smooth displacement field
    drop: float = 0.0  # fraction of strokes left out
    gaps: float = 0.0  # gaps per 30 px of stroke
    shift: tuple[float, float] = (0.0, 0.0)  # (dy, dx)
    scale: float = 1.0
    rotate: float = 0.0  # degrees
    strays: int = 0  # stray marks
    edges: bool = True  # add the picture's edge map
    edge_threshold: float = 0.04
    fill_sunglasses: bool = True


CLEAN = SketchStyle()


def random_style(rng: np.random.Generator, perturb: bool = False) -> SketchStyle:
    """A person's range: the training distribution of sketch styles."""
    style = SketchStyle(
        width=float(rng.uniform(0.7, 1.8)),
        wobble=float(rng.uniform(0.1, 0.75)),
        drop=float(rng.uniform(0.0, 0.15)),
        gaps=float(rng.uniform(0.0, 0.6)),
        shift=(float(rng.uniform(-1.5, 1.5)), float(rng.uniform(-1.5, 1.5))),
        scale=float(rng.uniform(0.94, 1.06)),
        rotate=float(rng.uniform(-4, 4)),
        strays=int(rng.integers(0, 4)),
        edges=bool(rng.random() < 0.5),
        edge_threshold=float(rng.uniform(0.025, 0.06)),
        fill_sunglasses=bool(rng.random() < 0.7),
    )
    if perturb:
        style = replace(style, drop=PERTURB_DROP, wobble=PERTURB_WOBBLE * style.wobble)
    return style


# ---------------------------------------------------------------------------
# geometry


def studio_parts(
    domain: str, attributes: Mapping, size: int = SIZE * SCALE
) -> tuple[np.ndarray, np.ndarray]:
    """(H×W part labels, H×W×3 render) of a state at ``size``."""
    from generators.studio.chairs import render_chair
    from generators.studio.faces import render_face

    info: dict = {}
    if domain == "faces":
        img = render_face(attributes, size, info)
    elif domain == "chairs":
        img = render_chair(attributes, size, info=info)
    else:
        from generators.schema import get_schema

        get_schema(domain)
        raise ValueError(domain)
    return info["labels"].astype(np.int32), img


def _borders(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H×W bool border pixels, H×W int32 pair code of the two parts there):
    a pixel is on a border where its right or lower neighbour shows another part."""
    other = lab.copy()
    right = np.zeros(lab.shape, bool)
    right[:, :-1] = lab[:, :-1] != lab[:, 1:]
    other[:, :-1][right[:, :-1]] = lab[:, 1:][right[:, :-1]]
    down = np.zeros(lab.shape, bool)
    down[:-1] = lab[:-1] != lab[1:]
    only_down = down & ~right
    other[:-1][only_down[:-1]] = lab[1:][only_down[:-1]]
    border = right | down
    pair = np.minimum(lab, other) * 256 + np.maximum(lab, other)
    return border, np.where(border, pair, -1)


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    r = max(1, int(round(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    p = np.pad(x, r, mode="edge")
    h, w = x.shape
    y = sum(k[i] * p[:, i : i + w] for i in range(2 * r + 1))  # rows: (h+2r)×w
    return sum(k[i] * y[i : i + h] for i in range(2 * r + 1))


def _edge_map(img: np.ndarray, threshold: float) -> np.ndarray:
    """Dark-side lines of a difference of Gaussians of the luminance (XDoG-like)."""
    lum = img.astype(np.float64) @ np.array([0.299, 0.587, 0.114]) / 255.0
    dog = _blur(lum, 1.0) - _blur(lum, 1.6)
    return dog < -threshold


def _disc(radius: float) -> list[tuple[int, int]]:
    r = int(np.floor(radius))
    return [
        (dy, dx)
        for dy in range(-r, r + 1)
        for dx in range(-r, r + 1)
        if dy * dy + dx * dx <= radius * radius + 1e-9
    ]


def dilate(m: np.ndarray, radius: float) -> np.ndarray:
    """A 2-D bool mask grown by a disc of ``radius`` pixels (1.5: the 8 neighbours)."""
    h, w = m.shape
    r = int(np.floor(radius))
    if r < 1:
        return m.copy()
    p = np.pad(m, r)
    out = np.zeros_like(m)
    for dy, dx in _disc(radius):
        out |= p[r + dy : r + dy + h, r + dx : r + dx + w]
    return out


def _smooth_field(rng: np.random.Generator, n: int, std: float, grid: int = 6) -> np.ndarray:
    """n×n smooth random displacement (bilinear upsampling of grid×grid normals)."""
    g = rng.standard_normal((grid, grid)) * std
    pos = np.linspace(0, grid - 1, n)
    lo = np.clip(np.floor(pos).astype(int), 0, grid - 2)
    f = pos - lo
    U = np.zeros((n, grid))
    U[np.arange(n), lo] = 1 - f
    U[np.arange(n), lo + 1] = f
    return U @ g @ U.T


def _strays(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    out = np.zeros((size, size), bool)
    for _ in range(n):
        y0, x0 = rng.uniform(0.1 * size, 0.9 * size, 2)
        ang = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(0.05, 0.2) * size
        bend = rng.uniform(-0.6, 0.6)
        t = np.linspace(0, 1, int(length * 2) + 2)
        a = ang + bend * t
        ys = y0 + np.cumsum(np.sin(a)) * length / len(t)
        xs = x0 + np.cumsum(np.cos(a)) * length / len(t)
        ok = (ys >= 0) & (ys < size) & (xs >= 0) & (xs < size)
        out[ys[ok].astype(int), xs[ok].astype(int)] = True
    return out


def draw(
    labels: np.ndarray,
    image: np.ndarray,
    style: SketchStyle,
    rng: np.random.Generator,
    domain: str = "faces",
    size: int = SIZE,
) -> np.ndarray:
    """The sketch (size×size uint8, 255 paper) of a render's part ``labels`` and
    ``image`` (both at the same, larger size) in ``style``; ``rng`` draws
    which strokes drop, the gaps, the wobble and the strays."""
    S = labels.shape[0]
    k = S // size
    border, pair = _borders(labels)
    if domain == "faces":
        fill = np.isin(labels, _FILLED_FACE)
        if style.fill_sunglasses:
            fill |= labels == _SUNGLASSES
    else:
        fill = np.zeros_like(border)
    if style.edges:
        e = _edge_map(image, style.edge_threshold) & ~border
        pair = np.where(e, _EDGE_PAIR, pair)
        border = border | e
    # strokes: one border pair × one grid cell; drop a fraction of them
    yy, xx = np.mgrid[0:S, 0:S]
    cell = (yy * CELLS // S) * CELLS + xx * CELLS // S
    stroke = np.where(border, pair.astype(np.int64) * CELLS * CELLS + cell, -1)
    ids = np.unique(stroke[border])
    if style.drop > 0 and len(ids):
        n_drop = int(round(style.drop * len(ids)))
        gone = rng.choice(ids, size=n_drop, replace=False)
        border &= ~np.isin(stroke, gone)
    ink = border | fill
    # gaps: short cuts at random stroke pixels
    if style.gaps > 0:
        ys, xs = np.nonzero(border)
        n_gap = rng.poisson(style.gaps * len(ys) / (30 * k)) if len(ys) else 0
        if n_gap:
            pick = rng.choice(len(ys), size=min(n_gap, len(ys)), replace=False)
            cut = np.zeros_like(ink)
            cut[ys[pick], xs[pick]] = True
            ink &= ~dilate(cut, 1.5 * k)
    # shift / scale / rotation and wobble: sample the ink at displaced positions
    c = (S - 1) / 2
    th = np.radians(style.rotate)
    dy, dx = yy - c - style.shift[0] * k, xx - c - style.shift[1] * k
    sy = c + (np.cos(th) * dy - np.sin(th) * dx) / style.scale
    sx = c + (np.sin(th) * dy + np.cos(th) * dx) / style.scale
    if style.wobble > 0:
        sy = sy + _smooth_field(rng, S, style.wobble * k)
        sx = sx + _smooth_field(rng, S, style.wobble * k)
    iy, ix = np.rint(sy).astype(int), np.rint(sx).astype(int)
    inside = (iy >= 0) & (iy < S) & (ix >= 0) & (ix < S)
    warped = np.zeros_like(ink)
    warped[inside] = ink[iy[inside], ix[inside]]
    if style.strays:
        warped |= _strays(rng, style.strays, S)
    thick = dilate(warped, style.width * k / 2 + 0.5)
    dark = thick.reshape(size, k, size, k).mean((1, 3))
    return np.rint(255 * (1 - dark)).astype(np.uint8)


def _rng(seed) -> np.random.Generator:
    seq = [int(s) for s in (seed if isinstance(seed, (list, tuple)) else [seed])]
    return np.random.default_rng([_SALT, *seq])


def sketch(
    domain: str,
    attributes: Mapping,
    seed: int | Sequence[int] = 0,
    *,
    perturb: bool = False,
    clean: bool = False,
    size: int = SIZE,
) -> np.ndarray:
    """A line drawing (size×size uint8, black on white) of the studio render of
    ``attributes``; the style is random from ``seed`` (``clean``: the fixed
    clean style; ``perturb``: 30 % of strokes dropped and doubled wobble)."""
    rng = _rng(seed)
    style = CLEAN if clean else random_style(rng, perturb)
    labels, image = studio_parts(domain, attributes, size * SCALE)
    return draw(labels, image, style, rng, domain, size)


# ---------------------------------------------------------------------------
# data sets


def _sketch_chunk(args) -> np.ndarray:
    domain, attrs, seeds, perturb = args
    out = np.empty((len(attrs), SIZE, SIZE), np.uint8)
    for i, (a, s) in enumerate(zip(attrs, seeds)):
        out[i] = sketch(domain, a, s, perturb=perturb)
    return out


def sketch_seeds(seed: int, split: str, n: int, variant: int = 0) -> list[list[int]]:
    return [[int(seed), 0 if split == "train" else 1, int(variant), i] for i in range(n)]


def sketch_attributes(
    domain: str,
    attrs: Sequence[Mapping],
    seeds: Sequence,
    perturb: bool = False,
    workers: int | None = None,
) -> np.ndarray:
    """N×64×64 sketches of ``attrs`` with per-image ``seeds`` (in parallel for many)."""
    from generators.datasets import _strided_map

    attrs = list(attrs)
    seeds = list(seeds)
    out = np.empty((len(attrs), SIZE, SIZE), np.uint8)
    for sl, part in _strided_map(
        _sketch_chunk, lambda sl: (domain, attrs[sl], seeds[sl], perturb), len(attrs), workers, 400
    ):
        out[sl] = part
    return out


def sketch_dataset(
    domain: str,
    n: int,
    seed: int = 0,
    split: str = "train",
    *,
    per_seed: int | None = None,
    variants: int = 1,
    perturb: bool = False,
    cache_dir_: str | os.PathLike | None = None,
    workers: int | None = None,
):
    """(``cached_dataset(...)``, N×V×64×64 uint8 sketches): ``variants``
    random sketches of each picture, computed from the data set's attributes
    and cached beside it."""
    from generators.datasets import IMAGES_PER_SEED, STUDIO_VERSION, cached_dataset
    from generators.files import atomic_write, cache_dir

    per_seed = IMAGES_PER_SEED if per_seed is None else per_seed
    ds = cached_dataset(domain, n, seed, SIZE, split, cache_dir_, per_seed=per_seed)
    d = Path(cache_dir_) if cache_dir_ is not None else cache_dir()
    k = "" if per_seed == IMAGES_PER_SEED else f"-k{per_seed}"
    path = d / (
        f"sketch-{domain}-{split}-n{n}{k}-s{seed}-x{variants}{'-p' if perturb else ''}-"
        f"v{SKETCH_VERSION}.{STUDIO_VERSION[domain]}.npz"
    )
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                sk = z["sketches"]
            if sk.shape == (len(ds), variants, SIZE, SIZE):
                return ds, sk
        except (OSError, ValueError, KeyError):
            pass
        path.unlink(missing_ok=True)
    sk = np.empty((len(ds), variants, SIZE, SIZE), np.uint8)
    for v in range(variants):
        sk[:, v] = sketch_attributes(
            domain, ds.attributes, sketch_seeds(seed, split, len(ds), v), perturb, workers
        )
    # a temporary file of its own, then a rename: a lease's jobs may render the same set at once
    meta = np.array(json.dumps({"version": SKETCH_VERSION}))
    atomic_write(path, lambda f: np.savez(f, sketches=sk, meta=meta))
    return ds, sk


# ---------------------------------------------------------------------------
# any drawing

INK_MIN = 0.25  # a pixel darker than this (0 paper … 1 black) is ink
FIT = 0.82  # the drawing's longer side spans this much of the frame


def load_drawing(path: str | os.PathLike) -> np.ndarray:
    """A drawing file (PNG, JPEG, … any size) as H×W float ink (0 paper … 1
    black); transparent pixels are paper.  ``DrawingError`` if unreadable."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.exists():
        raise DrawingError(f"{path}: no such file")
    if p.is_dir():
        raise DrawingError(f"{path} is a folder, not a drawing")
    try:
        with Image.open(p) as im:
            im.load()
            rgba = np.asarray(im.convert("RGBA"), np.float64) / 255.0
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise DrawingError(f"{path} is not a readable image ({type(e).__name__}: {e})") from None
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    return (1.0 - grey) * rgba[..., 3]


def fit_drawing(drawing: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Any drawing (H×W ink 0…1 float, or a uint8 black-on-white picture, grey
    or RGB) → a size×size uint8 sketch: cropped to its strokes, centred with
    its longer side spanning ``FIT`` of the frame, strokes darkened to full
    ink.  ``DrawingError`` when there is nothing drawn."""
    from PIL import Image

    a = np.asarray(drawing)
    if a.dtype == np.uint8:
        g = a.astype(np.float64) / 255.0
        if g.ndim == 3:
            g = g[..., :3] @ np.array([0.299, 0.587, 0.114])
        ink = 1.0 - g
    else:
        ink = np.clip(a.astype(np.float64), 0, 1)
    if ink.ndim != 2 or min(ink.shape) < 1:
        raise DrawingError("a drawing is a 2-D picture")
    on = ink > INK_MIN
    if not on.any():
        raise DrawingError("the drawing is empty: no dark strokes on it")
    ys, xs = np.nonzero(on)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = ink[y0:y1, x0:x1]
    h, w = crop.shape
    side = max(h, w) / FIT
    canvas = np.zeros((int(np.ceil(side)), int(np.ceil(side))))
    oy, ox = (canvas.shape[0] - h) // 2, (canvas.shape[1] - w) // 2
    canvas[oy : oy + h, ox : ox + w] = crop
    big = SCALE * size
    filt = Image.Resampling.BOX if canvas.shape[0] >= big else Image.Resampling.BILINEAR
    fine = (
        np.asarray(
            Image.fromarray((canvas * 255).astype(np.uint8)).resize((big, big), filt), np.float64
        )
        / 255
    )
    # strokes thinned by the reduction are darkened back to full ink ...
    level = np.quantile(fine[fine > 0.05], 0.9) if (fine > 0.05).any() else 1.0
    fine = np.clip(fine / max(level, 0.2), 0, 1)
    # ... and thickened to the studio sketches' range (≥ about 1.2 output px):
    # stroke width ≈ 2 · inked area / borders crossed
    on = fine > 0.5
    crossings = (on[:, 1:] != on[:, :-1]).sum() + (on[1:] != on[:-1]).sum()
    if crossings and 2 * on.sum() / crossings < 1.2 * SCALE:
        p = np.pad(fine, 1)
        fine = np.max(
            [p[1 + dy : 1 + dy + big, 1 + dx : 1 + dx + big] for dy, dx in _disc(1.0)], axis=0
        )
    small = fine.reshape(size, SCALE, size, SCALE).mean((1, 3))
    return np.rint(255 * (1 - small)).astype(np.uint8)
