"""How sharp a faces conv-deconv draws, quickly (docs/faces.md, section 10).  Run from the
repository root:

    OMP_NUM_THREADS=1 python benchmarks/faces_sharpness.py [WEIGHTS ...]

For the shipped decoder ("shipped"), the studio itself drawn with smooth edges
("studio-4x": rendered at 256 px and box-filtered to 64, the reference for what a renderer
that does not copy the studio's hard pixel edges can score) and each WEIGHTS folder: PSNR on 300 held-out faces;
the row-wise high-frequency energy of its renders divided by the studio's on the same faces
(``row_hf_energy``, the text GAN eval's HF ratio) and where that energy lies: on the pixels
the studio draws flat (a 5×5 neighbourhood within 2 levels: anything there is artefact) and
on the rest (edges and features); and the in-region expression contrast of ``holochat eval
convdeconv`` (200 frontal faces at strength 1).  One JSON object per line.
"""

import json
import os
import sys

import numpy as np
import torch

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from generators.convdeconv_gen import ConvDeconvGenerator  # noqa: E402
from generators.datasets import make_dataset  # noqa: E402
from generators.evaluation.convdeconv import _predict, expression_contrast, psnr  # noqa: E402
from generators.evaluation.textgan import row_hf_energy  # noqa: E402
from generators.studio import render_face  # noqa: E402


def hf_map(images: np.ndarray) -> np.ndarray:
    """Per pixel, the squared luminance minus its twice-[1 2 1]-smoothed row neighbourhood."""
    y = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    k = np.array([1, 2, 1], np.float32) / 4
    sm = np.roll(y, 1, 2) * k[0] + y * k[1] + np.roll(y, -1, 2) * k[2]
    sm2 = np.roll(sm, 1, 2) * k[0] + sm * k[1] + np.roll(sm, -1, 2) * k[2]
    return (y - sm2) ** 2


def flat_pixels(images: np.ndarray) -> np.ndarray:
    s = images.astype(int)
    flat = np.ones(s.shape[:3], bool)
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            flat &= np.abs(np.roll(s, (dy, dx), (1, 2)) - s).max(3) <= 2
    return flat


def smooth_studio(attrs) -> np.ndarray:
    """The studio with smooth edges: each face rendered at 4× and box-filtered to 64 px."""
    big = np.stack([render_face(a, 256) for a in attrs]).astype(np.float32)
    return (big.reshape(len(attrs), 64, 4, 64, 4, 3).mean((2, 4)) + 0.5).astype(np.uint8)


def measure(name: str, ds, flat: np.ndarray) -> dict:
    if name == "studio-4x":  # the ceiling of a renderer that draws smooth edges
        pred, gen, render = smooth_studio(ds.attributes), None, smooth_studio
    else:
        gen = ConvDeconvGenerator("faces", None if name == "shipped" else name)
        pred, render = _predict(gen, ds.attributes)[0], None
    h = hf_map(pred)
    c = expression_contrast(gen, ds.attributes[:200], render)
    return {
        "weights": name,
        "psnr": round(psnr(pred, ds.images), 3),
        "hf_ratio": round(row_hf_energy(pred) / row_hf_energy(ds.images), 3),
        "hf_flat": round(float(h[flat].mean()), 2),
        "hf_rest": round(float(h[~flat].mean()), 2),
        "in_region": {k: round(v, 3) for k, v in c["expression_contrast_in_region"].items()},
        "leak": {k: round(v, 2) for k, v in c["expression_leak"].items()},
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    ds = make_dataset("faces", 300, seed=0, split="test", workers=1)
    flat = flat_pixels(ds.images)
    hs = hf_map(ds.images)
    print(
        json.dumps(
            {
                "weights": "studio",
                "flat_share": round(float(flat.mean()), 3),
                "hf_flat": round(float(hs[flat].mean()), 2),
                "hf_rest": round(float(hs[~flat].mean()), 2),
            }
        )
    )
    for name in sys.argv[1:] or ["shipped"]:
        print(json.dumps(measure(name, ds, flat)))
