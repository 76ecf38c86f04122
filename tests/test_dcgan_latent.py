"""The latent-GAN DCGAN (``DCGANConfig.synthesis="convdeconv"``: a mapping network
and a code head in front of the conv-deconv faces decoder; nets/latent_gan.py,
training/latent_gan.py), on tiny seeded models: shapes and valid codes, old
checkpoints unchanged, save / load, one update, resume == straight through."""

import json

import numpy as np
import pytest
import torch

from generators.checkpoint import from_pretrained, save_pretrained
from generators.nets.convdeconv import encode
from generators.nets.dcgan import ARCH_VERSION, DCGAN, DCGANConfig, Shifted, build
from generators.nets.latent_gan import CODE_DIM, CodeHead, code_vector
from generators.training import kernel
from generators.training.latent_gan import LatentGANTrainer, real_codes, tiny

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = DCGANConfig(z_dim=8, ndf=4, mapping=2, mbstd_group=2, synthesis="convdeconv",
                   decoder_width=8, decoder_shared=16, decoder_channels=(8, 8, 4, 4, 4),
                   code_hidden=16)


def _load(folder):
    return from_pretrained(DCGAN, DCGANConfig, folder, model_name="dcgan",
                           code_version=ARCH_VERSION, retrain_hint="")


def test_forward_shapes_and_the_codes_are_valid_decoder_inputs():
    g = build(TINY, seed=0).generator.eval()
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(1))
    img = g(z)
    assert img.shape == (5, 3, 64, 64) and img.min() >= -1 and img.max() <= 1
    assert torch.equal(img, g.synthesis(g.to_w(z)))
    assert torch.equal(Shifted(g, torch.zeros(8), "w")(z), img)
    inputs = g.main.head(g.to_w(z))
    real = encode("faces", [{**_attrs(i)} for i in range(5)])
    for k in ("identity", "expression", "light", "pose", "_transform", "_palette"):
        assert inputs[k].shape == real[k].shape, k
    ident = inputs["identity"]
    for a, b in ((12, 17), (17, 20), (20, 26), (26, 29)):   # categories: blends summing to 1
        assert torch.allclose(ident[:, a:b].sum(1), torch.ones(5), atol=1e-5)
    assert ident[:, 29:].abs().max() <= 1                     # hat, beard in ±1
    pose = inputs["pose"]
    assert torch.allclose(pose[:, 0] ** 2 + pose[:, 1] ** 2, torch.ones(5), atol=1e-5)
    assert pose[:, 4].abs().max() <= 1 and pose[:, 5].abs().max() <= 1
    assert g.codes(z).shape == (5, CODE_DIM) == code_vector(real).shape
    d = build(TINY, seed=0)
    assert d.code_discriminator(g.codes(z)).shape == (5,)
    assert d.discriminator(img).shape == (5,)                 # the completion prior


def _attrs(i):
    from generators.schema import get_schema
    return get_schema("faces").defaults(i)


def test_attributes_are_linear_in_w_by_construction():
    """Each category's logits are a linear function of w: moving w along the
    head's row difference raises that value's weight monotonically."""
    torch.manual_seed(0)  # before the head: its init decides whether a move is monotonic
    head = CodeHead(8)
    w = torch.randn(4, 8)
    row = head.linear.weight
    eyewear = slice(12 + 5 + 3 + 6, 12 + 5 + 3 + 6 + 3)
    v = row[eyewear][2] - row[eyewear][0]                     # sunglasses − none
    p = [head(w + t * v)["identity"][:, eyewear][:, 2] for t in (0.0, 1.0, 2.0)]
    assert bool((p[1] > p[0]).all() and (p[2] > p[1]).all())


def test_config_round_trip_and_old_checkpoints_load_unchanged(tmp_path):
    assert DCGANConfig.from_dict(json.loads(json.dumps(TINY.to_dict()))) == TINY
    with pytest.raises(ValueError, match="mapping"):
        DCGANConfig(synthesis="convdeconv")
    with pytest.raises(ValueError, match="synthesis"):
        DCGANConfig(synthesis="vae")
    # a checkpoint written before these fields existed: the pixel DCGAN, same pixels
    old = DCGANConfig(ngf=4, ndf=4)
    pair = build(old, seed=3).eval()
    save_pretrained(pair, old, tmp_path / "old", model_name="dcgan", code_version=ARCH_VERSION)
    meta = json.loads((tmp_path / "old" / "config.json").read_text())
    for k in ("synthesis", "decoder_width", "decoder_shared", "decoder_channels", "code_hidden"):
        del meta["config"][k]
    (tmp_path / "old" / "config.json").write_text(json.dumps(meta))
    back = _load(tmp_path / "old")
    assert back.cfg == old and not hasattr(back, "code_discriminator")
    z = torch.randn(2, 100, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(back.generator(z), pair.generator(z))


def test_save_load_round_trip_renders_the_same(tmp_path):
    pair = build(TINY, seed=1).eval()
    save_pretrained(pair, TINY, tmp_path, model_name="dcgan", code_version=ARCH_VERSION)
    back = _load(tmp_path)
    assert back.cfg == TINY
    z = torch.randn(3, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(back.generator(z), pair.generator(z))
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(),
                                                 pair.state_dict().values()))


def test_real_codes_are_encoded_studio_samples():
    c = real_codes(40, seed=0)
    assert c.shape == (40, CODE_DIM) and torch.equal(c, real_codes(40, seed=0))
    assert torch.allclose(c[:, 12:17].sum(1), torch.ones(40))   # one-hot hair colour
    assert set(c[:, 29].tolist()) <= {-1.0, 1.0}


def _loss(tr, batch, which):
    gen = tr.losses(batch, 0)
    name, loss = next(gen)
    if which == "G":
        name, loss = next(gen)
    gen.close()
    tr.netD.requires_grad_(True)
    assert name == which
    return loss


def test_one_update_lowers_the_loss_and_the_decoder_stays_frozen():
    tr = tiny()
    kernel.prepare(tr)
    dec = {k: v.clone() for k, v in tr.netG.main.decoder.state_dict().items()}
    batch = tr.batch(0)
    for which in ("D", "G"):
        before = _loss(tr, batch, which)
        tr.update(which, before)
        after = _loss(tr, batch, which)
        before, after = float(before.detach()), float(after.detach())
        assert np.isfinite(before) and after < before, which
    for k, v in tr.netG.main.decoder.state_dict().items():
        assert torch.equal(v, dec[k]), k


def _state(tr):
    out = {f"module.{k}": v for k, v in tr.module.state_dict().items()}
    if tr.ema is not None:
        out.update({f"ema.{k}": v for k, v in tr.ema.state_dict().items()})
    for name, opt in tr.optimizers.items():
        for pid, st in opt.state_dict()["state"].items():
            out.update({f"opt.{name}.{pid}.{k}": v for k, v in st.items() if torch.is_tensor(v)})
    return out


def test_resume_equals_training_straight_through_and_the_sheet_is_written(tmp_path):
    """The checks tests/test_trainers.py gives every registered model (the latent
    GAN is the "dcgan" model, so it is not a registry entry of its own)."""
    from PIL import Image
    straight = tiny(str(tmp_path / "a"), steps=4)
    kernel.prepare(straight)
    kernel.fit(straight)
    part = tiny(str(tmp_path / "b"), steps=4)
    kernel.prepare(part)
    kernel.fit(part, until=2)
    resumed = tiny(str(tmp_path / "b"), steps=4, resume=True)
    assert kernel.prepare(resumed) and resumed.step_count == 2
    kernel.fit(resumed)
    a, b = _state(straight), _state(resumed)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    with Image.open(tmp_path / "b" / "samples" / "step-000004.png") as im:
        assert np.asarray(im.convert("RGB")).std() > 1
    assert _load(tmp_path / "a").cfg == TINY                  # the saved model is a DCGAN


def test_the_trainer_refuses_a_pixel_config_and_bad_codes():
    with pytest.raises(kernel.TrainingError, match="convdeconv"):
        LatentGANTrainer(DCGANConfig(ngf=4, ndf=4), None, tiny().opts, decoder="none")
    with pytest.raises(kernel.TrainingError, match="N×48"):
        LatentGANTrainer(TINY, torch.zeros(4, 7), tiny().opts, decoder="none")


def test_the_decoder_loaded_must_match_the_config_and_a_mismatch_names_the_setting(tmp_path):
    from dataclasses import replace

    from generators.nets.convdeconv import ConvDeconv
    from generators.nets.latent_gan import decoder_config, load_decoder

    parted = replace(TINY, decoder_channels=(8, 8, 4, 6, 6), decoder_parts=True)
    torch.manual_seed(3)
    dec = ConvDeconv(decoder_config(parted)).eval()
    assert dec.parts is not None
    save_pretrained(dec, dec.cfg, tmp_path / "cd", model_name="convdeconv", code_version=3)
    g = build(parted, seed=0).generator.eval()
    load_decoder(g.main, tmp_path / "cd")
    assert all(torch.equal(a, b) for a, b in zip(g.main.decoder.state_dict().values(),
                                                 dec.state_dict().values()))
    with pytest.raises(ValueError, match=r"channels \(8, 8, 4, 6, 6\).*"
                                         r"--set decoder_channels=\[8,8,4,6,6\]"):
        load_decoder(build(TINY, seed=0).generator.main, tmp_path / "cd")
    with pytest.raises(ValueError, match="--set decoder_parts=true"):
        load_decoder(build(replace(parted, decoder_parts=False), seed=0).generator.main,
                     tmp_path / "cd")


def test_a_new_decoder_goes_behind_a_trained_latent_gan_and_the_rest_is_kept(tmp_path):
    import importlib.util
    from dataclasses import replace
    from pathlib import Path

    from generators.nets.convdeconv import ConvDeconv
    from generators.nets.latent_gan import decoder_config

    spec = importlib.util.spec_from_file_location(
        "latent_gan_decoder", Path(__file__).parents[1] / "scripts" / "latent_gan_decoder.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    pair = build(TINY, seed=1).eval()
    save_pretrained(pair, TINY, tmp_path / "gan", model_name="dcgan", code_version=ARCH_VERSION,
                    extra={"step": 7, "eval": {"passes": True}})
    (tmp_path / "gan" / "directions.json").write_text("{}")
    wide = replace(TINY, decoder_channels=(8, 8, 4, 6, 6), decoder_parts=True)
    torch.manual_seed(5)
    dec = ConvDeconv(decoder_config(wide)).eval()
    save_pretrained(dec, dec.cfg, tmp_path / "cd", model_name="convdeconv", code_version=3)
    out = tmp_path / "swapped"
    assert script.main([str(tmp_path / "cd"), "--weights", str(tmp_path / "gan"),
                        "--out", str(out)]) == 0
    assert script.main([str(tmp_path / "cd"), "--weights", str(tmp_path / "gan"),
                        "--out", str(out)]) == 2          # never over an existing folder
    back = _load(out)
    assert back.cfg == wide and (out / "directions.json").read_text() == "{}"
    meta = json.loads((out / "config.json").read_text())
    assert "eval" not in meta["extra"] and meta["extra"]["step"] == 7
    old, new = pair.state_dict(), back.state_dict()
    for k, v in new.items():
        if ".decoder." in k:
            assert torch.equal(v, dec.state_dict()[k.split(".decoder.", 1)[1]]), k
        else:
            assert torch.equal(v, old[k]), k
    # the same w, the same codes: only the drawing changed
    z = torch.randn(3, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(back.generator.codes(z), pair.generator.codes(z))
