"""The ``dcgan`` generator (generators/dcgan_gen.py), personal ``dcgan:NAME``
models in the registry, and dcgan mode in the dialogue (dialogue/latent.py):
edits become latent moves, "repair …" a SetLatent, and replays are exact."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from generators import registry
from generators.dcgan_gen import DCGANGenerator, personal_dir, personal_models
from generators.errors import GeneratorError, UnknownGeneratorError, WeightsError
from generators.latent import directions as Dn
from generators.nets.dcgan import DCGANConfig, build
from generators.training.dcgan import save_model
from generators.weights import has_weights
from sessions.state import ImageState

TINY = DCGANConfig(ngf=8, ndf=8)
EXPR = ("neutral", "happy", "sad", "angry", "surprised")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True)
def _fresh_registry():
    registry.clear_cache()
    yield
    registry.clear_cache()


def synthetic_readings(z: np.ndarray) -> list[dict]:
    """Readings that are known functions of z; light_elevation never varies
    (so it has no direction)."""
    s = z @ np.linalg.qr(np.random.default_rng(0).standard_normal((z.shape[1],) * 2))[0]
    out = []
    for v in s:
        out.append(dict(
            yaw=float(30 * v[0]), pitch=float(10 * v[1]), light_azimuth=float(30 * v[2]),
            light_elevation=20.0, brightness=float(0.3 * v[3]),
            expression=EXPR[int(np.argmax([0, v[4] - 0.5, v[5] - 0.5, v[6] - 0.8, v[7] - 1]))],
            expression_strength=float(0.5 + 0.2 * v[8]),
            eyewear="sunglasses" if v[9] > 0.6 else ("glasses" if v[10] > 0.8 else "none"),
            hat=bool(v[11] > 0.5), beard=bool(v[12] > 0.3),
            hair_color=("black", "brown", "blond")[int(np.argmax([v[13], 0.5, v[14]]))],
            skin_tone="medium", background="gray"))
    return out


def make_model(folder, with_directions: bool = True, seed: int = 0) -> None:
    save_model(folder, build(TINY, seed=seed), 0)
    if with_directions:
        z = np.random.default_rng(1).standard_normal((1500, 100))
        Dn.fit_directions(z, synthetic_readings(z)).save(folder)


@pytest.fixture
def tiny(tmp_path) -> DCGANGenerator:
    make_model(tmp_path / "m")
    return DCGANGenerator("faces", tmp_path / "m")


# -- the generator --------------------------------------------------------------------------------
def test_renders_a_state_deterministically_and_offsets_move_it(tiny):
    s = ImageState.new("faces", 5, "dcgan")
    a, b = tiny.render(s), tiny.render(s)
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    # another z, another face; the schema attributes are not read
    assert not np.array_equal(a, tiny.render(ImageState.new("faces", 6, "dcgan")))
    np.testing.assert_array_equal(a, tiny.render(s.set_attributes(yaw=30.0)))
    moved = s.evolve(offsets={"eyewear=sunglasses": 1.0})
    assert not np.array_equal(a, tiny.render(moved))
    np.testing.assert_allclose(tiny.latent(moved) - tiny.latent(s),
                               tiny.directions.scale("eyewear=sunglasses")
                               * tiny.directions.vector("eyewear=sunglasses"))
    # 128 px: the 64 px render, upscaled
    big = tiny.render(s.evolve(size=128))
    assert big.shape == (128, 128, 3)
    # render_z batches latents
    z = np.random.default_rng(0).standard_normal((3, 100))
    out = tiny.render_z(z)
    assert out.shape == (3, 64, 64, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0], tiny.render_z(z[:1])[0])
    with pytest.raises(ValueError, match="N×100"):
        tiny.render_z(z[:, :10])


def test_unknown_offsets_are_ignored_and_listed(tiny):
    s = ImageState.new("faces", 5, "dcgan")
    base = tiny.render(s)
    other = s.evolve(offsets={"wings": 2.0, "mix:77": 0.5, "blend:eyewear=glasses": 0.3})
    np.testing.assert_array_equal(tiny.render(other), base)
    assert tiny.last_ignored == ["wings"]                  # blends are not directions
    tiny.render(s)
    assert tiny.last_ignored == []


def test_a_model_without_directions_renders_z_and_ignores_moves(tmp_path):
    make_model(tmp_path / "bare", with_directions=False)
    g = DCGANGenerator("faces", tmp_path / "bare")
    assert g.directions is None
    s = ImageState.new("faces", 5, "dcgan")
    np.testing.assert_array_equal(g.render(s), g.render(s.evolve(offsets={"hat": 1.0})))
    assert g.last_ignored == ["hat"]


def test_missing_truncated_or_mismatched_weights(tmp_path):
    with pytest.raises(WeightsError, match=r"missing.*nowhere.*holochat train dcgan"):
        DCGANGenerator("faces", tmp_path / "nowhere")
    make_model(tmp_path / "m", with_directions=False)
    weights = tmp_path / "m" / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[:1000])
    with pytest.raises(WeightsError, match="truncated or corrupt.*holochat train dcgan"):
        DCGANGenerator("faces", tmp_path / "m")
    weights.write_bytes(good)
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    cfg["config"]["ngf"] = 16
    (tmp_path / "m" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(WeightsError, match="do not match.*holochat train dcgan"):
        DCGANGenerator("faces", tmp_path / "m")
    # directions of another z length than the model's
    make_model(tmp_path / "k")
    small = DCGANConfig(ngf=8, ndf=8, z_dim=50)
    save_model(tmp_path / "k", build(small, seed=0), 0)
    with pytest.raises(WeightsError, match="50 numbers.*holochat train directions"):
        DCGANGenerator("faces", tmp_path / "k")
    with pytest.raises(GeneratorError, match="faces only"):
        DCGANGenerator("chairs", tmp_path / "k")


# -- the registry ---------------------------------------------------------------------------------
def test_personal_models_are_named_generators():
    assert personal_models() == []
    make_model(personal_dir("alice"))
    assert personal_models() == ["alice"]
    assert "dcgan:alice" in registry.available("faces")
    assert "dcgan:alice" in registry.names("faces")
    assert "dcgan:alice" not in registry.available("chairs")
    g = registry.get_generator("dcgan:alice", "faces")
    assert g.name == "dcgan:alice" and g.directions is not None
    assert registry.get_generator("dcgan:alice", "faces") is g          # cached
    with pytest.raises(UnknownGeneratorError, match="no dcgan model called 'bob'.*dcgan:alice"):
        registry.get_generator("dcgan:bob", "faces")
    with pytest.raises(UnknownGeneratorError):
        registry.get_generator("studio:x", "faces")
    with pytest.raises(GeneratorError, match="can't be a model name"):
        personal_dir("../evil")
    # an unconditional GAN is never the default
    registry.names()
    assert registry._REGISTRY["dcgan"].default_ok("faces") is False
    assert not registry.default_generator("faces").startswith("dcgan")


def test_train_dcgan_name_saves_a_personal_model(capsys):
    from holochat.cli import main
    rc = main(["train", "dcgan", "--set", "name=bob", "--steps", "1", "--set", "batch=4",
               "--set", "n_images=8", "--set", "ngf=8", "--set", "ndf=8", "--device", "cpu"])
    assert rc == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "holochat --generator dcgan:bob" in out and "holochat train directions" in out
    assert (personal_dir("bob") / "model.safetensors").exists()
    assert "dcgan:bob" in registry.available("faces")
    assert main(["train", "dcgan", "--set", "name=no/slash", "--steps", "1",
                 "--device", "cpu"]) == 2
    assert "can't be a model name" in capsys.readouterr().err


# -- the dialogue in dcgan mode -------------------------------------------------------------------
@pytest.fixture
def manager(tmp_path):
    from dialogue import latent
    from dialogue.manager import DialogueManager
    make_model(personal_dir("tiny"))
    m = DialogueManager("faces", 3, "dcgan:tiny", log_dir=tmp_path / "logs")
    m.latent_options = latent.Options(completion={"steps": 4, "restarts": 2})  # a tiny search
    m.start()
    yield m
    m.close()


def test_edits_become_latent_moves(manager):
    m = manager
    first = m.image.copy()
    r = m.turn("add sunglasses")
    assert r.ops == [{"op": "latent_move", "direction": "eyewear=sunglasses", "amount": 1.0}]
    assert r.changed and "sunglasses direction (+1.0)" in r.reply
    assert r.state.attributes["eyewear"] == "none"            # the schema is not what changed
    assert not np.array_equal(r.image, first)
    r = m.turn("remove the sunglasses")
    assert r.ops == [{"op": "latent_move", "direction": "eyewear=sunglasses", "amount": -1.0}]
    np.testing.assert_array_equal(r.image, first)             # back where it started
    assert m.turn("smile").ops[0] == {"op": "latent_move", "direction": "expression=happy",
                                      "amount": 1.0}
    assert m.turn("smile more").ops[0]["amount"] == 0.5
    r = m.turn("turn left a bit")                             # −7.5° = half a yaw step
    assert r.ops == [{"op": "latent_move", "direction": "yaw", "amount": -0.5}]
    assert "7.5°" in r.reply
    r = m.turn("add a hat")
    assert r.ops[0]["direction"] == "hat" and r.ops[0]["amount"] == 1.0
    # an edit with no direction changes nothing and says so
    r = m.turn("light from above")
    assert r.ops == [] and not r.changed
    assert "no direction for light elevation" in r.reply
    # meta ops pass through
    r = m.turn("undo")
    assert r.ops == [{"op": "undo"}]
    assert m.turn("another person").ops[0]["op"] == "new_seed"
    assert m.turn("again").ops[0]["op"] == "new_seed"


def test_completion_in_dcgan_mode_and_outside(manager, capsys):
    m = manager
    m.turn("add sunglasses")
    r = m.turn("repair the left half")
    assert [o["op"] for o in r.ops] == ["set_latent"] and r.ops[0]["reason"] == "complete:left"
    assert len(r.ops[0]["z"]) == 100
    assert r.reply.startswith("Repaired the left half from the rest of the image")
    # the offsets keep their meaning: the sunglasses move is still there
    assert r.state.offsets["eyewear=sunglasses"] == 1.0
    r = m.turn("use the studio")
    assert r.state.generator == "studio"
    r = m.turn("repair the left half")
    assert not r.changed and "use the dcgan" in r.reply


def test_replay_reproduces_a_dcgan_session(manager, capsys):
    from holochat.cli import main
    m = manager
    for text in ("add sunglasses", "turn left a bit", "smile", "repair the eyes", "undo",
                 "make the hair blond", "less"):
        m.turn(text)
    log = m.log_path
    m.close()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(o["op"] == "latent_move" for r in records for o in r["ops"])
    registry.clear_cache()
    assert main(["replay", str(log), "--verify"]) == 0
    assert "match" in capsys.readouterr().out


def test_a_failing_latent_resolution_changes_nothing(manager, monkeypatch):
    from dialogue import latent

    def broken(*a, **k):
        raise RuntimeError("boom")
    monkeypatch.setattr(latent, "resolve", broken)
    before = manager.state
    r = manager.turn("add sunglasses")
    assert not r.changed and r.ops == [] and "boom" in r.reply and manager.state == before


# -- shipped weights --------------------------------------------------------------------------
@pytest.mark.skipif(not has_weights("dcgan", "faces"), reason="no shipped dcgan weights")
def test_dcgan_mode_follows_the_declared_capability_not_the_name(tmp_path, monkeypatch):
    from dialogue import latent
    from dialogue.manager import DialogueManager
    both = {registry.LATENT_EDITS, registry.COMPLETION}
    assert registry.capabilities("dcgan") == registry.capabilities("dcgan:alice") == both
    assert registry.capabilities("studio") == frozenset() == registry.capabilities("nosuch")
    make_model(personal_dir("tiny"))
    dcgan, studio = registry._REGISTRY["dcgan"], registry._REGISTRY["studio"]
    # a latent generator under another name, and a "dcgan"-named one that declares nothing
    monkeypatch.setitem(registry._REGISTRY, "mapper", dataclasses.replace(
        dcgan, name="mapper", available=lambda d: True, variants=None, variant_factory=None,
        factory=lambda d: DCGANGenerator(d, personal="tiny")))
    monkeypatch.setitem(registry._REGISTRY, "dcgan-lookalike", dataclasses.replace(
        studio, name="dcgan-lookalike", domains=("faces",)))
    assert latent.latent_edits("mapper") and not latent.latent_edits("dcgan-lookalike")
    for name, expect in (("mapper", "latent_move"), ("dcgan-lookalike", "set")):
        m = DialogueManager("faces", 3, name, log_dir=tmp_path / name)
        m.latent_options = latent.Options(judge_check=False,
                                          completion={"steps": 2, "restarts": 1})
        m.start()
        try:
            assert m.turn("add sunglasses").ops[0]["op"] == expect
            ops = [o["op"] for o in m.turn("repair the left half").ops]
            assert ("set_latent" in ops) == (name == "mapper")
        finally:
            m.close()


def test_shipped_weights_load_render_and_move_on_cpu():
    """The shipped faces DCGAN loads on CPU with its directions, renders a
    state, and "add sunglasses" (one calibrated unit) changes the image."""
    gen = DCGANGenerator("faces")
    assert gen.directions is not None and "eyewear=sunglasses" in gen.directions
    state = ImageState.new("faces", 5, "dcgan")
    img = gen.render(state)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8 and img.std() > 5
    moved = gen.render(dataclasses.replace(state, offsets={"eyewear=sunglasses": 1.0}))
    assert np.abs(moved.astype(int) - img.astype(int)).mean() > 1
    eval_rec = json.loads((gen.path / "config.json").read_text())["extra"]["eval"]
    assert {"direction_success", "completion_psnr_masked", "passes"} <= set(eval_rec)


@pytest.mark.skipif(not has_weights("dcgan", "faces"), reason="no shipped dcgan weights")
def test_a_personal_model_trains_on_photos_and_the_latent_gan_refuses_them(tmp_path, capsys):
    """`holochat train dcgan --set synthesis=dcgan --set data=DIR --set name=NAME` on a
    fixture folder of photos: runs, saves, reloads as dcgan:NAME and renders.  The
    shipped weights are a latent GAN on the studio's decoder (docs/dcgan.md), which
    cannot learn photos: fine-tuning them on a folder is refused clearly, and
    nothing is written."""
    from PIL import Image

    from holochat.cli import main
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 256, (80, 72, 3), dtype=np.uint8)).save(photos / f"{i}.jpg")
    rc = main(["train", "dcgan", "--set", f"data={photos}", "--set", "init=faces",
               "--set", "name=carol", "--steps", "2", "--set", "batch=4", "--device", "cpu"])
    assert rc == 2 and "--set synthesis=dcgan" in capsys.readouterr().err
    assert not personal_dir("carol").exists()
    rc = main(["train", "dcgan", "--set", f"data={photos}", "--set", "synthesis=dcgan",
               "--set", "ngf=8", "--set", "ndf=8", "--set", "name=carol", "--steps", "2",
               "--set", "batch=4", "--device", "cpu"])
    assert rc == 0, capsys.readouterr().err
    mine = DCGANGenerator(personal="carol")
    assert mine.cfg.synthesis == "dcgan" and mine.cfg.ngf == 8
    img = mine.render(ImageState.new("faces", 1, "dcgan:carol"))
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8


def test_offset_rows_name_moves_and_leave_out_blends_and_zeros():
    from dialogue.latent import offset_rows
    rows = offset_rows({"yaw": -0.5, "hair_color=blond": 1.0, "eyewear=sunglasses": 0.0,
                        "mix:3": 0.5})
    assert rows == [("hair_color=blond", "move: blond hair", "+1"),
                    ("yaw", "move: yaw", "-0.5")]
    assert offset_rows({}) == []
