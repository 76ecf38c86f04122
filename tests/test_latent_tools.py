"""Latent interpolation, vector arithmetic, the Complete / SetLatent ops, their
grammar, and ``holochat dcgan morph`` / ``arithmetic``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from generators.latent import arithmetic as A
from generators.latent.interpolate import interpolation_frames, lerp, path, slerp
from generators.nets.dcgan import DCGANConfig, build
from holochat.cli import main

TINY = DCGANConfig(ngf=8, ndf=8)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- interpolation ------------------------------------------------------------------------------
def test_lerp_and_slerp_end_where_they_should():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(100), rng.standard_normal(100)
    for f in (lerp, slerp):
        np.testing.assert_allclose(f(a, b, 0.0), a, atol=1e-12)
        np.testing.assert_allclose(f(a, b, 1.0), b, atol=1e-12)
    np.testing.assert_allclose(lerp(a, b, 0.25), 0.75 * a + 0.25 * b)
    # equal norms: slerp keeps the norm, the straight line sags toward the origin
    b = b / np.linalg.norm(b) * np.linalg.norm(a)
    mid_s, mid_l = slerp(a, b, 0.5), lerp(a, b, 0.5)
    assert np.isclose(np.linalg.norm(mid_s), np.linalg.norm(a))
    assert np.linalg.norm(mid_l) < 0.9 * np.linalg.norm(a)
    # parallel vectors (the circle is undefined) fall back to the straight line
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a)
    np.testing.assert_allclose(slerp(np.zeros(100), a, 0.5), 0.5 * a)


def test_paths_and_frames():
    a, b = np.zeros(4), np.ones(4)
    p = path(a, b, 5, method="lerp")
    assert p.shape == (5, 4)
    np.testing.assert_allclose(p[:, 0], [0, 0.25, 0.5, 0.75, 1.0])
    seen = []

    def render(z):
        seen.append(z)
        return np.full((8, 8, 3), int(round(z[0] * 100)), np.uint8)
    frames = interpolation_frames(render, a, b, 3, method="lerp")
    assert len(frames) == 3 and [f[0, 0, 0] for f in frames] == [0, 50, 100]
    with pytest.raises(ValueError, match="at least 2"):
        path(a, b, 1)
    with pytest.raises(ValueError, match="unknown interpolation"):
        path(a, b, 3, method="cubic")
    with pytest.raises(ValueError, match="one length"):
        slerp(np.zeros(3), np.zeros(4), 0.5)


# -- arithmetic ---------------------------------------------------------------------------------
def test_vector_arithmetic_is_a_minus_b_plus_c_of_the_group_means():
    rng = np.random.default_rng(1)
    ga, gb, gc = (rng.standard_normal((3, 100)) for _ in range(3))
    got = A.vector_arithmetic(ga, gb, gc)
    np.testing.assert_allclose(got, ga.mean(0) - gb.mean(0) + gc.mean(0))
    means = A.group_means({"a": ga, "b": gb})
    np.testing.assert_allclose(means["a"], ga.mean(0))
    np.testing.assert_allclose(A.group_means([ga])[0], ga.mean(0))
    # single vectors are their own mean
    np.testing.assert_allclose(A.vector_arithmetic(ga[0], gb[0], gc[0]), ga[0] - gb[0] + gc[0])
    with pytest.raises(ValueError):
        A.vector_arithmetic(ga, gb[:, :50], gc)
    with pytest.raises(ValueError, match="non-empty"):
        A.group_means([np.zeros((0, 100))])


def test_result_grid_is_the_result_plus_small_noise():
    z = np.arange(100, dtype=np.float64) / 100
    grid = A.result_latents(z, seed=3)
    assert grid.shape == (9, 100)
    np.testing.assert_allclose(grid[4], z, atol=1e-6)
    d = grid - z[None]
    assert np.abs(d).max() <= A.NOISE + 1e-6 and np.abs(d[0]).max() > 0.05
    np.testing.assert_array_equal(grid, A.result_latents(z, seed=3))


def fake_judge(images: np.ndarray) -> list[dict]:
    """Reads attributes from simple image statistics (deterministic), so every
    group has members: beard = red above its median, sunglasses = dark top."""
    x = images.astype(np.float64)
    red = x[..., 0].mean((1, 2)) - x[..., 1].mean((1, 2))
    top = x[:, :32].mean((1, 2, 3)) - x[:, 32:].mean((1, 2, 3))
    return [{"beard": bool(r > np.median(red)), "eyewear": "sunglasses" if t < np.median(top)
             else "none"} for r, t in zip(red, top)]


@pytest.fixture(scope="module")
def G():
    pair = build(TINY, seed=0)
    g = pair.generator
    for m in g.modules():                          # eval statistics measured on a batch
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    with torch.no_grad():
        g.train()(torch.randn(128, TINY.z_dim, generator=torch.Generator().manual_seed(5)))
    return g.eval()


def test_exemplars_match_the_predicate(G):
    pred = A.GROUPS[0][1]
    z = A.find_exemplars(G, fake_judge, pred, k=3, n=64, seed=0)
    assert z.shape == (3, TINY.z_dim)
    zs, readings = A.sample_readings(G, fake_judge, n=64, seed=0)
    picked = [i for i, r in enumerate(readings) if pred(r)][:3]
    np.testing.assert_array_equal(z, zs[picked])
    with pytest.raises(A.ExemplarError, match="only 0 of 64"):
        A.find_exemplars(G, fake_judge, lambda r: False, n=64, label="nothing")


def test_arithmetic_sheet_is_written_and_judged(G, tmp_path):
    out = tmp_path / "sheet.png"
    res = A.arithmetic_sheet(G, fake_judge, out, seed=0, n=64)
    im = Image.open(out)
    assert im.size[0] > 7 * 128 and im.size[1] > 3 * 128          # 3×4 + 3×3 tiles at 2×
    assert res["n_results"] == 9 and res["path"] == str(out)
    for k in ("sunglasses_fraction", "no_beard_fraction", "target_fraction"):
        assert 0.0 <= res[k] <= 1.0
    assert res["target_fraction"] <= min(res["sunglasses_fraction"], res["no_beard_fraction"])
    assert "beard stands in for gender" in A.TITLE and "stands in for gender" in A.__doc__
    # a real (tiny, untrained) judge reads the renders through read_attributes
    from generators.nets.judge import Judge, JudgeConfig
    judge = Judge(JudgeConfig(width=4, hidden=8, embed_dim=4)).eval()
    _, readings = A.sample_readings(G, judge, n=4, seed=0)
    assert len(readings) == 4 and {"beard", "eyewear"} <= set(readings[0])


# -- ops, apply, grammar ---------------------------------------------------------------------------
def test_new_ops_round_trip_through_json():
    from sessions.ops import Complete, SetLatent, op_from_json, op_to_json
    z = tuple(float(i) / 7 for i in range(100))
    for op in (Complete("left"), Complete(), SetLatent(z, "completed the left half")):
        back = op_from_json(json.loads(json.dumps(op_to_json(op))))
        assert back == op and hash(back) == hash(op)
    assert op_to_json(Complete("eyes")) == {"op": "complete", "region": "eyes"}
    assert op_to_json(SetLatent(z))["z"] == list(z)


def test_apply_sets_z_and_leaves_complete_as_a_note():
    from sessions.apply import apply
    from sessions.ops import Complete, SetLatent
    from sessions.state import ImageState
    s = ImageState.new("faces", 3)
    same, eff = apply(s, Complete("left"))
    assert same == s and not eff.changed and eff.error is None and "dcgan" in eff.noop
    z = tuple(0.5 for _ in s.z)
    new, eff = apply(s, SetLatent(z, "test"))
    assert new.z == z and eff.changed and new.attributes == s.attributes
    assert ImageState.from_json(json.loads(json.dumps(new.to_json()))) == new
    again, eff = apply(new, SetLatent(z))
    assert again == new and not eff.changed
    for bad in ((1.0, 2.0), tuple([float("nan")] * len(s.z)), "zzz"):
        kept, eff = apply(s, SetLatent(bad))
        assert kept == s and eff.error and "latent vector" in eff.error


def test_grammar_reads_repair_and_fill_in():
    from dialogue.grammar import parse_ops
    from sessions.ops import Complete, Goto
    assert parse_ops("repair the left half", "faces") == [Complete("left")]
    assert parse_ops("Fill in the masked region.", "faces") == [Complete("center")]
    assert parse_ops("inpaint the eyes", "faces") == [Complete("eyes")]
    assert parse_ops("please fix the mouth", "faces") == [Complete("mouth")]
    assert parse_ops("restore the right side of the image", "faces") == [Complete("right")]
    assert parse_ops("complete the bottom half", "chairs") == [Complete("bottom")]
    assert parse_ops("fill in the hole", "faces") == [Complete("center")]
    assert parse_ops("inpaint the eyes", "chairs") is None        # chairs have no eyes
    assert parse_ops("restore step 3", "faces") == [Goto(3)]      # still a history jump
    assert parse_ops("repair the image", "faces") is None


def test_a_studio_session_reads_repair_and_changes_nothing(tmp_path):
    from dialogue.manager import DialogueManager
    m = DialogueManager("faces", 4, "studio", log=False)
    m.start()
    r = m.turn("repair the left half")
    assert r.ops and r.ops[0]["op"] == "complete" and r.ops[0]["region"] == "left"
    assert not r.changed and r.reply


# -- morph -----------------------------------------------------------------------------------
def _studio_session(tmp_path):
    from dialogue.manager import DialogueManager
    m = DialogueManager("faces", 4, "studio", log_dir=tmp_path / "sessions", session_name="s")
    m.start()
    for text in ("turn left", "add sunglasses", "another person"):
        assert m.turn(text).changed
    m.close()
    return m.log_path, m


def test_morph_writes_a_gif_and_a_sheet(tmp_path, capsys):
    log, m = _studio_session(tmp_path)
    gif, sheet = tmp_path / "m.gif", tmp_path / "m.png"
    rc = main(["dcgan", "morph", str(log), "--from", "0", "--to", "3", "--frames", "5",
               "--gif", str(gif), "--sheet", str(sheet)])
    assert rc == 0, capsys.readouterr().err
    with Image.open(gif) as g:
        assert g.n_frames == 5 and g.size == (128, 128)
        g.seek(0)
        first = np.asarray(g.convert("RGB"))
    from sessions.replay import render_state
    from holochat.commands.dcgan import session_states
    states = session_states(log)
    assert sorted(states) == [0, 1, 2, 3]
    start = render_state(states[0])
    assert np.abs(first[::2, ::2].astype(int) - start.astype(int)).mean() < 12   # GIF palette
    w, h = Image.open(sheet).size
    assert w > 5 * 128 and h > 128
    out = json.loads(capsys.readouterr().out)
    assert out["frames"] == 5 and out["generator"] == "studio"


def test_morph_refuses_missing_steps_and_sessions(tmp_path, capsys):
    log, _ = _studio_session(tmp_path)
    assert main(["dcgan", "morph", str(log), "--from", "0", "--to", "9",
                 "--gif", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert "steps 0 to 3" in err and "Traceback" not in err
    assert main(["dcgan", "morph", str(tmp_path / "none.jsonl"), "--from", "0", "--to", "1",
                 "--gif", str(tmp_path / "x.gif")]) == 2
    assert "no session log" in capsys.readouterr().err
    assert main(["dcgan", "morph", str(log), "--from", "0", "--to", "1"]) == 2
    assert "nothing to write" in capsys.readouterr().err
    assert not (tmp_path / "x.gif").exists()


# -- arithmetic command -----------------------------------------------------------------------
def test_arithmetic_cli_needs_weights_and_a_judge(tmp_path, capsys):
    from generators.training.dcgan import save_model
    out = str(tmp_path / "a.png")
    assert main(["dcgan", "arithmetic", "--out", out, "--weights", str(tmp_path / "no")]) == 2
    err = capsys.readouterr().err
    assert "no DCGAN weights" in err and len(err.strip().splitlines()) == 1
    save_model(tmp_path / "w", build(TINY, seed=0), step=0)
    assert main(["dcgan", "arithmetic", "--out", out, "--weights", str(tmp_path / "w"),
                 "--judge", str(tmp_path / "nojudge"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "judge" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.png").exists()
