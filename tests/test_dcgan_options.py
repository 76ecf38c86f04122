"""Issue #24's DCGAN options (tiny configs, CPU): mapping network, style
modulation, minibatch stddev, EMA of G, DiffAugment, two time-scale learning
rates, bilinear upsampling and the time limit."""

import json

import numpy as np
import pytest
import torch

from generators.nets.dcgan import DCGANConfig, MinibatchStd, StyleBatchNorm, build
from generators.training import dcgan as T
from generators.training.augment import cutout, diff_augment, translation

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = DCGANConfig(ngf=4, ndf=4)
NEW = DCGANConfig(ngf=4, ndf=4, mapping=2, style=True, mbstd_group=2, upsample="bilinear")
NEW_OPTS = dict(ema=0.9, augment="color,translation,cutout", lr_d=4e-4, r1_gamma=1.0)
NEW_KEYS = ("mapping", "style", "mbstd_group")


def _images(n=24, size=64, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def _opts(tmp_path=None, new=False, **kw):
    base = dict(steps=4, batch=4, log_every=2, sample_every=2, checkpoint_every=2,
                progress=False, out=str(tmp_path) if tmp_path else None,
                **(NEW_OPTS if new else {}))
    base.update(kw)
    return T.TrainOptions(**base)


def test_every_option_is_off_by_default_and_old_configs_load_unchanged():
    old = {k: v for k, v in TINY.to_dict().items() if k not in NEW_KEYS}
    assert DCGANConfig.from_dict(old) == TINY
    o = T.TrainOptions()
    assert (TINY.mapping, TINY.style, TINY.mbstd_group, o.ema, o.augment, o.lr_d) == \
        (0, False, 0, 0.0, "", 0.0)
    # the default networks keep the paper's tensors, names and counts (old weights load)
    keys = set(build(DCGANConfig(), seed=0).state_dict())
    assert not any("mapping" in k or "affine" in k for k in keys)
    assert DCGANConfig.from_dict(NEW.to_dict()) == NEW
    for bad in (dict(mapping=-1), dict(mbstd_group=-2), dict(upsample="cubic")):
        with pytest.raises(ValueError):
            DCGANConfig(**bad)
    for bad in (dict(ema=1.0), dict(augment="color,flip"), dict(augment_p=0), dict(lr_d=-1.0)):
        with pytest.raises(ValueError):
            T.TrainOptions(**bad)


def test_mapping_network_and_style_modulation():
    g = build(NEW, seed=0).generator.eval()
    z = torch.randn(3, 100)
    w = g.to_w(z)
    assert w.shape == (3, 100) and not torch.allclose(w, z)
    assert torch.allclose(g(z), g.synthesis(w), atol=1e-6)
    assert g.to_w(2.5 * z).allclose(w, atol=1e-5)          # z is normalised first
    assert sum(isinstance(m, StyleBatchNorm) for m in g.modules()) == NEW.n_up
    assert sum(isinstance(m, torch.nn.Upsample) and m.mode == "bilinear"
               for m in g.modules()) == NEW.n_up
    # without a mapping network w is z
    plain = build(TINY, seed=0).generator
    assert torch.equal(plain.to_w(z), z)
    # style: the same first-layer input with another w changes the picture
    g2 = build(DCGANConfig(ngf=4, ndf=4, style=True), seed=0).generator.eval()
    x = g2.main[0](z[:1, :, None, None])
    out_a, out_b = x, x
    for m in list(g2.main)[1:]:
        out_a = m(out_a, z[:1]) if isinstance(m, StyleBatchNorm) else m(out_a)
        out_b = m(out_b, -z[:1]) if isinstance(m, StyleBatchNorm) else m(out_b)
    assert not torch.allclose(out_a, out_b)


def test_minibatch_stddev_appends_the_group_std_and_couples_the_batch():
    x = torch.randn(4, 3, 2, 2)
    y = MinibatchStd(2)(x)
    assert y.shape == (4, 4, 2, 2)
    # groups {0, 2} and {1, 3}: the mean over features of the (biased) std
    want0 = x[[0, 2]].std(0, unbiased=False).mean()
    want1 = x[[1, 3]].std(0, unbiased=False).mean()
    assert torch.allclose(y[0, 3], want0.expand(2, 2), atol=1e-4)
    assert torch.allclose(y[2, 3], want0.expand(2, 2), atol=1e-4)
    assert torch.allclose(y[1, 3], want1.expand(2, 2), atol=1e-4)
    assert MinibatchStd(4)(torch.randn(3, 2, 1, 1)).shape == (3, 3, 1, 1)   # group 3 divides 3
    d = build(NEW, seed=0).discriminator.eval()
    imgs = torch.rand(2, 3, 64, 64) * 2 - 1
    a = d(imgs)
    b = d(torch.stack([imgs[0], -imgs[1]]))
    assert a[0] != b[0]                     # image 0's logit sees its group-mate
    plain = build(TINY, seed=0).discriminator.eval()
    assert plain(imgs)[0] == plain(torch.stack([imgs[0], -imgs[1]]))[0]


def test_diff_augment_is_seeded_shape_preserving_and_differentiable():
    x = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_(True)
    ops = ["color", "translation", "cutout"]
    a = diff_augment(x, ops, torch.Generator().manual_seed(1))
    b = diff_augment(x, ops, torch.Generator().manual_seed(1))
    c = diff_augment(x, ops, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # cutout zeroes a square of half the side (possibly clipped at the border)
    ones = torch.ones(8, 1, 16, 16)
    cut = cutout(ones, torch.Generator().manual_seed(0))
    zeros = (cut == 0).flatten(1).sum(1)
    assert zeros.max() == 64 and zeros.min() >= 16
    # translation moves content by at most 2 pixels at 16×16 and pads with 0
    img = torch.zeros(1, 1, 16, 16)
    img[0, 0, 8, 8] = 1
    moved = translation(img.repeat(16, 1, 1, 1), torch.Generator().manual_seed(0))
    pos = [divmod(int(m.argmax()), 16) for m in moved[:, 0]]
    assert all(abs(r - 8) <= 2 and abs(c - 8) <= 2 for r, c in pos)
    assert len(set(pos)) > 1
    # p < 1: about that fraction of the images is augmented, the rest pass untouched
    many = torch.rand(64, 3, 8, 8) + 1                           # no zeros anywhere
    kept = diff_augment(many, ["cutout"], torch.Generator().manual_seed(0), p=0.5)
    untouched = sum(torch.equal(k, v) for k, v in zip(kept, many))
    assert 16 < untouched < 48


def test_two_time_scales_and_the_mapping_rate():
    tr = T.DCGANTrainer(NEW, _images(8), _opts(new=True))
    assert tr.optD.param_groups[0]["lr"] == 4e-4
    lrs = sorted(g["lr"] for g in tr.optG.param_groups)
    assert lrs == pytest.approx([tr.opts.lr * tr.opts.mapping_lr_mul, tr.opts.lr])
    tr.step()
    assert sorted(g["lr"] for g in tr.optG.param_groups) == pytest.approx(lrs)
    plain = T.DCGANTrainer(TINY, _images(8), _opts())
    assert plain.optD.param_groups[0]["lr"] == plain.opts.lr and len(plain.optG.param_groups) == 1


def test_ema_follows_the_generator_and_is_what_is_saved(tmp_path):
    tr = T.train(NEW, _images(), _opts(tmp_path, steps=4, new=True))
    ema = dict(tr.G_ema.named_parameters())
    raw = dict(tr.netG.named_parameters())
    assert any(not torch.equal(ema[k], raw[k]) for k in raw)
    # the EMA moved from the init toward G
    init = dict(build(NEW, seed=0).generator.named_parameters())
    k = "main.0.weight"
    assert not torch.equal(ema[k], init[k])
    _, tensors = T.read_model(tmp_path)
    assert torch.equal(tensors["generator." + k], ema[k].detach())
    # one update by hand: decay = min(ema, (1 + t) / (10 + t))
    before = {n: p.detach().clone() for n, p in tr.G_ema.named_parameters()}
    tr.update_ema(100)
    d = min(tr.opts.ema, 101 / 110)
    for n, p in tr.G_ema.named_parameters():
        assert torch.allclose(p, d * before[n] + (1 - d) * raw[n].detach(), atol=1e-6)
    # the sample sheet comes from the EMA; the model file's G renders
    assert (tmp_path / "samples/step-000004.png").exists()


def test_resume_with_every_option_equals_an_uninterrupted_run(tmp_path):
    whole = T.train(NEW, _images(), _opts(tmp_path / "whole", steps=6, new=True))
    T.train(NEW, _images(), _opts(tmp_path / "split", steps=4, new=True))
    resumed = T.train(NEW, _images(), _opts(tmp_path / "split", steps=6, resume=True,
                                            new=True))
    assert resumed.weights_digest() == whole.weights_digest()
    for a, b in zip(resumed.G_ema.parameters(), whole.G_ema.parameters()):
        assert torch.equal(a, b)
    assert (tmp_path / "whole/model.safetensors").read_bytes() == \
        (tmp_path / "split/model.safetensors").read_bytes()


def test_time_limit_stops_early_with_a_checkpoint(tmp_path):
    tr = T.train(TINY, _images(), _opts(tmp_path, steps=10_000, time_limit_s=0.0,
                                        checkpoint_every=1000))
    assert tr.step_count == 1
    assert json.loads((tmp_path / "trainer.json").read_text())["step"] == 1
    assert (tmp_path / "model.safetensors").exists() and tr.last_log["step"] == 1


def test_cli_takes_the_new_flags_and_prints_a_json_last_line(tmp_path, capsys):
    from PIL import Image

    from holochat.cli import main
    (tmp_path / "photos").mkdir()
    for i, im in enumerate(_images(6, size=64)):
        Image.fromarray(im).save(tmp_path / "photos" / f"{i}.png")
    out = tmp_path / "out"
    sets = ["batch=4", "ngf=4", "ndf=4", "mapping=2", "style=true", "mbstd_group=2", "ema=0.99",
            "augment=translation,cutout", "lr=1e-4", "lr_d=3e-4", "upsample=bilinear",
            f"data={tmp_path / 'photos'}", "synthesis=dcgan"]
    assert main(["train", "dcgan", "--out", str(out), "--device", "cpu", "--steps", "100000",
                 "--minutes", "0.00002", *[a for s in sets for a in ("--set", s)]]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["step"] == 1 and "images_per_s" in last
    meta = json.loads((out / "config.json").read_text())
    cfg, train = meta["config"], meta["extra"]["train"]
    assert (cfg["mapping"], cfg["style"], cfg["mbstd_group"], train["ema"], train["augment"],
            train["lr"], train["lr_d"]) == (2, True, 2, 0.99, "translation,cutout", 1e-4, 3e-4)
    assert main(["train", "dcgan", "--out", str(out), "--steps", "2", "--resume",
                 "--device", "cpu"]) == 0
    assert json.loads((out / "trainer.json").read_text())["step"] == 2
    assert main(["train", "dcgan", "--out", str(tmp_path / "x"), "--set", "augment=flip",
                 "--steps", "1", "--device", "cpu"]) == 2
    assert "augmentation" in capsys.readouterr().err
