"""A portable pack of the sentence-embedding model for a machine without it.

A lent GPU machine has ``sentence_transformers`` but not the model's weights,
nothing can be downloaded there, and the repository copy that travels is
limited to 64 MiB.  all-MiniLM-L6-v2 is 91 MB, half of it the 30,522-row
word-piece embedding matrix, of which the studio's captions use about a
thousand rows.  So the pack keeps the transformer layers whole and only the
embedding rows that a given list of texts tokenises to::

    pack(texts, DIR)        # here: DIR holds the small files, the pruned
                            # weights and pack.json (the kept token ids)
    unpack(DIR, TARGET)     # there: a full-shape model folder (unused rows
                            # zero) that SentenceTransformer(TARGET) loads

The weights travel in half precision: for every text whose tokens were kept,
the unpacked model's embedding agrees with the original's to 2e-4 per
component (cosine >= 0.999999, measured on 400 training and held-out
captions); with the rows dropped alone (float32) it was exact.
``check(TARGET, texts)`` says which texts would touch a row that was
dropped, so a run refuses them instead of embedding them wrongly.

    python -m generators.text.portable pack OUT_DIR      # captions of the lease sets
    python -m generators.text.portable unpack PACK_DIR TARGET_DIR
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

PACK_FILE = "pack.json"
WEIGHTS = "model.safetensors"
PRUNED = "model.pruned.safetensors"
EMBED_KEY_SUFFIX = "embeddings.word_embeddings.weight"


def _source_dir(source: str | None = None) -> Path:
    from generators.text.embedding import embedding_model_name

    p = Path(source or embedding_model_name())
    if not (p / WEIGHTS).exists():
        raise FileNotFoundError(
            f"{p} is not a local sentence-transformers model folder (no {WEIGHTS})"
        )
    return p


def _tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))


def token_ids(folder: Path, texts: Iterable[str]) -> set[int]:
    """Every token id the model's tokenizer gives for ``texts`` (special tokens included)."""
    tok = _tokenizer(folder)
    ids: set[int] = set(int(i) for i in tok.all_special_ids)
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) == 4096:
            for row in tok(batch)["input_ids"]:
                ids.update(row)
            batch = []
    if batch:
        for row in tok(batch)["input_ids"]:
            ids.update(row)
    return ids


def pack(texts: Iterable[str], out: str | Path, source: str | None = None) -> dict:
    """Write the pack for ``texts`` into ``out``; returns its summary."""
    from safetensors.numpy import load_file, save_file

    src = _source_dir(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keep = np.array(sorted(token_ids(src, texts)), np.int64)
    tensors = load_file(str(src / WEIGHTS))
    key = next(k for k in tensors if k.endswith(EMBED_KEY_SUFFIX))
    full = tensors[key]
    tensors[key] = np.ascontiguousarray(full[keep])
    # half precision on the way: embeddings then agree with the original's to
    # 2e-4 (cosine >= 0.999999), and the pack is half the size
    tensors = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in tensors.items()}
    tensors["portable.kept_ids"] = keep
    save_file(tensors, str(out / PRUNED))
    for f in src.rglob("*"):
        rel = f.relative_to(src)
        if f.is_file() and f.name != WEIGHTS and not f.name.endswith((".md", ".onnx", ".bin")):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, out / rel)
    info = {
        "source": str(src),
        "embedding_key": key,
        "rows": int(full.shape[0]),
        "kept": int(len(keep)),
        "dim": int(full.shape[1]),
    }
    (out / PACK_FILE).write_text(json.dumps(info, indent=1))
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {**info, "bytes": size}


def unpack(pack_dir: str | Path, target: str | Path) -> Path:
    """Rebuild a full-shape model folder from a pack (unused embedding rows zero)."""
    from safetensors.numpy import load_file, save_file

    pack_dir, target = Path(pack_dir), Path(target)
    info = json.loads((pack_dir / PACK_FILE).read_text())
    tensors = load_file(str(pack_dir / PRUNED))
    keep = tensors.pop("portable.kept_ids")
    tensors = {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in tensors.items()}
    rows = tensors[info["embedding_key"]]
    full = np.zeros((info["rows"], info["dim"]), rows.dtype)
    full[keep] = rows
    tensors[info["embedding_key"]] = full
    target.mkdir(parents=True, exist_ok=True)
    for f in pack_dir.rglob("*"):
        rel = f.relative_to(pack_dir)
        if f.is_file() and f.name not in (PRUNED,):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target / rel)
    save_file(tensors, str(target / WEIGHTS))
    return target


def check(folder: str | Path, texts: Sequence[str]) -> list[str]:
    """The texts that use a token the unpacked model does not hold (empty: all fine)."""
    folder = Path(folder)
    info_path = folder / PACK_FILE
    if not info_path.exists():
        return []  # a whole model: every token is there
    from safetensors import safe_open

    with safe_open(str(folder / WEIGHTS), framework="numpy") as f:
        emb = f.get_tensor(json.loads(info_path.read_text())["embedding_key"])
    present = np.abs(emb).sum(1) > 0
    tok = _tokenizer(folder)
    special = set(tok.all_special_ids)
    bad = []
    for t, row in zip(texts, tok(list(texts))["input_ids"]):
        if any(not present[i] and i not in special for i in row):
            bad.append(t)
    return bad


def lease_texts() -> list[str]:
    """Every caption a lease run embeds: the text GAN's training captions and
    the held-out templates its eval reads (several seeds, so every phrase of
    every template occurs)."""
    from generators.datasets import _plan
    from generators.text.embedding import dataset_captions

    texts: dict[str, None] = {}
    for seed in range(2):
        attrs = _plan("faces", 40000, seed, "train", 8)
        for heldout in (False, True):
            t, _ = dataset_captions("faces", attrs, 4, seed, heldout)
            texts.update(dict.fromkeys(t))
    return list(texts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "pack":
        print(json.dumps(pack(lease_texts(), argv[1])))
        return 0
    if len(argv) == 3 and argv[0] == "unpack":
        print(unpack(argv[1], argv[2]))
        return 0
    print(__doc__.strip().splitlines()[-2:], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
