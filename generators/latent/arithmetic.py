"""Vector arithmetic on DCGAN latents (Radford et al. 2016, §6.3).

The paper's example is "man with glasses − man without glasses + woman
without glasses ≈ woman with glasses", where each term is the mean ``z`` of
three exemplars (single samples were unstable), and the result is shown with
small uniform noise added (±0.25) around it.

Studio faces have no gender attribute, so **beard stands in for gender** here:

    (beard, sunglasses) − (beard, no eyewear) + (no beard, no eyewear)
        ≈ (no beard, sunglasses)

Exemplars are found by sampling ``z``, rendering it and letting a judge
(``generators/nets/judge.py``) read the attributes back.  For a DCGAN with a
mapping network the arithmetic is done on the exemplars' intermediate latents
``w`` (where StyleGAN found attributes closer to linear), and the result's
noise is scaled by the spread of ``w``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

Reading = Mapping[str, Any]
Predicate = Callable[[Reading], bool]

TITLE = (
    "Vector arithmetic (Radford et al. 2016; beard stands in for gender): "
    "(beard, sunglasses) - (beard, no eyewear) + (no beard, no eyewear) "
    "= (no beard, sunglasses)?"
)

#: the three terms a − b + c, as (label, predicate on a judge's reading)
GROUPS: tuple[tuple[str, Predicate], ...] = (
    ("beard, sunglasses", lambda r: bool(r.get("beard")) and r.get("eyewear") == "sunglasses"),
    ("beard, no eyewear", lambda r: bool(r.get("beard")) and r.get("eyewear") == "none"),
    ("no beard, no eyewear", lambda r: not r.get("beard") and r.get("eyewear") == "none"),
)
NOISE = 0.25  # uniform noise around the result z, as in the paper

#: how sure a judge is that a sample belongs to each group, from its probabilities
#: (``directions.read_with_scores``): the exemplars are the surest matches
GROUP_SCORES: tuple[Callable[[Mapping[str, np.ndarray]], np.ndarray], ...] = (
    lambda p: p["beard"] * p["eyewear=sunglasses"],
    lambda p: p["beard"] * p["eyewear=none"],
    lambda p: (1 - p["beard"]) * p["eyewear=none"],
)


class ExemplarError(ValueError):
    """Too few samples match a group (the message says which and how many)."""


def group_means(z_groups):
    """Mean latent of each group: a mapping name → k×z_dim gives name → (z_dim,),
    a sequence of k×z_dim arrays gives a list of (z_dim,)."""

    def mean(g) -> np.ndarray:
        g = np.asarray(g, np.float64)
        if g.ndim == 1:
            return g
        if g.ndim != 2 or len(g) == 0:
            raise ValueError(f"a group must be a non-empty k×z_dim array, got shape {g.shape}")
        return g.mean(0)

    if isinstance(z_groups, Mapping):
        return {k: mean(v) for k, v in z_groups.items()}
    return [mean(g) for g in z_groups]


def vector_arithmetic(z_a, z_b, z_c) -> np.ndarray:
    """mean(z_a) − mean(z_b) + mean(z_c); each term a k×z_dim group (or one vector)."""
    a, b, c = group_means([z_a, z_b, z_c])
    if not a.shape == b.shape == c.shape:
        raise ValueError(f"the groups' latents differ in length: {a.shape}, {b.shape}, {c.shape}")
    return a - b + c


# -- sampling and reading ------------------------------------------------------------------
def _read(judge, images: np.ndarray) -> list[dict]:
    """A judge's readings of N×H×W×3 uint8 images.  ``judge`` is a ``Judge`` or
    any function images → list of attribute dicts."""
    from generators.nets.judge import Judge, read_attributes

    if isinstance(judge, Judge):
        return read_attributes(judge, images)[0]
    return list(judge(images))


@torch.no_grad()
def render_z(G: torch.nn.Module, z: np.ndarray, batch: int = 256) -> np.ndarray:
    """G(z) in eval mode for k×z_dim latents → k×H×W×3 uint8 (G's mode is restored)."""
    from generators.nets.dcgan import to_uint8

    dev = next(G.parameters()).device
    was = G.training
    G.eval()
    try:
        zt = torch.as_tensor(np.asarray(z, np.float32))
        out = [
            to_uint8(G(zt[i : i + batch].to(dev))).cpu().numpy() for i in range(0, len(zt), batch)
        ]
    finally:
        G.train(was)
    return np.concatenate(out)


def sample_readings(
    G: torch.nn.Module, judge, n: int = 2000, seed: int = 0, batch: int = 256
) -> tuple[np.ndarray, list[dict]]:
    """``n`` latents drawn from N(0, I) with ``seed`` (n×z_dim float32) and the
    judge's reading of each one's render."""
    from generators.protocol import Z_DIM

    cfg = getattr(G, "cfg", None)
    zd = int(cfg.z_dim) if cfg is not None else Z_DIM
    z = torch.randn(int(n), zd, generator=torch.Generator().manual_seed(int(seed))).numpy()
    readings: list[dict] = []
    for i in range(0, len(z), batch):
        readings += _read(judge, render_z(G, z[i : i + batch], batch))
    return z, readings


def _pick(
    z: np.ndarray,
    readings: list[dict],
    predicate: Predicate,
    k: int,
    label: str,
    score: np.ndarray | None = None,
) -> np.ndarray:
    """The first ``k`` samples matching ``predicate``, or with ``score`` (the
    judge's confidence per sample) the ``k`` matching ones it is surest of."""
    idx = [i for i, r in enumerate(readings) if predicate(r)]
    if len(idx) < k:
        raise ExemplarError(
            f"only {len(idx)} of {len(readings)} samples read as {label}; "
            f"{k} are needed (sample more, or train the generator longer)"
        )
    if score is not None:
        idx = sorted(idx, key=lambda i: -float(score[i]))
    return z[idx[:k]]


def find_exemplars(
    G: torch.nn.Module,
    judge,
    predicate: Predicate,
    k: int = 3,
    n: int = 2000,
    seed: int = 0,
    label: str = "the wanted group",
) -> np.ndarray:
    """The first ``k`` of ``n`` sampled latents whose render the judge reads as
    matching ``predicate`` (a test on the attribute dict): k×z_dim."""
    z, readings = sample_readings(G, judge, n, seed)
    return _pick(z, readings, predicate, k, label)


# -- the sheet ---------------------------------------------------------------------------------
def result_latents(z_result: np.ndarray, seed: int = 0, noise: float = NOISE) -> np.ndarray:
    """A 3×3 grid of latents: the result in the centre, the others with uniform
    noise in [−noise, noise] added (9×z_dim)."""
    rng = np.random.default_rng(int(seed))
    out = z_result[None] + rng.uniform(-noise, noise, size=(9, len(z_result)))
    out[4] = z_result
    return out.astype(np.float32)


def _compose(
    rows: list[list[np.ndarray]],
    means: list[np.ndarray],
    results: list[np.ndarray],
    labels: Sequence[str],
    scale: int = 2,
    latent: str = "z",
) -> np.ndarray:
    """The sheet as one uint8 image: title; three rows (sign, exemplars, mean);
    '=' and the 3×3 results."""
    from PIL import Image, ImageDraw, ImageFont

    from generators.files import to_pil

    font = ImageFont.load_default()
    tile = rows[0][0].shape[0] * scale
    gap, label_h, title_h, sign_w = 4, 14, 30, 18
    row_h = tile + label_h + gap
    left_w = sign_w + 3 * (tile + gap) + 2 * gap + tile + gap
    width = left_w + sign_w + 3 * (tile + gap) + gap
    height = title_h + 3 * row_h + gap
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    # the title, wrapped at the ' - ' / ' + ' / ' = ' terms
    head, formula = TITLE.split(": ", 1)
    draw.text((gap, 2), head + ":", fill="black", font=font)
    draw.text((gap, 15), formula, fill="black", font=font)
    for r, (ims, mean, label) in enumerate(zip(rows, means, labels)):
        y = title_h + r * row_h
        draw.text((4, y + tile // 2 - 6), ("", "-", "+")[r], fill="black", font=font)
        x = sign_w
        for im in ims:
            sheet.paste(to_pil(im, scale), (x, y))
            x += tile + gap
        x += 2 * gap
        sheet.paste(to_pil(mean, scale), (x, y))
        draw.text(
            (sign_w, y + tile + 1),
            f"{label} (3 exemplars, then G(mean {latent}))",
            fill="black",
            font=font,
        )
    x0 = left_w
    draw.text((x0 + 4, title_h + 3 * row_h // 2 - 6), "=", fill="black", font=font)
    for i, im in enumerate(results):
        r, c = divmod(i, 3)
        sheet.paste(to_pil(im, scale), (x0 + sign_w + c * (tile + gap), title_h + r * row_h))
    draw.text(
        (x0 + sign_w, title_h + 3 * row_h - label_h),
        f"result {latent} (centre) and {latent} + noise",
        fill="black",
        font=font,
    )
    return np.asarray(sheet)


def arithmetic_sheet(
    G: torch.nn.Module,
    judge,
    path: str | Path,
    seed: int = 0,
    n: int = 2000,
    k: int = 3,
    noise: float = NOISE,
    space: str = "auto",
) -> dict:
    """Write the sunglasses arithmetic as a sheet (PNG, atomically) and say
    what the judge reads on the nine results.

    Returns ``{"path", "n_results": 9, "sunglasses_fraction", "no_beard_fraction",
    "target_fraction" (both at once), "samples": n, "groups": [labels]}``.
    Raises ``ExemplarError`` when a group has fewer than ``k`` exemplars.
    """
    from generators.files import save_png
    from generators.latent.directions import (
        render_space,
        sample_readings as sample_scored,
        space_of,
    )

    space = space_of(G, space)
    z, x, readings, probs = sample_scored(G, judge, n, seed, with_scores=True, space=space)
    x = np.asarray(x, np.float64)  # z, or w = G.to_w(z)
    spread = float(x.std(0).mean()) if space == "w" else 1.0
    try:
        scores = [f(probs) for f in GROUP_SCORES] if probs else [None] * len(GROUPS)
    except KeyError:  # a judge without these heads
        scores = [None] * len(GROUPS)
    groups = [
        _pick(x, readings, pred, k, label, sc)  # 3 × k×D
        for (label, pred), sc in zip(GROUPS, scores)
    ]
    means = group_means(groups)
    x_res = vector_arithmetic(*groups)
    res_x = result_latents(x_res, seed, noise * spread)
    ex_images = [list(render_space(G, g, space)) for g in groups]
    mean_images = list(render_space(G, np.stack(means), space))
    res_images = render_space(G, res_x, space)
    sheet = _compose(
        ex_images, mean_images, list(res_images), [lab for lab, _ in GROUPS], latent=space
    )
    save_png(sheet, path)
    read = _read(judge, res_images)
    sun = float(np.mean([r.get("eyewear") == "sunglasses" for r in read]))
    no_beard = float(np.mean([not r.get("beard") for r in read]))
    both = float(np.mean([r.get("eyewear") == "sunglasses" and not r.get("beard") for r in read]))
    return {
        "path": str(path),
        "n_results": len(read),
        "sunglasses_fraction": sun,
        "no_beard_fraction": no_beard,
        "target_fraction": both,
        "samples": int(n),
        "groups": [lab for lab, _ in GROUPS],
        "space": space,
        "exemplars": "the judge's surest" if scores[0] is not None else "the first found",
    }
