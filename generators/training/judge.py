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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from generators.datasets import cached_dataset, expression_maps, shown_attributes
from generators.training.progress import progress_bar
from generators.nets.judge import ARCH_VERSION, Judge, JudgeConfig


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
    fine_blocks: int = 0             # faces: the 32×32 eye-and-mouth branch (0: none)
    fine_width: int = 64
    time_limit_s: float | None = None


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
    """Smooth L1 over the rows whose target is known (NaN: not shown); 0
    where no row is known (no host synchronisation)."""
    known = ~torch.isnan(target).any(1)
    per = F.smooth_l1_loss(pred, torch.nan_to_num(target), beta=0.05, reduction="none").mean(1)
    return (per * known).sum() / known.sum().clamp(min=1)


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
    logged = {k: v.detach().float() for k, v in parts.items()}
    logged.update({f"ce_{k}": v.detach().float() for k, v in ce.items()})   # for the log only
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
        table[r, :len(v)] = v
    return torch.from_numpy(table), torch.tensor([len(v) for v in groups])


def _draw(table: torch.Tensor, sizes: torch.Tensor, P: int, K: int,
          g: torch.Generator) -> torch.Tensor:
    """P distinct identities, K renders of each (distinct where the identity
    has K, else with repeats), drawn on the device: a P·K index vector."""
    G, M = table.shape
    chosen = torch.rand(G, generator=g, device=g.device).argsort()[:P]          # P
    n = sizes[chosen]                                                          # P
    # K draws per identity: a random permutation of its renders, repeated
    keys = torch.rand(P, M, generator=g, device=g.device)
    keys = keys.masked_fill(torch.arange(M, device=g.device)[None] >= n[:, None], 2.0)
    order = keys.argsort(1)                                                    # valid first
    pos = torch.arange(K, device=g.device)[None] % n[:, None]                  # P×K
    return table[chosen[:, None], order.gather(1, pos)].reshape(-1)


def _widen_heads(judge: Judge, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict of a judge without the fine branch, fitted to one with it:
    each head's weights for the new features are zero, so the widened judge
    reads exactly what the old one did until the branch learns."""
    own = judge.state_dict()
    out = dict(state)
    for k, v in state.items():
        if k in own and own[k].dim() == 2 and v.dim() == 2 and own[k].shape[1] > v.shape[1] \
                and own[k].shape[0] == v.shape[0]:
            w = torch.zeros_like(own[k])
            w[:, :v.shape[1]] = v
            out[k] = w
    return out


def train_judge(opts: JudgeTrainOptions, dataset=None) -> Judge:
    import contextlib
    import sys
    import time
    weights = class_weights(opts.domain, opts.weights)
    start = load_judge(opts.init) if opts.init else None       # fail before the data is built
    torch.manual_seed(opts.seed)
    dev = torch.device(opts.device)
    cuda = dev.type == "cuda"
    ds = dataset if dataset is not None else cached_dataset(
        opts.domain, opts.n_train, seed=opts.seed, per_seed=opts.images_per_identity,
        with_shown=True)
    use_map = bool(opts.expression_map) and opts.domain == "faces" and opts.local_blocks > 0
    cfg = JudgeConfig(domain=opts.domain, image_size=ds.images.shape[1], width=opts.width,
                      blocks=opts.blocks, local_blocks=opts.local_blocks, expression_map=use_map,
                      fine_blocks=opts.fine_blocks, fine_width=opts.fine_width)
    judge = Judge(cfg)
    if start is not None:
        if replace(start.cfg, expression_map=use_map, fine_blocks=cfg.fine_blocks,
                   fine_width=cfg.fine_width) != cfg or (start.cfg.fine_blocks and (
                       start.cfg.fine_blocks, start.cfg.fine_width)
                       != (cfg.fine_blocks, cfg.fine_width)):
            raise ValueError(f"--init {opts.init}: its config {start.cfg} differs from {cfg}")
        # a start without the map head gets a fresh one; one without the fine
        # branch gets a fresh branch, its heads widened with zeros
        sd = start.state_dict()
        if cfg.fine_blocks and not start.cfg.fine_blocks:
            sd = _widen_heads(judge, sd)
        missing, unexpected = judge.load_state_dict(sd, strict=False)
        if unexpected or any(not k.startswith(("expr_map.", "fine.")) for k in missing):
            raise ValueError(f"--init {opts.init}: weights do not fit ({missing + unexpected})")
    # the data (built on the host, in worker processes) then onto the device
    targets_np = judge.codec.encode(shown_attributes(ds), shown=True)
    targets = {k: torch.from_numpy(v) for k, v in targets_np.items()}
    if use_map:
        targets["_expression_map"] = torch.from_numpy(expression_maps(ds))
    table, sizes = _groups(ds.seeds)
    judge = judge.to(dev)
    if cuda:
        torch.backends.cudnn.benchmark = True
    images = torch.from_numpy(ds.images).to(dev)                        # N×H×W×3 uint8
    targets = {k: v.to(dev) for k, v in targets.items()}
    seeds = torch.from_numpy(np.asarray(ds.seeds)).to(dev)
    table, sizes = table.to(dev), sizes.to(dev)
    kw = {"fused": True} if cuda else {}
    opt = torch.optim.AdamW(judge.parameters(), lr=opts.lr, weight_decay=1e-4, **kw)
    from generators.training.progress import lease_time_limit
    opts.time_limit_s = lease_time_limit(opts.time_limit_s)   # a lease's deadline
    warm = max(1, opts.steps // 20)             # linear warm-up, then cosine decay
    t0 = time.perf_counter()

    def lr_factor(s: int) -> float:
        frac = s / opts.steps
        if opts.time_limit_s:                   # the clock, when it is further along
            frac = max(frac, (time.perf_counter() - t0) / opts.time_limit_s)
        return min(1.0, max((s + 1) / warm, frac * 20)) * 0.5 * (1 + np.cos(np.pi * min(1.0, frac)))

    g = torch.Generator(dev).manual_seed(opts.seed)
    amp = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else contextlib.nullcontext
    log = []
    progress = progress_bar(opts.progress)
    what = f"judge {opts.domain}"
    P = min(opts.identities_per_batch, len(sizes))
    judge.train()
    with progress as bar:
        task = bar.add_task(what, total=opts.steps) if bar else None
        running: dict[str, torch.Tensor] = {}
        n_run, t_log, n_log = 0, t0, 0
        for step in range(1, opts.steps + 1):
            for group in opt.param_groups:
                group["lr"] = opts.lr * lr_factor(step - 1)
            idx = _draw(table, sizes, P, opts.per_identity, g)
            x = _degrade(images.index_select(0, idx).permute(0, 3, 1, 2).float()
                         .div(127.5).sub(1.0), g)
            t = {k: v.index_select(0, idx) for k, v in targets.items()}
            with amp():
                out = judge(x)
            out = {k: v.float() for k, v in out.items()}
            loss, parts = judge_loss(judge, out, t, seeds.index_select(0, idx), weights,
                                     opts.expression_map)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            for k, v in parts.items():
                running[k] = running[k] + v if k in running else v
            n_run += 1
            stop = opts.time_limit_s is not None and time.perf_counter() - t0 > opts.time_limit_s
            if step % opts.log_every == 0 or step == opts.steps or stop:
                keys = list(running)
                vals = (torch.stack([running[k] for k in keys]) / n_run).tolist()  # one sync
                now = time.perf_counter()
                log.append({"step": step, **dict(zip(keys, vals)),
                            "images_per_s": round((step - n_log) * len(idx)
                                                  / max(now - t_log, 1e-9), 1)})
                running, n_run, t_log, n_log = {}, 0, now, step
                loss_text = f"loss {sum(v for k, v in log[-1].items() if k in LOSS_PARTS):.3f}"
                if bar:
                    bar.update(task, description=f"{what} · {loss_text}")
                elif opts.echo:
                    print(f"{what} step {step}/{opts.steps} · {loss_text} · "
                          + " ".join(f"{k} {log[-1][k]:.3f}" for k in parts), file=sys.stderr,
                          flush=True)
            if opts.out and opts.save_every and step % opts.save_every == 0 and step < opts.steps \
                    and not stop:
                judge.eval()                    # a snapshot to look at while training goes on
                save_judge(judge, opts.out, extra={"train": asdict(opts), "step": step,
                                                   "log": log[-5:]})
                judge.train()
            if bar:
                bar.advance(task)
            if stop:
                if opts.echo or bar:
                    print(f"{what}: time limit reached at step {step}", file=sys.stderr)
                break
    judge.eval()
    judge.train_log = log  # type: ignore[attr-defined]
    if opts.out:
        save_judge(judge.cpu(), opts.out,
                   extra={"train": asdict(opts), "step": log[-1]["step"] if log else 0,
                          "log": log[-5:]})
    return judge


def save_judge(judge: Judge, out: str | os.PathLike, extra: dict | None = None) -> Path:
    from generators.checkpoint import save_pretrained
    return save_pretrained(judge, judge.cfg, out, model_name="judge",
                           code_version=ARCH_VERSION, extra=extra)


def load_judge(path: str | os.PathLike) -> Judge:
    from generators.checkpoint import from_pretrained
    return from_pretrained(Judge, JudgeConfig, path, model_name="judge",
                           code_version=ARCH_VERSION, retrain_hint=f"holochat train judge --out {path}")
