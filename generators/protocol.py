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
    """What a generator reads of a state (read-only; ``sessions.ImageState`` is one)."""

    @property
    def domain(self) -> str: ...  # "faces" | "chairs"
    @property
    def attributes(self) -> Mapping[str, Any]: ...  # schema name -> value
    @property
    def z(self) -> Sequence[float]: ...  # latent vector, Z_DIM numbers
    @property
    def offsets(self) -> Mapping[str, float]: ...  # latent direction name -> amount
    @property
    def text(self) -> str: ...  # free conditioning text beyond the schema
    @property
    def size(self) -> int: ...  # output height = width in pixels


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
