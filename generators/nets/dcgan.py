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

Two measured departures from the paper, both off by default:

- ``output="compose"``: the generator's last layer paints albedo, shading and
  a mask instead of RGB, and the mask composites the face over a flat
  background colour read from ``z`` by a linear layer (the conv-deconv faces
  output layer, ``generators/nets/convdeconv.py``'s ``compose``); the
  up-convolutions then spend their capacity on the face, not on flat colour.
- ``encoder=True``: the pair carries an encoder E (image → mean and
  log-variance of ``z``) trained with the generator as a VAE (Kingma &
  Welling 2014): per-pixel squared error plus ``kl_weight`` × the KL term per
  pixel.  The first ``vae_warmup`` steps use that loss alone; after them the
  GAN losses start and the generator keeps ``rec_weight`` × the VAE loss beside
  its adversarial one (Larsen et al.'s VAE-GAN, 2016).  Sampling stays
  ``G(z)``, z ~ N(0, I); the encoder is meant to give the latent space a
  smoother layout for attribute directions (measured in docs/measurements.md:
  better preservation, no better success, in a 10,000-step CPU run).

Only the network lives here; training is in ``generators/training/dcgan.py``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from generators.nets.convdeconv import paint_faces
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
    output: str = "tanh"        # "tanh" (the paper's RGB) or "compose" (albedo × shade and a
                                # mask over a background colour from z)
    encoder: bool = False       # train an image → z encoder with G as a VAE (then VAE-GAN)
    kl_weight: float = 0.08     # KL (nats per image) × this / pixels beside the per-pixel MSE
                                # (0.08 = a Gaussian pixel likelihood with σ = 0.2)
    rec_weight: float = 300.0   # after the warm-up: G's loss = adversarial + this × VAE loss
    vae_warmup: int = 0         # steps with the VAE loss alone before the GAN losses start
    warmup_lr: float = 1e-3     # Adam learning rate of the warm-up (× 0.3 in its last 30 %)

    def __post_init__(self) -> None:
        n = self.image_size
        if n < 16 or n & (n - 1):
            raise ValueError(f"image_size must be a power of two ≥ 16, got {n}")
        if self.upsample not in ("deconv", "resize"):
            raise ValueError(f"upsample must be 'deconv' or 'resize', got {self.upsample!r}")
        if self.output not in ("tanh", "compose"):
            raise ValueError(f"output must be 'tanh' or 'compose', got {self.output!r}")
        if self.output == "compose" and self.channels != 3:
            raise ValueError("output 'compose' paints RGB: channels must be 3")
        if self.vae_warmup < 0 or self.kl_weight < 0 or self.rec_weight < 0 or self.warmup_lr <= 0:
            raise ValueError("vae_warmup, kl_weight and rec_weight must be ≥ 0, warmup_lr > 0")
        if self.vae_warmup and not self.encoder:
            raise ValueError("vae_warmup needs encoder=True (the warm-up trains the encoder)")
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
        if cfg.output == "compose":                        # albedo 3, shade 1, mask 1
            layers += _up(cfg, cfg.ngf, 5, bias=True)      # B×5×S×S
            self.background = nn.Linear(cfg.z_dim, 3)      # flat background colour from z
            self.brightness = nn.Linear(cfg.z_dim, 1)      # the studio's brightness from z
        else:
            layers += [*_up(cfg, cfg.ngf, cfg.channels), nn.Tanh()]   # B×C×S×S
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]                        # B×z_dim×1×1
        out = self.main(z)
        if self.cfg.output == "tanh":
            return out
        zf = z.flatten(1)
        return paint_faces(out, torch.sigmoid(self.background(zf)),
                           torch.tanh(self.brightness(zf)))    # [-1, 1], like tanh


def _up(cfg: DCGANConfig, c_in: int, c_out: int, bias: bool = False) -> list[nn.Module]:
    """One ×2 layer of the generator (see ``DCGANConfig.upsample``)."""
    if cfg.upsample == "resize":
        return [nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias)]
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)]


def _down_trunk(cfg: DCGANConfig) -> tuple[list[nn.Module], int]:
    """The discriminator's strided convolutions down to 4×4, and their last width."""
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
    return layers, cfg.ndf * mult


class Discriminator(nn.Module):
    """image B×C×S×S in [-1, 1] → real/fake logit B."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        layers, width = _down_trunk(cfg)
        layers.append(nn.Conv2d(width, 1, 4, 1, 0, bias=False))  # B×1×1×1
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).flatten()                      # B


class Encoder(nn.Module):
    """image B×C×S×S in [-1, 1] → (mean, log-variance) of z, B×z_dim each:
    the discriminator's trunk and a linear head (``DCGANConfig.encoder``)."""

    LOGVAR_RANGE = (-10.0, 5.0)

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        layers, width = _down_trunk(cfg)
        self.main = nn.Sequential(*layers)                 # B×w×4×4
        self.head = nn.Linear(width * 16, 2 * cfg.z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.head(self.main(x).flatten(1))
        return h[:, :self.cfg.z_dim], h[:, self.cfg.z_dim:].clamp(*self.LOGVAR_RANGE)


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
        self.encoder = Encoder(cfg) if cfg.encoder else None
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
