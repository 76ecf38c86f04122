"""How much of a face's attributes the caption embeddings carry: a linear
probe, the text side's ceiling for ``heldout_caption_accuracy``.

A softmax classifier per categorical / bool face attribute is trained on the
standardised embeddings of captions written with the *training* templates
(``generators.studio.captions``), then read on captions of new states written
with the training templates and with the held-out ones.  A generator
conditioned on the same embeddings only sees what such a read-out can
separate, so where the probe reads a held-out template poorly the generator
cannot be expected to draw it right either (the probe is linear, as the text
GAN's compressor is one linear layer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _table(cache, attrs, per_image: int, seed: int, heldout: bool) -> np.ndarray:
    tab = cache.caption_table("faces", attrs, per_image, seed, heldout=heldout)
    return tab.embeddings[tab.index.reshape(-1)]  # (N·per)×D


def caption_probe(
    n_train: int = 3000,
    n_test: int = 1000,
    seed: int = 0,
    embedder: Callable | None = None,
    cache_dir=None,
    steps: int = 2000,
    hidden: int = 0,
) -> dict[str, Any]:
    """Train the probe on ``n_train`` random states × 2 training-template
    captions; return its accuracy on ``n_test`` new states with training and
    with held-out templates (means over attributes, and per attribute).
    ``hidden`` > 0: a one-hidden-layer adapter instead of the linear read-out
    (what a learned text head over the frozen embedding could reach)."""
    import torch

    from generators.datasets import TEST_SEED_BASE, sample_attributes
    from generators.evaluation.textgan import CLASS_ATTRS
    from generators.nets.textgan import class_sizes
    from generators.text.embedding import EmbeddingCache
    from generators.training.textgan import category_codes

    rng = np.random.default_rng([seed, 515])
    train = [
        sample_attributes("faces", rng, int(rng.integers(TEST_SEED_BASE))) for _ in range(n_train)
    ]
    test = [
        sample_attributes("faces", rng, TEST_SEED_BASE + int(rng.integers(1_000_000)))
        for _ in range(n_test)
    ]
    cache = EmbeddingCache(cache_dir, embedder)
    x = torch.from_numpy(_table(cache, train, 2, seed, False))
    y = torch.from_numpy(category_codes(train)).repeat_interleave(2, 0)
    mean = x.mean(0)
    scale = (x - mean).pow(2).mean().sqrt().clamp_min(1e-6)  # as TextCompressor
    x = (x - mean) / scale
    sizes = list(class_sizes())  # classes per attribute, category_codes' order
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = (
        torch.nn.Linear(x.shape[1], sum(sizes))
        if not hidden
        else torch.nn.Sequential(
            torch.nn.Linear(x.shape[1], hidden),
            torch.nn.GELU(),
            torch.nn.Dropout(0.2),
            torch.nn.Linear(hidden, sum(sizes)),
        )
    )
    opt = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-2 if hidden else 0.0)
    for _ in range(steps):
        b = torch.randint(len(x), (256,), generator=g)
        logits = net(x[b]).split(sizes, 1)
        loss = sum(
            (torch.nn.functional.cross_entropy(lg, y[b, i]) for i, lg in enumerate(logits)),
            torch.zeros(()),
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    y_test = torch.from_numpy(category_codes(test))
    out: dict[str, Any] = {"n_train_captions": len(x), "n_test": n_test, "hidden": hidden}
    for name, heldout in (("train_templates", False), ("heldout_templates", True)):
        xt = (torch.from_numpy(_table(cache, test, 1, seed + 1, heldout)) - mean) / scale
        with torch.no_grad():
            logits = net(xt).split(sizes, 1)
        per = {
            a: float((lg.argmax(1) == y_test[:, i]).float().mean())
            for i, (a, lg) in enumerate(zip(CLASS_ATTRS, logits))
        }
        out[f"probe_{name}"] = float(np.mean(list(per.values())))
        out[f"probe_{name}_per_attribute"] = per
    return out
