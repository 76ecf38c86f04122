"""The losses the trainers share, each written once.

- Reconstruction: ``weighted_rec`` (L1 or L2, optionally weighted per pixel
  by ``feature_weights``: a studio face render comes with its feature mask,
  eyes, brows, mouth, rims, lenses and the beard's edge, about 3 % of the
  pixels; a plain per-pixel loss lets the network trade those few pixels for
  the skin around them, so the features blur; weighting them by
  ``1 + feature_weight`` makes each count as much as that many skin pixels.
  The loss is divided by the mean weight, so its scale does not move with
  the weight and ``feature_weight = 0`` is the plain loss).
- Adversarial: the non-saturating GAN's two terms (``ns_real``: −log σ(x),
  which is also the generator's loss; ``ns_fake``: −log(1 − σ(x))), the
  hinge loss's (``hinge_real``, ``hinge_fake``, ``hinge_g``) and
  Mescheder et al.'s R1 penalty (``r1_penalty``).
- ``JudgePerceptual``: the squared distance between the faces judge's 16×16
  feature maps (trunk and local branch, the layers that read expressions
  and eyewear) of the generated and the studio image, each layer divided by
  the studio image's mean squared activation; the judge is frozen and in
  eval mode (``FrozenJudge``, which ``ReaderMatch`` shares).
- ``ReaderMatch``: a faces judge's expression logits made to read the
  generated image as they read the studio's (KL between the softmax on the
  two; the studio's read is the soft target, so a faint expression is asked
  to stay as faint as the studio drew it).  ``head="reader"`` uses the
  judge's full-resolution expression reader, ``head="trunk"`` the expression
  head on its strided trunk, a separate network from the reader that
  measures expressions.  Never train against the network that measures the
  result: the generator can learn its blind spots instead of drawing the
  expression.
- ``kl_normal``: KL(N(μ, σ²) ‖ N(0, I)) of a VAE's posterior.

All tensors stay on the training device; nothing here reads a value back to
the host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def feature_weights(features: torch.Tensor, weight: float) -> torch.Tensor:
    """B×H×W bool (or 0/1) feature masks → B×1×H×W float weights 1 + weight · mask."""
    return 1.0 + float(weight) * features.float().unsqueeze(1)


def weighted_rec(
    pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None, kind: str = "l2"
) -> torch.Tensor:
    """Mean of w · (pred − target)² (``l2``) or w · |pred − target| (``l1``)
    divided by the mean of w; the plain mean where ``weights`` is None.
    ``weights`` broadcasts over the channels (B×1×H×W)."""
    d = pred.float() - target.float()
    per = d.pow(2) if kind == "l2" else d.abs()
    if weights is None:
        return per.mean()
    w = weights.expand_as(per)
    return (per * w).sum() / w.sum()


def gradient_difference(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The gradient difference loss (Mathieu et al. 2016, α = 1): the mean
    absolute difference of the horizontal and of the vertical neighbour
    differences of ``pred`` and ``target`` (B×C×H×W).  A squared pixel loss
    forgives a soft edge; this one charges for it, so it sharpens where the
    studio has edges and nowhere else."""
    p, t = pred.float(), target.float()
    dx = (p[..., :, 1:] - p[..., :, :-1]) - (t[..., :, 1:] - t[..., :, :-1])
    dy = (p[..., 1:, :] - p[..., :-1, :]) - (t[..., 1:, :] - t[..., :-1, :])
    return 0.5 * (dx.abs().mean() + dy.abs().mean())


def ns_real(logits: torch.Tensor) -> torch.Tensor:
    """Mean −log σ(x): D's loss on what should read real, and G's
    non-saturating loss on its samples."""
    return F.softplus(-logits.float()).mean()


def ns_fake(logits: torch.Tensor) -> torch.Tensor:
    """Mean −log(1 − σ(x)): D's loss on what should read fake."""
    return F.softplus(logits.float()).mean()


def hinge_real(logits: torch.Tensor) -> torch.Tensor:
    return F.relu(1.0 - logits.float()).mean()


def hinge_fake(logits: torch.Tensor) -> torch.Tensor:
    return F.relu(1.0 + logits.float()).mean()


def hinge_g(logits: torch.Tensor) -> torch.Tensor:
    return -logits.float().mean()


def r1_penalty(d_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mescheder et al.'s (2018) R1 term E‖∇ₓD(x)‖² at the real images ``real``
    (created with ``requires_grad``), from their logits ``d_real``; differentiable."""
    (grad,) = torch.autograd.grad(d_real.float().sum(), real, create_graph=True)
    return grad.float().pow(2).flatten(1).sum(1).mean()


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, exp(logvar)) ‖ N(0, I)) in nats per row (summed over dim 1),
    averaged over the batch."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()


class FrozenJudge(nn.Module):
    """A loss term read through a frozen faces judge: no gradient to the judge,
    and it stays in eval mode (BatchNorm keeps its running statistics) when the
    trainer calls ``train()``."""

    def __init__(self, judge: nn.Module):
        super().__init__()
        self.judge = judge.eval()
        self.judge.requires_grad_(False)

    def train(self, mode: bool = True) -> FrozenJudge:
        super().train(mode)
        self.judge.eval()
        return self


class JudgePerceptual(FrozenJudge):
    """Perceptual distance on a frozen faces judge's 16×16 feature maps
    (inputs in [-1, 1])."""

    @classmethod
    def load(
        cls, path: str | Path | None = None, device: str | torch.device = "cpu"
    ) -> JudgePerceptual:
        from generators.training.judge import load_judge
        from generators.weights import weights_path

        return cls(load_judge(path or weights_path("judge", "faces"))).to(device)

    def maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        j: Any = self.judge
        mid = j.trunk(x)
        out = [mid]
        if getattr(j.cfg, "local_blocks", 0):
            out.append(j.local(mid))
        return out

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            want = [m.float() for m in self.maps(real)]
        got = self.maps(fake)
        terms = [
            F.mse_loss(g.float(), w) / w.pow(2).mean().clamp_min(1e-6) for g, w in zip(got, want)
        ]
        return torch.stack(terms).mean()


class ReaderMatch(FrozenJudge):
    """KL(read(studio) ‖ read(generated)) of a frozen faces judge's expression
    logits: its full-resolution reader (``head="reader"``, read once, not
    mirrored) or its trunk's expression head (``"trunk"``); inputs in [-1, 1]."""

    HEADS = ("reader", "trunk")

    def __init__(self, judge: nn.Module, head: str = "reader"):
        if head not in self.HEADS:
            raise ValueError(f"reader_head must be one of {', '.join(self.HEADS)}, not {head!r}")
        if head == "reader" and getattr(judge, "expr", None) is None:
            raise ValueError(
                "reader_judge: that judge has no expression reader (train one with "
                "expr_width, or use reader_head=trunk)"
            )
        super().__init__(judge)
        self.head = head

    @classmethod
    def load(
        cls, path: str | Path, head: str = "reader", device: str | torch.device = "cpu"
    ) -> ReaderMatch:
        from generators.training.judge import load_judge

        return cls(load_judge(path), head).to(device)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        j: Any = self.judge
        if self.head == "reader":
            return j.expr.once(x)[0].float()
        return j(x, read_expression=False, read_eyewear=False)["expression"].float()

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            want = F.log_softmax(self.logits(real), 1)
        got = F.log_softmax(self.logits(fake), 1)
        return F.kl_div(got, want, log_target=True, reduction="batchmean")
