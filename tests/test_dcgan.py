"""DCGAN network, holochat's trainer, and the reference loop (tiny configs, CPU)."""

import json

import numpy as np
import pytest
import torch

from generators.nets.dcgan import DCGANConfig, build, from_uint8, to_uint8
from generators.training import dcgan as T
from generators.training import reference_dcgan as R

TINY = DCGANConfig(ngf=4, ndf=4)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _images(n=24, size=64, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def _opts(tmp_path=None, **kw):
    base = dict(steps=4, batch=4, log_every=2, sample_every=2, checkpoint_every=2,
                progress=False, out=str(tmp_path) if tmp_path else None)
    base.update(kw)
    return T.TrainOptions(**base)


# -- network ---------------------------------------------------------------------------


def test_shapes_and_paper_parameter_counts():
    pair = build(DCGANConfig(), seed=0)
    g, d = pair.generator, pair.discriminator
    # the pytorch/examples DCGAN at ngf = ndf = 64
    assert sum(p.numel() for p in g.parameters()) == 3_576_704
    assert sum(p.numel() for p in d.parameters()) == 2_765_568
    pair = build(TINY, seed=0)
    g, d = pair.generator, pair.discriminator
    x = g(torch.randn(3, 100))
    assert x.shape == (3, 3, 64, 64)
    assert x.abs().max() <= 1
    assert d(x).shape == (3,)
    p32 = build(DCGANConfig(image_size=32, ngf=4, ndf=4), seed=0)
    g32, d32 = p32.generator, p32.discriminator
    assert g32(torch.randn(2, 100, 1, 1)).shape == (2, 3, 32, 32)
    assert d32(torch.zeros(2, 3, 32, 32)).shape == (2,)


def test_resize_upsampling_builds_a_generator_without_transposed_convs():
    cfg = DCGANConfig(ngf=4, ndf=4, upsample="resize")
    pair = build(cfg, seed=0)
    g = pair.generator
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in g.main[3:])
    assert sum(isinstance(m, torch.nn.Upsample) for m in g.modules()) == cfg.n_up
    out = g(torch.randn(2, cfg.z_dim))
    assert out.shape == (2, 3, 64, 64) and out.abs().max() <= 1
    assert DCGANConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="upsample"):
        DCGANConfig(upsample="bilinear-ish")
    # the default keeps the paper's layers (the shipped weights load: test_dcgan_generator)
    paper = build(TINY, seed=0).generator
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in paper.modules()) == cfg.n_up + 1


def test_init_is_seeded_and_follows_the_paper():
    g1, g2, g3 = (build(DCGANConfig(), seed=s).generator for s in (3, 3, 4))
    w1, w2, w3 = (next(g.parameters()) for g in (g1, g2, g3))
    assert torch.equal(w1, w2) and not torch.equal(w1, w3)
    assert abs(w1.std().item() - 0.02) < 0.002 and abs(w1.mean().item()) < 0.002
    bn = next(m for m in g1.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert abs(bn.weight.mean().item() - 1.0) < 0.01 and torch.all(bn.bias == 0)


def test_config_validation_and_round_trip():
    with pytest.raises(ValueError, match="power of two"):
        DCGANConfig(image_size=48)
    with pytest.raises(ValueError, match="unknown DCGAN config keys: bogus"):
        DCGANConfig.from_dict({"bogus": 1})
    assert DCGANConfig.from_dict(TINY.to_dict()) == TINY
    assert (T.TrainOptions().lr, T.TrainOptions().beta1, TINY.z_dim) == (2e-4, 0.5, 100)
    # configs saved before the training settings left them still load
    assert DCGANConfig.from_dict({**TINY.to_dict(), "lr": 1e-3, "r1_gamma": 1.0}) == TINY


def test_uint8_round_trip():
    imgs = torch.from_numpy(_images(2))
    x = from_uint8(imgs)
    assert x.shape == (2, 3, 64, 64) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(to_uint8(x), imgs)


VAE = DCGANConfig(ngf=4, ndf=4, output="compose", encoder=True)
VAE_OPTS = dict(vae_warmup=3, r1_gamma=1.0)


def test_compose_output_and_encoder_shapes_and_validation():
    pair = build(VAE, seed=0)
    g, e = pair.generator, pair.encoder
    x = g(torch.randn(3, 100))
    assert x.shape == (3, 3, 64, 64) and x.min() >= -1 and x.max() <= 1
    mu, logvar = e(x)
    assert mu.shape == logvar.shape == (3, 100)
    assert logvar.min() >= -10 and logvar.max() <= 5
    keys = {k.split(".")[0] for k in pair.state_dict()}
    assert keys == {"generator", "discriminator", "encoder"}
    assert {k.split(".")[0] for k in build(TINY, seed=0).state_dict()} == {"generator",
                                                                          "discriminator"}
    assert DCGANConfig.from_dict(VAE.to_dict()) == VAE
    # a config written before these keys existed (the shipped weights) reads as the paper's
    old = {k: v for k, v in TINY.to_dict().items()
           if k not in ("output", "encoder", "kl_weight", "rec_weight", "vae_warmup", "warmup_lr")}
    assert DCGANConfig.from_dict(old) == TINY and TINY.output == "tanh" and not TINY.encoder
    with pytest.raises(ValueError, match="output"):
        DCGANConfig(output="rgb")
    with pytest.raises(T.TrainingError, match="encoder"):
        T.DCGANTrainer(TINY, _images(8), _opts(vae_warmup=10))
    with pytest.raises(ValueError, match="channels"):
        DCGANConfig(output="compose", channels=1)


def test_vae_warmup_trains_encoder_and_generator_then_the_gan_losses_start(tmp_path):
    imgs = np.repeat(_images(2, seed=1), 4, axis=0)
    trainer = T.DCGANTrainer(VAE, imgs, _opts(batch=4, **VAE_OPTS))
    d0 = {k: v.clone() for k, v in trainer.netD.state_dict().items()}
    o = trainer.opts
    assert trainer.lr_at(0) == o.warmup_lr and trainer.lr_at(2) == 0.3 * o.warmup_lr
    assert trainer.lr_at(3) == o.lr
    for _ in range(3):
        trainer.step()
    loss_d, loss_g = trainer.read_losses()
    assert (loss_d, loss_g) == (0.0, 0.0) and trainer.last_vae > 0
    # the warm-up leaves the discriminator alone
    assert all(torch.equal(v, trainer.netD.state_dict()[k]) for k, v in d0.items())
    trainer.step()
    loss_d, loss_g = trainer.read_losses()
    assert loss_d > 0 and loss_g > 0 and trainer.last_vae > 0
    assert not torch.equal(d0["main.0.weight"], trainer.netD.state_dict()["main.0.weight"])


def test_the_vae_loss_falls_on_a_fixed_task():
    imgs = np.zeros((16, 16, 16, 3), np.uint8)          # two pictures: red with a blue square,
    imgs[::2, ..., 0] = 220                              # and green
    imgs[::2, 4:10, 4:10] = (20, 30, 200)
    imgs[1::2, ..., 1] = 180
    cfg = DCGANConfig(image_size=16, ngf=8, ndf=8, output="compose", encoder=True)
    trainer = T.DCGANTrainer(cfg, imgs, _opts(batch=8, vae_warmup=60))
    losses = []
    for _ in range(6):
        for _ in range(10):
            trainer.step()
        trainer.read_losses()
        losses.append(trainer.last_vae)
    assert losses[-1] < 0.7 * losses[0], losses


def test_vae_gan_resume_equals_an_uninterrupted_run_and_logs_the_vae_loss(tmp_path):
    whole = T.train(VAE, _images(), _opts(tmp_path / "whole", steps=6, **VAE_OPTS))
    T.train(VAE, _images(), _opts(tmp_path / "split", steps=2, **VAE_OPTS))  # inside the warm-up
    resumed = T.train(VAE, _images(), _opts(tmp_path / "split", steps=6, resume=True,
                                            **VAE_OPTS))
    assert resumed.weights_digest() == whole.weights_digest()
    log = [json.loads(line) for line in (tmp_path / "whole/train_log.jsonl").read_text().splitlines()]
    assert all(r["loss_vae"] > 0 for r in log)
    assert log[0]["loss_d"] == 0.0 and log[-1]["loss_d"] > 0


# -- trainer ---------------------------------------------------------------------------


def test_a_few_steps_change_the_weights_and_write_everything(tmp_path):
    trainer = T.train(TINY, _images(), _opts(tmp_path))
    assert trainer.step_count == 4
    for name in ("config.json", "model.safetensors", "training_state.safetensors",
                 "trainer.json", "train_log.jsonl", "samples/step-000002.png",
                 "samples/step-000004.png"):
        assert (tmp_path / name).exists(), name
    cfg, tensors = T.read_model(tmp_path)
    assert cfg == TINY
    g0 = build(TINY, seed=0).generator
    assert not torch.equal(tensors["generator.main.0.weight"], g0.main[0].weight)
    meta = json.loads((tmp_path / "config.json").read_text())
    assert (meta["model"], meta["extra"]["step"]) == ("dcgan", 4)
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4]
    assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in log)
    from PIL import Image
    with Image.open(tmp_path / "samples/step-000004.png") as im:
        assert im.size == (8 * 66 + 2, 8 * 66 + 2)


def test_training_is_deterministic():
    a = T.train(TINY, _images(), _opts(steps=3))
    b = T.train(TINY, _images(), _opts(steps=3))
    assert a.weights_digest() == b.weights_digest()


def test_resume_equals_an_uninterrupted_run(tmp_path):
    whole = T.train(TINY, _images(), _opts(tmp_path / "whole", steps=6))
    T.train(TINY, _images(), _opts(tmp_path / "split", steps=4))
    resumed = T.train(TINY, _images(), _opts(tmp_path / "split", steps=6, resume=True))
    assert resumed.step_count == 6
    assert resumed.weights_digest() == whole.weights_digest()
    assert json.loads((tmp_path / "split/trainer.json").read_text())["step"] == 6


def test_existing_checkpoint_is_never_overwritten_without_resume(tmp_path):
    T.train(TINY, _images(), _opts(tmp_path, steps=2))
    before = (tmp_path / "model.safetensors").read_bytes()
    with pytest.raises(T.TrainingError, match="--resume"):
        T.train(TINY, _images(), _opts(tmp_path, steps=4))
    assert (tmp_path / "model.safetensors").read_bytes() == before


def test_resume_rejects_a_different_model_and_a_torn_checkpoint(tmp_path):
    T.train(TINY, _images(), _opts(tmp_path, steps=2))
    with pytest.raises(T.TrainingError, match="same model flags"):
        T.train(DCGANConfig(ngf=8, ndf=4), _images(), _opts(tmp_path, steps=4, resume=True))
    record = json.loads((tmp_path / "trainer.json").read_text())
    record["step"] = 7
    (tmp_path / "trainer.json").write_text(json.dumps(record))
    with pytest.raises(T.TrainingError, match="different steps"):
        T.train(TINY, _images(), _opts(tmp_path, steps=9, resume=True))


def test_fine_tune_starts_from_given_weights(tmp_path):
    T.train(TINY, _images(seed=1), _opts(tmp_path / "base", steps=2))
    _, base = T.read_model(tmp_path / "base")
    ft = T.DCGANTrainer(TINY, _images(), _opts(steps=1))
    T.load_weights(ft.pair, base)
    assert torch.equal(ft.netG.main[0].weight, base["generator.main.0.weight"])
    tuned = T.train(TINY, _images(), _opts(tmp_path / "ft", steps=1), init_from=tmp_path / "base")
    assert tuned.step_count == 1


def test_bad_images_are_refused_with_a_clear_message():
    with pytest.raises(T.TrainingError, match="uint8 N×64×64×3"):
        T.DCGANTrainer(TINY, np.zeros((4, 32, 32, 3), np.uint8), _opts())
    with pytest.raises(T.TrainingError, match="uint8"):
        T.DCGANTrainer(TINY, np.zeros((4, 64, 64, 3), np.float32), _opts())


def test_discriminator_learns_on_a_fixed_task():
    """A few steps make D tell a constant-colour data set from G's output
    (its loss falls below the 2·ln 2 of a coin toss)."""
    imgs = np.full((16, 64, 64, 3), 230, np.uint8)
    trainer = T.DCGANTrainer(TINY, imgs, _opts(steps=10, batch=8))
    for _ in range(10):
        trainer.step()
    loss_d, loss_g = trainer.read_losses()
    assert np.isfinite(loss_g) and loss_d < 2 * np.log(2)
    with torch.no_grad():                   # batch statistics, as in training
        real = trainer.netD(from_uint8(torch.from_numpy(imgs[:8]))).mean()
        fake = trainer.netD(trainer.netG(torch.randn(8, 100))).mean()
    assert real > fake


def test_r1_penalty_is_added_to_the_discriminator_loss_on_its_steps():
    """With R1 on, the logged D loss of a step is the plain loss plus
    γ/2 · k · E‖∇ₓD(x_real)‖², computed here by hand on the same batch."""
    imgs = _images(16)
    plain = T.DCGANTrainer(TINY, imgs, _opts(batch=8))
    reg = T.DCGANTrainer(TINY, imgs, _opts(batch=8, r1_gamma=5.0, r1_every=2))
    real = reg.batch(0).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(reg.netD(real).sum(), real)
    penalty = grad.pow(2).flatten(1).sum(1).mean().item()
    assert penalty > 0
    plain.step()
    reg.step()
    (d0, g0), (d1, g1) = plain.read_losses(), reg.read_losses()
    assert d1 - d0 == pytest.approx(0.5 * 5.0 * 2 * penalty, rel=1e-4)
    assert g1 != g0                          # D moved differently, so G's loss differs
    plain.step()
    reg.step()                               # step 1: not an R1 step (every 2)
    assert np.isfinite(reg.read_losses()).all()
    with pytest.raises(ValueError, match="r1_gamma"):
        T.TrainOptions(r1_gamma=-1)


def test_flop_count_scales_with_batch():
    f2, f4 = T.step_flops(TINY, 2), T.step_flops(TINY, 4)
    assert f2 > 0 and f4 == pytest.approx(2 * f2)


# -- reference loop ----------------------------------------------------------------------


def test_reference_loop_runs_on_decoded_pngs(tmp_path):
    imgs = _images(8)
    root = R.write_pngs(imgs, tmp_path / "pngs")
    ds = R.PNGFolder(root)
    assert len(ds) == 8
    assert torch.allclose(ds[0], from_uint8(torch.from_numpy(imgs[:1]))[0])
    loop = R.ReferenceLoop(TINY, root, batch=4)
    it = loop.batches()
    before = loop.netG.main[0].weight.clone()
    for _ in range(3):                      # crosses an epoch boundary (2 batches per epoch)
        loop.step(next(it))
    assert len(loop.log) == 3 and all(np.isfinite(v) for row in loop.log for v in row)
    assert not torch.equal(before, loop.netG.main[0].weight)


def test_both_loops_report_throughput(tmp_path):
    imgs = _images(8)
    ours = T.measure_throughput(TINY, imgs, batch=4, steps=1, warmup=1)
    ref = R.measure_throughput(TINY, imgs, batch=4, steps=1, warmup=1, tmp_dir=tmp_path)
    assert ours["images_per_s"] > 0 and ref["images_per_s"] > 0
    with pytest.raises(ValueError, match="at least 16 images"):
        R.measure_throughput(TINY, imgs, batch=16, steps=1, tmp_dir=tmp_path)



# -- data and starting points ------------------------------------------------------------


def test_images_come_from_a_folder_or_a_clear_error(tmp_path):
    from PIL import Image

    from generators.loaders import DatasetError
    (tmp_path / "photos").mkdir()
    for i in range(3):
        Image.fromarray(_images(1, size=90, seed=i)[0]).save(tmp_path / "photos" / f"{i}.png")
    imgs = T.load_images(tmp_path / "photos")
    assert imgs.shape == (3, 64, 64, 3) and imgs.dtype == np.uint8
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="empty|no "):
        T.load_images(tmp_path / "empty")


def test_from_accepts_a_checkpoint_folder_and_explains_otherwise(tmp_path):
    T.train(TINY, _images(), _opts(tmp_path / "ckpt", steps=1))
    assert T.resolve_from(tmp_path / "ckpt") == tmp_path / "ckpt"
    with pytest.raises(T.TrainingError, match="not a DCGAN checkpoint folder"):
        T.resolve_from(tmp_path)
    if not (T.shipped_dir("faces") / T.MODEL_FILE).exists():
        with pytest.raises(T.TrainingError, match="no shipped DCGAN weights"):
            T.resolve_from("faces")
    else:
        assert T.resolve_from("faces") == T.shipped_dir("faces")


def test_cli_refuses_bad_input_and_changes_nothing(tmp_path, capsys):
    from holochat.cli import main
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    assert main(["train", "dcgan", "--set", f"data={tmp_path / 'empty'}", "--out", str(out),
                 "--steps", "1", "--device", "cpu"]) == 2    # the recipe's latent GAN: no pictures
    assert "--set synthesis=dcgan" in capsys.readouterr().err and not out.exists()
    assert main(["train", "dcgan", "--set", f"data={tmp_path / 'empty'}", "--out", str(out),
                 "--set", "synthesis=dcgan", "--steps", "1", "--device", "cpu"]) == 2
    assert "no images" in capsys.readouterr().err and not out.exists()
    assert main(["train", "dcgan", "--out", str(out), "--steps", "0"]) == 2
    assert "--steps must be positive" in capsys.readouterr().err


def test_cli_trains_on_a_folder_then_resumes(tmp_path, capsys):
    from PIL import Image

    from holochat.cli import main
    (tmp_path / "photos").mkdir()
    for i, im in enumerate(_images(6, size=70)):
        Image.fromarray(im).save(tmp_path / "photos" / f"{i}.jpg")
    out = tmp_path / "out"
    base = ["train", "dcgan", "--set", f"data={tmp_path / 'photos'}", "--out", str(out),
            "--set", "batch=4", "--device", "cpu", "--set", "synthesis=dcgan"]
    tiny = ["--set", "ngf=4", "--set", "ndf=4"]
    assert main([*base, *tiny, "--set", "r1_gamma=0.5", "--steps", "2"]) == 0
    assert main([*base, *tiny, "--steps", "3"]) == 2                        # would overwrite
    assert "--resume" in capsys.readouterr().err
    assert main([*base, "--steps", "3", "--resume"]) == 0   # the checkpoint's recorded settings
    assert json.loads((out / "trainer.json").read_text())["step"] == 3
    meta = json.loads((out / "config.json").read_text())
    assert (meta["config"]["ngf"], meta["extra"]["train"]["r1_gamma"]) == (4, 0.5)
    assert main([*base, "--steps", "4", "--resume", "--set", "ngf=8"]) == 2   # another model
    assert "ngf" in capsys.readouterr().err
