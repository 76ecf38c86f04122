"""Training the request reader's head on the generated corpus.

The encoder is frozen, so its token features are computed once per corpus and cached
on disk (``<cache>/reader/``, float16, keyed by the corpus and the model); training then
runs the small head only (``generators.nets.reader``), on CPU in minutes.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogue import reader as R, reader_corpus as C


@dataclass(frozen=True)
class TrainSettings:
    examples: int = 20000
    dev: int = 800
    steps: int = 4000
    batch: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    hidden: int = 96
    encoder: str = "bigru"
    members: int = 1


def _labels(examples: Sequence[C.Example]) -> dict[str, np.ndarray]:
    vocab = C.vocabulary()
    act = np.array([C.ACTS.index(e.act) for e in examples], np.int64)
    deg = np.array([C.DEGREES.index(e.degree) for e in examples], np.int64)
    slots = np.full((len(examples), len(vocab)), -100, np.int64)
    for i, e in enumerate(examples):
        for j, s in enumerate(vocab):
            if s.domain == e.domain:
                slots[i, j] = s.labels.index(e.labels.get(s.key, C.NONE))
    # the degree only matters where a number moves
    moves = np.array([any(v in ("up", "down") for v in e.labels.values()) for e in examples])
    deg[~moves] = -100
    return {"act": act, "degree": deg, "slots": slots}


def features(
    examples: Sequence[C.Example],
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(flat float16 token features [total, 384], offsets [N + 1]) of the examples."""
    from generators.text.embedding import embedding_model_name

    texts = [R.model_input(e.text, e.domain) for e in examples]
    key = hashlib.sha256(
        ("\n".join(texts) + embedding_model_name() + str(R.MAX_TOKENS)).encode()
    ).hexdigest()[:16]
    path = cache / f"feats-{key}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path) as z:
            return z["flat"], z["offsets"]
    chunks: list[np.ndarray] = []
    lengths: list[int] = []
    t0 = time.perf_counter()
    order = np.argsort([len(t) for t in texts])  # similar lengths per batch: less padding
    out: list[np.ndarray | None] = [None] * len(texts)
    for b in range(0, len(texts), 64):
        idx = order[b : b + 64]
        feats, mask = R.token_features([texts[i] for i in idx])
        f = feats.numpy().astype(np.float16)
        lens = mask.sum(1).numpy()
        for row, i in enumerate(idx):
            out[i] = f[row, : lens[row]]
        if progress and (b // 64) % 20 == 0:
            progress(f"features {b + len(idx)}/{len(texts)} ({time.perf_counter() - t0:.0f}s)")
    for a in out:
        assert a is not None  # every text's row was filled
        chunks.append(a)
        lengths.append(a.shape[0])
    flat = np.concatenate(chunks)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, flat=flat, offsets=offsets)
        tmp.replace(path)
    return flat, offsets


def _batch(flat: np.ndarray, offsets: np.ndarray, idx: np.ndarray):
    import torch

    lens = offsets[idx + 1] - offsets[idx]
    T = int(lens.max())
    x = np.zeros((len(idx), T, flat.shape[1]), np.float32)
    m = np.zeros((len(idx), T), np.int64)
    for r, i in enumerate(idx):
        x[r, : lens[r]] = flat[offsets[i] : offsets[i + 1]]
        m[r, : lens[r]] = 1
    return torch.from_numpy(x), torch.from_numpy(m)


def loss_of(out, labels, idx):
    import torch
    import torch.nn.functional as F

    act = torch.from_numpy(labels["act"][idx])
    deg = torch.from_numpy(labels["degree"][idx])
    slots = torch.from_numpy(labels["slots"][idx])
    loss = F.cross_entropy(out["act"], act)
    if (deg != -100).any():
        loss = loss + F.cross_entropy(out["degree"], deg, ignore_index=-100)
    s = out["slots"]
    loss = (
        loss
        + F.cross_entropy(s.reshape(-1, s.shape[-1]), slots.reshape(-1), ignore_index=-100) * 2.0
    )
    return loss


def dev_accuracy(model, flat, offsets, labels, idx) -> float:
    """Share of dev examples whose act, touched slots and (for moves) degree are all right."""
    import torch

    model.eval()
    right = 0
    with torch.inference_mode():
        for b in range(0, len(idx), 128):
            j = idx[b : b + 128]
            out = model(*_batch(flat, offsets, j))
            a = out["act"].argmax(-1).numpy()
            d = out["degree"].argmax(-1).numpy()
            s = out["slots"].argmax(-1).numpy()
            for r, i in enumerate(j):
                ok = a[r] == labels["act"][i]
                want = labels["slots"][i]
                ok &= bool(np.all((want == -100) | (s[r] == want)))
                if labels["degree"][i] != -100:
                    ok &= d[r] == labels["degree"][i]
                right += bool(ok)
    model.train()
    return right / max(1, len(idx))


def train(
    settings: TrainSettings,
    out: Path | None,
    cache: Path | None = None,
    exclude: set[str] | None = None,
    progress: Callable[[str], None] = print,
):
    """Generate, featurise, train; save the head to ``out`` (unless None); return (model, info)."""
    import torch

    from generators.checkpoint import save_pretrained
    from generators.nets.reader import ReaderConfig, RequestReader

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    t0 = time.perf_counter()
    examples = list(
        C.generate(settings.examples + settings.dev, seed=settings.seed, exclude=exclude)
    )
    flat, offsets = features(examples, cache, progress)
    t_feat = time.perf_counter() - t0
    labels = _labels(examples)
    dev = np.arange(settings.examples, settings.examples + settings.dev)
    tr = np.arange(settings.examples)
    cfg = ReaderConfig(
        feat_dim=int(flat.shape[1]),
        hidden=settings.hidden,
        n_acts=len(C.ACTS),
        n_degrees=len(C.DEGREES),
        slot_sizes=tuple(len(s.labels) for s in C.vocabulary()),
        encoder=settings.encoder,
        members=settings.members,
    )
    model = RequestReader(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * s / settings.steps))
    )
    model.train()
    t1 = time.perf_counter()
    losses: list[float] = []
    # resumable: a checkpoint of the run (keyed by corpus and settings) every 250 steps
    ckpt = None
    if cache is not None:
        run_key = hashlib.sha256(
            (
                json.dumps(vars(settings), sort_keys=True) + str(offsets[-1]) + str(len(examples))
            ).encode()
        ).hexdigest()[:12]
        ckpt = cache / f"run-{run_key}.pt"
        cache.mkdir(parents=True, exist_ok=True)
    start = 0
    if ckpt is not None and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        losses, start = state["losses"], state["step"]
        progress(f"resumed at step {start} from {ckpt}")
    for step in range(start, settings.steps):
        idx = rng.choice(tr, settings.batch, replace=False)
        loss = sum(
            loss_of(out, labels, idx) for out in model.forward_members(*_batch(flat, offsets, idx))
        )
        opt.zero_grad()
        loss.backward()
        for part in model.heads if settings.members > 1 else [model]:
            torch.nn.utils.clip_grad_norm_(part.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if ckpt is not None and (step + 1) % 250 == 0 and step + 1 < settings.steps:
            tmp = ckpt.with_suffix(".tmp")
            torch.save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                    "losses": losses[-200:],
                    "step": step + 1,
                },
                tmp,
            )
            tmp.replace(ckpt)
        if (step + 1) % 500 == 0 or step == 0:
            progress(
                f"step {step + 1}/{settings.steps} loss {np.mean(losses[-100:]):.4f} "
                f"({time.perf_counter() - t1:.0f}s)"
            )
    if ckpt is not None and ckpt.exists():
        ckpt.unlink()
    acc = dev_accuracy(model, flat, offsets, labels, dev)
    model.eval()
    info = {
        "dev_accuracy": round(acc, 4),
        "feature_seconds": round(t_feat, 1),
        "train_seconds": round(time.perf_counter() - t1, 1),
        "final_loss": round(float(np.mean(losses[-100:])), 4),
    }
    progress(f"dev accuracy {acc:.4f}")
    if out is not None:
        recipe = dict(vars(settings))
        save_pretrained(
            model,
            cfg,
            out,
            model_name=R.MODEL_NAME,
            code_version=R.CODE_VERSION,
            extra={
                "labels": R.label_space(),
                "recipe": recipe,
                "train": info,
                "encoder_model": "all-MiniLM-L6-v2 (frozen)",
            },
        )
    return model, info


def heldout_texts(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {
        json.loads(line)["text"].lower()
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    }
