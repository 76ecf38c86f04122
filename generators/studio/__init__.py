"""The procedural studio: the ground-truth renderer of faces and chairs.

Deterministic numpy renderers (no clock, no global RNG): geometry comes from
the identity / style seed, everything else from the schema attributes.  The
studio makes the training data, the held-out test sets and the captions; it is
an oracle and a fallback, never the preferred renderer.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from generators.schema import get_schema
from generators.studio.chairs import render_chair, style_params
from generators.studio.faces import identity_params, render_face

__all__ = ["StudioGenerator", "render", "render_chair", "render_face", "identity_params",
           "style_params"]


def render(domain: str, attributes: Mapping, size: int = 64) -> np.ndarray:
    """Render a full attribute mapping of ``domain`` (H×W×3 uint8)."""
    if domain == "faces":
        return render_face(attributes, size)
    if domain == "chairs":
        return render_chair(attributes, size)
    get_schema(domain)  # raises the clear unknown-domain error
    raise AssertionError(domain)


class StudioGenerator:
    """``Generator`` protocol over the studio; reads attributes only (it
    ignores ``z``, latent offsets and free text)."""

    name = "studio"

    def __init__(self, domain: str):
        get_schema(domain)
        self.domain = domain

    def render(self, state) -> np.ndarray:
        return render(self.domain, state.attributes, int(state.size))
