"""Fréchet distance of judge features ("FID" with the faces judge standing in
for Inception): the features every judge head reads, ``judge.features(x)``, of
generated images against held-out studio renders.  A second, independent
studio sample measured the same way gives the *floor*: the distance two
samples of the same distribution show at this sample size.
"""

from __future__ import annotations

import numpy as np


def judge_features(judge, images_uint8: np.ndarray, batch: int = 256) -> np.ndarray:
    """N×H×W×3 uint8 → N×F float64: the judge's hidden layer (eval mode)."""
    import torch

    from generators.nets.judge import to_input

    images = np.asarray(images_uint8)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"judge_features needs N×H×W×3 uint8 images, got {images.dtype} {images.shape}"
        )
    was = judge.training
    judge.eval()
    feats = []
    try:
        with torch.inference_mode():
            for i in range(0, len(images), batch):
                x = to_input(images[i : i + batch])  # B×3×H×W in [-1, 1]
                feats.append(judge.features(x).double().numpy())  # B×F
    finally:
        judge.train(was)
    if not feats:
        return np.zeros((0, judge.feature_dim))
    return np.concatenate(feats)


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) between two N×F feature sets."""
    from scipy import linalg

    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be N×F with one F, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("the Fréchet distance needs at least 2 samples on each side")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))  # F×F
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    with np.errstate(all="ignore"):
        covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        # near-singular product: nudge both covariances (as pytorch-fid does)
        eps = np.eye(a.shape[1]) * 1e-6
        covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    if np.iscomplexobj(covmean):
        # tiny imaginary parts come from rounding; large ones would be a real error
        if not np.allclose(
            np.diagonal(covmean).imag, 0, atol=1e-3 * max(1.0, np.abs(covmean).max())
        ):
            raise ValueError(
                f"the covariance square root has a large imaginary part "
                f"({np.max(np.abs(covmean.imag)):.3g})"
            )
        covmean = covmean.real
    d = float(
        ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean)
    )
    return max(d, 0.0)


def fid_judge(judge, generated: np.ndarray, real_a: np.ndarray, real_b: np.ndarray) -> dict:
    """``fid_judge``: generated vs ``real_a`` (held-out studio renders);
    ``fid_judge_floor``: ``real_b`` (a second studio sample) vs ``real_a``."""
    fa = judge_features(judge, real_a)
    return {
        "fid_judge": frechet_distance(judge_features(judge, generated), fa),
        "fid_judge_floor": frechet_distance(judge_features(judge, real_b), fa),
    }
