"""The conv-deconv's parts layer (nets/convdeconv.py ``PartsLayer``,
``ConvDeconvConfig.parts``): the studio's part maps it learns from, a fresh
layer that paints nothing, its cross-entropy in training, starting from a
decoder without one, and widening a decoder's up-convolutions, on tiny seeded
models (the text GAN over such a decoder: tests/test_refiner.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from generators.checkpoint import save_pretrained
from generators.datasets import make_dataset, part_maps
from generators.nets.convdeconv import N_PARTS, ConvDeconv, ConvDeconvConfig, encode
from generators.schema import FACES
from generators.studio import feature_parts, render_face
from generators.studio.faces import FEATURE_PARTS, PART_LABELS
from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
from generators.training.kernel import TrainingError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ConvDeconvConfig(domain="faces", mask=False, group_width=8, shared=16,
                        channels=(8, 8, 4, 4, 4))


def _face(**kw):
    return dict(FACES.defaults(3), yaw=0.0, pitch=0.0, **kw)


def test_the_part_maps_name_the_small_features_the_render_shows():
    names = [PART_LABELS[k] for k in FEATURE_PARTS]
    assert names[:5] == ["eye white", "pupil", "brow", "mouth", "teeth"] and N_PARTS == 8
    happy = feature_parts(_face(expression="happy", expression_strength=1.0, eyewear="none"))
    assert happy.shape == (64, 64) and happy.dtype == np.int8
    shown = set(np.unique(happy)) - {0}
    assert {1, 2, 3, 4, 5} <= shown and not shown & {6, 7, 8}   # teeth, no eyewear
    shades = feature_parts(_face(expression="neutral", eyewear="sunglasses"))
    assert 6 in set(np.unique(shades)) and 5 not in set(np.unique(shades))
    # every part pixel is a pixel of the face's feature mask (which grows them by one)
    from generators.studio import feature_mask
    assert not (happy > 0)[~feature_mask(_face(expression="happy", expression_strength=1.0,
                                                  eyewear="none"))].any()
    # the same render: the pupils are where the picture is darkest inside the eyes
    img = render_face(_face(expression="neutral", eyewear="none")).astype(int).sum(-1)
    parts = feature_parts(_face(expression="neutral", eyewear="none"))
    assert img[parts == 2].mean() < img[parts == 1].mean()
    ds = make_dataset("faces", 3, seed=0, workers=1)
    assert np.array_equal(part_maps(ds)[1], feature_parts(ds.attributes[1]))
    with pytest.raises(ValueError, match="faces"):
        part_maps(make_dataset("chairs", 2, seed=0, workers=1))


def test_a_fresh_parts_layer_paints_nothing_and_old_configs_have_none():
    torch.manual_seed(0)
    plain = ConvDeconv(TINY).eval()
    parted = ConvDeconv(replace(TINY, parts=True)).eval()
    missing, unexpected = parted.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("parts.") for k in missing)
    x = encode("faces", [FACES.defaults(i) for i in range(4)])
    logits: list = []
    with torch.no_grad():
        a, b = plain(x)[0], parted(x, logits)[0]
        assert torch.equal(a, b)
        assert logits[0].shape == (4, 1 + N_PARTS, 64, 64)
        # a layer that paints: a part wins everywhere and takes the part's colour
        parted.parts.logits.bias.copy_(torch.tensor([0.0, 0, 0, 20, 0, 0, 0, 0, 0]))
        assert torch.equal(parted(x)[0], a)        # the gate is still shut
        parted.parts.gate.fill_(1.0)
        c = parted(x)[0]
    assert not torch.allclose(a, c) and c.min() >= 0 and c.max() <= 1
    assert not plain.cfg.parts and plain.parts is None
    with pytest.raises(ValueError, match="only for faces"):
        ConvDeconvConfig(domain="chairs", parts=True)


def _opts(**kw):
    return ConvDeconvTrainOptions(**{**dict(domain="faces", steps=20, batch=4, lr=3e-2,
                                            log_every=1, progress=False, sample_every=100,
                                            feature_weight=8.0), **kw})


def test_training_learns_the_parts_from_a_decoder_without_them(tmp_path):
    torch.manual_seed(1)
    start = ConvDeconv(TINY).eval()
    save_pretrained(start, start.cfg, tmp_path / "start", model_name="convdeconv", code_version=3)
    ds = make_dataset("faces", 8, seed=2, workers=1)
    model = train_convdeconv(_opts(init=str(tmp_path / "start"), parts_weight=1.0),
                             replace(TINY, parts=True), dataset=ds)
    log = [r for r in model.train_log if "parts" in r]
    assert len(log) == 20 and log[-1]["parts"] < 0.5 * log[0]["parts"]
    # weight 0: no part maps and no cross-entropy (the image loss alone trains the layer)
    quiet = train_convdeconv(_opts(steps=2, parts_weight=0.0), replace(TINY, parts=True),
                             dataset=ds)
    assert all(r["parts"] == 0 for r in quiet.train_log)
    # a start with the parts layer cannot go back to a decoder without it
    save_pretrained(model, model.cfg, tmp_path / "parted", model_name="convdeconv",
                    code_version=3)
    with pytest.raises(TrainingError, match="same model flags"):
        train_convdeconv(_opts(steps=1, init=str(tmp_path / "parted")), TINY, dataset=ds)


def test_a_narrower_start_is_widened_and_draws_what_it_drew(tmp_path):
    from generators.nets.convdeconv import can_widen, widen_into

    wide = replace(TINY, channels=(8, 8, 6, 6, 5))
    assert can_widen(TINY, wide) and not can_widen(wide, TINY)
    assert not can_widen(TINY, replace(TINY, channels=(9, 8, 4, 4, 4)))  # the FC's stage
    assert not can_widen(TINY, replace(wide, group_width=9))
    torch.manual_seed(4)
    small = ConvDeconv(TINY).eval()
    big = ConvDeconv(replace(wide, parts=True)).eval()
    widen_into(small, big)
    x = encode("faces", [FACES.defaults(i) for i in range(4)])
    with torch.no_grad():
        assert (small(x)[0] - big(x)[0]).abs().max() < 1e-3
    # the added channels read the old ones (so they compute something and can learn)
    # and nothing reads them yet
    assert big.up[-2].weight[4:, :4].abs().sum() > 0
    assert big.up[-2].weight[:, 4:].abs().sum() == 0 and big.head.weight[:, 4:].abs().sum() == 0
    # through training: a narrow start widens; a wide start cannot shrink
    save_pretrained(small, small.cfg, tmp_path / "small", model_name="convdeconv",
                    code_version=3)
    ds = make_dataset("faces", 8, seed=2, workers=1)
    model = train_convdeconv(_opts(steps=2, init=str(tmp_path / "small")), wide, dataset=ds)
    assert model.cfg.channels == (8, 8, 6, 6, 5)
    save_pretrained(model, model.cfg, tmp_path / "wide", model_name="convdeconv",
                    code_version=3)
    with pytest.raises(TrainingError, match="same model flags"):
        train_convdeconv(_opts(steps=1, init=str(tmp_path / "wide")), TINY, dataset=ds)


def test_a_context_branch_starts_at_the_old_classes_and_learns_from_there(tmp_path):
    ds = make_dataset("faces", 8, seed=2, workers=1)
    parted = train_convdeconv(_opts(steps=3, parts_weight=1.0), replace(TINY, parts=True),
                              dataset=ds)
    save_pretrained(parted, parted.cfg, tmp_path / "parted", model_name="convdeconv",
                    code_version=3)
    wide = replace(TINY, parts=True, parts_context=2)
    torch.manual_seed(6)
    fresh = ConvDeconv(wide).eval()
    assert fresh.parts.context is not None and len(fresh.parts.context) == 5
    x = encode("faces", [FACES.defaults(i) for i in range(3)])
    fresh.load_state_dict(parted.state_dict(), strict=False)
    a_logits: list = []
    b_logits: list = []
    with torch.no_grad():
        a, b = parted.eval()(x, a_logits)[0], fresh(x, b_logits)[0]
    assert torch.equal(a, b) and torch.equal(a_logits[0], b_logits[0])
    # through --init: the colours and the gate come with the start, the branch learns
    model = train_convdeconv(_opts(steps=5, init=str(tmp_path / "parted"), parts_weight=1.0),
                             wide, dataset=ds)
    assert model.parts.context[-1].weight.abs().sum() > 0
    still = train_convdeconv(_opts(steps=1, lr=0.0, init=str(tmp_path / "parted")), wide,
                             dataset=ds)       # the colours are the start's, not started again
    assert torch.equal(still.parts.colour.bias, parted.parts.colour.bias)
    with pytest.raises(ValueError, match="parts_context"):
        ConvDeconvConfig(domain="faces", parts_context=2)
    # a decoder with the branch cannot go back to one without it
    save_pretrained(model, model.cfg, tmp_path / "ctx", model_name="convdeconv", code_version=3)
    with pytest.raises(TrainingError, match="same model flags"):
        train_convdeconv(_opts(steps=1, init=str(tmp_path / "ctx")), replace(TINY, parts=True),
                         dataset=ds)
