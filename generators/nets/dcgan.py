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

Small-data GAN options from the field (issue #24), each off by default so
older weights load unchanged:

- ``mapping`` = k > 0: a mapping network z → w of k fully connected layers
  (LeakyReLU 0.2, after normalising z to unit RMS), as in StyleGAN; the
  generator then draws from w (``Generator.to_w`` / ``synthesis``).  Its
  learning rate is ``lr × mapping_lr_mul`` (the trainer's parameter group).
- ``style``: w also modulates every batch norm of the generator (the norm's
  scale and shift come from w by a linear layer per layer: conditional batch
  norm, AdaIN-like), so w reaches every resolution, not only the first layer.
- ``mbstd_group`` = g > 0: minibatch standard deviation (Karras et al. 2018)
  before the discriminator's last layer: the mean standard deviation of the
  features over groups of g images, as one more feature map.
- ``upsample="bilinear"``: bilinear ×2 then a 3×3 conv (a smoother
  interpolation than ``"resize"``'s nearest neighbour).
- ``synthesis="convdeconv"``: the synthesis network is the pretrained
  conv-deconv faces decoder behind a learned head w → decoder input code, and
  the pair's GAN is trained on those codes (a latent GAN:
  ``generators/nets/latent_gan.py``, trained by
  ``generators/training/latent_gan.py``).  Needs a mapping network.  The pair
  then also carries ``code_discriminator``; ``discriminator`` stays the image
  discriminator (the completion search's prior; not trained by that stage).
- ``ema``, ``augment``, ``lr_d``: training options (an exponential moving
  average of G's weights, DiffAugment, two time-scale learning rates), used
  by ``generators/training/dcgan.py``; they do not change the networks.

Only the network lives here; training is in ``generators/training/dcgan.py``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

from generators.nets.convdeconv import paint_faces
from generators.protocol import Z_DIM

ARCH_VERSION = 1  # bump when a change makes saved weights unloadable
UPSAMPLE = ("deconv", "resize", "bilinear")
SYNTHESIS = ("dcgan", "convdeconv")
AUGMENTS = ("color", "translation", "cutout")


def augment_ops(spec: str) -> list[str]:
    """The augmentations named in a comma-separated spec ("" → none)."""
    return [a.strip() for a in str(spec).split(",") if a.strip()]


#: training settings that configs held before issue 25 (now ``training.dcgan.TrainOptions``);
#: a checkpoint that records them still loads
TRAINING_KEYS = (
    "lr",
    "beta1",
    "beta2",
    "r1_gamma",
    "r1_every",
    "kl_weight",
    "rec_weight",
    "vae_warmup",
    "warmup_lr",
    "mapping_lr_mul",
    "ema",
    "augment",
    "augment_p",
    "lr_d",
)


@dataclass(frozen=True)
class DCGANConfig:
    z_dim: int = Z_DIM  # latent length
    image_size: int = 64  # output height = width, a power of two ≥ 16
    channels: int = 3  # RGB
    ngf: int = 64  # generator width at the last hidden layer
    ndf: int = 64  # discriminator width at the first layer
    init_std: float = 0.02  # N(0, std) weight init
    upsample: str = "deconv"  # generator's ×2 layers: "deconv" (the paper's 4×4 stride-2
    # transposed convs) or "resize" (nearest ×2, then a 3×3 conv;
    # Odena et al. 2016: no checkerboard)
    output: str = "tanh"  # "tanh" (the paper's RGB) or "compose" (albedo × shade and a
    # mask over a background colour from z)
    encoder: bool = False  # an image → z encoder trained with G as a VAE (then VAE-GAN)
    # -- issue #24's options (all off by default: older configs load unchanged) --
    mapping: int = 0  # fully connected layers z → w before the generator (0: none)
    style: bool = False  # w modulates every batch norm of G (conditional batch norm)
    mbstd_group: int = 0  # minibatch standard deviation in D over groups of this many
    # -- the latent GAN (nets/latent_gan.py): synthesis = the conv-deconv faces decoder --
    synthesis: str = "dcgan"  # "dcgan" (the up-convolutions above) or "convdeconv"
    decoder_width: int = 128  # the decoder's ConvDeconvConfig: group_width,
    decoder_shared: int = 512  # shared,
    decoder_channels: tuple[int, ...] = (160, 80, 40, 20, 12)  # channels
    decoder_parts: bool = False  # its parts layer
    decoder_parts_context: int = 0  # and the parts layer's context branch
    code_hidden: int = 256  # the code discriminator's width

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder_channels", tuple(self.decoder_channels))
        if self.synthesis not in SYNTHESIS:
            raise ValueError(
                f"synthesis must be one of {', '.join(SYNTHESIS)}, got {self.synthesis!r}"
            )
        if self.synthesis == "convdeconv" and (
            self.mapping < 1 or self.image_size != 64 or self.channels != 3
        ):
            raise ValueError(
                "synthesis 'convdeconv' needs a mapping network (mapping ≥ 1) and 64×64 RGB"
            )
        n = self.image_size
        if n < 16 or n & (n - 1):
            raise ValueError(f"image_size must be a power of two ≥ 16, got {n}")
        if self.upsample not in UPSAMPLE:
            raise ValueError(
                f"upsample must be one of {', '.join(UPSAMPLE)}, got {self.upsample!r}"
            )
        if self.mapping < 0 or self.mbstd_group < 0:
            raise ValueError("mapping and mbstd_group must be ≥ 0")
        if self.output not in ("tanh", "compose"):
            raise ValueError(f"output must be 'tanh' or 'compose', got {self.output!r}")
        if self.output == "compose" and self.channels != 3:
            raise ValueError("output 'compose' paints RGB: channels must be 3")
        for name in ("z_dim", "channels", "ngf", "ndf"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    @property
    def n_up(self) -> int:
        """Stride-2 layers between the 4×4 map and the image (4 at 64×64)."""
        return int(math.log2(self.image_size)) - 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DCGANConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k not in TRAINING_KEYS}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown DCGAN config keys: {', '.join(unknown)}")
        return cls(**d)


class Generator(nn.Module):
    """z (B×z_dim or B×z_dim×1×1) → image B×C×S×S in [-1, 1].

    ``forward(z) = synthesis(to_w(z))``; without a mapping network ``to_w`` is
    the identity (w = z)."""

    main: Any  # the up-convolutions (nn.Sequential), or a latent GAN's CodeSynthesis

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.mapping:
            self.mapping = MappingNetwork(cfg.z_dim, cfg.mapping)
        if cfg.synthesis == "convdeconv":
            from generators.nets.latent_gan import CodeSynthesis, decoder_config

            self.main = CodeSynthesis(cfg.z_dim, decoder_config(cfg))
            return
        mult = 2 ** (cfg.n_up - 1)  # 8 at 64×64
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim, cfg.ngf * mult, 4, 1, 0, bias=False),  # B×8g×4×4
            _norm(cfg, cfg.ngf * mult),
            nn.ReLU(True),
        ]
        for _ in range(cfg.n_up - 1):  # 4→8→16→32, halving width
            layers += [
                *_up(cfg, cfg.ngf * mult, cfg.ngf * mult // 2),
                _norm(cfg, cfg.ngf * mult // 2),
                nn.ReLU(True),
            ]
            mult //= 2
        if cfg.output == "compose":  # albedo 3, shade 1, mask 1
            layers += _up(cfg, cfg.ngf, 5, bias=True)  # B×5×S×S
            self.background = nn.Linear(cfg.z_dim, 3)  # flat background colour from z
            self.brightness = nn.Linear(cfg.z_dim, 1)  # the studio's brightness from z
        else:
            layers += [*_up(cfg, cfg.ngf, cfg.channels), nn.Tanh()]  # B×C×S×S
        self.main = nn.Sequential(*layers)

    def to_w(self, z: torch.Tensor) -> torch.Tensor:
        """The intermediate latent w (B×z_dim) of z (the identity without a mapping network)."""
        z = z.flatten(1)
        return self.mapping(z) if self.cfg.mapping else z

    def synthesis(self, w: torch.Tensor) -> torch.Tensor:
        """The image of an intermediate latent w (B×z_dim or B×z_dim×1×1)."""
        wf = w.flatten(1)
        if self.cfg.synthesis == "convdeconv":
            return self.main(wf)
        if self.cfg.style:
            out = wf[:, :, None, None]
            for m in self.main:
                out = m(out, wf) if isinstance(m, StyleBatchNorm) else m(out)
        else:
            out = self.main(wf[:, :, None, None])
        if self.cfg.output == "tanh":
            return out
        return paint_faces(
            out, torch.sigmoid(self.background(wf)), torch.tanh(self.brightness(wf))
        )  # [-1, 1], like tanh

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder input codes of z (B×CODE_DIM; ``synthesis="convdeconv"`` only)."""
        return self.main.codes(self.to_w(z))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.synthesis(self.to_w(z))


class MappingNetwork(nn.Module):
    """z → w: normalise z to unit RMS, then ``layers`` × (Linear, LeakyReLU 0.2)
    (StyleGAN's mapping network; He-initialised, zero biases)."""

    def __init__(self, dim: int, layers: int):
        super().__init__()
        self.net = nn.Sequential(
            *[m for _ in range(layers) for m in (nn.Linear(dim, dim), nn.LeakyReLU(0.2))]
        )
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, a=0.2)
                nn.init.zeros_(m.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * torch.rsqrt(z.float().pow(2).mean(1, keepdim=True) + 1e-8).to(z.dtype)
        return self.net(z)


class StyleBatchNorm(nn.Module):
    """Batch norm whose scale and shift come from w: x̂ · (1 + a(w)) + b(w)
    (``DCGANConfig.style``); a, b linear, starting near 0 so it starts as a
    plain batch norm."""

    def __init__(self, channels: int, w_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.affine = nn.Linear(w_dim, 2 * channels)
        nn.init.normal_(self.affine.weight, 0.0, 0.2 / math.sqrt(w_dim))
        nn.init.zeros_(self.affine.bias)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(w).to(x.dtype)[:, :, None, None].chunk(2, 1)
        return self.norm(x) * (1 + scale) + shift


def _norm(cfg: DCGANConfig, channels: int) -> nn.Module:
    return StyleBatchNorm(channels, cfg.z_dim) if cfg.style else nn.BatchNorm2d(channels)


class MinibatchStd(nn.Module):
    """Append the mean standard deviation of the features over groups of
    ``group`` images as one more channel (Karras et al. 2018; StyleGAN2's layout:
    image i is in group i mod B/g).  The largest group size ≤ ``group`` that
    divides the batch is used."""

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group, n)
        while n % g:
            g -= 1
        y = x.float().reshape(g, -1, c, h, w)
        y = (y - y.mean(0)).pow(2).mean(0).add(1e-8).sqrt().mean((1, 2, 3))  # B/g
        y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)  # B×1×H×W
        return torch.cat([x, y.to(x.dtype)], 1)


def _up(cfg: DCGANConfig, c_in: int, c_out: int, bias: bool = False) -> list[nn.Module]:
    """One ×2 layer of the generator (see ``DCGANConfig.upsample``)."""
    if cfg.upsample in ("resize", "bilinear"):
        mode = "nearest" if cfg.upsample == "resize" else "bilinear"
        return [nn.Upsample(scale_factor=2, mode=mode), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias)]
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)]


def _down_trunk(cfg: DCGANConfig) -> tuple[list[nn.Module], int]:
    """The discriminator's strided convolutions down to 4×4, and their last width."""
    layers: list[nn.Module] = [
        nn.Conv2d(cfg.channels, cfg.ndf, 4, 2, 1, bias=False),  # B×d×S/2×S/2
        nn.LeakyReLU(0.2, inplace=True),
    ]
    mult = 1
    for _ in range(cfg.n_up - 1):  # 32→16→8→4, doubling width
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
        if cfg.mbstd_group:
            layers.append(MinibatchStd(cfg.mbstd_group))
            width += 1
        layers.append(nn.Conv2d(width, 1, 4, 1, 0, bias=False))  # B×1×1×1
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).flatten()  # B


class Encoder(nn.Module):
    """image B×C×S×S in [-1, 1] → (mean, log-variance) of z, B×z_dim each:
    the discriminator's trunk and a linear head (``DCGANConfig.encoder``)."""

    LOGVAR_RANGE = (-10.0, 5.0)

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        layers, width = _down_trunk(cfg)
        self.main = nn.Sequential(*layers)  # B×w×4×4
        self.head = nn.Linear(width * 16, 2 * cfg.z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.head(self.main(x).flatten(1))
        return h[:, : self.cfg.z_dim], h[:, self.cfg.z_dim :].clamp(*self.LOGVAR_RANGE)


class Shifted(nn.Module):
    """A generator with a fixed move in its direction space, as a module z →
    image: G(z + shift) ("z") or synthesis(to_w(z) + shift) ("w"); ``cfg`` and
    parameters are G's (completion searches z through it)."""

    shift: torch.Tensor  # buffer

    def __init__(self, generator: Generator, shift, space: str = "z"):
        super().__init__()
        self.g = generator
        self.cfg = generator.cfg
        self.space = space
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float32).flatten())

    def _w(self, z: torch.Tensor) -> torch.Tensor:
        shift = self.shift.to(z.device, z.dtype)
        if self.space == "w":
            return self.g.to_w(z) + shift
        return self.g.to_w(z.flatten(1) + shift)

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder input codes of the shifted z (a latent GAN only)."""
        return self.g.main.codes(self._w(z))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.g.synthesis(self._w(z))


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """The paper's init: conv weights ~ N(0, std); batch norm γ ~ N(1, std), β = 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
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
        if cfg.synthesis == "convdeconv":
            from generators.nets.latent_gan import CodeDiscriminator

            self.code_discriminator = CodeDiscriminator(cfg.code_hidden, cfg.mbstd_group)
        # (a latent GAN's decoder is overwritten by its pretrained weights afterwards)
        init_weights(self, cfg.init_std)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)


def critic(pair: DCGAN) -> nn.Module:
    """The trained critic of a pair, the completion search's prior: a latent
    GAN's code discriminator (its pixel discriminator is never trained), else
    the discriminator."""
    code_d = getattr(pair, "code_discriminator", None)
    return code_d if code_d is not None else pair.discriminator


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
