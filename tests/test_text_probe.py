"""The linear caption probe (``holochat eval textgan --text-probe``): it reads
attributes that an embedding carries and not those it does not."""

import numpy as np
import pytest

from generators.evaluation.text_probe import caption_probe
from generators.text.embedding import hash_embedder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def bag_of_words(texts, dim=384):
    """Each word a fixed random vector; a text the sum of its words."""
    out = np.zeros((len(texts), dim), np.float32)
    for i, t in enumerate(texts):
        for w in t.replace(",", " ").split():
            out[i] += hash_embedder([w], dim)[0]
    return out


bag_of_words.name = "bag-of-words"


def test_probe_reads_what_the_embedding_carries(tmp_path):
    kw = dict(n_train=400, n_test=200, cache_dir=tmp_path, steps=400)
    words = caption_probe(embedder=bag_of_words, **kw)
    # training templates use the same words: a linear read-out is near perfect
    assert words["probe_train_templates"] > 0.9
    assert set(words["probe_train_templates_per_attribute"]) == {
        "expression", "eyewear", "hat", "beard", "hair_color", "skin_tone", "background"}
    # held-out templates bring new words ("locks", "headwear"): the read-out drops
    assert words["probe_heldout_templates"] < words["probe_train_templates"] - 0.05
    # a whole-caption hash carries no attribute: near chance everywhere
    noise = caption_probe(embedder=hash_embedder, **kw)
    assert noise["probe_train_templates"] < 0.6
    assert words["n_train_captions"] == 800 and words["n_test"] == 200
