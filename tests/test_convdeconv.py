"""Conv-deconv generator: tiny seeded training, checkpoints, clear weight errors,
shipped weights load and render on CPU."""

import numpy as np
import pytest
import torch

from generators.checkpoint import from_pretrained, save_pretrained
from generators.convdeconv_gen import ConvDeconvGenerator
from generators.datasets import make_dataset
from generators.errors import WeightsError
from generators.nets.convdeconv import ARCH_VERSION, ConvDeconv, ConvDeconvConfig, encode
from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
from generators.weights import has_weights

TINY = dict(group_width=16, shared=32, channels=(16, 8, 8, 4, 4))


@pytest.mark.parametrize("domain", ["chairs", "faces"])
def test_shapes_and_encoding(domain):
    torch.manual_seed(0)
    cfg = ConvDeconvConfig(domain=domain, mask=domain == "chairs", **TINY)
    m = ConvDeconv(cfg).eval()
    ds = make_dataset(domain, 3)
    x = encode(domain, ds.attributes)
    with torch.no_grad():
        rgb, mask = m(x)
    assert rgb.shape == (3, 3, 64, 64) and float(rgb.min()) >= 0 and float(rgb.max()) <= 1
    assert mask.shape == (3, 1, 64, 64)      # the compositing mask (supervised for chairs)


def test_few_steps_lower_the_loss_and_resume(tmp_path):
    torch.set_num_threads(1)
    ds = make_dataset("chairs", 64, seed=1)
    cfg = ConvDeconvConfig(domain="chairs", **TINY)
    opts = ConvDeconvTrainOptions(domain="chairs", steps=40, batch=16, lr=3e-3, log_every=10,
                                  progress=False, out=str(tmp_path / "w"), checkpoint_every=20,
                                  sample_every=20)
    m = train_convdeconv(opts, cfg, dataset=ds)
    log = m.train_log
    assert log[-1]["rec"] < log[0]["rec"]
    assert (tmp_path / "w/samples/step-000040.png").exists()
    again = train_convdeconv(ConvDeconvTrainOptions(**{**opts.__dict__, "steps": 50, "resume": True}),
                             cfg, dataset=ds)
    assert [r["step"] for r in again.train_log] == [50]
    # determinism: the same seed gives the same weights
    m2 = train_convdeconv(ConvDeconvTrainOptions(**{**opts.__dict__, "out": None}), cfg, dataset=ds)
    m3 = train_convdeconv(ConvDeconvTrainOptions(**{**opts.__dict__, "out": None}), cfg, dataset=ds)
    for a, b in zip(m2.parameters(), m3.parameters()):
        assert torch.equal(a, b)


def _save_tiny(path):
    m = ConvDeconv(ConvDeconvConfig(domain="chairs", **TINY))
    save_pretrained(m, m.cfg, path, model_name="convdeconv", code_version=ARCH_VERSION)
    return m


def _load(path):
    return from_pretrained(ConvDeconv, ConvDeconvConfig, path, model_name="convdeconv",
                           code_version=ARCH_VERSION, retrain_hint="holochat train convdeconv ...")


def test_weight_errors_are_clear(tmp_path):
    with pytest.raises(WeightsError, match="missing.*Retrain with: holochat train"):
        _load(tmp_path / "none")
    p = tmp_path / "w"
    m = _save_tiny(p)
    assert torch.equal(next(_load(p).parameters()), next(m.parameters()))
    data = (p / "model.safetensors").read_bytes()
    (p / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated or corrupt.*Retrain"):
        _load(p)
    _save_tiny(p)
    import json
    cfg = json.loads((p / "config.json").read_text())
    cfg["config"]["shared"] = 64
    (p / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(WeightsError, match="do not match.*Retrain"):
        _load(p)
    cfg["code_version"] = 999
    (p / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(WeightsError, match="code version"):
        _load(p)
    (p / "config.json").write_text("{not json")
    with pytest.raises(WeightsError, match="unreadable"):
        _load(p)


@pytest.mark.parametrize("domain", ["chairs", "faces"])
def test_shipped_weights_load_and_render(domain):
    assert has_weights("convdeconv", domain), "shipped convdeconv weights are missing"
    from sessions.state import ImageState
    gen = ConvDeconvGenerator(domain)
    s = ImageState.new(domain, 5, "convdeconv")
    img = gen.render(s)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8 and img.std() > 5
    assert np.array_equal(img, gen.render(s))
    big = gen.render(ImageState.new(domain, 5, "convdeconv", size=128))
    assert big.shape == (128, 128, 3)


def test_transform_layer_matches_the_studio():
    """The fixed output layer reproduces the studio's colour transforms exactly
    and its zoom/shift closely, from a canonical 128 px render."""
    from generators.nets.convdeconv import compose
    from generators.schema import CHAIRS
    from generators.studio import render_chair
    a = CHAIRS.defaults(5)
    img, m = render_chair(a, size=128, return_mask=True)
    rgb = torch.tensor(img / 255.0, dtype=torch.float32).permute(2, 0, 1)[None]
    ml = torch.tensor(np.where(m, 20.0, -20.0), dtype=torch.float32)[None, None]
    for kv in (dict(hue=90.0, saturation=1.5, brightness=0.3),
               dict(zoom=1.5, shift_x=0.3, shift_y=0.2), dict(zoom=0.7, shift_x=-0.2, shift_y=-0.3)):
        b = dict(a, **kv)
        t = torch.tensor([[b["zoom"], b["shift_x"], b["shift_y"], b["hue"], b["saturation"],
                           b["brightness"]]])
        out, mo = compose("chairs", rgb, ml, torch.full((1, 3), 0.97), t)
        truth, tm = render_chair(b, return_mask=True)
        pred = (mo[0, 0] > 0).numpy()
        assert (pred & tm).sum() / (pred | tm).sum() > 0.9
        mse = ((out[0].permute(1, 2, 0).numpy() - truth / 255.0) ** 2).mean()
        assert 10 * np.log10(1 / mse) > 20


def test_unaccepted_weights_never_become_the_default():
    """Shipped weights whose recorded eval did not pass stay selectable
    ("use the convdeconv") but the domain's default stays the studio."""
    from generators import registry
    from generators.weights import accepted
    for domain in ("chairs", "faces"):
        if has_weights("convdeconv", domain) and not accepted("convdeconv", domain):
            assert "convdeconv" in registry.available(domain)
            assert registry.default_generator(domain) != "convdeconv"


def test_eval_with_a_judge_reports_the_studio_ceiling_beside(tmp_path, capsys):
    """`eval convdeconv --judge DIR` adds the text GAN's judge figures, for the
    generator and for the studio; chairs are refused with one clear line."""
    import json

    import torch

    from generators.nets.judge import Judge, JudgeConfig
    from generators.training.judge import save_judge
    from holochat.cli import main
    torch.manual_seed(0)
    save_judge(Judge(JudgeConfig(domain="faces", width=8, hidden=16, embed_dim=8)).eval(),
               tmp_path / "judge")
    assert main(["eval", "convdeconv", "--domain", "faces", "--n-test", "8", "--json",
                 "--judge", str(tmp_path / "judge")]) == 0
    res = json.loads(capsys.readouterr().out)
    j = res["judge"]
    for k in ("attr_accuracy", "edit_success", "preservation"):
        assert 0 <= j[k] <= 1, k
    assert j["identity_ratio"] >= 0 and j["fid_judge"] >= 0
    assert set(j["studio"]) >= {"attr_accuracy", "edit_success", "preservation", "identity_ratio"}
    assert "heldout_caption_accuracy" not in j
    assert main(["eval", "convdeconv", "--domain", "chairs", "--n-test", "8",
                 "--judge", str(tmp_path / "judge")]) == 2
    assert "faces only" in capsys.readouterr().err
