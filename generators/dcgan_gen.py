"""The ``dcgan`` generator: an unconditional DCGAN that renders a state's latent
vector, moved along attribute directions.

render(state) = G(z + Σ amount · scale(name) · v(name)) where ``z`` is the first
z_dim numbers of ``state.z`` and the sum runs over ``state.offsets`` whose
names are directions of this model; for a DCGAN with a mapping network whose
directions were fitted in ``w`` (``directions.space == "w"``) it is
synthesis(to_w(z) + Σ amount · scale(name) · v(name)), so the state (z and
offsets by name) still renders deterministically (generators/latent/directions.py; an
amount is in calibrated units: 1 takes a face across to the attribute, or one
schema step for numeric attributes).  Other offset names are ignored and
listed in ``last_ignored`` (identity / category blends of other generators,
``mix:…`` / ``blend:…``, are ignored silently).  The schema attributes are not
read at all: a DCGAN is not conditioned on them.  Equal states give equal
images (eval mode, no random draws).  States of size 128 are rendered at 64
and upscaled bilinearly.

Names: ``dcgan`` is the shipped faces model (generators/weights/dcgan-faces);
``dcgan:NAME`` is a personal model trained with ``holochat train dcgan --name
NAME``, kept in ``<data dir>/models/dcgan-NAME``.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np

from generators.errors import GeneratorError, WeightsError
from generators.files import data_dir

PERSONAL_PREFIX = "dcgan-"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


# -- where models live ----------------------------------------------------------------------------
def models_dir() -> Path:
    return data_dir() / "models"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise GeneratorError(
            f"{name!r} can't be a model name: use letters, digits, '-', '_' or "
            "'.' (up to 64, starting with a letter or digit)"
        )
    return name


def personal_dir(name: str) -> Path:
    """The folder of the personal DCGAN ``dcgan:NAME``."""
    return models_dir() / f"{PERSONAL_PREFIX}{check_name(name)}"


def personal_models() -> list[str]:
    """NAMEs of the personal DCGANs that have weights (sorted)."""
    base = models_dir()
    if not base.is_dir():
        return []
    out = []
    for p in base.iterdir():
        name = p.name[len(PERSONAL_PREFIX) :]
        if p.name.startswith(PERSONAL_PREFIX) and NAME_RE.fullmatch(name) and _has_weights(p):
            out.append(name)
    return sorted(out)


def shipped_dir(domain: str = "faces") -> Path:
    from generators.weights import weights_path

    return weights_path("dcgan", domain)


def _has_weights(folder: Path) -> bool:
    return (folder / "config.json").exists() and (folder / "model.safetensors").exists()


def available(domain: str = "faces") -> bool:
    return domain == "faces" and _has_weights(shipped_dir(domain))


def retrain_hint(folder: Path, name: str | None = None) -> str:
    if name:
        return f"holochat train dcgan --set synthesis=dcgan --set data=DIR --set name={name}"
    return f"holochat train dcgan --out {folder}"


# -- the generator --------------------------------------------------------------------------------
class DCGANGenerator:
    name = "dcgan"

    def __init__(
        self,
        domain: str = "faces",
        path: str | os.PathLike | None = None,
        *,
        personal: str | None = None,
    ):
        if domain != "faces":
            raise GeneratorError(f"the dcgan renders faces only, not {domain}")
        import torch

        from generators.checkpoint import from_pretrained
        from generators.latent.directions import Directions, has_directions
        from generators.nets.dcgan import ARCH_VERSION, DCGAN, DCGANConfig
        from generators.protocol import Z_DIM

        self.domain = domain
        if personal is not None:
            self.name = f"dcgan:{personal}"
            path = path or personal_dir(personal)
        self.path = Path(path) if path is not None else shipped_dir(domain)
        hint = retrain_hint(self.path, personal)
        pair = from_pretrained(
            DCGAN,
            DCGANConfig,
            self.path,
            model_name="dcgan",
            code_version=ARCH_VERSION,
            retrain_hint=hint,
        )
        self.cfg = pair.cfg
        if self.cfg.z_dim > Z_DIM:
            raise WeightsError(
                f"the DCGAN in {self.path} takes z of {self.cfg.z_dim} numbers; "
                f"states carry {Z_DIM}. Retrain with: {hint}"
            )
        if self.cfg.channels != 3:
            raise WeightsError(
                f"the DCGAN in {self.path} makes {self.cfg.channels}-channel "
                f"images, not RGB. Retrain with: {hint}"
            )
        self.pair = pair.eval()
        from generators.nets.dcgan import critic

        # D: the critic the completion prior asks (a latent GAN's code discriminator)
        self.G, self.D = pair.generator, critic(pair)
        # directions are optional: without them the model renders z and ignores offsets
        self.directions: Directions | None = None
        if has_directions(self.path):
            d = Directions.load(self.path)
            if d.z_dim != self.cfg.z_dim:
                from generators.latent.directions import DirectionsError, retrain_hint as fit

                raise DirectionsError(
                    f"the directions in {self.path} are {d.z_dim}-dimensional, "
                    f"the DCGAN's z has {self.cfg.z_dim} numbers. Fit them "
                    f"again with: {fit(self.path)}"
                )
            if d.space == "w" and not self.cfg.mapping:
                from generators.latent.directions import DirectionsError, retrain_hint as fit

                raise DirectionsError(
                    f"the directions in {self.path} live in w, but this DCGAN "
                    f"has no mapping network. Fit them again with: "
                    f"{fit(self.path)}"
                )
            self.directions = d
        self.last_ignored: list[str] = []
        self._torch = torch
        self._lock = threading.Lock()

    # -- latents -------------------------------------------------------------
    @property
    def space(self) -> str:
        """Where the directions move a latent: "z", or "w" (after the mapping network)."""
        return self.directions.space if self.directions is not None else "z"

    def to_space(self, z: np.ndarray) -> np.ndarray:
        """Latents z (N×z_dim) in this generator's direction space (N×D float64)."""
        from generators.latent.directions import to_space

        if self.space == "z":
            return np.asarray(z, np.float64)
        with self._lock:
            return np.asarray(to_space(self.G, np.asarray(z, np.float32), self.space), np.float64)

    def render_latent(self, x: np.ndarray, batch: int = 256) -> np.ndarray:
        """Latents in the direction space (N×D) → N×64×64×3 uint8."""
        if self.space == "z":
            return self.render_z(x, batch)
        return self.render_z(x, batch, synthesis=True)

    def shifted(self, move: np.ndarray):
        """G with a fixed move in the direction space, as a module z → image:
        G(z + move) or synthesis(to_w(z) + move) (for completion searches that
        keep a state's offsets)."""
        from generators.nets.dcgan import Shifted

        return Shifted(self.G, np.asarray(move, np.float32), self.space)

    def latent(self, state) -> np.ndarray:
        """The latent this state renders (D float64, in ``space``): the state's
        z (or its w) plus its direction offsets.  Sets ``last_ignored``."""
        from generators.blend import is_blend

        z = np.asarray(list(state.z)[: self.cfg.z_dim], np.float64)
        if len(z) != self.cfg.z_dim:
            raise GeneratorError(
                f"the state's z has {len(z)} numbers; the DCGAN needs {self.cfg.z_dim}"
            )
        offsets = {
            k: v for k, v in dict(getattr(state, "offsets", {}) or {}).items() if not is_blend(k)
        }
        if self.directions is None:
            self.last_ignored = sorted(offsets)
            return z
        move, ignored = self.directions.offset(offsets)
        self.last_ignored = sorted(ignored)
        return self.to_space(z[None])[0] + move

    def render_z(self, z: np.ndarray, batch: int = 256, synthesis: bool = False) -> np.ndarray:
        """N×z_dim latents → N×64×64×3 uint8 (``synthesis``: the latents are w)."""
        from generators.nets.dcgan import to_uint8

        torch = self._torch
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.cfg.z_dim:
            raise ValueError(f"z must be N×{self.cfg.z_dim}, got shape {z.shape}")
        out = []
        with self._lock, torch.inference_mode():
            for i in range(0, len(z), batch):
                zb = torch.from_numpy(z[i : i + batch])
                out.append(to_uint8(self.G.synthesis(zb) if synthesis else self.G(zb)).numpy())
        if not out:
            s = self.cfg.image_size
            return np.zeros((0, s, s, 3), np.uint8)
        return np.concatenate(out)

    def render(self, state) -> np.ndarray:
        img = self.render_latent(self.latent(state)[None])[0]
        size = int(state.size)
        if size != img.shape[0]:
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
        return np.ascontiguousarray(img)
