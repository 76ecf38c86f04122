"""The ``convdeconv`` generator: renders a state with the shipped conv-deconv
weights.  It reads the schema attributes and the identity / style and
category blends of ``state.offsets`` (generators/blend.py); it ignores ``z``,
latent directions and free text.  States of size 128 are rendered at 64 and upscaled
bilinearly."""

from __future__ import annotations

import os
import threading

import numpy as np

from generators.weights import has_weights, weights_path


def retrain_hint(domain: str) -> str:
    return f"holochat train convdeconv --recipe {domain} --out {weights_path('convdeconv', domain)}"


class ConvDeconvGenerator:
    name = "convdeconv"

    def __init__(self, domain: str, path: str | os.PathLike | None = None):
        import torch

        from generators.checkpoint import from_pretrained
        from generators.nets.convdeconv import ARCH_VERSION, ConvDeconv, ConvDeconvConfig

        self.domain = domain
        self.path = path or weights_path("convdeconv", domain)
        self.model = from_pretrained(
            ConvDeconv,
            ConvDeconvConfig,
            self.path,
            model_name="convdeconv",
            code_version=ARCH_VERSION,
            retrain_hint=retrain_hint(domain),
        )
        if self.model.cfg.domain != domain:
            from generators.errors import WeightsError

            raise WeightsError(
                f"the weights in {self.path} are for {self.model.cfg.domain}, "
                f"not {domain}. Retrain with: {retrain_hint(domain)}"
            )
        self._torch = torch
        self._lock = threading.Lock()

    def render_batch(self, attributes: list, offsets: list | None = None) -> np.ndarray:
        """N attribute dicts (and their states' offsets: identity / style and
        category blends) → N×64×64×3 uint8."""
        from generators.nets.convdeconv import encode

        torch = self._torch
        with self._lock, torch.inference_mode():
            rgb, _ = self.model(encode(self.domain, attributes, offsets))
        return (rgb.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()

    def render(self, state) -> np.ndarray:
        img = self.render_batch([dict(state.attributes)], [dict(getattr(state, "offsets", {}))])[0]
        size = int(state.size)
        if size != img.shape[0]:
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
        return np.ascontiguousarray(img)


def available(domain: str) -> bool:
    return has_weights("convdeconv", domain)
