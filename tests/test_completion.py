"""Image completion (generators/latent/completion.py) and ``holochat dcgan complete``
on a tiny seeded DCGAN (ngf = ndf = 8)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from generators.latent import completion as C
from generators.nets.dcgan import DCGANConfig, build, to_uint8
from holochat.cli import main

TINY = DCGANConfig(ngf=8, ndf=8)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_pair(seed: int = 0):
    """A tiny untrained pair whose batch-norm statistics are measured on a batch
    of z (the init's running statistics would make eval-mode G(z) almost
    constant); its renders then vary with z like a trained G's do."""
    pair = build(TINY, seed=seed)
    G = pair.generator
    for m in G.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None                       # a plain average over the batch
    with torch.no_grad():
        G.train()(torch.randn(256, TINY.z_dim, generator=torch.Generator().manual_seed(99)))
    pair.eval()
    return pair


@pytest.fixture(scope="module")
def pair():
    return tiny_pair()


def g_images(G, seed: int, n: int = 1) -> np.ndarray:
    with torch.no_grad():
        z = torch.randn(n, TINY.z_dim, generator=torch.Generator().manual_seed(seed))
        return to_uint8(G.eval()(z)).numpy()


# -- masks and files ------------------------------------------------------------------------------
def test_named_regions_cover_what_their_names_say():
    left, right = C.region_mask("left"), C.region_mask("right")
    assert left.dtype == bool and left.shape == (64, 64)
    assert left[:, :32].all() and not left[:, 32:].any()
    assert (left ^ right).all()                                  # halves partition the image
    top, bottom = C.region_mask("top"), C.region_mask("bottom")
    assert top[:32].all() and not top[32:].any() and (top ^ bottom).all()
    center = C.region_mask("center")
    assert center.sum() == 32 * 32 and center[16:48, 16:48].all()
    eyes, mouth = C.region_mask("eyes"), C.region_mask("mouth")
    rows_e, rows_m = np.nonzero(eyes.any(1))[0], np.nonzero(mouth.any(1))[0]
    assert 18 <= rows_e.min() and rows_e.max() < rows_m.min() and rows_m.max() <= 50
    assert not (eyes & mouth).any()
    # the box covers where the studio draws sunglasses on a frontal face
    from generators.schema import get_schema
    from generators.studio import render
    a = get_schema("faces").defaults(7)
    diff = np.abs(render("faces", dict(a, eyewear="sunglasses")).astype(int)
                  - render("faces", a).astype(int)).sum(-1) > 30
    assert diff.any() and (diff & eyes).sum() >= 0.9 * diff.sum()
    assert C.region_mask("centre").sum() == center.sum()          # aliases
    assert C.region_mask(" Left ").sum() == left.sum()
    assert C.region_mask("left", size=32).shape == (32, 32)


def test_an_unknown_region_lists_the_valid_ones():
    with pytest.raises(ValueError) as e:
        C.region_mask("nose")
    for name in C.REGIONS:
        assert name in str(e.value)


def test_masks_load_light_as_missing_and_refuse_useless_ones(tmp_path):
    grey = np.zeros((128, 128), np.uint8)
    grey[:, :64] = 255                                            # left half light
    Image.fromarray(grey).convert("RGB").save(tmp_path / "m.png")
    np.testing.assert_array_equal(C.load_mask(tmp_path / "m.png"), C.region_mask("left"))
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "dark.png")
    with pytest.raises(C.CompletionError, match="no pixel as missing"):
        C.load_mask(tmp_path / "dark.png")
    Image.fromarray(np.full((64, 64), 255, np.uint8)).save(tmp_path / "light.png")
    with pytest.raises(C.CompletionError, match="every pixel as missing"):
        C.load_mask(tmp_path / "light.png")
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(C.CompletionError, match="cannot read mask"):
        C.load_mask(tmp_path / "junk.png")
    with pytest.raises(C.CompletionError, match="no such file"):
        C.load_mask(tmp_path / "absent.png")


def test_images_load_as_squares_with_clear_errors(tmp_path):
    rgb = np.zeros((40, 80, 3), np.uint8)
    rgb[:, 20:60] = (200, 10, 10)                                 # the centre square is red
    Image.fromarray(rgb).save(tmp_path / "wide.png")
    im = C.load_image(tmp_path / "wide.png", 64)
    assert im.shape == (64, 64, 3) and im.dtype == np.uint8
    assert abs(int(im[32, 32, 0]) - 200) <= 2 and im[32, 32, 1] < 20
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 broken")
    with pytest.raises(C.CompletionError, match="cannot read image"):
        C.load_image(tmp_path / "bad.jpg")


def test_contextual_weights_favour_pixels_next_to_the_hole():
    missing = torch.from_numpy(C.region_mask("center")).float()[None, None]
    w = C.contextual_weights(missing)[0, 0]
    assert (w[16:48, 16:48] == 0).all()                           # missing pixels weigh 0
    assert torch.isclose(w[0, 0], torch.tensor(C.WEIGHT_FLOOR))   # far: the floor only
    assert w[15, 32] > w[14, 32] > w[13, 32] > w[12, 32] == w[0, 32] > 0   # nearer: more
    # next to a straight edge, 3 of the 7 columns/rows of the window are missing
    assert torch.isclose(w[32, 15], torch.tensor(3 / 7 + C.WEIGHT_FLOOR))


# -- the optimisation -------------------------------------------------------------------------
def test_completion_is_deterministic_and_leaves_the_networks_alone(pair):
    G, D = pair.generator, pair.discriminator
    image = g_images(G, seed=5)[0]
    missing = C.region_mask("left")
    G.train()                                                     # the caller's modes
    D.train()
    before = {k: v.clone() for k, v in pair.state_dict().items()}
    a = C.complete(G, D, image, missing, steps=15, restarts=3, seed=1)
    b = C.complete(G, D, image, missing, steps=15, restarts=3, seed=1)
    c = C.complete(G, D, image, missing, steps=15, restarts=3, seed=2)
    after = pair.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN stats
    assert G.training and D.training                               # modes restored
    assert all(p.requires_grad for p in pair.parameters())
    pair.eval()
    np.testing.assert_array_equal(a.z, b.z)
    np.testing.assert_array_equal(a.blended, b.blended)
    assert a.loss == b.loss
    assert not np.array_equal(a.z, c.z)
    assert a.z.shape == (TINY.z_dim,) and a.generated.shape == (64, 64, 3)
    assert a.generated.dtype == np.uint8 and a.blended.dtype == np.uint8
    np.testing.assert_array_equal(a.blended[~missing], image[~missing])   # known pixels kept
    np.testing.assert_array_equal(a.blended[missing], a.generated[missing])
    assert np.isclose(a.loss, a.contextual + 0.003 * a.prior, rtol=1e-5)


def test_z_stays_inside_the_clip(pair):
    G, D = pair.generator, pair.discriminator
    seen: list[int] = []
    res = C.complete(G, D, g_images(G, 3)[0], C.region_mask("top"), steps=10, restarts=2,
                     lr=0.5, z_clip=0.3, on_step=seen.append)
    assert np.abs(res.z).max() <= 0.3 + 1e-6
    assert seen == list(range(1, 11))                              # progress callback


def test_completion_recovers_a_hole_better_than_mean_fill(pair):
    """On images G itself made there is a z that explains the known pixels; the
    search should find one whose hole is far closer than the mean colour or a
    random draw of G."""
    G, D = pair.generator, pair.discriminator
    images = g_images(G, seed=11, n=3)
    randoms = g_images(G, seed=12, n=3)
    for region in ("center", "left", "eyes"):
        missing = C.region_mask(region)
        done = C.complete_batch(G, D, images, np.broadcast_to(missing, images.shape[:3]),
                                steps=80, restarts=4, seeds=[0, 1, 2])
        for r, im, rnd in zip(done, images, randoms):
            ours = C.psnr_masked(r.blended, im, missing)
            assert ours > C.psnr_masked(C.mean_fill(im, missing), im, missing) + 6
            assert ours > C.psnr_masked(rnd, im, missing) + 6


def test_evaluate_completion_reports_both_figures(pair):
    G, D = pair.generator, pair.discriminator
    images = g_images(G, seed=21, n=3)
    res = C.evaluate_completion(G, D, images, n=2, regions=("center", "mouth"), steps=30,
                                restarts=2)
    assert res["n"] == 2 and res["regions"] == ["center", "mouth"]
    for key in ("completion_psnr_masked", "completion_psnr_meanfill",
                "completion_psnr_masked_center", "completion_psnr_meanfill_mouth"):
        assert np.isfinite(res[key])
    assert res["completion_psnr_masked"] > res["completion_psnr_meanfill"]
    mean_c = np.mean([res["completion_psnr_masked_center"], res["completion_psnr_masked_mouth"]])
    assert np.isclose(res["completion_psnr_masked"], mean_c)
    assert np.isclose(res["completion_gain_db"],
                      res["completion_psnr_masked"] - res["completion_psnr_meanfill"])


def test_mean_fill_and_masked_psnr():
    im = np.zeros((8, 8, 3), np.uint8)
    im[:, :4] = 100
    missing = np.zeros((8, 8), bool)
    missing[:, 6:] = True
    filled = C.mean_fill(im, missing)
    assert (filled[missing] == 67).all() and (filled[~missing] == im[~missing]).all()
    assert np.isclose(C.psnr_masked(filled, im, missing), 10 * np.log10(255 ** 2 / 67 ** 2))


def test_state_helper_returns_z_and_pictures(pair):
    G, D = pair.generator, pair.discriminator
    image = g_images(G, 8)[0]
    z, before, after = C.complete_state_z(G, D, image, "mouth", seed=0, steps=5, restarts=2)
    assert isinstance(z, tuple) and len(z) == TINY.z_dim and all(isinstance(v, float) for v in z)
    hole = C.region_mask("mouth")
    assert (before[hole] == C.HOLE_GREY).all() and (before[~hole] == image[~hole]).all()
    with torch.no_grad():
        np.testing.assert_array_equal(after, to_uint8(G(torch.tensor([z]))).numpy()[0])
    big = np.asarray(Image.fromarray(image).resize((128, 128)))
    z2, before2, _ = C.complete_state_z(G, D, big, "left", seed=0, steps=2, restarts=1)
    assert before2.shape == (64, 64, 3) and len(z2) == TINY.z_dim
    with pytest.raises(ValueError, match="valid regions"):
        C.complete_state_z(G, D, image, "elbow", seed=0)


def test_bad_inputs_get_clear_errors(pair):
    G, D = pair.generator, pair.discriminator
    with pytest.raises(C.CompletionError, match="64×64×3"):
        C.complete(G, D, np.zeros((32, 32, 3), np.uint8), np.ones((32, 32), bool))
    with pytest.raises(C.CompletionError, match="nothing to complete"):
        C.complete(G, D, np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64), bool))
    with pytest.raises(C.CompletionError, match="positive"):
        C.complete(G, D, np.zeros((64, 64, 3), np.uint8), C.region_mask("left"), steps=0)


# -- the command -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def weights(tmp_path_factory, pair):
    from generators.training.dcgan import save_model
    out = tmp_path_factory.mktemp("dcgan")
    save_model(out, pair, step=0)
    return out


def _face_png(tmp_path, pair):
    path = tmp_path / "face.png"
    Image.fromarray(g_images(pair.generator, 31)[0]).save(path)
    return path


def test_cli_completes_and_writes_a_before_after_sheet(tmp_path, weights, pair, capsys):
    img = _face_png(tmp_path, pair)
    out, sheet = tmp_path / "out.png", tmp_path / "sheet.png"
    rc = main(["dcgan", "complete", str(img), "--region", "left", "--out", str(out),
               "--weights", str(weights), "--steps", "5", "--restarts", "2",
               "--sheet", str(sheet), "--device", "cpu"])
    assert rc == 0
    done = np.asarray(Image.open(out))
    original = np.asarray(Image.open(img))
    assert done.shape == (64, 64, 3)
    np.testing.assert_array_equal(done[:, 32:], original[:, 32:])   # the right half is kept
    w, h = Image.open(sheet).size
    assert w > 4 * 128 and h > 128                                  # four frames at 2×
    assert '"loss"' in capsys.readouterr().out
    # a mask file works the same way
    m = np.zeros((64, 64), np.uint8)
    m[16:48, 16:48] = 255
    Image.fromarray(m).save(tmp_path / "mask.png")
    rc = main(["dcgan", "complete", str(img), "--mask", str(tmp_path / "mask.png"),
               "--out", str(out), "--weights", str(weights), "--steps", "3", "--restarts", "1",
               "--device", "cpu"])
    assert rc == 0


def _one_clear_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


def test_cli_errors_are_one_line_and_exit_2(tmp_path, weights, pair, capsys):
    img = _face_png(tmp_path, pair)
    out = str(tmp_path / "out.png")
    assert main(["dcgan", "complete", str(img), "--region", "left", "--out", out,
                 "--weights", str(tmp_path / "nowhere")]) == 2
    assert "no DCGAN weights" in _one_clear_line(capsys)
    assert main(["dcgan", "complete", str(img), "--region", "nose", "--out", out,
                 "--weights", str(weights), "--device", "cpu"]) == 2
    assert "valid regions" in _one_clear_line(capsys)
    (tmp_path / "junk.png").write_bytes(b"garbage")
    assert main(["dcgan", "complete", str(img), "--mask", str(tmp_path / "junk.png"),
                 "--out", out, "--weights", str(weights), "--device", "cpu"]) == 2
    assert "cannot read mask" in _one_clear_line(capsys)
    assert main(["dcgan", "complete", str(tmp_path / "absent.png"), "--region", "eyes",
                 "--out", out, "--weights", str(weights), "--device", "cpu"]) == 2
    assert "cannot read image" in _one_clear_line(capsys)
    (tmp_path / "notdcgan").mkdir()
    (tmp_path / "notdcgan" / "config.json").write_text("{}")
    (tmp_path / "notdcgan" / "model.safetensors").write_bytes(b"")
    assert main(["dcgan", "complete", str(img), "--region", "left", "--out", out,
                 "--weights", str(tmp_path / "notdcgan")]) == 2
    _one_clear_line(capsys)
    assert not (tmp_path / "out.png").exists()
