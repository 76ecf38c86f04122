"""The conv-deconv's refinement stage (nets/convdeconv.py ``Refiner``,
``ConvDeconvConfig.refine``), training it alone over a frozen decoder
(``refine_only``), and the pairs' expression weights, on tiny seeded models."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest
import torch

from generators.checkpoint import save_pretrained
from generators.datasets import make_dataset
from generators.nets.convdeconv import ConvDeconv, ConvDeconvConfig, encode
from generators.schema import FACES
from generators.training.convdeconv import (
    ConvDeconvTrainOptions,
    attribute_pairs,
    parse_expression_weights,
    train_convdeconv,
)
from generators.training.kernel import TrainingError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ConvDeconvConfig(domain="faces", mask=False, group_width=8, shared=16,
                        channels=(8, 8, 4, 4, 4))


def _faces(n=6):
    return encode("faces", [FACES.defaults(i) for i in range(n)])


def test_a_fresh_refiner_draws_what_the_decoder_drew_and_old_configs_have_none():
    torch.manual_seed(0)
    plain = ConvDeconv(TINY).eval()
    refined = ConvDeconv(replace(TINY, refine=6)).eval()
    missing, unexpected = refined.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("refine.") for k in missing)
    x = _faces()
    with torch.no_grad():
        a, b = plain(x)[0], refined(x)[0]
        assert torch.equal(a, b)
        # once its last layer is not zero it changes the picture, and stays in [0, 1]
        torch.nn.init.normal_(refined.refine.net[-1].weight, std=0.5)
        c = refined(x)[0]
    assert not torch.equal(a, c) and c.min() >= 0 and c.max() <= 1
    assert TINY.refine == 0 and plain.refine is None
    assert not any(k.startswith("refine.") for k in plain.state_dict())
    with pytest.raises(ValueError, match="only for faces"):
        ConvDeconvConfig(domain="chairs", refine=8)


def _opts(**kw):
    return ConvDeconvTrainOptions(**{**dict(domain="faces", steps=3, batch=4, lr=3e-3,
                                            log_every=1, progress=False, sample_every=100,
                                            feature_weight=8.0, pairs=6,
                                            pair_attributes="expression,eyewear"), **kw})


def test_training_the_refiner_alone_keeps_the_decoder_bit_identical(tmp_path):
    torch.manual_seed(1)
    start = ConvDeconv(TINY).eval()
    save_pretrained(start, start.cfg, tmp_path / "start", model_name="convdeconv", code_version=3)
    ds = make_dataset("faces", 16, seed=2, workers=1)
    cfg = replace(TINY, refine=4)
    model = train_convdeconv(_opts(refine_only=True, init=str(tmp_path / "start")), cfg,
                             dataset=ds)
    before, after = start.state_dict(), model.state_dict()
    for k, v in before.items():
        assert torch.equal(v, after[k]), k
    assert any(not torch.equal(v, torch.zeros_like(v))
               for k, v in after.items() if k.startswith("refine.net.6"))
    with pytest.raises(TrainingError, match="refine=WIDTH"):
        train_convdeconv(_opts(refine_only=True), TINY, dataset=ds)
    # a start of another shape is refused with what differs (a narrower one is widened:
    # tests/test_parts_layer.py)
    other = ConvDeconv(replace(TINY, channels=(8, 8, 4, 4, 6)))
    save_pretrained(other, other.cfg, tmp_path / "other", model_name="convdeconv", code_version=3)
    with pytest.raises(TrainingError, match="same model flags"):
        train_convdeconv(_opts(init=str(tmp_path / "other")), cfg, dataset=ds)


def test_the_pairs_expression_weights():
    assert parse_expression_weights("") is None
    assert parse_expression_weights(" sad=2, angry=3 ") == {"sad": 2.0, "angry": 3.0}
    for bad in ("sad", "calm=2", "sad=-1", "sad=x", "happy=0,sad=0,angry=0,surprised=0"):
        with pytest.raises(ValueError, match="pair expression weights"):
            parse_expression_weights(bad)
    with pytest.raises(ValueError, match="pair expression weights"):   # before any data
        ConvDeconvTrainOptions(pair_expression_weights="calm=2")
    a0, a1, _, _ = attribute_pairs(40, seed=4, identities=3, size=16,
                                   expression_weights={"happy": 0, "surprised": 0, "sad": 3})
    drawn = Counter(a["expression"] for a in a1)
    assert set(drawn) <= {"sad", "angry"} and drawn["sad"] > drawn["angry"] > 0
    # no weights: the uniform draws of the runs before the option
    u0, u1, _, _ = attribute_pairs(12, seed=4, identities=3, size=16)
    v0, v1, _, _ = attribute_pairs(12, seed=4, identities=3, size=16, expression_weights=None)
    assert u1 == v1 and len({a["expression"] for a in u1}) > 2


@pytest.mark.parametrize(("part", "needs", "said"), [
    ({"refine": 4}, {"decoder_refine": 4}, "4"),          # the refinement stage
    ({"parts": True}, {"decoder_parts": True}, "true"),   # the parts layer (test_parts_layer)
    ({"channels": (16, 8, 8, 8, 6)}, {"decoder_channels": (16, 8, 8, 8, 6)}, "[16,8,8,8,6]"),
], ids=["refine", "parts", "channels"])
def test_the_text_gan_takes_a_decoder_with_a_stage_and_says_what_it_needs(tmp_path, part,
                                                                          needs, said):
    from generators.nets.textgan import TextGANConfig
    from generators.text.embedding import hash_phrase_tokens
    from generators.training.textgan import TextGANTrainOptions, train_textgan

    torch.manual_seed(3)
    sizes = dict(group_width=16, shared=32, channels=(16, 8, 8, 8, 8))
    cd = ConvDeconv(ConvDeconvConfig(domain="faces", mask=False, **{**sizes, **part}))
    save_pretrained(cd, cd.cfg, tmp_path / "cd", model_name="convdeconv", code_version=3)
    faces = make_dataset("faces", 16, seed=1, workers=1)
    opts = TextGANTrainOptions(steps=1, batch=4, log_every=1, progress=False, sample_every=100,
                               checkpoint_every=100, warmup=2, decoder_init=str(tmp_path / "cd"))
    cfg = TextGANConfig(decoder="convdeconv", embed_dim=768, head_dim=16, ndf=8, cond_dim=16,
                        decoder_group_width=16, decoder_shared=32,
                        decoder_channels=(16, 8, 8, 8, 8))
    (key, _), = needs.items()
    with pytest.raises(TrainingError, match=re.escape(f"--set {key}={said}")):
        train_textgan(opts, cfg, faces, embedder=hash_phrase_tokens)
    tr = train_textgan(opts, replace(cfg, **needs), faces, embedder=hash_phrase_tokens)
    for k, v in cd.state_dict().items():                # the stage included
        assert torch.equal(tr.G.decoder.state_dict()[k], v), k


def test_the_adversarial_term_trains_and_resumes_exactly_with_its_discriminator(tmp_path,
                                                                                 monkeypatch):
    from safetensors import safe_open

    from generators.training import convdeconv as trainer

    monkeypatch.setattr(trainer, "_lr", lambda step, total, base, frac=None: base)
    torch.manual_seed(5)
    start = ConvDeconv(TINY).eval()
    save_pretrained(start, start.cfg, tmp_path / "start", model_name="convdeconv",
                    code_version=3)
    ds = make_dataset("faces", 16, seed=2, workers=1)
    cfg = replace(TINY, refine=4)
    kw = dict(refine_only=True, init=str(tmp_path / "start"), adv_weight=0.1, adv_ndf=4,
              checkpoint_every=2, ema=0.9)
    out = tmp_path / "run"
    train_convdeconv(_opts(steps=2, out=str(out), **kw), cfg, dataset=ds)
    with safe_open(str(out / "training_state.safetensors"), framework="pt") as f:
        assert any(k.startswith("aux.disc.") for k in f.keys())    # resumable, not shipped
    with safe_open(str(out / "model.safetensors"), framework="pt") as f:
        assert not any("disc" in k for k in f.keys())
    resumed = train_convdeconv(_opts(steps=4, out=str(out), resume=True, **kw), cfg, dataset=ds)
    straight = train_convdeconv(_opts(steps=4, **kw), cfg, dataset=ds)
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), k
    log = straight.train_log
    assert all(r["adv"] > 0 and r["loss_d"] > 0 for r in log)
    for k, v in start.state_dict().items():                     # the decoder stays as it was
        assert torch.equal(straight.state_dict()[k], v), k
