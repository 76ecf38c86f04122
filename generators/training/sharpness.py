"""What the face trainers use against blur (docs/faces.md): a reconstruction
loss weighted up on the small features, a perceptual term on the faces
judge's features, and an exponential moving average of the generator's
weights for sampling.

- ``weighted_rec``: a studio face render comes with its feature mask
  (``studio.feature_mask``: eyes, brows, mouth, rims, lenses, the beard's
  edge, about 3 % of the pixels).  A plain per-pixel loss lets the network
  trade those few pixels for the skin around them, so the features blur or
  vanish; weighting them by ``1 + feature_weight`` makes every feature pixel
  count as much as ``1 + feature_weight`` skin pixels.  The loss is divided
  by the mean weight, so its scale (and the learning rate that suits it) does
  not move with the weight, and ``feature_weight = 0`` is the plain loss.
- ``JudgePerceptual``: the squared distance between the faces judge's
  16×16 feature maps (trunk and local branch, the layers that read
  expressions and eyewear) of the generated and the studio image, each layer
  divided by the studio image's mean squared activation.  The judge is
  frozen and in eval mode.
- ``EMA``: a shadow copy of a module's parameters, ``shadow ← d · shadow +
  (1 − d) · param`` after every step; the shadow is what the checkpoint ships.

All tensors stay on the training device; nothing here reads a value back to
the host.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


def feature_weights(features: torch.Tensor, weight: float) -> torch.Tensor:
    """B×H×W bool (or 0/1) feature masks → B×1×H×W float weights 1 + weight · mask."""
    return 1.0 + float(weight) * features.float().unsqueeze(1)


def weighted_rec(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None,
                 kind: str = "l2") -> torch.Tensor:
    """Mean of w · (pred − target)² (``l2``) or w · |pred − target| (``l1``)
    divided by the mean of w; the plain mean where ``weights`` is None.
    ``weights`` broadcasts over the channels (B×1×H×W)."""
    d = pred.float() - target.float()
    per = d.pow(2) if kind == "l2" else d.abs()
    if weights is None:
        return per.mean()
    w = weights.expand_as(per)
    return (per * w).sum() / w.sum()


class JudgePerceptual(nn.Module):
    """Perceptual distance on a frozen faces judge's 16×16 feature maps
    (inputs in [-1, 1])."""

    def __init__(self, judge: nn.Module):
        super().__init__()
        self.judge = judge.eval()
        self.judge.requires_grad_(False)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu"
             ) -> "JudgePerceptual":
        from generators.training.judge import load_judge
        from generators.weights import weights_path
        return cls(load_judge(path or weights_path("judge", "faces"))).to(device)

    def train(self, mode: bool = True) -> "JudgePerceptual":
        super().train(mode)
        self.judge.eval()              # BatchNorm keeps its running statistics
        return self

    def maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        j = self.judge
        mid = j.trunk(x)
        out = [mid]
        if getattr(j.cfg, "local_blocks", 0):
            out.append(j.local(mid))
        return out

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            want = [m.float() for m in self.maps(real)]
        got = self.maps(fake)
        terms = [F.mse_loss(g.float(), w) / w.pow(2).mean().clamp_min(1e-6)
                 for g, w in zip(got, want)]
        return torch.stack(terms).mean()


class EMA:
    """Exponential moving average of a module's parameters (buffers copied)."""

    def __init__(self, module: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the EMA decay must lie in (0, 1), got {decay}")
        self.decay = float(decay)
        self.shadow = copy.deepcopy(module).eval()
        self.shadow.requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        src = list(module.parameters())
        dst = list(self.shadow.parameters())
        torch._foreach_lerp_(dst, src, 1.0 - self.decay)
        for b_dst, b_src in zip(self.shadow.buffers(), module.buffers()):
            b_dst.copy_(b_src)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(sd)
