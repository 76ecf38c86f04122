"""DCGAN (Radford, Metz & Chintala 2016): the unconditional generator /
discriminator pair at 64×64.

The generator up-convolves ``z`` (``Z_DIM`` numbers, seen as a 1×1 feature map)
through strided transposed convolutions (or, with ``upsample="resize"``,
nearest ×2 resizes each followed by a 3×3 conv) with batch norm and ReLU to a
tanh RGB image; the discriminator mirrors it with strided convolutions, batch norm and
LeakyReLU(0.2) down to one logit per image. Weights start from N(0, 0.02)
(batch-norm scales from N(1, 0.02)) and train with Adam(2e-4, β1 = 0.5), as in
the paper. ``r1_gamma`` > 0 adds Mescheder et al.'s (2018) R1 gradient penalty
on real images to the discriminator's loss, which keeps the discriminator from
overpowering the generator on the studio's flat, saturated images (see
docs/measurements.md). The discriminator returns logits (no sigmoid) so
losses can use the numerically safe ``softplus`` form, also under bf16
autocast.

Only the network lives here; training is in ``generators/training/dcgan.py``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from generators.protocol import Z_DIM

ARCH_VERSION = 1   # bump when a change makes saved weights unloadable


@dataclass(frozen=True)
class DCGANConfig:
    z_dim: int = Z_DIM          # latent length
    image_size: int = 64        # output height = width, a power of two ≥ 16
    channels: int = 3           # RGB
    ngf: int = 64               # generator width at the last hidden layer
    ndf: int = 64               # discriminator width at the first layer
    lr: float = 2e-4            # Adam learning rate
    beta1: float = 0.5          # Adam β1
    beta2: float = 0.999        # Adam β2
    init_std: float = 0.02      # N(0, std) weight init
    r1_gamma: float = 0.0       # R1 penalty γ/2·E‖∇D(x_real)‖² (0: the paper's plain loss)
    r1_every: int = 4           # apply R1 every k discriminator steps, scaled by k (lazy)
    upsample: str = "deconv"    # generator's ×2 layers: "deconv" (the paper's 4×4 stride-2
                                # transposed convs) or "resize" (nearest ×2, then a 3×3 conv;
                                # Odena et al. 2016: no checkerboard)

    def __post_init__(self) -> None:
        n = self.image_size
        if n < 16 or n & (n - 1):
            raise ValueError(f"image_size must be a power of two ≥ 16, got {n}")
        if self.upsample not in ("deconv", "resize"):
            raise ValueError(f"upsample must be 'deconv' or 'resize', got {self.upsample!r}")
        if self.r1_gamma < 0:
            raise ValueError(f"r1_gamma must be ≥ 0, got {self.r1_gamma}")
        for name in ("z_dim", "channels", "ngf", "ndf", "r1_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    @property
    def n_up(self) -> int:
        """Stride-2 layers between the 4×4 map and the image (4 at 64×64)."""
        return int(math.log2(self.image_size)) - 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DCGANConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown DCGAN config keys: {', '.join(unknown)}")
        return cls(**d)


class Generator(nn.Module):
    """z (B×z_dim or B×z_dim×1×1) → image B×C×S×S in [-1, 1]."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        mult = 2 ** (cfg.n_up - 1)                         # 8 at 64×64
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim, cfg.ngf * mult, 4, 1, 0, bias=False),  # B×8g×4×4
            nn.BatchNorm2d(cfg.ngf * mult),
            nn.ReLU(True),
        ]
        for _ in range(cfg.n_up - 1):                      # 4→8→16→32, halving width
            layers += [
                *_up(cfg, cfg.ngf * mult, cfg.ngf * mult // 2),
                nn.BatchNorm2d(cfg.ngf * mult // 2),
                nn.ReLU(True),
            ]
            mult //= 2
        layers += [*_up(cfg, cfg.ngf, cfg.channels), nn.Tanh()]   # B×C×S×S
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]                        # B×z_dim×1×1
        return self.main(z)


def _up(cfg: DCGANConfig, c_in: int, c_out: int) -> list[nn.Module]:
    """One ×2 layer of the generator (see ``DCGANConfig.upsample``)."""
    if cfg.upsample == "resize":
        return [nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)]
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)]


class Discriminator(nn.Module):
    """image B×C×S×S in [-1, 1] → real/fake logit B."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = [
            nn.Conv2d(cfg.channels, cfg.ndf, 4, 2, 1, bias=False),   # B×d×S/2×S/2
            nn.LeakyReLU(0.2, inplace=True),
        ]
        mult = 1
        for _ in range(cfg.n_up - 1):                      # 32→16→8→4, doubling width
            layers += [
                nn.Conv2d(cfg.ndf * mult, cfg.ndf * mult * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cfg.ndf * mult * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            mult *= 2
        layers.append(nn.Conv2d(cfg.ndf * mult, 1, 4, 1, 0, bias=False))  # B×1×1×1
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).flatten()                      # B


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """The paper's init: conv weights ~ N(0, std); batch norm γ ~ N(1, std), β = 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


class DCGAN(nn.Module):
    """The (generator, discriminator) pair, saved and loaded as one checkpoint
    (``generator.*`` and ``discriminator.*`` tensors)."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)
        init_weights(self, cfg.init_std)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)


def seeded(factory, seed: int | None):
    """``factory()`` with its random init drawn from ``seed`` (when given),
    without touching the global random state."""
    with torch.random.fork_rng(devices=[], enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        return factory()


def build(cfg: DCGANConfig, seed: int | None = None) -> DCGAN:
    """A freshly initialised pair; ``seed`` makes the init reproducible without
    touching the global random state."""
    return seeded(lambda: DCGAN(cfg), seed)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """B×C×H×W in [-1, 1] → B×H×W×C uint8 (on the same device)."""
    x = ((images.float().clamp(-1, 1) + 1) * 127.5).round_()
    return x.to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def from_uint8(images: torch.Tensor) -> torch.Tensor:
    """B×H×W×C uint8 → B×C×H×W float in [-1, 1] (on the same device)."""
    return images.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
