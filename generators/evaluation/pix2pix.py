"""Measure pix2pix on held-out studio sketches, beside two baselines.

Test pictures are studio renders of held-out identities / styles
(``cached_dataset(split="test")``: never seen in training); each gets one
random-style sketch (the training distribution of styles, test seeds) and one
perturbed sketch (``perturb``: 30 % of the strokes dropped, doubled wobble).
For each set and each method:

- ``psnr``: mean over images of 10·log10(1 / MSE) against the studio picture
  (RGB in [0, 1]);
- faces only, the shipped faces judge's read-back of the output: ``attr`` the
  fraction of categorical / bool attributes read as the studio shows them
  (``studio.visible``; hidden ones left out), ``attr_drawn`` the same over the
  attributes a line drawing can show (expression, eyewear, hat, beard: a
  sketch has no colours, so hair, skin and background are guesses), and
  ``yaw_mae`` in degrees.  ``studio`` is the judge on the studio pictures
  themselves (the ceiling).

Methods: ``pix2pix`` (the model), ``l1`` (the same U-Net trained with L1
only, when its weights are given) and ``nearest`` (the training picture
whose sketch is closest: L2 between the sketches' ink blurred by a Gaussian
of 1.5 px, over ``n_train`` training pairs drawn with the training styles).
"""

from __future__ import annotations

from typing import Any

import numpy as np

DRAWN = ("expression", "eyewear", "hat", "beard")


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image PSNR (dB) of N×H×W×3 uint8 images."""
    d = (a.astype(np.float64) - b.astype(np.float64)) / 255.0
    mse = np.maximum((d**2).reshape(len(a), -1).mean(1), 1e-10)
    return 10 * np.log10(1.0 / mse)


def translate(model, sketches: np.ndarray, batch: int = 256) -> np.ndarray:
    """The pair's generator (eval mode) on N×64×64 uint8 sketches → N×64×64×3 uint8."""
    import torch

    from generators.nets.dcgan import to_uint8
    from generators.nets.pix2pix import sketch_input

    G = model.generator.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(sketches), batch):
            out.append(
                to_uint8(
                    G(sketch_input(torch.from_numpy(np.ascontiguousarray(sketches[s : s + batch]))))
                ).numpy()
            )
    return np.concatenate(out)


def _features(sketches: np.ndarray) -> np.ndarray:
    from generators.studio.sketch import _blur

    ink = 1.0 - sketches.astype(np.float64) / 255.0
    return np.stack([_blur(x, 1.5) for x in ink]).reshape(len(sketches), -1)


def nearest(query: np.ndarray, train_sketches: np.ndarray, train_images: np.ndarray) -> np.ndarray:
    """The training picture whose sketch is closest to each query sketch."""
    q, t = _features(query), _features(train_sketches)
    d = (q**2).sum(1)[:, None] - 2 * q @ t.T + (t**2).sum(1)[None]
    return train_images[d.argmin(1)]


def readback(judge, images: np.ndarray, attrs: list[dict]) -> dict[str, Any]:
    """The judge's read-back of ``images`` against what the studio shows for ``attrs``."""
    from generators.evaluation.textgan import CLASS_ATTRS
    from generators.nets.judge import read_attributes
    from generators.studio import visible

    rows, _ = read_attributes(judge, images)
    right: dict[str, list[bool]] = {k: [] for k in CLASS_ATTRS}
    for row, a in zip(rows, attrs):
        shown = visible("faces", a)
        for k in CLASS_ATTRS:
            if shown.get(k) is not None and k in row:
                right[k].append(row[k] == shown[k])
    per = {k: float(np.mean(v)) for k, v in right.items() if v}
    yaw = [abs(r["yaw"] - a["yaw"]) for r, a in zip(rows, attrs) if "yaw" in r]
    return {
        "attr": float(np.mean(list(per.values()))),
        "attr_drawn": float(np.mean([per[k] for k in DRAWN if k in per])),
        "yaw_mae": float(np.mean(yaw)) if yaw else float("nan"),
        "per_attribute": {k: round(v, 4) for k, v in per.items()},
    }


def evaluate_pix2pix(
    model,
    domain: str,
    *,
    n: int = 200,
    seed: int = 0,
    judge=None,
    baseline=None,
    n_train: int | None = None,
    sheet: str | None = None,
    cache_dir_=None,
) -> dict[str, Any]:
    from generators.datasets import cached_dataset
    from generators.studio.sketch import sketch_attributes, sketch_dataset, sketch_seeds

    test = cached_dataset(domain, n, seed, 64, "test", cache_dir_)
    attrs, truth = test.attributes, test.images
    seeds = sketch_seeds(seed, "test", len(attrs))
    sets = {
        "heldout": sketch_attributes(domain, attrs, seeds, workers=1),
        "perturbed": sketch_attributes(domain, attrs, seeds, perturb=True, workers=1),
    }
    n_train = int(n_train or 2000)
    train, train_sk = sketch_dataset(domain, n_train, 0, "train", cache_dir_=cache_dir_)
    res: dict[str, Any] = {"domain": domain, "n": len(attrs), "n_train_nearest": n_train}
    outputs: dict[str, dict[str, np.ndarray]] = {}
    for name, sk in sets.items():
        outs = {"pix2pix": translate(model, sk)}
        if baseline is not None:
            outs["l1"] = translate(baseline, sk)
        outs["nearest"] = nearest(sk, train_sk[:, 0], train.images)
        outputs[name] = outs
        part: dict[str, Any] = {}
        for method, imgs in outs.items():
            part[method] = {"psnr": float(psnr(imgs, truth).mean())}
            if judge is not None:
                part[method].update(readback(judge, imgs, attrs))
        if judge is not None:
            part["studio"] = readback(judge, truth, attrs)
        res[name] = part
    for name in sets:  # the margins the acceptance asks about
        p = res[name]
        for other in ("l1", "nearest"):
            if other in p:
                res[f"{name}_psnr_gain_over_{other}"] = p["pix2pix"]["psnr"] - p[other]["psnr"]
                if judge is not None:
                    res[f"{name}_attr_drawn_gain_over_{other}"] = (
                        p["pix2pix"]["attr_drawn"] - p[other]["attr_drawn"]
                    )
    if sheet:
        write_sheet(sheet, sets, outputs, truth)
        res["sheet"] = str(sheet)
    return res


def write_sheet(path: str, sets: dict, outputs: dict, truth: np.ndarray, cols: int = 8) -> None:
    """Columns: ``cols`` held-out then ``cols`` perturbed sketches; rows: sketch,
    pix2pix, L1-only (when measured), nearest neighbour, studio picture."""
    from generators.files import save_png
    from generators.studio.sheets import grid

    k = min(cols, len(truth))
    methods = [m for m in ("pix2pix", "l1", "nearest") if m in outputs["heldout"]]
    rows: list[list[np.ndarray]] = [[] for _ in range(len(methods) + 2)]
    for name in ("heldout", "perturbed"):
        rows[0] += [np.repeat(s[..., None], 3, 2) for s in sets[name][:k]]
        for r, m in enumerate(methods, 1):
            rows[r] += list(outputs[name][m][:k])
        rows[-1] += list(truth[:k])
    save_png(grid([im for row in rows for im in row], 2 * k), path, 2)
