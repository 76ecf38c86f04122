"""Attribute directions of the DCGAN (generators/latent/directions.py), the
judge-feature Fréchet distance, ``holochat train directions`` and ``holochat
eval dcgan`` on tiny models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from generators.latent import directions as Dn
from generators.nets.dcgan import DCGANConfig, build
from generators.schema import get_schema
from generators.training.dcgan import save_model

TINY = DCGANConfig(ngf=8, ndf=8)
EXPR = ("neutral", "happy", "sad", "angry", "surprised")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def synthetic_readings(z: np.ndarray, seed: int = 0) -> list[dict]:
    """Attribute readings that are known functions of z (a random rotation of
    it); hat and beard are deliberately correlated, light_elevation constant."""
    d = z.shape[1]
    basis = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]
    out = []
    for s in z @ basis:
        out.append(dict(
            identity=0, yaw=float(np.clip(30 * s[0], -60, 60)), pitch=float(10 * s[1] + 5 * s[0]),
            light_azimuth=float(30 * s[2]), light_elevation=20.0, brightness=float(0.3 * s[3]),
            expression=EXPR[int(np.argmax([0, s[4] - 0.5, s[5] - 0.5, s[6] - 0.8, s[7] - 1]))],
            expression_strength=float(0.5 + 0.2 * s[8]),
            eyewear="sunglasses" if s[9] > 0.6 else ("glasses" if s[10] > 0.8 else "none"),
            hat=bool(s[11] + 0.8 * s[12] > 0.5), beard=bool(s[12] > 0.3),
            hair_color=("black", "brown", "blond", "red", "gray")[
                int(np.argmax([s[13], 0.5, s[14], s[15] - 0.3, s[16] - 0.3]))],
            skin_tone=("light", "medium", "dark")[int(np.argmax([s[17], 0.5, s[18]]))],
            background=("white", "gray", "blue", "green", "red", "yellow")[
                int(np.argmax([s[19], 0.8, s[20], s[21], s[22], s[23]]))]))
    return out


@pytest.fixture(scope="module")
def fitted() -> tuple[np.ndarray, list[dict], Dn.Directions]:
    z = np.random.default_rng(0).standard_normal((3000, 100))
    readings = synthetic_readings(z)
    return z, readings, Dn.fit_directions(z, readings)


# -- targets and estimators ---------------------------------------------------------------------
def test_targets_cover_bools_non_default_values_and_numbers():
    names = [t.name for t in Dn.targets("faces")]
    for want in ("hat", "beard", "eyewear=sunglasses", "eyewear=glasses", "expression=happy",
                 "expression=surprised", "hair_color=blond", "skin_tone=dark",
                 "background=blue", "yaw", "pitch", "light_azimuth", "expression_strength",
                 "brightness"):
        assert want in names
    # defaults have no direction of their own
    assert not {"eyewear=none", "hair_color=brown", "expression=neutral", "identity"} & set(names)
    t = Dn.Target("eyewear=sunglasses", "eyewear", "sunglasses", "binary")
    assert t.positive({"eyewear": "sunglasses"}) is True
    assert t.positive({"eyewear": "glasses"}) is False and t.positive({}) is None


def test_projection_formula_matches_the_closed_form():
    rng = np.random.default_rng(3)
    n, others = rng.standard_normal(20), rng.standard_normal((4, 20))
    N = others.T
    want = n - N @ np.linalg.inv(N.T @ N) @ N.T @ n
    np.testing.assert_allclose(Dn.project_out(n, others), want / np.linalg.norm(want), atol=1e-10)
    assert np.abs(others @ Dn.project_out(n, others)).max() < 1e-10
    np.testing.assert_allclose(Dn.project_out(n, others[:0]), n / np.linalg.norm(n))


def test_logistic_and_ridge_recover_a_known_direction():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2000, 10))
    w = np.zeros(10)
    w[2], w[5] = 0.6, 0.8
    pos = z @ w + 0.1 * rng.standard_normal(2000) > 0.3
    assert Dn.logistic_normal(z, pos) @ w > 0.98
    assert Dn.mean_difference(z, pos) @ w > 0.95
    assert Dn.ridge_normal(z, 3 * (z @ w) + 0.1 * rng.standard_normal(2000)) @ w > 0.99


# -- a fitted set -------------------------------------------------------------------------------
def test_directions_have_the_right_shape_unit_norm_and_calibration(fitted):
    _, _, d = fitted
    k = len(d)
    assert k >= 20 and d.z_dim == 100
    assert "light_elevation" in d.meta["skipped"] and "light_elevation" not in d
    for which in Dn.SETS:
        assert d.vectors[which].shape == (k, 100)
        np.testing.assert_allclose(np.linalg.norm(d.vectors[which], axis=1), 1.0, atol=1e-9)
    for info in d.infos:
        assert all(np.isfinite(v) and v > 0 for v in info.calibration.values()), info
    # yaw = 30 · (a unit direction of z): 1/30 latent units per degree, a step is 15°
    yaw = d.info("yaw")
    assert yaw.kind == "numeric" and yaw.unit == "°" and yaw.step == 15
    assert yaw.calibration["interfacegan"] == pytest.approx(1 / 30, rel=0.05)
    assert d.scale("yaw", "interfacegan") == pytest.approx(0.5, rel=0.05)
    # binary: the distance along the direction that moves the own classifier
    # score z·n across the gap between the group means
    sun = d.info("eyewear=sunglasses")
    assert sun.kind == "binary" and sun.n_pos > 100 and 1.0 < sun.calibration["projected"] < 4.0
    z, readings, _ = fitted
    pos = np.array([r["eyewear"] == "sunglasses" for r in readings])
    n = d.vector("eyewear=sunglasses", "interfacegan")
    gap = (z[pos] @ n).mean() - (z[~pos] @ n).mean()
    assert sun.calibration["interfacegan"] == pytest.approx(gap)
    for which in ("projected", "mean_diff"):
        v = d.vector("eyewear=sunglasses", which)
        assert sun.calibration[which] * (v @ n) == pytest.approx(gap)
    # along the mean-difference vector that is the paper's difference of mean latents
    assert sun.calibration["mean_diff"] == pytest.approx(
        np.linalg.norm(z[pos].mean(0) - z[~pos].mean(0)))
    assert d.find("eyewear", "sunglasses") == "eyewear=sunglasses"
    assert d.find("hat") == "hat" and d.find("eyewear", "none") is None


def test_projection_lowers_entanglement(fitted):
    _, _, d = fitted
    raw = d.entanglement("interfacegan", "interfacegan")
    projected = d.entanglement("projected", "interfacegan")
    assert projected < raw and projected < 1e-6
    # hat and beard share a component by construction; the projected hat
    # direction no longer moves beard's linear score
    hat, beard = d.vector("hat", "interfacegan"), d.vector("beard", "interfacegan")
    assert abs(hat @ beard) > 0.3
    assert abs(d.vector("hat", "projected") @ beard) < 1e-6
    # values of one attribute are not projected out of each other (an edit of it)
    assert abs(d.vector("eyewear=sunglasses", "projected")
               @ d.vector("eyewear=glasses", "interfacegan")) >= 0.0


def test_moving_along_a_direction_changes_the_linear_reading(fitted):
    z, readings, d = fitted
    # samples without sunglasses, moved by one calibrated unit, mostly gain them
    neg = np.array([r["eyewear"] != "sunglasses" for r in readings])
    moved = z[neg] + d.scale("eyewear=sunglasses") * d.vector("eyewear=sunglasses")
    after = synthetic_readings(moved)
    assert np.mean([r["eyewear"] == "sunglasses" for r in after]) > 0.5
    # one yaw step ≈ 15° more yaw
    moved = z[:500] + d.scale("yaw") * d.vector("yaw")
    dy = np.array([a["yaw"] - b["yaw"] for a, b in zip(synthetic_readings(moved), readings[:500])])
    assert 10 < np.median(dy) < 20
    total, ignored = d.offset({"yaw": 1.0, "hat": -0.5, "nonsense": 2.0})
    np.testing.assert_allclose(total, d.scale("yaw") * d.vector("yaw")
                               - 0.5 * d.scale("hat") * d.vector("hat"))
    assert ignored == ["nonsense"]


def test_a_projected_binary_direction_moves_its_own_score_by_the_full_gap():
    """Two correlated binary attributes: projecting b's normal out of a's
    keeps only part of a's normal, and the calibration makes up for it, so one
    calibrated unit still carries the negative group's mean score across to the
    positive one's (along the projected vector's own spread it would fall short)."""
    rng = np.random.default_rng(4)
    z = rng.standard_normal((4000, 16))
    u = np.zeros(16)
    u[0], u[1] = 0.6, 0.8
    readings = [dict(hat=bool(s0 > 0.4), beard=bool(su > 0.2), yaw=0.0)
                for s0, su in zip(z[:, 0], z @ u)]
    d = Dn.fit_directions(z, readings)
    pos = z[:, 0] > 0.4
    n = d.vector("hat", "interfacegan")
    p = d.vector("hat", "projected")
    assert 0.3 < p @ n < 0.9                       # the projection took a real part away
    own_gap = (z[pos] @ n).mean() - (z[~pos] @ n).mean()
    naive = (z[pos] @ p).mean() - (z[~pos] @ p).mean()
    assert d.scale("hat") * (p @ n) == pytest.approx(own_gap)
    assert naive * (p @ n) < 0.9 * own_gap
    neg = z[~pos]
    moved = neg + d.scale("hat") * p
    assert (moved[:, 0] > 0.4).mean() > 0.8       # most of those without a hat now have one


def test_too_few_samples_are_skipped_and_nothing_fitted_is_an_error():
    z = np.random.default_rng(0).standard_normal((30, 32))
    with pytest.raises(Dn.DirectionsError, match="no direction could be fitted"):
        Dn.fit_directions(z, synthetic_readings(z))
    with pytest.raises(ValueError, match="N readings"):
        Dn.fit_directions(z, synthetic_readings(z)[:5])


# -- files --------------------------------------------------------------------------------------
def test_save_and_load_round_trip(fitted, tmp_path):
    _, _, d = fitted
    d.meta["judge"] = "/some/judge"
    d.save(tmp_path)
    meta = json.loads((tmp_path / Dn.META_FILE).read_text())
    assert meta["method"] == "interfacegan" and meta["used"] == "projected"
    assert meta["n_samples"] == 3000 and meta["judge"] == "/some/judge"
    assert [x["name"] for x in meta["directions"]] == d.names
    back = Dn.Directions.load(tmp_path)
    assert back.names == d.names and back.z_dim == d.z_dim and back.domain == "faces"
    for which in Dn.SETS:
        np.testing.assert_allclose(back.vectors[which], d.vectors[which], atol=1e-6)
    for a, b in zip(back.infos, d.infos):
        assert a.kind == b.kind and a.value == b.value and a.step == b.step
        assert a.calibration == pytest.approx(b.calibration)
    off = {"yaw": -0.5, "eyewear=sunglasses": 1.0}
    np.testing.assert_allclose(back.offset(off)[0], d.offset(off)[0], atol=1e-5)


def test_missing_or_corrupt_files_give_clear_errors(fitted, tmp_path):
    _, _, d = fitted
    with pytest.raises(Dn.DirectionsError, match="no attribute directions.*holochat train directions"):
        Dn.Directions.load(tmp_path)
    d.save(tmp_path)
    vec = tmp_path / Dn.VECTORS_FILE
    good = vec.read_bytes()
    vec.write_bytes(good[: len(good) // 2])                     # cut off
    with pytest.raises(Dn.DirectionsError, match="truncated or corrupt.*holochat train directions"):
        Dn.Directions.load(tmp_path)
    vec.write_bytes(good)
    meta = tmp_path / Dn.META_FILE
    text = meta.read_text()
    meta.write_text(text[:100])
    with pytest.raises(Dn.DirectionsError, match="unreadable or corrupt"):
        Dn.Directions.load(tmp_path)
    doc = json.loads(text)
    doc["directions"] = doc["directions"][:-1]                 # names no longer match the vectors
    meta.write_text(json.dumps(doc))
    with pytest.raises(Dn.DirectionsError, match="does not match"):
        Dn.Directions.load(tmp_path)
    # a DirectionsError is a WeightsError, so generators report it the same way
    from generators.errors import WeightsError
    assert issubclass(Dn.DirectionsError, WeightsError)


# -- the Fréchet distance -----------------------------------------------------------------------
def test_frechet_distance():
    from generators.evaluation.fid import frechet_distance
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 6))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # equal covariances: the squared distance of the means
    assert frechet_distance(a, a + 2.0) == pytest.approx(6 * 4.0, rel=1e-6)
    # one-dimensional: (μa − μb)² + (σa − σb)²
    x, y = rng.standard_normal((5000, 1)), 3 * rng.standard_normal((5000, 1))
    want = (x.mean() - y.mean()) ** 2 + (x.std(ddof=1) - y.std(ddof=1)) ** 2
    assert frechet_distance(x, y) == pytest.approx(want, rel=1e-6)
    # rank-deficient covariances (fewer samples than features) still give a finite number
    assert np.isfinite(frechet_distance(rng.standard_normal((5, 10)), rng.standard_normal((5, 10))))
    with pytest.raises(ValueError):
        frechet_distance(a, a[:, :3])


def test_judge_features_and_fid_judge(tiny_judge):
    from generators.evaluation.fid import fid_judge, judge_features
    from generators.datasets import make_dataset
    imgs = make_dataset("faces", 16, seed=3, split="test", workers=1).images
    f = judge_features(tiny_judge, imgs)
    assert f.shape == (16, tiny_judge.feature_dim) and np.isfinite(f).all()
    noise = np.random.default_rng(0).integers(0, 256, imgs.shape, dtype=np.uint8)
    res = fid_judge(tiny_judge, noise, imgs, imgs[::-1].copy())
    assert set(res) == {"fid_judge", "fid_judge_floor"}
    assert res["fid_judge_floor"] == pytest.approx(0.0, abs=1e-6)   # the same images, reordered
    assert res["fid_judge"] > 0
    with pytest.raises(ValueError, match="uint8"):
        judge_features(tiny_judge, imgs.astype(np.float32))


# -- sampling with a tiny DCGAN, the CLI, and the eval ------------------------------------------
@pytest.fixture(scope="module")
def tiny_judge():
    from generators.datasets import make_dataset
    from generators.training.judge import JudgeTrainOptions, train_judge
    torch.set_num_threads(1)
    ds = make_dataset("faces", 64, seed=0, workers=1)
    return train_judge(JudgeTrainOptions(steps=4, width=8, identities_per_batch=8,
                                         per_identity=2, progress=False), dataset=ds)


def image_reader(images: np.ndarray) -> list[dict]:
    """A stand-in judge that reads attributes from pixel statistics, split at
    the batch median so both sides are populated (the plumbing, not a judge,
    is under test)."""
    x = images.astype(np.float64) / 255.0                        # B×H×W×3
    feats = np.stack([x[:, :16].mean((1, 2, 3)), x[:, 48:].mean((1, 2, 3)),
                      x[..., 0].mean((1, 2)), x[..., 2].mean((1, 2)),
                      x[:, :, :32].mean((1, 2, 3)) - x[:, :, 32:].mean((1, 2, 3))], 1)
    hi = feats > np.median(feats, 0)
    schema = get_schema("faces")
    out = []
    for f, h in zip(feats, hi):
        r = schema.defaults(0)
        r.update(hat=bool(h[0]), beard=bool(h[1]), eyewear="sunglasses" if h[2] else "none",
                 yaw=float(200 * f[4]), brightness=float(f[0] - 0.5))
        out.append(r)
    return out


def test_estimate_samples_renders_and_fits(tmp_path):
    pair = build(TINY, seed=0)
    seen = []
    d = Dn.estimate(pair.generator, image_reader, n=400, seed=1, on_progress=seen.append)
    assert sum(seen) == 400
    assert {"hat", "beard", "eyewear=sunglasses", "yaw", "brightness"} <= set(d.names)
    assert "eyewear=glasses" in d.meta["skipped"]              # never read: skipped, said why
    assert d.meta["n_samples"] == 400 and d.meta["seed"] == 1
    d2 = Dn.estimate(pair.generator, image_reader, n=400, seed=1)
    np.testing.assert_array_equal(d.vectors["projected"], d2.vectors["projected"])  # deterministic


def _tiny_dcgan_with_directions(folder) -> None:
    save_model(folder, build(TINY, seed=0), 0)
    z = np.random.default_rng(0).standard_normal((2000, 100))
    Dn.fit_directions(z, synthetic_readings(z)).save(folder)


def test_cli_train_directions(tmp_path, tiny_judge, monkeypatch, capsys):
    from generators.training.judge import save_judge
    from holochat.cli import main
    weights, judge_dir = tmp_path / "dcgan", tmp_path / "judge"
    save_model(weights, build(TINY, seed=0), 0)
    save_judge(tiny_judge, judge_dir)
    # no judge where one is asked for: one clear line, exit 2
    assert main(["train", "directions", "--weights", str(weights), "--judge",
                 str(tmp_path / "none"), "--n", "100"]) == 2
    assert "no faces judge" in capsys.readouterr().err
    # an untrained judge reads everything alike; read attributes from the pixels instead
    import generators.nets.judge as J
    monkeypatch.setattr(J, "read_attributes", lambda judge, images: (image_reader(images), None))
    assert main(["train", "directions", "--weights", str(weights), "--judge", str(judge_dir),
                 "--n", "300", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "fitted" in out and "eyewear=glasses" in out and "skipped" in out
    d = Dn.Directions.load(weights)
    assert "hat" in d and d.meta["judge"] == str(judge_dir) and d.meta["n_samples"] == 300
    assert main(["train", "directions", "--weights", str(tmp_path / "nothing")]) == 2
    assert "holochat train dcgan" in capsys.readouterr().err


def test_eval_dcgan_end_to_end(tmp_path, tiny_judge, capsys):
    from generators.training.judge import save_judge
    from holochat.cli import main
    weights, judge_dir = tmp_path / "dcgan", tmp_path / "judge"
    _tiny_dcgan_with_directions(weights)
    save_judge(tiny_judge, judge_dir)
    assert main(["eval", "dcgan", "--weights", str(weights), "--judge", str(judge_dir),
                 "--n", "24", "--completion-n", "1", "--json", "--record",
                 "--sweep", "0.5,1"]) == 0
    res = json.loads(capsys.readouterr().out)
    # the sweep: one row per strength; at 1.0 it is the acceptance figures themselves
    assert [r["strength"] for r in res["strength_sweep"]] == [0.5, 1.0]
    assert res["strength_sweep"][1]["direction_success"] == res["direction_success"]
    assert res["strength_sweep"][1]["direction_preservation"] == res["direction_preservation"]
    for bad in ("a,b", "0", "-1"):
        assert main(["eval", "dcgan", "--weights", str(weights), "--judge", str(judge_dir),
                     "--sweep", bad]) == 2
        assert "--sweep" in capsys.readouterr().err
    for key in ("direction_success", "direction_preservation", "direction_entanglement",
                "completion_psnr_masked", "completion_psnr_meanfill", "fid_judge",
                "fid_judge_floor", "n", "passes", "directions"):
        assert key in res, key
    assert res["n"] == 24 and isinstance(res["passes"], bool)
    ent = res["direction_entanglement"]
    assert ent["projected"] < ent["raw"]
    assert res["direction_preservation"] is None or 0 <= res["direction_preservation"] <= 1
    assert res["direction_success"] is None or 0 <= res["direction_success"] <= 1
    assert res["completion_psnr_masked"] > 0 and res["fid_judge"] >= 0
    assert "response_per_step" in res["directions"]["yaw"]
    recorded = json.loads((weights / "config.json").read_text())["extra"]["eval"]
    assert recorded["passes"] == res["passes"] and recorded["n"] == 24
    # a DCGAN without directions: one clear line
    bare = tmp_path / "bare"
    save_model(bare, build(TINY, seed=0), 0)
    assert main(["eval", "dcgan", "--weights", str(bare), "--judge", str(judge_dir)]) == 2
    assert "holochat train directions" in capsys.readouterr().err


def test_passes_follows_the_acceptance():
    from generators.evaluation.dcgan import passes
    good = {"direction_success": 0.85, "direction_preservation": 0.95, "completion_gain_db": 3.5}
    assert passes(good)
    assert not passes({**good, "direction_success": 0.7})
    assert not passes({**good, "direction_preservation": 0.85})
    assert not passes({**good, "completion_gain_db": 2.0})
    assert not passes({**good, "completion_gain_db": None})
