"""The small protocol generators render from.

Generators never import ``sessions.ImageState``; they declare what they read
(DESIGN.md, "Layers and the one rule") and ``ImageState`` satisfies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

Z_DIM = 100  # length of the latent vector every state carries


@runtime_checkable
class Renderable(Protocol):
    domain: str                        # "faces" | "chairs"
    attributes: Mapping[str, Any]      # schema name -> value
    z: Sequence[float]                 # latent vector, Z_DIM numbers
    offsets: Mapping[str, float]       # latent direction name -> amount
    text: str                          # free conditioning text beyond the schema
    size: int                          # output height = width in pixels


@runtime_checkable
class Generator(Protocol):
    name: str
    domain: str

    def render(self, state: Renderable) -> np.ndarray:  # H×W×3 uint8
        ...


def z_from_seed(seed: int, dim: int = Z_DIM) -> tuple[float, ...]:
    """Deterministic standard-normal latent vector for a seed (no clock)."""
    rng = np.random.default_rng(int(seed) % (2**32))
    return tuple(float(x) for x in rng.standard_normal(dim))
