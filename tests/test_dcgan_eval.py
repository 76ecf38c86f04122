"""The fast ``holochat eval dcgan``: presets, standard errors, the per-direction
cap, attribute coverage and the FID's bootstrap error (tiny models, CPU)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generators.evaluation import dcgan as E
from generators.latent import directions as Dn
from generators.nets.dcgan import DCGANConfig, build
from generators.training.dcgan import save_model
from test_dcgan_directions import tiny_judge  # noqa: F401  (a fixture; tests/ is on sys.path)
from test_dcgan_wspace import readings_of

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = DCGANConfig(ngf=8, ndf=8, mapping=2)


def test_attribute_coverage_counts_each_value_beside_the_studio():
    samples = [dict(hat=True, eyewear="none"), dict(hat=False, eyewear="none"),
               dict(hat=False, eyewear="sunglasses"), dict(hat=False, eyewear="none")]
    studio = [dict(hat=True, eyewear="none")] * 2 + [dict(hat=False, eyewear="glasses")] * 2
    res = E.attribute_coverage(samples, studio)
    cov = res["attribute_coverage"]
    assert cov["hat"]["true"] == {"samples": 0.25, "samples_se": pytest.approx(np.sqrt(0.25 * 0.75 / 4)),
                                  "studio": 0.5}
    assert cov["eyewear"]["sunglasses"]["samples"] == 0.25 and cov["eyewear"]["glasses"]["studio"] == 0.5
    # total variation: hat 0.25, eyewear 0.5 (none 0.75 vs 0.5, sunglasses .25 vs 0, glasses 0 vs .5)
    assert cov["eyewear"]["none"]["samples"] == 0.75
    assert "yaw" not in cov and "identity" not in cov
    assert 0 < res["coverage_tv"] <= 1


def test_fid_with_error_reports_a_bootstrap_error_and_extra_sets():
    class FeatureJudge:            # judge_features calls .eval/.train/.training/.features
        training = False
        feature_dim = 3

        def eval(self):
            return self

        def train(self, mode=True):
            return self

        def features(self, x):
            return x.mean((2, 3))
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    dark = (a // 4).astype(np.uint8)
    res = E.fid_with_error(FeatureJudge(), dark, a, b, boot=10, extra={"other": b})
    assert res["fid_judge"] > res["fid_judge_other"] >= 0
    assert res["fid_judge_se"] > 0 and res["fid_judge_floor"] >= 0


def test_fast_eval_caps_the_moves_and_puts_errors_beside_the_figures(tmp_path, tiny_judge, capsys):
    from generators.training.judge import save_judge
    from holochat.cli import main
    weights, judge_dir = tmp_path / "dcgan", tmp_path / "judge"
    pair = build(TINY, seed=0)
    save_model(weights, pair, 0)
    z = np.random.default_rng(0).standard_normal((1500, 100)).astype(np.float32)
    w = Dn.to_space(pair.generator.eval(), z, "w")
    Dn.fit_directions(w, readings_of(w), meta={"space": "w"}).save(weights)
    save_judge(tiny_judge, judge_dir)
    assert main(["eval", "dcgan", "--weights", str(weights), "--judge", str(judge_dir),
                 "--n", "20", "--per-direction", "5", "--completion-n", "0", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["preset"] == "fast" and res["space"] == "w" and res["per_direction"] == 5
    assert all(r["n"] <= 5 for r in res["directions"].values())
    for k in ("direction_success", "direction_preservation", "fid_judge"):
        if res[k] is not None:
            assert res[f"{k}_se"] is not None and res[f"{k}_se"] >= 0, k
    assert "attribute_coverage" in res and "coverage_tv" in res
    # completion: the preset's regions, the gain's error over (image, region) pairs
    from generators.dcgan_gen import DCGANGenerator
    gen = DCGANGenerator("faces", weights)
    part = E.evaluate_dcgan(gen, tiny_judge, n=4, per_direction=1, completion_n=2, fid=False,
                            completion_kw={"steps": 2, "restarts": 1})
    # the preset's pool of starts; a pixel DCGAN is searched in z
    assert part["completion_settings"] == {"regions": ["center", "left", "eyes"], "steps": 2,
                                           "restarts": 1, "pool": 64, "space": "z"}
    assert part["completion_n"] == 2 and part["completion_gain_db_se"] >= 0
    # text output: figures with their errors
    assert main(["eval", "dcgan", "--weights", str(weights), "--judge", str(judge_dir),
                 "--n", "20", "--per-direction", "3", "--completion-n", "0"]) == 0
    out = capsys.readouterr().out
    assert "±" in out and "attribute coverage" in out
    assert main(["eval", "dcgan", "--weights", str(weights), "--judge", str(judge_dir),
                 "--per-direction", "0"]) == 2
    assert "--per-direction" in capsys.readouterr().err


def test_presets():
    assert E.FAST["n"] < E.FULL["n"] and E.FULL["per_direction"] is None
    assert E.FAST["completion_n"] < E.FULL["completion_n"]
    assert (E.FULL["completion_steps"], E.FULL["completion_restarts"]) == (200, 4)


def test_readings_and_probabilities_come_from_one_judge_pass(tiny_judge):
    from generators.nets.judge import read_attributes
    images = np.random.default_rng(0).integers(0, 256, (6, 64, 64, 3), dtype=np.uint8)
    calls = []
    hook = tiny_judge.register_forward_hook(lambda *a: calls.append(1))
    try:
        readings, scores = Dn.read_with_scores(tiny_judge, images)
    finally:
        hook.remove()
    assert len(calls) == 1
    assert readings == read_attributes(tiny_judge, images)[0]
    assert scores["hat"].shape == (6,) and ((scores["hat"] >= 0) & (scores["hat"] <= 1)).all()
    assert [s > 0.5 for s in scores["hat"]] == [r["hat"] for r in readings]
    best = [max(("none", "glasses", "sunglasses"), key=lambda v: scores[f"eyewear={v}"][i])
            for i in range(6)]
    assert [r["eyewear"] for r in readings] == best
    # a plain function judge: readings, no probabilities
    r2, s2 = Dn.read_with_scores(lambda ims: [dict(hat=True)] * len(ims), images)
    assert r2 == [dict(hat=True)] * 6 and s2 == {}


def test_passes_checks_the_fid_ratio_where_it_was_measured():
    good = {"direction_success": 0.85, "direction_preservation": 0.95, "completion_gain_db": 3.5}
    assert E.passes(good) and E.passes({**good, "fid_ratio_to_convdeconv": 1.9})
    assert not E.passes({**good, "fid_ratio_to_convdeconv": 2.1})
