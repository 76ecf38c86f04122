"""Judges: tiny seeded model tests (shapes, losses, codec round trip, a few steps)."""

import numpy as np
import pytest
import torch

from generators.datasets import make_dataset
from generators.nets.judge import AttributeCodec, Judge, JudgeConfig, read_attributes, to_input
from generators.schema import CHAIRS, FACES
from generators.training.judge import LOSS_PARTS, JudgeTrainOptions, supcon_loss, train_judge


@pytest.mark.parametrize("domain,schema", [("faces", FACES), ("chairs", CHAIRS)])
def test_codec_round_trip(domain, schema):
    codec = AttributeCodec(domain)
    attrs = [dict(schema.defaults(1)), dict(schema.defaults(2))]
    if domain == "chairs":
        attrs[1].update(azimuth=350.0, hue=-170.0, color="green", armrests=True)
    else:
        attrs[1].update(yaw=-45.0, eyewear="sunglasses", hat=True)
    if domain == "faces":
        attrs[1].update(expression="surprised", expression_strength=0.9)
    enc = codec.encode(attrs)
    for a in codec.numeric:
        got = codec.decode_numeric(a, enc[a.name])
        want = np.array([d[a.name] for d in attrs])
        if a.name == "expression_strength":      # a neutral face shows no strength
            assert np.isnan(enc[a.name][0]).all() and np.isclose(got[1], 0.9, atol=1e-4)
            continue
        assert np.allclose(got, want, atol=1e-4), a.name
    for a in codec.classes:
        logits = np.eye(codec.n_classes(a))[enc[a.name]]
        assert codec.decode_class(a, logits) == [d[a.name] for d in attrs]


def test_forward_shapes_and_output_slice():
    torch.manual_seed(0)
    j = Judge(JudgeConfig(domain="faces", width=8, hidden=32, embed_dim=8)).eval()
    x = to_input(np.zeros((2, 64, 64, 3), np.uint8))
    out = j(x)
    assert out["eyewear"].shape == (2, 3) and out["hat"].shape == (2, 2)
    assert out["yaw"].shape == (2, 1) and out["_embed"].shape == (2, 8)
    assert torch.allclose(out["_embed"].norm(dim=1), torch.ones(2), atol=1e-5)
    j2 = Judge(JudgeConfig(domain="chairs", width=8, hidden=32, embed_dim=8))
    assert j2(x)["azimuth"].shape == (2, 2)           # wrapping angle as sin/cos


def test_supcon_prefers_clustered_embeddings():
    labels = torch.tensor([0, 0, 1, 1])
    good = torch.nn.functional.normalize(torch.tensor([[1., 0], [1, .1], [0, 1], [.1, 1]]), dim=1)
    bad = good[[0, 2, 1, 3]]
    assert supcon_loss(good, labels) < supcon_loss(bad, labels)


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    ds = make_dataset("faces", 64, seed=3)
    j = train_judge(JudgeTrainOptions(steps=30, identities_per_batch=3, per_identity=4,
                                      width=8, progress=False, log_every=10, lr=3e-3),
                    dataset=ds)
    log = j.train_log
    total = [sum(v for k, v in r.items() if k in LOSS_PARTS) for r in log]
    assert total[-1] < total[0]
    assert "map" in log[-1] and j.cfg.expression_map        # the auxiliary target is trained
    assert all(f"ce_{a.name}" in log[-1] for a in j.codec.classes)
    rows, emb = read_attributes(j, ds.images[:5])
    assert len(rows) == 5 and set(rows[0]) == set(FACES.names) - {"identity"}
    assert emb.shape == (5, j.cfg.embed_dim)


def test_judges_are_asked_only_what_an_image_shows():
    """An expression too weak to see reads as neutral; hair colour under a
    hat that hides every hair pixel is left out of the loss (IGNORE)."""
    import numpy as np
    from generators.nets.judge import IGNORE, AttributeCodec
    from generators.schema import FACES
    from generators.studio import EXPRESSION_VISIBLE_FROM, render_face, visible
    a = dict(FACES.defaults(3), expression="angry", expression_strength=0.05)
    assert visible("faces", a)["expression"] == "neutral"
    assert visible("faces", dict(a, expression_strength=EXPRESSION_VISIBLE_FROM))["expression"] == "angry"
    # below the threshold the image really is (almost) the neutral face
    weak = render_face(a).astype(int)
    neutral = render_face(dict(a, expression="neutral")).astype(int)
    assert (np.abs(weak - neutral).max(2) > 40).sum() <= 6
    # a hat pulled over a face looking down hides the hair; without the hat it shows
    hidden = [dict(FACES.defaults(1_000_000), hat=True, pitch=-30.0, yaw=0.0, hair_color=c)
              for c in ("black", "blond")]
    info: dict = {}
    render_face(hidden[0], 32, info)
    assert info["hair_pixels"] == 0
    assert visible("faces", hidden[0])["hair_color"] is None
    assert list(AttributeCodec("faces").encode(hidden)["hair_color"]) == [IGNORE, IGNORE]
    render_face(dict(hidden[0], hat=False), 32, info)
    assert info["hair_pixels"] > 20
    assert visible("faces", dict(hidden[0], hat=False))["hair_color"] == "black"


def test_a_hidden_expression_reads_neutral():
    """Sunglasses and a turned head can hide a strong expression: the judge is
    asked for neutral exactly where the render barely differs from neutral."""
    from generators.studio import EXPRESSION_MIN_PIXELS, EXPRESSION_PIXEL_DELTA, render_face, visible

    def changed(a):
        x = render_face(a).astype(int)
        y = render_face(dict(a, expression="neutral")).astype(int)
        return int((np.abs(x - y).max(2) > EXPRESSION_PIXEL_DELTA).sum())

    shown = dict(FACES.defaults(5), expression="surprised", expression_strength=0.9)
    assert changed(shown) >= EXPRESSION_MIN_PIXELS
    assert visible("faces", shown)["expression"] == "surprised"
    rng = np.random.default_rng(0)
    from generators.datasets import sample_attributes
    seen = {True: 0, False: 0}
    for i in range(60):
        a = dict(sample_attributes("faces", rng, i), expression="sad", expression_strength=0.5)
        shows = changed(a) >= EXPRESSION_MIN_PIXELS
        seen[shows] += 1
        assert visible("faces", a)["expression"] == ("sad" if shows else "neutral")
    assert seen[True] and seen[False]          # both cases occur in random faces


def test_residual_blocks_keep_the_output_shapes():
    torch.manual_seed(0)
    x = to_input(np.zeros((2, 64, 64, 3), np.uint8))
    for blocks in (0, 2):
        out = Judge(JudgeConfig(width=8, hidden=32, embed_dim=8, blocks=blocks)).eval()(x)
        assert out["expression"].shape == (2, 5) and out["_embed"].shape == (2, 8)


def test_numbers_the_image_does_not_show_are_left_out_of_the_loss():
    from generators.training.judge import _masked_smooth_l1
    pred = torch.zeros(3, 1)
    known = torch.tensor([[0.5], [1.0]])
    target = torch.tensor([[0.5], [float("nan")], [1.0]])
    assert torch.isclose(_masked_smooth_l1(pred, target), _masked_smooth_l1(pred[[0, 2]], known))
    assert _masked_smooth_l1(pred, torch.full((3, 1), float("nan"))) == 0


def test_shipped_faces_judge_loads_and_reads_studio_faces():
    """The shipped judge (when present) loads on CPU and reads the salient
    attributes of held-out studio faces."""
    from generators.training.judge import load_judge
    from generators.weights import has_weights, weights_path
    if not has_weights("judge", "faces"):
        pytest.skip("no shipped faces judge")
    judge = load_judge(weights_path("judge", "faces"))
    ds = make_dataset("faces", 40, seed=5, split="test", workers=1)
    rows, emb = read_attributes(judge, ds.images)
    from generators.datasets import shown_attributes
    for name in ("hat", "background", "eyewear", "hair_color", "expression"):
        hits = np.mean([r[name] == a[name] for r, a in zip(rows, shown_attributes(ds))
                        if a[name] is not None])
        assert hits >= (0.7 if name == "expression" else 0.9), (name, hits)
    yaw = np.mean([abs(r["yaw"] - a["yaw"]) for r, a in zip(rows, ds.attributes)])
    assert yaw < 6 and emb.shape == (40, judge.cfg.embed_dim)


def test_eyewear_hair_and_beard_in_the_dark_are_not_asked():
    """Dark rims on a dark face in a dark light: swapping the eyewear, the
    hair colour or the beard changes almost no pixel, so the judge is not asked
    for them (None); in ordinary light the same face shows them all."""
    from generators.studio import SHOW_MIN_PIXELS, SHOW_PIXEL_DELTA, render_face, visible
    lit = dict(FACES.defaults(5), eyewear="glasses", skin_tone="dark", hair_color="black",
               beard=True)
    dark = dict(lit, brightness=-1.0, light_elevation=-30.0, light_azimuth=90.0)
    shown = visible("faces", lit)
    assert (shown["eyewear"], shown["hair_color"], shown["beard"]) == ("glasses", "black", True)
    hidden = visible("faces", dark)
    assert hidden["eyewear"] is hidden["hair_color"] is None
    x = render_face(dark).astype(int)
    y = render_face(dict(dark, eyewear="none")).astype(int)
    assert (np.abs(x - y).max(2) > SHOW_PIXEL_DELTA).sum() < SHOW_MIN_PIXELS
    from generators.nets.judge import IGNORE, AttributeCodec
    t = AttributeCodec("faces").encode([lit, dark])
    assert list(t["eyewear"]) == [1, IGNORE] and list(t["hair_color"]) == [0, IGNORE]


def test_recoloured_hair_is_the_render_with_that_colour():
    from generators.datasets import sample_attributes
    from generators.studio.faces import recolour_hair, render_face
    rng = np.random.default_rng(3)
    for i in range(6):
        a = sample_attributes("faces", rng, i)
        info: dict = {}
        img = render_face(a, 64, info)
        for c in ("black", "blond", "gray"):
            assert np.array_equal(recolour_hair(img, info, c), render_face(dict(a, hair_color=c)))


def test_cached_datasets_keep_what_their_images_show(tmp_path):
    from generators.datasets import cached_dataset
    from generators.studio import visible
    ds = cached_dataset("faces", 12, cache_dir_=tmp_path, per_seed=4, with_shown=True)
    assert ds.shown == [visible("faces", a) for a in ds.attributes]
    again = cached_dataset("faces", 12, cache_dir_=tmp_path, per_seed=4)
    assert again.shown == ds.shown and np.array_equal(again.images, ds.images)


def test_the_judge_without_its_local_branch_keeps_the_output_shapes():
    torch.manual_seed(0)
    x = to_input(np.zeros((2, 64, 64, 3), np.uint8))
    for local in (0, 2):
        j = Judge(JudgeConfig(width=8, hidden=32, embed_dim=8, local_blocks=local)).eval()
        out = j(x)
        assert out["eyewear"].shape == (2, 3) and out["_embed"].shape == (2, 8)


def test_the_expression_map_marks_where_an_expression_changed_pixels():
    from generators.studio import expression_change_map
    a = dict(FACES.defaults(5), expression="surprised", expression_strength=0.9)
    m = expression_change_map(a)
    assert m.shape == (16, 16) and m.max() > 0.2
    rows, cols = np.nonzero(m)                 # brows, eyes and mouth, in the middle of the face
    assert 4 <= rows.min() and rows.max() <= 12 and 4 <= cols.min() and cols.max() <= 11
    assert not expression_change_map(dict(a, expression="neutral")).any()


def test_training_can_start_from_a_judge_without_the_map_head(tmp_path):
    from generators.training.judge import save_judge
    torch.manual_seed(0)
    ds = make_dataset("faces", 24, seed=4)
    small = dict(steps=2, identities_per_batch=2, per_identity=2, width=8, progress=False)
    plain = train_judge(JudgeTrainOptions(expression_map=0, **small), dataset=ds)
    assert not plain.cfg.expression_map
    save_judge(plain, tmp_path / "plain")
    more = train_judge(JudgeTrainOptions(init=str(tmp_path / "plain"), **small), dataset=ds)
    assert more.cfg.expression_map
    torch.testing.assert_close(more.trunk[0].weight.shape, plain.trunk[0].weight.shape)
    with pytest.raises(ValueError, match="differs"):
        train_judge(JudgeTrainOptions(init=str(tmp_path / "plain"), **dict(small, width=16)),
                    dataset=ds)


def test_train_judge_cli_refuses_an_unknown_weight(tmp_path, capsys):
    from holochat.cli import main
    rc = main(["train", "judge", "--out", str(tmp_path / "j"), "--steps", "1",
               "--set", "weights.smile=2", "--device", "cpu"])
    assert rc == 2 and "no class attribute smile" in capsys.readouterr().err
    assert not (tmp_path / "j").exists()


def test_evaluate_judge_reports_accuracy_confusions_and_expression_size():
    from generators.evaluation.judge import evaluate_judge
    torch.manual_seed(0)
    j = Judge(JudgeConfig(width=8, hidden=16, embed_dim=8)).eval()
    res = evaluate_judge(j, n_test=40)
    assert set(res["accuracy"]) == {a.name for a in j.codec.classes}
    for name, c in res["confusion"].items():
        total = sum(map(sum, c["rows_shown_cols_read"]))
        assert total == round(res["shown_fraction"][name] * 40)
    bins = res["expression_accuracy_by_changed_pixels"]
    n_visible = sum(res["confusion"]["expression"]["rows_shown_cols_read"][i][k]
                    for i in range(1, 5) for k in range(5))
    assert sum(b["n"] for b in bins.values()) == n_visible
    assert res["passes"] in (True, False) and res["yaw_mae"] >= 0


def test_train_judge_cli_explains_an_init_that_does_not_fit(tmp_path, capsys):
    from holochat.cli import main
    rc = main(["train", "judge", "--out", str(tmp_path / "j"), "--steps", "1",
               "--set", f"init={tmp_path / 'nothing-here'}", "--device", "cpu"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("holochat train judge: ") and "Traceback" not in err


def test_the_visible_expression_rule_has_a_grey_band_on_both_sides():
    from generators.evaluation.judge import NEUTRAL_BAND_PX, accuracy_visible, expression_visible
    from generators.nets.judge import AttributeCodec
    happy = {"expression": "happy", "expression_strength": 0.8}
    faint = {"expression": "happy", "expression_strength": 0.25}
    assert expression_visible(happy, {"expression": "happy"})
    assert not expression_visible(faint, {"expression": "happy"})           # faint: not scored
    hidden = {"expression": "neutral"}                                         # shown neutral
    assert expression_visible(happy, hidden)                                   # strict: scored
    assert expression_visible(happy, hidden, NEUTRAL_BAND_PX - 1)
    assert not expression_visible(happy, hidden, NEUTRAL_BAND_PX)             # the band
    codec = AttributeCodec("faces")
    from generators.schema import get_schema
    base = get_schema("faces").defaults(0)
    attrs = [dict(base, expression="neutral"), dict(base, expression="sad", expression_strength=0.5)]
    shown = [dict(a, expression="neutral") for a in attrs]       # the sad face hides below 8 px
    rows = [dict(s) for s in shown]
    rows[1]["expression"] = "sad"                                 # the reader sees it anyway
    strict, n = accuracy_visible(codec, attrs, rows, shown)
    band, m = accuracy_visible(codec, attrs, rows, shown, [0, 6])
    assert (strict["expression"], n["expression"]) == (0.5, 2)
    assert (band["expression"], m["expression"]) == (1.0, 1)
    assert band["hat"] == strict["hat"] == 1.0 and m["hat"] == 2
