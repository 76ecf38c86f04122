"""Directions in w for a DCGAN with a mapping network, the linear-separability
probe, InterFaceGAN fits on the judge's extremes, and dcgan mode in the
dialogue on such a model (tiny models, CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generators import registry
from generators.dcgan_gen import DCGANGenerator, personal_dir
from generators.errors import WeightsError
from generators.latent import directions as Dn
from generators.nets.dcgan import DCGANConfig, Shifted, build
from generators.training.dcgan import save_model
from sessions.state import ImageState

MAPPED = DCGANConfig(ngf=8, ndf=8, mapping=2, style=True)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True)
def _fresh_registry():
    registry.clear_cache()
    yield
    registry.clear_cache()


def readings_of(x: np.ndarray) -> list[dict]:
    """Readings that are known linear-threshold functions of x."""
    s = x @ np.linalg.qr(np.random.default_rng(0).standard_normal((x.shape[1],) * 2))[0]
    return [dict(yaw=float(30 * v[0]), pitch=float(10 * v[1]), light_azimuth=float(30 * v[2]),
                 light_elevation=20.0, brightness=float(0.3 * v[3]), expression="neutral",
                 expression_strength=float(0.5 + 0.2 * v[8]),
                 eyewear="sunglasses" if v[9] > 0.6 else "none", hat=bool(v[11] > 0.5),
                 beard=bool(v[12] > 0.3), hair_color="brown", skin_tone="medium",
                 background="gray") for v in s]


def mapped_model(folder) -> DCGANGenerator:
    """A tiny DCGAN with a mapping network and directions fitted in its w."""
    pair = build(MAPPED, seed=0)
    save_model(folder, pair, 0)
    z = np.random.default_rng(1).standard_normal((1500, 100)).astype(np.float32)
    w = Dn.to_space(pair.generator.eval(), z, "w")
    d = Dn.fit_directions(w, readings_of(w), meta={"space": "w"})
    d.save(folder)
    return DCGANGenerator("faces", folder)


# -- the probe and the extremes -------------------------------------------------------------------
def test_probe_reads_linear_attributes_as_separable_and_noise_as_chance():
    x = np.random.default_rng(0).standard_normal((3000, 20))
    r = readings_of(np.pad(x, ((0, 0), (0, 80))))        # thresholds of a rotation of x
    clean = Dn.probe(np.pad(x, ((0, 0), (0, 80))), r)
    assert {"hat", "beard", "eyewear=sunglasses"} <= set(clean["targets"])
    assert clean["mean"] > 0.9
    rng = np.random.default_rng(1)
    noise = [dict(hat=bool(rng.random() < 0.5), beard=bool(rng.random() < 0.3)) for _ in x]
    chance = Dn.probe(x, noise)
    assert set(chance["targets"]) == {"hat", "beard"}
    assert abs(chance["mean"] - 0.5) < 0.06
    assert Dn.balanced_accuracy([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx((1 + 2 / 3) / 2)


def test_extremes_mask_keeps_the_surest_of_each_side():
    score = np.array([0.9, 0.6, 0.99, 0.7, 0.1, 0.4, 0.05, 0.3, 0.2, 0.45])
    pos = score > 0.5
    keep = Dn.extremes_mask(score, pos, frac=0.5, min_group=1)
    assert set(np.flatnonzero(keep)) == {0, 2, 4, 6, 8}   # 2 of 4 positives, 3 of 6 negatives
    assert Dn.extremes_mask(score, pos, frac=0.5, min_group=10).all()   # too few: all


def test_binary_normals_are_fitted_on_the_extremes_when_scores_are_given():
    z = np.random.default_rng(2).standard_normal((1200, 100))
    r = readings_of(z)
    hat = np.array([x["hat"] for x in r])
    score = 1 / (1 + np.exp(-(z @ np.random.default_rng(3).standard_normal(100))))
    d_all = Dn.fit_directions(z, r)
    d_ext = Dn.fit_directions(z, r, scores={"hat": score}, extremes=0.5)
    sel = Dn.extremes_mask(score, hat, 0.5)
    want = Dn.logistic_normal(z[sel], hat[sel])
    np.testing.assert_allclose(d_ext.vector("hat", "interfacegan"), want)
    assert not np.allclose(d_all.vector("hat", "interfacegan"), want)
    # targets without scores are fitted on everything; the fraction is recorded
    np.testing.assert_allclose(d_ext.vector("beard", "interfacegan"),
                               d_all.vector("beard", "interfacegan"))
    assert d_ext.meta["extremes"] == 0.5 and d_all.meta["extremes"] == 1.0


# -- the generator in w ---------------------------------------------------------------------------
def test_w_directions_render_deterministically_from_z_and_offsets(tmp_path):
    gen = mapped_model(tmp_path / "m")
    assert gen.space == "w" and gen.directions.space == "w"
    base = ImageState.new("faces", 5, "dcgan")
    z = tuple(base.z[:100])
    st = base.evolve(offsets={"hat": 1.5})
    a, b = gen.render(st), gen.render(st)
    np.testing.assert_array_equal(a, b)
    G = gen.G
    with torch.no_grad():
        w = G.to_w(torch.tensor([z], dtype=torch.float32))
        want = w.numpy()[0] + 1.5 * gen.directions.scale("hat") * gen.directions.vector("hat")
        img = G.synthesis(torch.tensor(want[None], dtype=torch.float32))
    np.testing.assert_allclose(gen.latent(st), want, atol=1e-5)
    from generators.nets.dcgan import to_uint8
    assert np.abs(to_uint8(img).numpy()[0].astype(int) - a.astype(int)).max() <= 1
    plain = gen.render(base)
    assert not np.array_equal(plain, a)
    np.testing.assert_array_equal(gen.render_latent(gen.to_space(np.array([z]))), plain[None])


def test_shifted_generator_applies_the_move_in_its_space():
    g = build(MAPPED, seed=0).generator.eval()
    z = torch.randn(2, 100)
    with torch.no_grad():
        assert torch.allclose(Shifted(g, np.zeros(100), "w")(z), g(z), atol=1e-6)
        shift = np.random.default_rng(0).standard_normal(100).astype(np.float32)
        want = g.synthesis(g.to_w(z) + torch.from_numpy(shift))
        assert torch.allclose(Shifted(g, shift, "w")(z), want, atol=1e-6)
        plain = build(DCGANConfig(ngf=8, ndf=8), seed=0).generator.eval()
        assert torch.allclose(Shifted(plain, shift, "z")(z), plain(z + torch.from_numpy(shift)),
                              atol=1e-6)


def test_w_directions_on_a_model_without_mapping_are_refused(tmp_path):
    folder = tmp_path / "m"
    mapped_model(folder)
    save_model(folder, build(DCGANConfig(ngf=8, ndf=8), seed=0), 0)   # swap the weights
    with pytest.raises(WeightsError, match="holochat train directions"):
        DCGANGenerator("faces", folder)


def test_estimate_fits_in_w_and_probes_both_spaces():
    g = build(MAPPED, seed=0).generator

    def reader(images):            # attributes from pixel statistics of the renders
        f = images.reshape(len(images), -1, 3).mean(1) / 255.0
        return [dict(hat=bool(a[0] > np.median(f[:, 0])), beard=bool(a[1] > np.median(f[:, 1])),
                     yaw=float(100 * a[2])) for a in f]
    d = Dn.estimate(g, reader, n=300, seed=0)
    assert d.space == "w" and d.z_dim == 100
    assert set(d.meta["probe"]) == {"z", "w"}
    assert 0.0 <= d.meta["probe"]["w"]["mean"] <= 1.0
    zd = Dn.estimate(g, reader, n=300, seed=0, space="z", with_probe=False)
    assert zd.space == "z" and "probe" not in zd.meta
    with pytest.raises(ValueError, match="space"):
        Dn.estimate(g, reader, n=300, space="x")


# -- dcgan mode in the dialogue ---------------------------------------------------------------------
def test_dialogue_moves_and_completion_with_w_directions(tmp_path):
    from dialogue import latent
    from dialogue.manager import DialogueManager
    mapped_model(personal_dir("wtiny"))
    m = DialogueManager("faces", 3, "dcgan:wtiny", log_dir=tmp_path / "logs")
    m.latent_options = latent.Options(completion={"steps": 3, "restarts": 2})
    m.start()
    try:
        first = m.image.copy()
        r = m.turn("add a hat")
        assert r.ops == [{"op": "latent_move", "direction": "hat", "amount": 1.0}]
        assert not np.array_equal(r.image, first)
        r = m.turn("remove the hat")
        np.testing.assert_array_equal(r.image, first)
        m.turn("add sunglasses")
        r = m.turn("repair the left half")
        assert [o["op"] for o in r.ops] == ["set_latent"]
        assert r.state.offsets["eyewear=sunglasses"] == 1.0     # the move is kept, in w
        # the new state renders what the search found: G's synthesis of to_w(z) + the move
        gen = registry.get_generator("dcgan:wtiny", "faces")
        np.testing.assert_array_equal(gen.render(r.state), r.image)
    finally:
        m.close()


def test_arithmetic_sheet_works_on_w_for_a_mapped_generator(tmp_path):
    from generators.latent import arithmetic as A
    g = build(MAPPED, seed=0).generator.eval()

    def reader(images):             # beard / sunglasses from pixel statistics, split at medians
        red, top = images[..., 0].mean((1, 2)), images[:, :20].mean((1, 2, 3))
        return [{"beard": bool(r > np.median(red)),
                 "eyewear": "sunglasses" if t < np.median(top) else "none"}
                for r, t in zip(red, top)]
    res = A.arithmetic_sheet(g, reader, tmp_path / "sheet.png", seed=0, n=64)
    assert res["space"] == "w" and res["n_results"] == 9 and (tmp_path / "sheet.png").exists()
    # the groups' exemplars are averaged in w: the centre result is synthesis(mean w arithmetic)
    z, readings = A.sample_readings(g, reader, 64, 0)
    w = Dn.to_space(g, z, "w")
    groups = [A._pick(w, readings, pred, 3, label) for label, pred in A.GROUPS]
    centre = Dn.render_space(g, A.vector_arithmetic(*groups)[None].astype(np.float32), "w")
    zgroups = [A._pick(z, readings, pred, 3, label) for label, pred in A.GROUPS]
    in_z = A.render_z(g, A.vector_arithmetic(*zgroups)[None].astype(np.float32))
    assert centre.shape == in_z.shape == (1, 64, 64, 3)
    assert not np.array_equal(centre, in_z)            # w arithmetic is not z arithmetic
    plain = build(DCGANConfig(ngf=8, ndf=8), seed=0).generator.eval()
    assert A.arithmetic_sheet(plain, reader, tmp_path / "z.png", seed=0, n=64)["space"] == "z"


def _anisotropic(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 100))
    q = np.linalg.qr(rng.standard_normal((100, 100)))[0]
    m = q @ np.diag(np.logspace(-0.8, 1, 100)) @ q.T              # stretched and squeezed
    return z @ m + 3.0, z, m


def test_whitening_and_its_inverse():
    x, _, _ = _anisotropic()
    mu, half, inv_half = Dn.whitening(x)
    np.testing.assert_allclose(half @ inv_half, np.eye(100), atol=1e-8)
    u = (x - mu) @ inv_half
    np.testing.assert_allclose(np.cov(u, rowvar=False), np.eye(100), atol=1e-6)


def test_unwhitened_directions_make_the_same_moves_in_w():
    x, z, m = _anisotropic()
    mu, half, inv_half = Dn.whitening(x)
    u = (x - mu) @ inv_half
    r = readings_of(z)                                    # attributes are functions of z
    d_u = Dn.fit_directions(u, r)
    offsets = {"hat": 1.0, "yaw": -0.5, "beard": 2.0}
    move_u, _ = d_u.offset(offsets)
    d_w = Dn.unwhiten(Dn.fit_directions(u, r), half)
    move_w, _ = d_w.offset(offsets)
    np.testing.assert_allclose(move_w, move_u @ half, atol=1e-8)   # Δw = Σ^½ Δu
    np.testing.assert_allclose(np.linalg.norm(d_w.vectors["projected"], axis=1), 1.0)
    # in the whitened fit one calibrated yaw unit is one 15° step of the linear yaw;
    # fitted on the raw anisotropic w the projected direction's unit is off
    s = z @ np.linalg.qr(np.random.default_rng(0).standard_normal((100, 100)))[0]
    a = np.linalg.lstsq(x - x.mean(0), 30 * s[:, 0] - (30 * s[:, 0]).mean(), rcond=None)[0]

    def degrees(d):                                       # the linear yaw moved by one unit
        return float(d.scale("yaw") * d.vector("yaw") @ a)
    assert abs(degrees(d_w) - 15.0) < 1.5
    assert abs(degrees(Dn.fit_directions(x, r)) - 15.0) > abs(degrees(d_w) - 15.0)


def test_exemplars_are_the_judges_surest_matches_when_it_gives_probabilities():
    from generators.latent import arithmetic as A
    z = np.arange(12, dtype=float).reshape(6, 2)
    readings = [dict(beard=True, eyewear="none")] * 6
    score = np.array([0.1, 0.9, 0.5, 0.95, 0.2, 0.3])
    np.testing.assert_array_equal(A._pick(z, readings, A.GROUPS[1][1], 2, "x", score), z[[3, 1]])
    np.testing.assert_array_equal(A._pick(z, readings, A.GROUPS[1][1], 2, "x"), z[[0, 1]])
    p = {"beard": np.array([0.9, 0.2]), "eyewear=sunglasses": np.array([0.8, 0.1]),
         "eyewear=none": np.array([0.1, 0.7])}
    np.testing.assert_allclose(A.GROUP_SCORES[0](p), [0.72, 0.02])
    np.testing.assert_allclose(A.GROUP_SCORES[2](p), [0.01, 0.56])


def test_a_move_the_judge_does_not_see_is_said_in_the_reply(tmp_path, monkeypatch):
    from dialogue import latent
    from dialogue.manager import DialogueManager
    mapped_model(personal_dir("wjudge"))
    seen = {"hat": False}

    class FakeJudge:                     # reads no hat, then a hat
        cfg = type("C", (), {"image_size": 64})()
    monkeypatch.setattr(latent, "_judge", lambda: FakeJudge())
    import generators.nets.judge as J
    monkeypatch.setattr(J, "read_attributes",
                        lambda judge, images: ([dict(hat=seen["hat"], eyewear="none")], None))
    m = DialogueManager("faces", 3, "dcgan:wjudge", log_dir=tmp_path / "logs")
    m.start()
    try:
        r = m.turn("add a hat")
        assert r.changed and "Moved along the hat direction" in r.reply
        assert "The judge does not see hat in the picture yet" in r.reply
        seen["hat"] = True
        assert "judge" not in m.turn("add a hat").reply
        assert "The judge still sees hat." in m.turn("remove the hat").reply
        m.latent_options = latent.Options(judge_check=False)
        assert "judge" not in m.turn("add a hat").reply
    finally:
        m.close()
