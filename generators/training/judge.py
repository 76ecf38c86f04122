"""Training loop of the attribute judges (network in ``generators/nets/judge.py``).

Batches are P identities × K renders each, so the supervised contrastive
identity loss always has positives.  Half of each batch is lightly blurred and
noised so the judge also reads the softer images of learned generators.

The LEASE contract: images, targets and the identity groups live on the
training device and batches are drawn there; on CUDA bf16 autocast, cudnn
benchmark and fused AdamW; losses are summed on the device and read every
``log_every`` steps.  ``time_limit_s`` stops (and saves) after so long, and
the cosine schedule follows the clock when that is further along than the
steps.  ``fine_blocks`` adds the 32×32 eye-and-mouth branch
(``nets/judge.py``); ``--init`` from a judge without it starts the branch
fresh with the heads' new inputs at zero, so training starts from the old
judge's reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F

from generators.datasets import expression_maps, shown_attributes
from generators.nets.judge import ARCH_VERSION, ExpressionReader, Judge, JudgeConfig
from generators.training import kernel
from generators.training.kernel import Losses, Sheet


@dataclass
class JudgeTrainOptions(kernel.Loop):
    domain: str = "faces"
    steps: int = 3000
    identities_per_batch: int = 32  # P
    per_identity: int = 4  # K
    lr: float = 1e-3
    n_train: int = 60000
    images_per_identity: int = 4  # renders per training identity: many identities generalise
    width: int = 32
    blocks: int = 1
    local_blocks: int = 1
    log_every: int = 100
    init: str | None = None  # start from these judge weights (same config), not at random
    weights: dict | None = None  # CE weight per class attribute (DEFAULT_WEIGHTS, else 1)
    expression_map: float = 10.0  # faces: weight of the auxiliary expression-map loss (0: none)
    fine_blocks: int = 0  # faces: the 32×32 eye-and-mouth branch (0: none)
    fine_width: int = 64
    expr_width: int = 0  # faces: the full-resolution expression reader (0: none)
    expr_only: bool = False  # train the expression reader alone (the rest frozen, unchanged)
    expr_map: float = 1.0  # weight of the reader's own change-map term (expr_only)
    eyewear_width: int = 0  # faces: the full-resolution eyewear reader (0: none)
    eyewear_only: bool = False  # train the eyewear reader alone (the rest frozen, unchanged)

    def __post_init__(self) -> None:
        super().__post_init__()
        class_weights(self.domain, self.weights)  # unknown attributes: an error
        if self.expr_width and self.domain != "faces":
            raise ValueError("expr_width: the expression reader is for faces")
        if self.expr_only and not self.expr_width:
            raise ValueError("expr_only needs an expression reader (expr_width > 0)")
        if self.eyewear_width and self.domain != "faces":
            raise ValueError("eyewear_width: the eyewear reader is for faces")
        if self.eyewear_only and not self.eyewear_width:
            raise ValueError("eyewear_only needs an eyewear reader (eyewear_width > 0)")
        if self.eyewear_only and self.expr_only:
            raise ValueError("train one reader at a time: expr_only or eyewear_only")


# the subtle one: a faces expression changes a few pixels at 64 px
DEFAULT_WEIGHTS = {"faces": {"expression": 3.0}}


def class_weights(domain: str, given: dict | None) -> dict[str, float]:
    """The cross-entropy weight of each class attribute named: the domain's
    defaults, overridden by ``given``.  Unknown names raise ValueError."""
    from generators.nets.judge import AttributeCodec

    weights = {**DEFAULT_WEIGHTS.get(domain, {}), **(given or {})}
    known = {a.name for a in AttributeCodec(domain).classes}
    if set(weights) - known:
        raise ValueError(
            f"weights: no class attribute {', '.join(sorted(set(weights) - known))}; "
            f"{domain} has {', '.join(sorted(known))}"
        )
    return weights


def supcon_loss(emb: torch.Tensor, labels: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss over unit embeddings B×E with integer labels B."""
    sim = emb @ emb.T / tau  # B×B
    eye = torch.eye(len(emb), dtype=torch.bool, device=emb.device)
    sim = sim.masked_fill(eye, -1e9)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    n_pos = pos.sum(1).clamp(min=1)
    return -(log_prob * pos).sum(1).div(n_pos).mean()


def _masked_smooth_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Smooth L1 over the rows whose target is known (NaN: not shown); 0
    where no row is known (no host synchronisation)."""
    known = ~torch.isnan(target).any(1)
    per = F.smooth_l1_loss(pred, torch.nan_to_num(target), beta=0.05, reduction="none").mean(1)
    return (per * known).sum() / known.sum().clamp(min=1)


def judge_loss(
    judge: Judge,
    out: dict[str, torch.Tensor],
    targets: dict[str, torch.Tensor],
    labels: torch.Tensor,
    weights: dict[str, float] | None = None,
    map_weight: float = 0.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    parts: dict[str, torch.Tensor] = {}
    codec = judge.codec
    ce = {a.name: F.cross_entropy(out[a.name], targets[a.name]) for a in codec.classes}
    # an attribute no image of the batch shows gives NaN: it adds nothing
    w = weights or {}
    parts["cls"] = cast(
        torch.Tensor, sum(w.get(k, 1.0) * torch.nan_to_num(v) for k, v in ce.items())
    )
    parts["reg"] = 10 * cast(
        torch.Tensor, sum(_masked_smooth_l1(out[a.name], targets[a.name]) for a in codec.numeric)
    )
    parts["id"] = 0.5 * supcon_loss(out["_embed"], labels)
    if "_expression_map" in out and "_expression_map" in targets and map_weight:
        pred = out["_expression_map"]
        size = (pred.shape[-2], pred.shape[-1])
        target = F.adaptive_avg_pool2d(targets["_expression_map"][:, None], size)[:, 0]
        parts["map"] = map_weight * F.binary_cross_entropy_with_logits(pred, target)
    total = cast(torch.Tensor, sum(parts.values()))
    logged = {k: v.detach().float() for k, v in parts.items()}
    logged.update({f"ce_{k}": v.detach().float() for k, v in ce.items()})  # for the log only
    return total, logged


LOSS_PARTS = ("cls", "reg", "id", "map")  # the terms of the total (the log: per-attribute CE too)
_BLUR = torch.tensor([1.0, 2.0, 1.0]) / 4


def _blur(x: torch.Tensor) -> torch.Tensor:
    """A light separable [1 2 1]/4 blur (thin glasses rims survive it)."""
    c = x.shape[1]
    k = _BLUR.to(x)
    x = F.conv2d(
        F.pad(x, (1, 1, 0, 0), mode="replicate"), k.view(1, 1, 1, 3).repeat(c, 1, 1, 1), groups=c
    )
    return F.conv2d(
        F.pad(x, (0, 0, 1, 1), mode="replicate"), k.view(1, 1, 3, 1).repeat(c, 1, 1, 1), groups=c
    )


def _degrade(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Blur and noise a random half of a batch (B×3×H×W in [-1, 1]); on
    ``g``'s device, without reading anything back to the host."""
    pick = (torch.rand(len(x), generator=g, device=g.device) < 0.5)[:, None, None, None]
    noise = torch.randn(x.shape, generator=g, device=g.device) * 0.04
    return torch.where(pick, (_blur(x) + noise).clamp(-1, 1), x)


def _groups(seeds: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Identity groups as a padded G×M index table and the G group sizes."""
    by_seed: dict[int, list[int]] = {}
    for i, s in enumerate(seeds):
        by_seed.setdefault(int(s), []).append(i)
    groups = list(by_seed.values())
    m = max(len(v) for v in groups)
    table = np.zeros((len(groups), m), np.int64)
    for r, v in enumerate(groups):
        table[r, : len(v)] = v
    return torch.from_numpy(table), torch.tensor([len(v) for v in groups])


def _draw(
    table: torch.Tensor, sizes: torch.Tensor, P: int, K: int, g: torch.Generator
) -> torch.Tensor:
    """P distinct identities, K renders of each (distinct where the identity
    has K, else with repeats), drawn on the device: a P·K index vector."""
    G, M = table.shape
    chosen = torch.rand(G, generator=g, device=g.device).argsort()[:P]  # P
    n = sizes[chosen]  # P
    # K draws per identity: a random permutation of its renders, repeated
    keys = torch.rand(P, M, generator=g, device=g.device)
    keys = keys.masked_fill(torch.arange(M, device=g.device)[None] >= n[:, None], 2.0)
    order = keys.argsort(1)  # valid first
    pos = torch.arange(K, device=g.device)[None] % n[:, None]  # P×K
    return table[chosen[:, None], order.gather(1, pos)].reshape(-1)


def _widen_heads(judge: Judge, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict of a judge without the fine branch, fitted to one with it:
    each head's weights for the new features are zero, so the widened judge
    reads exactly what the old one did until the branch learns."""
    own = judge.state_dict()
    out = dict(state)
    for k, v in state.items():
        if (
            k in own
            and own[k].dim() == 2
            and v.dim() == 2
            and own[k].shape[1] > v.shape[1]
            and own[k].shape[0] == v.shape[0]
        ):
            w = torch.zeros_like(own[k])
            w[:, : v.shape[1]] = v
            out[k] = w
    return out


class JudgeTrainer(kernel.Trainer):
    """A judge, its P×K batches and its losses on the kernel."""

    name, code_version = "judge", ARCH_VERSION
    module_cls, config_cls = Judge, JudgeConfig
    retrain = "holochat train judge --out DIR"

    def __init__(
        self, opts: JudgeTrainOptions, dataset: Any = None, *, recipe: dict[str, Any] | None = None
    ):
        super().__init__(opts, recipe=recipe)
        self.opts = opts
        self.weights = class_weights(opts.domain, opts.weights)
        self.start = load_judge(opts.init) if opts.init else None  # fail before the data
        torch.manual_seed(opts.seed)
        dev = self.device
        ds = kernel.studio_set(opts, dataset, per_seed=opts.images_per_identity, with_shown=True)
        self.use_map = (
            bool(opts.expression_map) and opts.domain == "faces" and opts.local_blocks > 0
        )
        self.cfg = JudgeConfig(
            domain=opts.domain,
            image_size=ds.images.shape[1],
            width=opts.width,
            blocks=opts.blocks,
            local_blocks=opts.local_blocks,
            expression_map=self.use_map,
            fine_blocks=opts.fine_blocks,
            fine_width=opts.fine_width,
            expr_width=opts.expr_width,
            eyewear_width=opts.eyewear_width,
        )
        self.judge = self.module = Judge(self.cfg)
        # the data (built on the host, in worker processes) then onto the device
        targets = {
            k: torch.from_numpy(v)
            for k, v in self.judge.codec.encode(shown_attributes(ds), shown=True).items()
        }
        if self.use_map:
            targets["_expression_map"] = torch.from_numpy(expression_maps(ds))
        table, sizes = _groups(ds.seeds)
        self.judge.to(dev)
        self.images = torch.from_numpy(ds.images).to(dev)  # N×H×W×3 uint8
        self.targets = {k: v.to(dev) for k, v in targets.items()}
        self.seeds = torch.from_numpy(np.asarray(ds.seeds)).to(dev)
        self.table, self.sizes = table.to(dev), sizes.to(dev)
        # expr_only / eyewear_only: only that reader learns; the rest of the judge
        # (its weights and batch-norm statistics) is never run in training
        self.add_optimizer(
            "judge",
            self.reader().parameters() if self.reader_attr() else self.judge.parameters(),
            lr=opts.lr,
            betas=(0.9, 0.999),
            weight_decay=1e-4,
            kind="adamw",
        )
        self.g = torch.Generator(dev).manual_seed(opts.seed)
        self.P = min(opts.identities_per_batch, len(sizes))
        self.judge.train()

    def label(self) -> str:
        return f"judge {self.opts.domain}"

    def reader_attr(self) -> str | None:
        """The attribute whose reader trains alone (None: the whole judge)."""
        if self.opts.expr_only:
            return "expression"
        return "eyewear" if self.opts.eyewear_only else None

    def reader(self) -> ExpressionReader:
        return self.judge.expr if self.opts.expr_only else self.judge.eyewear_reader

    def generators(self) -> dict[str, torch.Generator]:
        return {"draw": self.g}

    def batch_size(self) -> int:
        return self.P * self.opts.per_identity

    def init_from(self, path: Path) -> None:
        """A start without the map head gets a fresh one; one without the fine
        branch gets a fresh branch, its heads widened with zeros; one without
        a reader (expression, eyewear) gets a fresh one."""
        start, cfg = self.start, self.cfg
        assert start is not None
        for reader in ("expr_width", "eyewear_width"):  # a reader is kept, never dropped
            width = getattr(start.cfg, reader)
            if width and width != getattr(cfg, reader):
                raise ValueError(
                    f"--init {path} has a reader of width {width}: --set {reader}={width}"
                )
        if replace(
            start.cfg,
            expression_map=self.use_map,
            fine_blocks=cfg.fine_blocks,
            fine_width=cfg.fine_width,
            expr_width=cfg.expr_width,
            eyewear_width=cfg.eyewear_width,
        ) != cfg or (
            start.cfg.fine_blocks
            and (start.cfg.fine_blocks, start.cfg.fine_width) != (cfg.fine_blocks, cfg.fine_width)
        ):
            raise ValueError(f"--init {path}: its config {start.cfg} differs from {cfg}")
        sd = start.state_dict()
        if cfg.fine_blocks and not start.cfg.fine_blocks:
            sd = _widen_heads(self.judge, sd)
        missing, unexpected = self.judge.load_state_dict(sd, strict=False)
        fresh = ("expr_map.", "fine.", "expr.", "eyewear_reader.")
        if unexpected or any(not k.startswith(fresh) for k in missing):
            raise ValueError(f"--init {path}: weights do not fit ({missing + unexpected})")

    def lr(self, step: int, clock: float | None) -> dict[str, float]:
        """Linear warm-up, then cosine decay, following the clock when that
        is further along than the steps."""
        steps = self.opts.steps
        warm = max(1, steps // 20)
        frac = step / steps if clock is None else max(step / steps, clock)
        factor = (
            min(1.0, max((step + 1) / warm, frac * 20)) * 0.5 * (1 + np.cos(np.pi * min(1.0, frac)))
        )
        return {"judge": self.opts.lr * factor}

    def batch(self, index: int) -> dict[str, Any]:
        idx = _draw(self.table, self.sizes, self.P, self.opts.per_identity, self.g)
        x = _degrade(
            self.images.index_select(0, idx).permute(0, 3, 1, 2).float().div(127.5).sub(1.0), self.g
        )
        return {
            "x": x,
            "targets": {k: v.index_select(0, idx) for k, v in self.targets.items()},
            "labels": self.seeds.index_select(0, idx),
        }

    def losses(self, b: dict[str, Any], step: int) -> Losses:
        if self.reader_attr():
            return (yield from self._reader_losses(b))
        with self.autocast():
            out = self.judge(b["x"])
        out = {k: v.float() for k, v in out.items()}
        loss, parts = judge_loss(
            self.judge, out, b["targets"], b["labels"], self.weights, self.opts.expression_map
        )
        yield "judge", loss
        return parts

    def _reader_losses(self, b: dict[str, Any]) -> Losses:
        """A reader alone: cross-entropy on its shown attribute (weighted as in
        the whole judge), for the expression also the change-map term, on images
        mirrored at random (a mirror keeps the expression and the eyewear)."""
        x, t = b["x"], b["targets"]
        attr = self.reader_attr()
        assert attr is not None
        flip = torch.rand(len(x), generator=self.g, device=x.device) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        with self.autocast():
            logits, pred = self.reader().once(x)
        ce = torch.nan_to_num(F.cross_entropy(logits.float(), t[attr]))
        parts = {"cls": self.weights.get(attr, 1.0) * ce}
        if attr == "expression" and "_expression_map" in t and self.opts.expr_map:
            m = torch.where(flip[:, None, None], t["_expression_map"].flip(2), t["_expression_map"])
            size = (int(pred.shape[-2]), int(pred.shape[-1]))
            target = F.adaptive_avg_pool2d(m[:, None], size)[:, 0]
            parts["map"] = self.opts.expr_map * F.binary_cross_entropy_with_logits(
                pred.float(), target
            )
        yield "judge", cast(torch.Tensor, sum(parts.values()))
        return {k: v.detach().float() for k, v in parts.items()}

    def record(self, rec: dict[str, Any]) -> dict[str, Any]:
        rec["images_per_s"] = round(rec["images_per_s"], 1)
        return rec

    def describe(self, rec: dict[str, Any]) -> str:
        return f"loss {sum(v for k, v in rec.items() if k in LOSS_PARTS):.3f} · " + " ".join(
            f"{k} {rec[k]:.3f}" for k in LOSS_PARTS if k in rec
        )

    @torch.no_grad()
    def sheet(self) -> Sheet:
        """What the identity embedding reads: the first eight training images
        (top) and, below each, its nearest neighbour by the embedding among
        the first 64 other images."""
        was = self.judge.training
        self.judge.eval()
        pool = self.images[:64]
        x = pool.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        emb = self.judge(x)["_embed"].float()
        sim = emb @ emb.T
        sim.fill_diagonal_(-2.0)
        n = min(8, len(pool))
        near = sim[:n].argmax(1)
        self.judge.train(was)
        top = pool[:n].cpu().numpy()
        return Sheet(list(top) + list(pool.index_select(0, near).cpu().numpy()), n, 2)


def train_judge(
    opts: JudgeTrainOptions, dataset: Any = None, *, recipe: dict[str, Any] | None = None
) -> Judge:
    """Train to ``opts.steps`` (or the time limit); returns the judge in eval
    mode, its log as ``train_log``."""
    trainer = JudgeTrainer(opts, dataset, recipe=recipe)
    kernel.run(trainer, init=opts.init)
    judge = trainer.judge
    setattr(judge, "train_log", trainer.log)  # noqa: B010 (a Module)
    return judge


def save_judge(judge: Judge, out: str | os.PathLike, extra: dict | None = None) -> Path:
    from generators.checkpoint import save_pretrained

    return save_pretrained(
        judge, judge.cfg, out, model_name="judge", code_version=ARCH_VERSION, extra=extra
    )


def load_judge(path: str | os.PathLike) -> Judge:
    from generators.checkpoint import from_pretrained

    return from_pretrained(
        Judge,
        JudgeConfig,
        path,
        model_name="judge",
        code_version=ARCH_VERSION,
        retrain_hint=f"holochat train judge --out {path}",
    )


RECIPE_CLASSES = (JudgeTrainOptions,)


def train_settings(opts: JudgeTrainOptions, recipe: dict[str, Any]) -> JudgeTrainer:
    return kernel.run(JudgeTrainer(opts, recipe=recipe), init=opts.init)


@kernel.tiny("judge")
def tiny(out: str | None = None, steps: int = 4, resume: bool = False) -> JudgeTrainer:
    """A seconds-long faces judge with the expression map and the fine branch."""
    from generators.datasets import make_dataset

    ds = make_dataset("faces", 24, seed=3, workers=1)
    opts = JudgeTrainOptions(
        steps=steps,
        identities_per_batch=3,
        per_identity=4,
        width=8,
        fine_blocks=1,
        fine_width=8,
        progress=False,
        log_every=1,
        lr=3e-4,
        out=out,
        resume=resume,
        sample_every=100,
    )
    return JudgeTrainer(opts, ds)
