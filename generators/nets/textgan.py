"""GAN-CLS (Reed et al. 2016, "Generative Adversarial Text to Image
Synthesis"): a DCGAN-style generator and matching-aware discriminator at 64×64,
conditioned on a caption's sentence embedding.

Conditioning of the generator (B = batch):

* the caption embedding (all-MiniLM-L6-v2, B×384) compressed by FC + leaky
  ReLU to B×cond_dim, as in the paper;
* the continuous geometry as numbers beside the text (as deconvfaces does):
  yaw, pitch, light azimuth and light elevation as sin/cos, brightness and
  expression strength (``encode_geometry``, B×10).  Captions only say
  "turned to the left", so a number is the only way to ask for 37°;
* the identity's face-shape parameters (``identity_params``, B×12, blends of
  ``mix:`` offsets included) when ``use_identity_params`` is on.  Why: a studio
  identity is an integer seed whose face geometry the studio derives from the
  seed.  ``z`` is a random vector that the sessions layer keeps through edits,
  but nothing in the training data ties a z to an identity's geometry, so z
  alone cannot carry a studio identity that edits must preserve; given the
  shape parameters the network renders the same face under every edit, and
  held-out identities too (the conv-deconv generator makes the same choice);
* ``z`` (B×z_dim): whatever variation is left.

The discriminator is the paper's matching-aware one: convolutions down to
B×8d×4×4, the compressed text (and geometry / identity numbers) replicated
over the 4×4 grid and joined to the features, a 1×1 convolution, then one
logit per image.  Trained on (real, right text), (real, wrong text) and
(fake, right text); training is in ``generators/training/textgan.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from generators.nets.convdeconv import paint_faces
from generators.nets.dcgan import init_weights, seeded
from generators.protocol import Z_DIM

ARCH_VERSION = 2  # bump when a change makes saved weights unloadable
#                           2: the caption statistics (text_mean, text_scale) are buffers
GEOMETRY_DIM = 10  # see encode_geometry
IDENTITY_DIM = 12  # len(identity_params(...))
OUTPUTS = ("tanh", "compose")
BRIGHTNESS_INDEX = 8  # encode_geometry's brightness column


#: training settings that configs held before issue 25 (now in the trainer's settings);
#: a checkpoint that records them still loads
TRAINING_KEYS = ("lr", "beta1", "beta2")


@dataclass(frozen=True)
class TextGANConfig:
    z_dim: int = Z_DIM  # latent length (states carry Z_DIM numbers)
    embed_dim: int = 384  # sentence-embedding length
    cond_dim: int = 128  # compressed text
    geometry_dim: int = GEOMETRY_DIM
    identity_dim: int = IDENTITY_DIM
    # Explicit design choice (see the module docstring): condition G and D on
    # the identity's face-shape parameters, because z alone cannot carry a
    # studio identity through edits.  Off: a plain GAN-CLS on text + geometry.
    use_identity_params: bool = True
    use_geometry: bool = True  # pose / light / brightness / strength as numbers
    # Width of two fully connected layers between the joined input and the
    # first up-convolution (0: none, the paper's generator).  Why: the first
    # layer of the paper's G is linear in its input, and which pixels a
    # caption's words change depends on combinations (hair under a hat, a
    # beard on dark skin); the conv-deconv generator has such a trunk.
    trunk: int = 0
    # An auxiliary classifier on the discriminator's image features (AC-GAN,
    # Odena et al. 2017): one softmax per categorical / bool attribute,
    # trained on real images; G is trained to make its images classified as
    # the attributes its caption states (``aux_weight`` in the trainer).
    aux_classifier: bool = False
    # G's output layer.  "tanh": the paper's, three channels through tanh.
    # "compose": the conv-deconv faces layer (generators/nets/convdeconv.py,
    # ``compose``): G paints albedo × shading and a mask, the mask composites
    # the face over a background colour read from the compressed text, and
    # brightness (a geometry number) is added to the whole image as the studio
    # does.  Why: a face is its surface colour times its lighting, and the
    # backgrounds are flat; the up-convolutions then spend their capacity on
    # the face, not on re-deriving colour and light at every pixel.
    output: str = "tanh"
    # A 3×3 convolution (+ batch norm, ReLU) after each of G's hidden
    # up-convolutions, as the conv-deconv decoder has: one more layer of
    # depth at every resolution for placing small features (eyes, lenses).
    refine: bool = False
    ngf: int = 64  # generator width at the last hidden layer
    ndf: int = 64  # discriminator width at the first layer
    image_size: int = 64
    channels: int = 3
    init_std: float = 0.02  # N(0, std) weight init

    def __post_init__(self) -> None:
        n = self.image_size
        if n < 16 or n & (n - 1):
            raise ValueError(f"image_size must be a power of two ≥ 16, got {n}")
        for name in ("z_dim", "embed_dim", "cond_dim", "ngf", "ndf", "channels"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.trunk < 0:
            raise ValueError(f"trunk must be 0 (none) or positive, got {self.trunk}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        if self.use_geometry and self.geometry_dim != GEOMETRY_DIM:
            raise ValueError(f"geometry_dim is {GEOMETRY_DIM} (see encode_geometry)")
        if self.use_identity_params and self.identity_dim != IDENTITY_DIM:
            raise ValueError(f"identity_dim is {IDENTITY_DIM} (identity_params)")

    @property
    def n_up(self) -> int:
        return int(math.log2(self.image_size)) - 2  # 4 at 64×64

    @property
    def extra_dim(self) -> int:
        """Numbers joined beside the compressed text."""
        return (self.geometry_dim if self.use_geometry else 0) + (
            self.identity_dim if self.use_identity_params else 0
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TextGANConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k not in TRAINING_KEYS}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown TextGAN config keys: {', '.join(unknown)}")
        return cls(**d)


# ---------------------------------------------------------------------------
# inputs beside the text


def _sc(deg: float) -> list[float]:
    r = math.radians(float(deg))
    return [math.sin(r), math.cos(r)]


def encode_geometry(attrs: Sequence[Mapping[str, Any]]) -> torch.Tensor:
    """Face attribute dicts → B×10 float: sin/cos of yaw, pitch, light azimuth
    and light elevation, brightness (−1…1), expression strength (0…1 → −1…1)."""
    rows = [
        _sc(a["yaw"])
        + _sc(a["pitch"])
        + _sc(a["light_azimuth"])
        + _sc(a["light_elevation"])
        + [float(a["brightness"]), float(a["expression_strength"]) * 2 - 1]
        for a in attrs
    ]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), GEOMETRY_DIM)


def _param_stats() -> tuple[np.ndarray, np.ndarray]:
    from generators.studio.faces import identity_params

    p = np.stack([identity_params(i) for i in range(512)])
    return p.mean(0), p.std(0) + 1e-6


_P_MEAN, _P_STD = _param_stats()


def encode_identity(
    attrs: Sequence[Mapping[str, Any]], offsets: Sequence[Mapping[str, float] | None] | None = None
) -> torch.Tensor:
    """Face attribute dicts (and their states' offsets: ``mix:`` identity
    blends) → B×12 standardised face-shape parameters."""
    from generators.blend import shape_params

    offs = list(offsets) if offsets is not None else [None] * len(attrs)
    rows = [(shape_params("faces", a, o) - _P_MEAN) / _P_STD for a, o in zip(attrs, offs)]
    return torch.tensor(np.array(rows, np.float32)).reshape(len(rows), IDENTITY_DIM)


def encode_extra(
    cfg: TextGANConfig,
    attrs: Sequence[Mapping[str, Any]],
    offsets: Sequence[Mapping[str, float] | None] | None = None,
) -> torch.Tensor:
    """B×cfg.extra_dim: the numbers this config joins beside the text."""
    parts = []
    if cfg.use_geometry:
        parts.append(encode_geometry(attrs))
    if cfg.use_identity_params:
        parts.append(encode_identity(attrs, offsets))
    return torch.cat(parts, 1) if parts else torch.zeros(len(attrs), 0)


def class_sizes() -> tuple[int, ...]:
    """Number of classes of each faces categorical / bool attribute, in the
    order of ``generators.training.textgan.category_codes``."""
    from generators.schema import BOOL, CATEGORY, get_schema

    return tuple(
        2 if c.kind == BOOL else len(c.values) for c in get_schema("faces").of_kind(CATEGORY, BOOL)
    )


# ---------------------------------------------------------------------------
# the networks


class TextCompressor(nn.Module):
    """B×embed_dim caption embedding → B×cond_dim (FC + leaky ReLU), after
    centring on the training captions' mean embedding and one global scale.

    Why: unit-length MiniLM embeddings of captions that differ in one word
    ("dark skin" / "light skin") are nearly parallel; the shared part
    dominates and what tells the faces apart is a few hundredths of the
    vector.  Standardising (buffers set once from the caption table,
    ``set_text_stats``, saved with the weights) makes that part the input.
    One scale for all dimensions, not one each, so that a rare direction of
    an unseen caption is not blown up."""

    text_mean: torch.Tensor  # buffers
    text_scale: torch.Tensor

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.embed_dim, cfg.cond_dim)
        self.act = nn.LeakyReLU(0.2)
        self.register_buffer("text_mean", torch.zeros(cfg.embed_dim))
        self.register_buffer("text_scale", torch.ones(()))

    def set_text_stats(self, embeddings: torch.Tensor) -> None:
        """Mean and global standard deviation of K×embed_dim caption embeddings."""
        e = embeddings.detach().float()
        mean = e.mean(0)
        self.text_mean.copy_(mean)
        self.text_scale.copy_((e - mean).pow(2).mean().sqrt().clamp_min(1e-6))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc((e - self.text_mean) / self.text_scale))


class TextGenerator(nn.Module):
    """(z B×z_dim, text embedding B×embed_dim, extra B×extra_dim) → image
    B×C×S×S in [-1, 1]."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.cfg = cfg
        self.text = TextCompressor(cfg)
        c_in = cfg.z_dim + cfg.cond_dim + cfg.extra_dim
        self.trunk: nn.Module = nn.Identity()
        if cfg.trunk:
            self.trunk = nn.Sequential(
                nn.Linear(c_in, cfg.trunk),
                nn.ReLU(True),
                nn.Linear(cfg.trunk, cfg.trunk),
                nn.ReLU(True),
            )
            c_in = cfg.trunk
        mult = 2 ** (cfg.n_up - 1)  # 8 at 64×64

        def refine(c: int) -> list[nn.Module]:
            return (
                [nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
                if cfg.refine
                else []
            )

        layers: list[nn.Module] = [
            nn.ConvTranspose2d(c_in, cfg.ngf * mult, 4, 1, 0, bias=False),  # B×8g×4×4
            nn.BatchNorm2d(cfg.ngf * mult),
            nn.ReLU(True),
            *refine(cfg.ngf * mult),
        ]
        for _ in range(cfg.n_up - 1):  # 4→8→16→32
            layers += [
                nn.ConvTranspose2d(cfg.ngf * mult, cfg.ngf * mult // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cfg.ngf * mult // 2),
                nn.ReLU(True),
                *refine(cfg.ngf * mult // 2),
            ]
            mult //= 2
        if cfg.output == "compose":  # albedo 3, shade 1, mask 1
            if cfg.channels != 3:
                raise ValueError("output 'compose' paints RGB: channels must be 3")
            layers.append(nn.ConvTranspose2d(cfg.ngf, 5, 4, 2, 1))  # B×5×S×S
            self.background = nn.Linear(cfg.cond_dim, 3)  # colour from the text
        else:
            layers += [
                nn.ConvTranspose2d(cfg.ngf, cfg.channels, 4, 2, 1, bias=False),  # B×C×S×S
                nn.Tanh(),
            ]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        text = self.text(emb)  # B×cond
        h = torch.cat([z.flatten(1), text, extra], 1)  # B×(z+cond+extra)
        h = self.trunk(h)  # B×trunk (or unchanged)
        out = self.main(h[:, :, None, None])  # B×C×S×S (or B×5×S×S)
        if self.cfg.output == "tanh":
            return out
        bg = torch.sigmoid(self.background(text))  # B×3
        bright = (
            extra[:, BRIGHTNESS_INDEX : BRIGHTNESS_INDEX + 1]
            if self.cfg.use_geometry
            else torch.zeros(len(out), 1, device=out.device, dtype=out.dtype)
        )
        return paint_faces(out, bg, bright)  # [-1, 1], like tanh


class TextDiscriminator(nn.Module):
    """(image B×C×S×S, text embedding B×embed_dim, extra B×extra_dim) →
    match logit B: real image that matches its condition (high) or not."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.cfg = cfg
        self.text = TextCompressor(cfg)
        layers: list[nn.Module] = [
            nn.Conv2d(cfg.channels, cfg.ndf, 4, 2, 1, bias=False),  # B×d×S/2
            nn.LeakyReLU(0.2, inplace=True),
        ]
        mult = 1
        for _ in range(cfg.n_up - 1):  # 32→16→8→4
            layers += [
                nn.Conv2d(cfg.ndf * mult, cfg.ndf * mult * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cfg.ndf * mult * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            mult *= 2
        self.features = nn.Sequential(*layers)  # B×8d×4×4
        c = cfg.ndf * mult
        self.joint = nn.Sequential(  # after joining the text
            nn.Conv2d(c + cfg.cond_dim + cfg.extra_dim, c, 1, 1, 0, bias=False),
            nn.BatchNorm2d(c),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c, 1, 4, 1, 0, bias=False),
        )  # B×1×1×1
        self.sizes = class_sizes() if cfg.aux_classifier else ()
        self.aux = nn.Linear(c * 4 * 4, sum(self.sizes)) if cfg.aux_classifier else None

    def forward(self, x: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        return self.score(x, emb, extra)[0]

    def score(
        self, x: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(match logit B, auxiliary class logits: one B×K per attribute, or
        [] without the auxiliary classifier)."""
        h = self.features(x)  # B×8d×4×4
        cond = torch.cat([self.text(emb), extra], 1)  # B×(cond+extra)
        cond = cond[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])  # replicated 4×4
        logit = self.joint(torch.cat([h, cond.to(h.dtype)], 1)).flatten()  # B
        if self.aux is None:
            return logit, []
        return logit, list(self.aux(h.flatten(1)).split(self.sizes, 1))  # A × (B×K)


class TextGAN(nn.Module):
    """The (generator, discriminator) pair, saved and loaded as one checkpoint."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = TextGenerator(cfg)
        self.discriminator = TextDiscriminator(cfg)
        init_weights(self, cfg.init_std)

    def set_text_stats(self, embeddings: torch.Tensor) -> None:
        """Standardise the caption input of both networks by these embeddings'
        statistics (the training captions; see ``TextCompressor``)."""
        self.generator.text.set_text_stats(embeddings)
        self.discriminator.text.set_text_stats(embeddings)

    def forward(self, z: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        return self.generator(z, emb, extra)


def build(cfg: TextGANConfig, seed: int | None = None) -> TextGAN:
    """A freshly initialised pair; ``seed`` makes the init reproducible without
    touching the global random state."""
    return seeded(lambda: TextGAN(cfg), seed)
