"""pix2pix: networks, trainer (one step lowers the loss, resume == continuous, the
L1-only baseline), the generator, the eval, and the train / eval / sketch CLIs."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from generators.nets.pix2pix import Pix2PixConfig, build, receptive_field, sketch_input
from generators.training.pix2pix import (Pix2PixTrainOptions, Pix2PixTrainer, TrainingError,
                                         load_pix2pix, to_device, train_pix2pix)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = Pix2PixConfig(ngf=8, ndf=8)


def _data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    sk = np.full((n, 2, 64, 64), 255, np.uint8)
    img = rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)
    for i in range(n):                      # a sketch that tells the pictures apart
        sk[i, :, 8 + 5 * i:12 + 5 * i, 10:50] = 0
        img[i, 8 + 5 * i:12 + 5 * i] = 0
    return to_device(sk, img, "cpu")


def _opts(**kw):
    return Pix2PixTrainOptions(**{"steps": 4, "batch": 4, "progress": False, "sample_every": 100,
                                  "checkpoint_every": 100, **kw})


def test_shapes_and_patch_size():
    cfg = Pix2PixConfig()                   # the shipped size: ngf 32, six downsamplings
    pair = build(cfg, seed=0).eval()
    s = torch.rand(2, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        y = pair.generator(s)
        d = pair.discriminator(s, y)
    assert y.shape == (2, 3, 64, 64) and y.abs().max() <= 1
    assert d.shape == (2, 1, 14, 14)
    assert receptive_field(cfg) == 34           # about half the image
    assert len(pair.generator.down) == 6 and pair.generator.widths[0] == 32
    assert sketch_input(torch.full((1, 4, 4), 255, dtype=torch.uint8)).eq(1).all()


def test_dropout_is_the_noise_in_training_and_off_in_eval():
    pair = build(TINY, seed=0)
    s = torch.rand(2, 1, 64, 64)
    pair.generator.train()
    torch.manual_seed(1)
    a = pair.generator(s)
    torch.manual_seed(2)
    b = pair.generator(s)
    assert not torch.equal(a, b)
    pair.generator.eval()
    assert torch.equal(pair.generator(s), pair.generator(s))


def _l1(trainer, data):
    with torch.no_grad():
        s = sketch_input(data.sketches[:, 0])
        y = data.images.permute(0, 3, 1, 2).float() / 127.5 - 1
        return (trainer.G(s) - y).abs().mean().item()


def test_one_training_step_lowers_the_loss():
    data = _data()
    cfg = replace(TINY, dropout=0.0)
    trainer = Pix2PixTrainer(cfg, data, _opts(batch=8, flip=False, lr=1e-3))
    trainer.G.train()
    before = _l1(trainer, data)
    trainer.step()
    after = _l1(trainer, data)
    assert after < before
    losses = trainer.read_losses()
    assert losses["loss_d"] > 0 and losses["l1"] > 0 and losses["g_adv"] > 0


def test_l1_only_baseline_leaves_the_discriminator_idle():
    data = _data()
    trainer = Pix2PixTrainer(TINY, data, _opts(gan_weight=0.0))
    d0 = {k: v.clone() for k, v in trainer.D.state_dict().items()}
    g0 = [p.clone() for p in trainer.G.parameters()]
    for _ in range(2):
        trainer.step()
    assert all(torch.equal(d0[k], v) for k, v in trainer.D.state_dict().items())
    assert any(not torch.equal(a, b) for a, b in zip(g0, trainer.G.parameters()))
    losses = trainer.read_losses()
    assert losses["loss_d"] == 0 and losses["g_adv"] == 0 and losses["l1"] > 0


def test_resume_equals_continuous_training(tmp_path):
    data = _data()
    a = train_pix2pix(_opts(steps=6, out=str(tmp_path / "a")), TINY, data)
    train_pix2pix(_opts(steps=3, out=str(tmp_path / "b")), TINY, data)
    with pytest.raises(TrainingError, match="--resume"):
        train_pix2pix(_opts(steps=6, out=str(tmp_path / "b")), TINY, data)
    b = train_pix2pix(_opts(steps=6, out=str(tmp_path / "b"), resume=True), TINY, data)
    sa, sb = a.pair.state_dict(), b.pair.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    log = [json.loads(x) for x in (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 6 and log[-1]["images_per_s"] > 0
    assert (tmp_path / "b" / "samples" / "step-000006.png").exists()
    with pytest.raises(TrainingError, match="config"):
        train_pix2pix(_opts(steps=8, out=str(tmp_path / "b"), resume=True),
                      replace(TINY, ngf=16), data)


def test_time_limit_stops_checkpointed(tmp_path):
    t = train_pix2pix(_opts(steps=1000, out=str(tmp_path), time_limit_s=0.0), TINY, _data())
    assert t.step_count == 1
    assert load_pix2pix(tmp_path).cfg == TINY


@pytest.fixture
def tiny_weights(tmp_path):
    t = train_pix2pix(_opts(steps=2, out=str(tmp_path / "w")), TINY, _data())
    return tmp_path / "w", t


def test_generator_renders_states_and_drawings(tiny_weights):
    from generators.pix2pix_gen import Pix2PixGenerator
    from sessions.state import ImageState
    path, _ = tiny_weights
    gen = Pix2PixGenerator("faces", path)
    state = ImageState.new("faces", seed=4)
    img = gen.render(state)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert np.array_equal(img, gen.render(state))             # eval mode: no dropout
    drawing = np.zeros((100, 80))
    drawing[20:80, 40] = 1
    out = gen.render_drawing(drawing)
    assert out.shape == (64, 64, 3)
    from generators.errors import GeneratorError
    with pytest.raises(GeneratorError, match="faces"):
        Pix2PixGenerator("chairs", path)


def test_registered_never_default():
    from generators import registry
    assert "pix2pix" in registry.names("faces") and "pix2pix" in registry.names("chairs")
    assert registry.default_generator("faces") != "pix2pix"
    assert registry.default_generator("chairs") != "pix2pix"


def test_eval_measures_both_sets_and_baselines(tiny_weights, tmp_path):
    from generators.evaluation.pix2pix import evaluate_pix2pix, psnr
    path, t = tiny_weights
    pair = load_pix2pix(path)
    res = evaluate_pix2pix(pair, "chairs", n=3, n_train=6, baseline=pair,
                           sheet=str(tmp_path / "sheet.png"), cache_dir_=tmp_path)
    for part in ("heldout", "perturbed"):
        assert set(res[part]) == {"pix2pix", "l1", "nearest"}
        assert res[part]["pix2pix"]["psnr"] == res[part]["l1"]["psnr"]   # the same weights
    assert res["heldout_psnr_gain_over_l1"] == 0
    assert (tmp_path / "sheet.png").exists()
    a = np.zeros((2, 4, 4, 3), np.uint8)
    assert psnr(a, a + 255).tolist() == [0.0, 0.0]


def test_cli_train_and_eval(tmp_path, capsys, monkeypatch):
    from holochat.cli import main
    monkeypatch.setenv("HOLOCHAT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    assert main(["train", "pix2pix", "--recipe", "chairs:smoke", "--out", str(out),
                 "--steps", "2", "--set", "batch=2", "--set", "n_train=4"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["step"] == 2 and last["images_per_s"] > 0
    assert main(["train", "pix2pix", "--recipe", "faces", "--out", str(out), "--steps", "3",
                 "--resume"]) == 2
    assert "chairs" in capsys.readouterr().err
    assert main(["train", "pix2pix", "--recipe", "faces:smoke", "--out", str(out),
                 "--set", "batch=0"]) == 2
    assert "batch must be positive" in capsys.readouterr().err
    assert main(["eval", "pix2pix", "--domain", "chairs", "--weights", str(out), "--n", "2",
                 "--n-train", "4", "--json", "--record"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["heldout"]["nearest"]["psnr"] > 0
    assert json.loads((out / "config.json").read_text())["extra"]["eval"]["n"] == 2
    assert main(["eval", "pix2pix", "--domain", "faces", "--weights", str(out)]) == 2
    assert "chairs" in capsys.readouterr().err


def _drawing(path, size=(240, 300)):
    from PIL import Image, ImageDraw
    im = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(im)
    d.ellipse((40, 40, size[0] - 40, size[1] - 30), outline="black", width=3)
    d.ellipse((90, 120, 110, 135), fill="black")
    d.arc((90, 180, 150, 220), 20, 160, fill="black", width=3)
    im.save(path)


def test_sketch_cli_on_drawings_and_bad_files(tiny_weights, tmp_path, capsys):
    from PIL import Image
    from holochat.cli import main
    path, _ = tiny_weights
    _drawing(tmp_path / "face.png")
    Image.open(tmp_path / "face.png").convert("L").save(tmp_path / "face.jpg", quality=90)
    for src in ("face.png", "face.jpg"):
        out = tmp_path / f"{src}.out.png"
        assert main(["sketch", str(tmp_path / src), "--weights", str(path), "--out", str(out),
                     "--scale", "1"]) == 0
        assert Image.open(out).size == (64, 64)
    assert main(["sketch", str(tmp_path / "face.png"), "--weights", str(path),
                 "--out", str(tmp_path / "pair.png"), "--with-sketch", "--scale", "2"]) == 0
    assert Image.open(tmp_path / "pair.png").size == (256, 128)
    capsys.readouterr()
    Image.new("RGB", (50, 40), "white").save(tmp_path / "blank.png")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG broken")
    for bad, msg in (("blank.png", "empty"), ("junk.png", "not a readable image"),
                     ("nope.png", "no such file")):
        assert main(["sketch", str(tmp_path / bad), "--weights", str(path),
                     "--out", str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err
        assert not (tmp_path / "x.png").exists()
    assert main(["sketch", str(tmp_path / "face.png"), "--domain", "chairs", "--weights", str(path),
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "draw faces" in capsys.readouterr().err


def test_read_drawing_reads_what_a_drawing_shows():
    from generators.pix2pix_gen import describe_reading, read_drawing
    from generators.studio import render
    from generators.training.judge import load_judge
    from generators.weights import has_weights, weights_path
    assert describe_reading({"expression": "happy", "yaw": -20, "hat": True}) == \
        "I see a smiling face turned slightly left, with a hat."
    assert describe_reading({"expression": "angry", "yaw": 40, "beard": True,
                             "eyewear": "sunglasses"}) == \
        "I see an angry face turned right, with a beard and sunglasses."
    if not has_weights("judge", "faces"):
        pytest.skip("no shipped faces judge")
    judge = load_judge(weights_path("judge", "faces"))
    from sessions.state import ImageState
    a = dict(ImageState.new("faces", seed=2).attributes, hat=True, yaw=-30.0)
    got, sentence = read_drawing(render("faces", a), judge)
    assert set(got) <= {"expression", "eyewear", "hat", "beard", "yaw", "pitch"}
    assert got["hat"] is True and got["yaw"] < -10 and "hat" in sentence
