"""Against blur (generators/training/losses.py, kernel.py): the studio's feature mask,
the weighted reconstruction, the judge-feature term and the sampling EMA, and
the trainers that use them (resume == continuous with an EMA)."""

import numpy as np
import pytest
import torch

from generators.datasets import cached_dataset, make_dataset
from generators.studio import feature_mask, render_face
from generators.schema import FACES
from generators.training.kernel import EMA
from generators.training.losses import JudgePerceptual, feature_weights, weighted_rec

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_feature_mask_covers_the_features_the_attributes_draw():
    a = dict(FACES.defaults(3), expression="neutral", eyewear="none", beard=False, yaw=0.0)
    m = feature_mask(a)
    assert m.shape == (64, 64) and m.dtype == bool
    assert 0.005 < m.mean() < 0.1                  # eyes, brows, mouth: a few % of the image
    # every pixel a smile changes lies on the mask (the mask is the features, grown 1 px)
    happy = dict(a, expression="happy", expression_strength=1.0)
    changed = np.abs(render_face(happy).astype(int) - render_face(a).astype(int)).max(2) > 24
    assert changed.any() and (feature_mask(happy) | m)[changed].all()
    # sunglasses and a beard add their lenses and its edge
    assert feature_mask(dict(a, eyewear="sunglasses")).sum() > m.sum()
    assert feature_mask(dict(a, beard=True)).sum() > m.sum()
    img, fm = render_face(a, return_features=True)
    assert np.array_equal(img, render_face(a)) and np.array_equal(fm, m)


def test_datasets_keep_the_feature_masks(tmp_path):
    a = cached_dataset("faces", 8, per_seed=2, cache_dir_=tmp_path)
    b = cached_dataset("faces", 8, per_seed=2, cache_dir_=tmp_path, with_features=True)
    assert a.features.shape == (8, 64, 64) and np.array_equal(a.features, b.features)
    assert np.array_equal(a.features[3], feature_mask(a.attributes[3]))


def test_the_weighted_loss_is_the_plain_one_at_zero_and_favours_the_features():
    torch.manual_seed(0)
    pred, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    feats = torch.zeros(2, 8, 8, dtype=torch.bool)
    feats[:, 2:4, 2:4] = True
    assert torch.allclose(weighted_rec(pred, target, feature_weights(feats, 0.0)),
                          (pred - target).pow(2).mean())
    assert torch.allclose(weighted_rec(pred, target, None, "l1"), (pred - target).abs().mean())
    # an error on the features costs more than the same error elsewhere
    on, off = target.clone(), target.clone()
    on[:, :, 2, 2] += 0.5
    off[:, :, 6, 6] += 0.5
    w = feature_weights(feats, 8.0)
    assert weighted_rec(on, target, w) > 4 * weighted_rec(off, target, w)


def test_the_judge_term_is_zero_for_the_same_image_and_has_gradients():
    from generators.nets.judge import Judge, JudgeConfig
    torch.manual_seed(0)
    perc = JudgePerceptual(Judge(JudgeConfig(width=8, hidden=16, embed_dim=8)))
    real = torch.rand(2, 3, 64, 64) * 2 - 1
    assert float(perc(real, real)) == pytest.approx(0.0, abs=1e-6)
    fake = torch.zeros_like(real, requires_grad=True)
    loss = perc(fake, real)
    loss.backward()
    assert float(loss.detach()) > 0 and fake.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in perc.judge.parameters())
    perc.train()
    assert not perc.judge.training                  # BatchNorm keeps its statistics


def test_the_ema_moves_a_fraction_of_the_way():
    m = torch.nn.Linear(2, 2)
    ema = EMA(m, 0.9)
    start = m.weight.detach().clone()
    with torch.no_grad():
        m.weight.add_(1.0)
    ema.update(m)
    assert torch.allclose(ema.shadow.weight, start + 0.1)
    with pytest.raises(ValueError):
        EMA(m, 1.0)


def test_conv_deconv_faces_with_features_and_ema_resume_exactly(tmp_path, monkeypatch):
    from generators.nets.convdeconv import ConvDeconvConfig
    from generators.training import convdeconv as trainer
    from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
    # the cosine runs over --steps, which differ between the two halves here:
    # a flat rate isolates what resuming restores (weights, Adam, the EMA)
    monkeypatch.setattr(trainer, "_lr", lambda step, total, base, frac=None: base)
    ds = make_dataset("faces", 24, seed=2, workers=1)
    cfg = ConvDeconvConfig(domain="faces", mask=False, group_width=8, shared=16,
                           channels=(8, 8, 4, 4, 4))
    base = dict(domain="faces", steps=6, batch=4, lr=3e-3, log_every=3, progress=False,
                checkpoint_every=3, sample_every=3, feature_weight=8.0, ema=0.9)
    out = tmp_path / "w"
    train_convdeconv(ConvDeconvTrainOptions(**dict(base, steps=3), out=str(out)), cfg,
                     dataset=ds)
    resumed = train_convdeconv(ConvDeconvTrainOptions(**base, out=str(out), resume=True), cfg,
                               dataset=ds)
    straight = train_convdeconv(ConvDeconvTrainOptions(**base), cfg, dataset=ds)
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), k
    assert resumed.train_log[-1]["step"] == 6 and "images_per_s" in resumed.train_log[-1]


def test_text_gan_with_features_and_ema_resumes_exactly(tmp_path):
    from generators.nets.textgan import TextGANConfig
    from generators.text.embedding import hash_embedder
    from generators.training.textgan import TextGANTrainOptions, train_textgan
    faces = make_dataset("faces", 16, seed=1, workers=1)
    cfg = TextGANConfig(ngf=8, ndf=8, cond_dim=16)
    base = dict(batch=4, log_every=2, progress=False, sample_every=3, checkpoint_every=3,
                feature_weight=8.0, ema=0.9, warmup=2, gan_lr=1e-4)
    out = tmp_path / "w"
    train_textgan(TextGANTrainOptions(steps=3, out=str(out), **base), cfg, faces,
                  embedder=hash_embedder)
    resumed = train_textgan(TextGANTrainOptions(steps=5, out=str(out), resume=True, **base),
                            cfg, faces, embedder=hash_embedder)
    straight = train_textgan(TextGANTrainOptions(steps=5, **base), cfg, faces,
                             embedder=hash_embedder)
    for (k, a), b in zip(straight.pair.state_dict().items(), resumed.pair.state_dict().values()):
        assert torch.equal(a, b), k
    for (k, a), b in zip(straight.ema.state_dict().items(), resumed.ema.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-7), k


def test_the_pair_loss_is_zero_for_the_studio_change_and_counts_a_faint_one():
    from generators.training.convdeconv import pair_loss

    g = torch.Generator().manual_seed(0)
    s0 = torch.rand(2, 3, 16, 16, generator=g)
    s1 = s0.clone()
    s1[:, :, 6:9, 5:11] += 0.4  # a mouth: a few pixels change a lot
    assert pair_loss(s0, s1, s0, s1).item() == 0.0
    faint = pair_loss(s0, s0 + 0.5 * (s1 - s0), s0, s1)  # drawn at half contrast
    shifted = pair_loss(s0, s1 + 0.02, s0, s1)  # right mouth, the whole face moves a little
    assert faint.item() > 0 and shifted.item() > 0
    # inside and outside the studio's region weigh half each, however small the region:
    # the faint mouth (18 of 256 pixels) costs more than a small change everywhere else
    assert faint.item() > shifted.item()


def test_attribute_pairs_differ_only_in_one_attribute():
    from generators.training.convdeconv import attribute_pairs

    a0, a1, i0, i1 = attribute_pairs(8, seed=1, identities=3,
                                     attributes=("expression", "eyewear"), size=32)
    assert i0.shape == i1.shape == (8, 32, 32, 3)
    kinds = set()
    for x, y in zip(a0, a1):
        changed = {k for k in x if x[k] != y[k]}
        assert x["identity"] == y["identity"] < 3
        if "eyewear" in changed:
            assert changed == {"eyewear"} and x["eyewear"] == "none"
            kinds.add("eyewear")
        else:
            assert changed <= {"expression", "expression_strength"}
            assert x["expression"] == "neutral" and y["expression"] != "neutral"
            kinds.add("expression")
    assert kinds == {"expression", "eyewear"}
    assert (i0 != i1).any(axis=(1, 2, 3)).all()
    with pytest.raises(ValueError, match="pair attributes"):
        attribute_pairs(2, seed=1, identities=3, attributes=("hat",))


def test_conv_deconv_with_expression_pairs_trains_and_resumes_exactly(tmp_path, monkeypatch):
    from generators.nets.convdeconv import ConvDeconvConfig
    from generators.training import convdeconv as trainer
    from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv

    monkeypatch.setattr(trainer, "_lr", lambda step, total, base, frac=None: base)
    ds = make_dataset("faces", 16, seed=2, workers=1)
    cfg = ConvDeconvConfig(domain="faces", mask=False, group_width=8, shared=16,
                           channels=(8, 8, 4, 4, 4))
    base = dict(domain="faces", steps=4, batch=4, lr=3e-3, log_every=1, progress=False,
                checkpoint_every=2, sample_every=2, feature_weight=0.0, pairs=6, pair_weight=2.0,
                pair_attributes="expression,eyewear", grad_weight=0.5)
    out = tmp_path / "w"
    train_convdeconv(ConvDeconvTrainOptions(**dict(base, steps=2), out=str(out)), cfg, dataset=ds)
    resumed = train_convdeconv(ConvDeconvTrainOptions(**base, out=str(out), resume=True), cfg,
                               dataset=ds)
    straight = train_convdeconv(ConvDeconvTrainOptions(**base), cfg, dataset=ds)
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), k
    assert all(r["pair"] > 0 for r in straight.train_log)
    assert all(r["grad"] > 0 for r in straight.train_log)


def test_the_gradient_difference_charges_a_soft_edge_and_not_a_sharp_one():
    from generators.training.losses import gradient_difference

    edge = torch.zeros(1, 3, 8, 8)
    edge[..., 4:] = 1.0
    soft = edge.clone()
    soft[..., 3], soft[..., 4] = 1 / 3, 2 / 3  # the same edge over three pixels
    assert gradient_difference(edge, edge).item() == 0.0
    assert gradient_difference(edge + 0.1, edge).item() == pytest.approx(0.0, abs=1e-7)  # level
    assert gradient_difference(soft, edge).item() > 0.0
    # a squared pixel loss sees the soft edge as almost right; this loss does not
    mse = (soft - edge).pow(2).mean().item()
    assert gradient_difference(soft, edge).item() > 3 * mse


def test_the_expression_contrast_measures_every_expression_on_the_shipped_decoder():
    from generators.convdeconv_gen import ConvDeconvGenerator
    from generators.evaluation.convdeconv import CONTRAST_EXPRESSIONS, expression_contrast

    attrs = [FACES.defaults(s) for s in range(4)]
    out = expression_contrast(ConvDeconvGenerator("faces"), attrs)
    assert set(CONTRAST_EXPRESSIONS) == {"happy", "sad", "angry", "surprised"}
    for key in ("expression_contrast_by_expression", "expression_contrast_in_region",
                "expression_contrast_near", "expression_leak"):
        assert set(out[key]) == set(CONTRAST_EXPRESSIONS), key
    inside = out["expression_contrast_in_region"]
    assert all(0 < v < 2 for v in inside.values())       # drawn, and not beyond reason
    assert out["expression_contrast_in_region_min"] == min(inside.values())
