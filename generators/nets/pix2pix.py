"""pix2pix networks (Isola et al. 2017): a U-Net generator and a PatchGAN
discriminator for 64×64 sketch → picture translation.

Generator: an encoder of ``downs`` 4×4 stride-2 convolutions (64 → 1 px at
six), each LeakyReLU(0.2) → conv → batch norm (none on the first and the
innermost), and a mirrored decoder of 4×4 stride-2 transposed convolutions,
ReLU → up-conv → batch norm, whose input at each scale is the previous
decoder output concatenated with the encoder feature of the same size (the
skip connections that carry the sketch's lines straight to the output).
Dropout (p = 0.5) in the first ``dropout_layers`` decoder layers is the
network's only noise source, as in the paper (no z).  It is active in
training only: a rendered state must give equal images every time (sessions
replay bit-identically), so evaluation mode is deterministic.

Discriminator (PatchGAN): (sketch, picture) concatenated → 4×4 convolutions
with strides 2, 2, 1, 1 → one logit per patch; each logit sees 34×34 pixels,
about half the image (``receptive_field``).

Widths: ``ngf``·2^i capped at ``ngf``·``max_mult`` (encoder 32, 64, 128,
128, 128, 128 at the defaults: 2.6 M generator parameters, where the
paper's cap of 8× would be 7 M and 29 MB for a 64-px CPU model).

Only the networks live here; training is ``generators/training/pix2pix.py``,
rendering ``generators/pix2pix_gen.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from generators.nets.dcgan import init_weights, seeded

ARCH_VERSION = 1  # bump when a change makes saved weights unloadable


@dataclass
class Pix2PixConfig:
    domain: str = "faces"
    image_size: int = 64
    in_channels: int = 1  # the sketch (grey, [-1, 1]: -1 ink, 1 paper)
    out_channels: int = 3
    ngf: int = 32  # generator width at the outermost layer
    ndf: int = 32  # discriminator width at the first layer
    downs: int = 6  # encoder downsamplings (64 px → 1 px)
    max_mult: int = 4  # widths stop growing at ngf · max_mult
    dropout: float = 0.5
    dropout_layers: int = 3  # innermost decoder layers with dropout (the noise)
    d_layers: int = 2  # stride-2 layers of D before its two stride-1 layers
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    init_std: float = 0.02

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Pix2PixConfig:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in names})


def receptive_field(cfg: Pix2PixConfig) -> int:
    """Pixels one PatchGAN logit sees (4×4 kernels, ``d_layers`` stride 2 then 2 stride 1)."""
    rf = 1
    for stride in reversed([2] * cfg.d_layers + [1, 1]):
        rf = rf * stride + (4 - stride)
    return rf


class UNetGenerator(nn.Module):
    def __init__(self, cfg: Pix2PixConfig):
        super().__init__()
        if cfg.image_size % (2**cfg.downs):
            raise ValueError(f"image_size {cfg.image_size} is not divisible by 2^{cfg.downs}")
        widths = [cfg.ngf * min(2**i, cfg.max_mult) for i in range(cfg.downs)]
        self.widths = widths
        self.down = nn.ModuleList()
        c_in = cfg.in_channels
        for i, w in enumerate(widths):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(c_in, w, 4, 2, 1, bias=i in (0, cfg.downs - 1)))
            if 0 < i < cfg.downs - 1:
                layers.append(nn.BatchNorm2d(w))
            self.down.append(nn.Sequential(*layers))
            c_in = w
        self.up = nn.ModuleList()
        for j in range(cfg.downs):
            i = cfg.downs - 1 - j  # the encoder level this one mirrors
            c_in = widths[i] if j == 0 else 2 * widths[i]
            last = i == 0
            c_out = cfg.out_channels if last else widths[i - 1]
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=last)]
            if last:
                layers.append(nn.Tanh())
            else:
                layers.append(nn.BatchNorm2d(c_out))
                if j < cfg.dropout_layers and cfg.dropout > 0:
                    layers.append(nn.Dropout(cfg.dropout))
            self.up.append(nn.Sequential(*layers))

    def forward(self, sketch: torch.Tensor) -> torch.Tensor:
        # sketch: B×1×64×64 → encoder B×32×32², B×64×16², B×128×8², B×128×4², B×128×2², B×128×1²
        feats = []
        x = sketch
        for layer in self.down:
            x = layer(x)
            feats.append(x)
        # decoder: B×128×2² (+skip → 256) → B×128×4² → B×128×8² → B×64×16² → B×32×32² → B×3×64²
        x = self.up[0](feats[-1])
        for j in range(1, len(self.up)):
            x = self.up[j](torch.cat([x, feats[-1 - j]], 1))
        return x  # B×3×64×64 in [-1, 1]


class PatchDiscriminator(nn.Module):
    def __init__(self, cfg: Pix2PixConfig):
        super().__init__()
        c = cfg.in_channels + cfg.out_channels
        layers: list[nn.Module] = []
        w = cfg.ndf
        for i in range(cfg.d_layers):  # stride 2: 64 → 32 → 16
            layers += [nn.Conv2d(c, w, 4, 2, 1, bias=i == 0)]
            if i > 0:
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.LeakyReLU(0.2))
            c, w = w, w * 2
        layers += [
            nn.Conv2d(c, w, 4, 1, 1, bias=False),
            nn.BatchNorm2d(w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 1, 4, 1, 1),
        ]  # stride 1: 16 → 15 → 14
        self.net = nn.Sequential(*layers)

    def forward(self, sketch: torch.Tensor, picture: torch.Tensor) -> torch.Tensor:
        # (B×1×64², B×3×64²) → B×1×14×14 patch logits (each sees 34×34 px)
        return self.net(torch.cat([sketch, picture], 1))


class Pix2Pix(nn.Module):
    """The (generator, discriminator) pair, saved and loaded as one checkpoint."""

    def __init__(self, cfg: Pix2PixConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = UNetGenerator(cfg)
        self.discriminator = PatchDiscriminator(cfg)
        init_weights(self, cfg.init_std)


def build(cfg: Pix2PixConfig, seed: int | None = None) -> Pix2Pix:
    """A freshly initialised pair; ``seed`` makes the init reproducible without
    touching the global random state."""
    return seeded(lambda: Pix2Pix(cfg), seed)


def sketch_input(sketches: torch.Tensor) -> torch.Tensor:
    """B×H×W uint8 sketches (255 paper) → B×1×H×W float in [-1, 1]."""
    return sketches.unsqueeze(1).float().div(127.5).sub(1.0)
