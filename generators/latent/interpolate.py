"""Latent interpolation (Radford et al. 2016, §6.1 "walking in the latent space").

``slerp`` is the default for DCGAN's Gaussian ``z``: a straight line between two
draws from N(0, I) passes close to the origin, where the norm of ``z`` is far
below the norm of typical draws (≈ √z_dim), so midpoints render washed-out
images; the great-circle path keeps the norm in the typical range (White 2016,
"Sampling generative networks").

The sheet and GIF of a morph are written by the CLI through ``sessions.export``
(``generators`` does not import ``sessions``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

METHODS = ("slerp", "lerp")


def _pair(z_a, z_b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(z_a, np.float64)
    b = np.asarray(z_b, np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"z_a and z_b must be vectors of one length, got shapes {a.shape} and {b.shape}"
        )
    return a, b


def lerp(z_a, z_b, t: float) -> np.ndarray:
    """(1 − t)·z_a + t·z_b."""
    a, b = _pair(z_a, z_b)
    return (1.0 - t) * a + t * b


def slerp(z_a, z_b, t: float) -> np.ndarray:
    """Spherical interpolation: along the great circle from z_a to z_b, with the
    norm itself interpolated linearly; falls back to ``lerp`` for (anti-)parallel
    or zero vectors, where the circle is not defined."""
    a, b = _pair(z_a, z_b)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-12 or nb < 1e-12:
        return lerp(a, b, t)
    cos = float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    omega = np.arccos(cos)
    so = np.sin(omega)
    if so < 1e-6:
        return lerp(a, b, t)
    return (np.sin((1.0 - t) * omega) / so) * a + (np.sin(t * omega) / so) * b


def path(z_a, z_b, n: int, method: str = "slerp") -> np.ndarray:
    """``n`` latents from z_a to z_b inclusive, n×z_dim."""
    if method not in METHODS:
        raise ValueError(f"unknown interpolation {method!r}; use one of {', '.join(METHODS)}")
    if int(n) < 2:
        raise ValueError(f"an interpolation needs at least 2 frames, got {n}")
    f = slerp if method == "slerp" else lerp
    return np.stack([f(z_a, z_b, float(t)) for t in np.linspace(0.0, 1.0, int(n))])


def interpolation_frames(
    render_fn: Callable[[np.ndarray], np.ndarray], z_a, z_b, n: int, method: str = "slerp"
) -> list[np.ndarray]:
    """Render ``n`` frames from z_a to z_b (inclusive); ``render_fn(z)`` takes a
    z_dim vector and returns an H×W×3 uint8 image."""
    return [np.asarray(render_fn(z), np.uint8) for z in path(z_a, z_b, n, method)]
