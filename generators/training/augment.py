"""Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation
for Data-Efficient GAN Training"): the same random colour, translation and
cutout transforms are applied to real and generated images before the
discriminator sees them, and gradients flow through them to the generator, so
the discriminator cannot memorise a small training set while the generator
still learns the un-augmented images.

The three policies follow the paper's reference code (images in [-1, 1]):

- ``color``: brightness + U(−0.5, 0.5), saturation × U(0, 2), contrast × U(0.5, 1.5);
- ``translation``: shift by up to 1/8 of the side, zero (grey) padding;
- ``cutout``: a square of half the side set to 0, anywhere in the image.

Unlike the reference code, every random draw comes from a ``torch.Generator``
(so a resumed run equals an uninterrupted one) and each policy is applied to
each image with probability ``p`` (1 = always, the paper's setting).  Nothing
here synchronises with the host.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _u(b: int, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(b, 1, 1, 1, device=x.device, generator=gen, dtype=torch.float32).to(x.dtype)


def color(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    b = x.shape[0]
    x = x + (_u(b, x, gen) - 0.5)
    mean = x.mean(1, keepdim=True)
    x = (x - mean) * (_u(b, x, gen) * 2) + mean
    mean = x.mean((1, 2, 3), keepdim=True)
    return (x - mean) * (_u(b, x, gen) + 0.5) + mean


def _grid(b: int, h: int, w: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gb, gh, gw = torch.meshgrid(
        torch.arange(b, device=device),
        torch.arange(h, device=device),
        torch.arange(w, device=device),
        indexing="ij",
    )
    return gb, gh, gw


def translation(
    x: torch.Tensor, gen: torch.Generator, ratio: float = TRANSLATION_RATIO
) -> torch.Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    tx = torch.randint(-sh, sh + 1, (b, 1, 1), device=x.device, generator=gen)
    ty = torch.randint(-sw, sw + 1, (b, 1, 1), device=x.device, generator=gen)
    gb, gx, gy = _grid(b, h, w, x.device)
    gx = (gx + tx + 1).clamp(0, h + 1)
    gy = (gy + ty + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gx, gy].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ox = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), device=x.device, generator=gen)
    oy = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), device=x.device, generator=gen)
    gb, gx, gy = _grid(b, ch, cw, x.device)
    gx = (gx + ox - ch // 2).clamp(0, h - 1)
    gy = (gy + oy - cw // 2).clamp(0, w - 1)
    mask = torch.ones(b, h, w, device=x.device, dtype=x.dtype)
    mask[gb, gx, gy] = 0
    return x * mask[:, None]


POLICIES = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(
    x: torch.Tensor, ops: Sequence[str], gen: torch.Generator, p: float = 1.0
) -> torch.Tensor:
    """``x`` (B×C×H×W) with each policy in ``ops`` applied in turn, to each
    image with probability ``p``; differentiable in ``x``."""
    for name in ops:
        y = POLICIES[name](x, gen)
        if p < 1.0:
            keep = torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=gen) < p
            y = torch.where(keep, y, x)
        x = y
    return x.contiguous(memory_format=torch.channels_last)
