"""The ``textgan`` generator: renders a face state with the shipped GAN-CLS weights.

render(state) = G(state.z, embed(caption(faces, state.attributes, state.text)),
geometry and identity numbers of the state).  Weights whose config has
``decoder = "convdeconv"`` read the caption's token features with their
learned text head instead (``phrase_tokens``; ``generators/nets/textgan.py``).
The caption is the studio's
deterministic training-style sentence for the attributes, with the user's
free words (``state.text``) appended, so a free description conditions the
image beside the schema.  "Another person" (a new identity and z) and "halfway
between this one and the first" (an interpolated z and a ``mix:`` identity
blend in the offsets) need nothing more: the generator reads ``state.z`` and
the offsets.  Equal states give equal images (eval mode, no random draws).
States of size 128 are rendered at 64 and upscaled bilinearly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

import numpy as np

from generators.errors import GeneratorError, WeightsError
from generators.weights import has_weights, weights_path


def retrain_hint() -> str:
    return f"holochat train textgan --out {weights_path('textgan', 'faces')}"


class TextGANGenerator:
    name = "textgan"

    def __init__(
        self,
        domain: str = "faces",
        path: str | os.PathLike | None = None,
        *,
        embedder: Callable[[Sequence[str]], np.ndarray] | None = None,
    ):
        if domain != "faces":
            raise GeneratorError(f"textgan renders faces only, not {domain}")
        import torch

        from generators.checkpoint import from_pretrained
        from generators.nets.textgan import ARCH_VERSION, TextGAN, TextGANConfig
        from generators.protocol import Z_DIM

        self.domain = domain
        self.path = path or weights_path("textgan", domain)
        pair = from_pretrained(
            TextGAN,
            TextGANConfig,
            self.path,
            model_name="textgan",
            code_version=ARCH_VERSION,
            retrain_hint=retrain_hint(),
        )
        if pair.cfg.z_dim != Z_DIM:
            raise WeightsError(
                f"the textgan weights in {self.path} take z of {pair.cfg.z_dim} "
                f"numbers, states carry {Z_DIM}. Retrain with: {retrain_hint()}"
            )
        self.cfg = pair.cfg
        self.model = pair.generator.eval()  # the discriminator is not needed to render
        if embedder is None:  # the "convdeconv" generator's head reads token embeddings
            from generators.text.embedding import embed, phrase_tokens

            embedder = phrase_tokens if self.cfg.tokens else embed
        self.embedder = embedder
        self._torch = torch
        self._lock = threading.Lock()

    def condition_text(self, attributes, text: str = "") -> str:
        """The sentence the image is conditioned on."""
        from generators.studio.captions import caption

        return caption("faces", attributes, text or "")

    def render_batch(
        self,
        attrs_list: Sequence[dict],
        z,
        texts: Sequence[str] | None = None,
        *,
        captions: Sequence[str] | None = None,
        offsets: Sequence[dict | None] | None = None,
    ) -> np.ndarray:
        """N attribute dicts, z (N×z_dim) and free texts → N×64×64×3 uint8.

        ``captions`` replaces the whole conditioning sentences (e.g. held-out
        templates); ``offsets`` are the states' offsets (identity blends)."""
        from generators.nets.dcgan import to_uint8
        from generators.nets.textgan import encode_extra

        torch = self._torch
        attrs_list = [dict(a) for a in attrs_list]
        n = len(attrs_list)
        if captions is None:
            texts = list(texts) if texts is not None else [""] * n
            captions = [self.condition_text(a, t) for a, t in zip(attrs_list, texts)]
        if len(captions) != n:
            raise ValueError(f"{n} states but {len(captions)} captions")
        zt = torch.as_tensor(np.asarray(z, np.float32)).reshape(n, -1)
        if zt.shape[1] != self.cfg.z_dim:
            raise ValueError(f"z must have {self.cfg.z_dim} numbers per state, got {zt.shape[1]}")
        emb = torch.from_numpy(np.asarray(self.embedder(list(captions)), np.float32))
        extra = encode_extra(self.cfg, attrs_list, offsets)
        with self._lock, torch.inference_mode():
            out = self.model(zt, emb, extra)
        return to_uint8(out).numpy()

    def render(self, state) -> np.ndarray:
        img = self.render_batch(
            [dict(state.attributes)],
            [list(state.z)],
            [getattr(state, "text", "") or ""],
            offsets=[dict(getattr(state, "offsets", {}) or {})],
        )[0]
        size = int(state.size)
        if size != img.shape[0]:
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
        return np.ascontiguousarray(img)


def available(domain: str = "faces") -> bool:
    return domain == "faces" and has_weights("textgan", domain)
