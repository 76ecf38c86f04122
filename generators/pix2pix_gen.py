"""The ``pix2pix`` generator: pictures from line drawings.

``render(state)`` draws the studio's clean sketch of the state
(``generators/studio/sketch.py``, identity / style blends included) and
translates it with the shipped U-Net; ``render_drawing(array)`` translates
any black-on-white drawing (fitted to 64×64 first).  The U-Net runs in eval
mode (no dropout), so equal states and equal drawings give equal images.
States of another size are rendered at 64 and resized bilinearly.  Never a
domain's default: a sketch carries no colour, so hair, skin, background and
chair colours come out as the model's guess.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from generators.errors import GeneratorError
from generators.weights import has_weights, weights_path


def retrain_hint(domain: str) -> str:
    return f"holochat train pix2pix --recipe {domain} --out {weights_path('pix2pix', domain)}"


class Pix2PixGenerator:
    name = "pix2pix"

    def __init__(self, domain: str = "faces", path: str | os.PathLike | None = None):
        from generators.schema import get_schema

        get_schema(domain)
        import torch

        from generators.training.pix2pix import load_pix2pix

        self.domain = domain
        self.path = path or weights_path("pix2pix", domain)
        pair = load_pix2pix(self.path)
        if pair.cfg.domain != domain:
            raise GeneratorError(
                f"the pix2pix weights in {self.path} draw {pair.cfg.domain}, not {domain}"
            )
        self.cfg = pair.cfg
        self.model = pair.generator.eval()
        self._torch = torch
        self._lock = threading.Lock()

    def render_sketches(self, sketches: np.ndarray) -> np.ndarray:
        """N×64×64 uint8 sketches (255 paper) → N×64×64×3 uint8 pictures."""
        from generators.nets.dcgan import to_uint8
        from generators.nets.pix2pix import sketch_input

        torch = self._torch
        sk = np.asarray(sketches, np.uint8)
        if sk.ndim == 2:
            sk = sk[None]
        s = self.cfg.image_size
        if sk.shape[1:] != (s, s):
            raise ValueError(f"sketches must be N×{s}×{s}, got {sk.shape}")
        with self._lock, torch.inference_mode():
            out = self.model(sketch_input(torch.from_numpy(np.ascontiguousarray(sk))))
        return to_uint8(out).numpy()

    def render_drawing(self, drawing: np.ndarray) -> np.ndarray:
        """Any drawing (H×W ink 0…1, or a uint8 black-on-white picture) → 64×64×3 uint8."""
        from generators.studio.sketch import fit_drawing

        return self.render_sketches(fit_drawing(drawing, self.cfg.image_size))[0]

    def sketch_of(self, state) -> np.ndarray:
        """The studio's clean line drawing of a state (64×64 uint8)."""
        from generators.blend import mixes, shape_params
        from generators.studio.sketch import sketch

        attrs = dict(state.attributes)
        offsets = getattr(state, "offsets", None)
        if mixes(offsets):
            attrs["_shape"] = shape_params(self.domain, attrs, offsets)
        return sketch(self.domain, attrs, clean=True, size=self.cfg.image_size)

    def render(self, state) -> np.ndarray:
        img = self.render_sketches(self.sketch_of(state))[0]
        size = int(state.size)
        if size != img.shape[0]:
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
        return np.ascontiguousarray(img)


def available(domain: str) -> bool:
    return has_weights("pix2pix", domain)


# what a drawn turn reads back (faces): the attributes a line drawing can show
DRAWN_ATTRIBUTES = ("expression", "eyewear", "hat", "beard", "yaw", "pitch")
_EXPRESSION_WORDS = {
    "happy": "smiling",
    "sad": "sad",
    "angry": "angry",
    "surprised": "surprised",
    "neutral": "calm",
}


def read_drawing(picture: np.ndarray, judge) -> tuple[dict, str]:
    """What the faces ``judge`` reads in a picture made from a drawing: the
    attributes a line drawing can show (``DRAWN_ATTRIBUTES``: expression,
    eyewear, hat, beard, yaw, pitch; colours are not drawn) and the sentence a
    reply can say ("I see a smiling face turned slightly left, with a hat.")."""
    from generators.nets.judge import read_attributes

    if judge.cfg.domain != "faces":
        raise GeneratorError(f"a drawing is read with a faces judge, not a {judge.cfg.domain} one")
    rows, _ = read_attributes(judge, np.asarray(picture, np.uint8)[None])
    got = {k: rows[0][k] for k in DRAWN_ATTRIBUTES if k in rows[0]}
    for k in ("yaw", "pitch"):
        if k in got:
            got[k] = float(round(got[k] / 5.0) * 5.0)  # what a drawing can tell, no finer
    return got, describe_reading(got)


def describe_reading(got: dict) -> str:
    words = _EXPRESSION_WORDS.get(str(got.get("expression", "neutral")), "calm")
    yaw = float(got.get("yaw", 0.0))
    side = "left" if yaw < 0 else "right"
    turn = (
        "looking straight ahead"
        if abs(yaw) < 10
        else f"turned slightly {side}"
        if abs(yaw) < 30
        else f"turned {side}"
    )
    extras = [
        x
        for x, on in (
            ("a hat", got.get("hat")),
            ("a beard", got.get("beard")),
            ("sunglasses", got.get("eyewear") == "sunglasses"),
            ("glasses", got.get("eyewear") == "glasses"),
        )
        if on
    ]
    tail = ""
    if extras:
        tail = ", with " + (
            extras[0] if len(extras) == 1 else ", ".join(extras[:-1]) + " and " + extras[-1]
        )
    article = "an" if words[0] in "aeiou" else "a"
    return f"I see {article} {words} face {turn}{tail}."
