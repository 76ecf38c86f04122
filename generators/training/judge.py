"""Training loop of the attribute judges (network in ``generators/nets/judge.py``).

Batches are P identities × K renders each, so the supervised contrastive
identity loss always has positives.  Half of each batch is lightly blurred and
noised so the judge also reads the softer images of learned generators.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from generators.datasets import cached_dataset, expression_maps, shown_attributes
from generators.training.progress import progress_bar
from generators.nets.judge import ARCH_VERSION, Judge, JudgeConfig, to_input


@dataclass
class JudgeTrainOptions:
    domain: str = "faces"
    steps: int = 3000
    identities_per_batch: int = 32   # P
    per_identity: int = 4            # K
    lr: float = 1e-3
    n_train: int = 60000
    images_per_identity: int = 4     # renders per training identity: many identities generalise
    seed: int = 0
    device: str = "cpu"
    out: str | None = None
    width: int = 32
    blocks: int = 1
    local_blocks: int = 1
    log_every: int = 100
    save_every: int = 1000           # snapshot to ``out`` every so many steps (0: only at the end)
    init: str | None = None          # start from these judge weights (same config), not at random
    weights: dict | None = None      # cross-entropy weight per class attribute (DEFAULT_WEIGHTS, else 1)
    expression_map: float = 10.0     # faces: weight of the auxiliary expression-map loss (0: none)
    progress: bool = True
    echo: bool = False               # without a bar: one plain log line per interval (stderr)


# the subtle one: a faces expression changes a few pixels at 64 px
DEFAULT_WEIGHTS = {"faces": {"expression": 3.0}}


def class_weights(domain: str, given: dict | None) -> dict[str, float]:
    """The cross-entropy weight of each class attribute named: the domain's
    defaults, overridden by ``given``.  Unknown names raise ValueError."""
    from generators.nets.judge import AttributeCodec
    weights = {**DEFAULT_WEIGHTS.get(domain, {}), **(given or {})}
    known = {a.name for a in AttributeCodec(domain).classes}
    if set(weights) - known:
        raise ValueError(f"weights: no class attribute {', '.join(sorted(set(weights) - known))}; "
                         f"{domain} has {', '.join(sorted(known))}")
    return weights


def supcon_loss(emb: torch.Tensor, labels: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss over unit embeddings B×E with integer labels B."""
    sim = emb @ emb.T / tau                                        # B×B
    eye = torch.eye(len(emb), dtype=torch.bool, device=emb.device)
    sim = sim.masked_fill(eye, -1e9)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    n_pos = pos.sum(1).clamp(min=1)
    return -(log_prob * pos).sum(1).div(n_pos).mean()


def _masked_smooth_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Smooth L1 over the rows whose target is known (NaN: not shown)."""
    known = ~torch.isnan(target).any(1)
    if not known.any():
        return pred.sum() * 0.0
    return F.smooth_l1_loss(pred[known], target[known], beta=0.05)


def judge_loss(judge: Judge, out: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
               labels: torch.Tensor, weights: dict[str, float] | None = None,
               map_weight: float = 0.0) -> tuple[torch.Tensor, dict[str, float]]:
    parts: dict[str, torch.Tensor] = {}
    codec = judge.codec
    ce = {a.name: F.cross_entropy(out[a.name], targets[a.name]) for a in codec.classes}
    # an attribute no image of the batch shows gives NaN: it adds nothing
    w = weights or {}
    parts["cls"] = sum(w.get(k, 1.0) * torch.nan_to_num(v) for k, v in ce.items())
    parts["reg"] = 10 * sum(_masked_smooth_l1(out[a.name], targets[a.name]) for a in codec.numeric)
    parts["id"] = 0.5 * supcon_loss(out["_embed"], labels)
    if "_expression_map" in out and "_expression_map" in targets and map_weight:
        pred = out["_expression_map"]
        target = F.adaptive_avg_pool2d(targets["_expression_map"][:, None], pred.shape[-2:])[:, 0]
        parts["map"] = map_weight * F.binary_cross_entropy_with_logits(pred, target)
    total = sum(parts.values())
    logged = {k: float(v.detach()) for k, v in parts.items()}
    logged.update({f"ce_{k}": float(v.detach()) for k, v in ce.items()})   # for the log only
    return total, logged


LOSS_PARTS = ("cls", "reg", "id", "map")   # the terms of the total (the log has per-attribute CE too)
_BLUR = torch.tensor([1.0, 2.0, 1.0]) / 4


def _blur(x: torch.Tensor) -> torch.Tensor:
    """A light separable [1 2 1]/4 blur (thin glasses rims survive it)."""
    c = x.shape[1]
    k = _BLUR.to(x)
    x = F.conv2d(F.pad(x, (1, 1, 0, 0), mode="replicate"), k.view(1, 1, 1, 3).repeat(c, 1, 1, 1),
                 groups=c)
    return F.conv2d(F.pad(x, (0, 0, 1, 1), mode="replicate"),
                    k.view(1, 1, 3, 1).repeat(c, 1, 1, 1), groups=c)


def _degrade(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Blur and noise a random half of a batch (B×3×H×W in [-1, 1])."""
    pick = torch.rand(len(x), generator=g) < 0.5
    if pick.any():
        blurred = _blur(x[pick])
        noise = torch.randn(blurred.shape, generator=g) * 0.04
        x = x.clone()
        x[pick] = (blurred + noise).clamp(-1, 1)
    return x


def train_judge(opts: JudgeTrainOptions, dataset=None) -> Judge:
    weights = class_weights(opts.domain, opts.weights)
    start = load_judge(opts.init) if opts.init else None       # fail before the data is built
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    ds = dataset if dataset is not None else cached_dataset(
        opts.domain, opts.n_train, seed=opts.seed, per_seed=opts.images_per_identity,
        with_shown=True)
    use_map = bool(opts.expression_map) and opts.domain == "faces" and opts.local_blocks > 0
    cfg = JudgeConfig(domain=opts.domain, image_size=ds.images.shape[1], width=opts.width,
                      blocks=opts.blocks, local_blocks=opts.local_blocks, expression_map=use_map)
    judge = Judge(cfg)
    if start is not None:
        if replace(start.cfg, expression_map=use_map) != cfg:
            raise ValueError(f"--init {opts.init}: its config {start.cfg} differs from {cfg}")
        # a start without the map head gets a fresh one
        missing, unexpected = judge.load_state_dict(start.state_dict(), strict=False)
        if unexpected or any(not k.startswith("expr_map.") for k in missing):
            raise ValueError(f"--init {opts.init}: weights do not fit ({missing + unexpected})")
    judge = judge.to(opts.device)
    targets_np = judge.codec.encode(shown_attributes(ds), shown=True)
    images = torch.from_numpy(ds.images)
    targets = {k: torch.from_numpy(v) for k, v in targets_np.items()}
    if use_map:
        targets["_expression_map"] = torch.from_numpy(expression_maps(ds))
    seeds = ds.seeds
    by_seed: dict[int, np.ndarray] = {}
    for i, s in enumerate(seeds):
        by_seed.setdefault(int(s), []).append(i)          # type: ignore[arg-type]
    groups = [np.array(v) for v in by_seed.values()]
    opt = torch.optim.AdamW(judge.parameters(), lr=opts.lr, weight_decay=1e-4)
    warm = max(1, opts.steps // 20)             # linear warm-up, then cosine decay
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (
        1 + np.cos(np.pi * min(1.0, s / opts.steps))))
    g = torch.Generator().manual_seed(opts.seed)
    log = []
    progress = progress_bar(opts.progress)
    what = f"judge {opts.domain}"
    judge.train()
    with progress as bar:
        task = bar.add_task(what, total=opts.steps) if bar else None
        running: dict[str, float] = {}
        for step in range(1, opts.steps + 1):
            P = min(opts.identities_per_batch, len(groups))
            chosen = rng.choice(len(groups), P, replace=False)
            idx = np.concatenate([rng.choice(groups[c], opts.per_identity,
                                             replace=len(groups[c]) < opts.per_identity)
                                  for c in chosen])
            x = _degrade(to_input(images[idx]), g).to(opts.device)
            t = {k: v[idx].to(opts.device) for k, v in targets.items()}
            labels = torch.from_numpy(seeds[idx]).to(opts.device)
            loss, parts = judge_loss(judge, judge(x), t, labels, weights, opts.expression_map)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            for k, v in parts.items():
                running[k] = running.get(k, 0.0) + v
            if step % opts.log_every == 0 or step == opts.steps:
                n = opts.log_every if step % opts.log_every == 0 else step % opts.log_every
                log.append({"step": step, **{k: v / n for k, v in running.items()}})
                running = {}
                loss_text = f"loss {sum(v for k, v in log[-1].items() if k in LOSS_PARTS):.3f}"
                if bar:
                    bar.update(task, description=f"{what} · {loss_text}")
                elif opts.echo:
                    import sys
                    print(f"{what} step {step}/{opts.steps} · {loss_text} · "
                          + " ".join(f"{k} {log[-1][k]:.3f}" for k in parts), file=sys.stderr,
                          flush=True)
            if opts.out and opts.save_every and step % opts.save_every == 0 and step < opts.steps:
                judge.eval()                    # a snapshot to look at while training goes on
                save_judge(judge, opts.out, extra={"train": asdict(opts), "step": step,
                                                   "log": log[-5:]})
                judge.train()
            if bar:
                bar.advance(task)
    judge.eval()
    judge.train_log = log  # type: ignore[attr-defined]
    if opts.out:
        save_judge(judge, opts.out, extra={"train": asdict(opts), "log": log[-5:]})
    return judge


def save_judge(judge: Judge, out: str | os.PathLike, extra: dict | None = None) -> Path:
    from generators.checkpoint import save_pretrained
    return save_pretrained(judge, judge.cfg, out, model_name="judge",
                           code_version=ARCH_VERSION, extra=extra)


def load_judge(path: str | os.PathLike) -> Judge:
    from generators.checkpoint import from_pretrained
    return from_pretrained(Judge, JudgeConfig, path, model_name="judge",
                           code_version=ARCH_VERSION, retrain_hint=f"holochat train judge --out {path}")
