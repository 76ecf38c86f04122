"""Studio sketches (generators/studio/sketch.py): geometry, determinism, randomisation,
caching, and fitting any drawing to 64×64."""

import numpy as np
import pytest

from generators.datasets import sample_attributes
from generators.studio import render_chair, render_face
from generators.studio.sketch import (DrawingError, fit_drawing, load_drawing, random_style,
                                      sketch, sketch_dataset, studio_parts)


def _face(seed=3, **kw):
    a = sample_attributes("faces", np.random.default_rng(seed), seed)
    a.update(kw)
    return a


def _chair(seed=5):
    return sample_attributes("chairs", np.random.default_rng(seed), seed)


def _ink(s):
    return (255 - s.astype(np.int64)).sum()


def test_part_labels_leave_the_render_unchanged():
    a, c = _face(), _chair()
    info = {}
    assert np.array_equal(render_face(a, 64, info), render_face(a, 64))
    lab = info["labels"]
    assert lab.shape == (64, 64)
    assert lab[0, 0] == 0 and {1, 3}.issubset(set(np.unique(lab)))   # background, head, hair
    info = {}
    assert np.array_equal(render_chair(c, 64, info=info), render_chair(c, 64))
    img, mask = render_chair(c, 64, return_mask=True)
    assert np.array_equal(info["labels"] > 0, mask)


def test_sketch_is_black_strokes_on_white_and_deterministic():
    for domain, a in (("faces", _face()), ("chairs", _chair())):
        s = sketch(domain, a, seed=7)
        assert s.shape == (64, 64) and s.dtype == np.uint8
        assert s.min() == 0 and np.median(s) == 255          # strokes on paper
        assert np.array_equal(s, sketch(domain, a, seed=7))
        assert np.array_equal(s, sketch(domain, dict(a), seed=[7]))


def test_seeds_randomise_the_style_and_clean_does_not():
    a = _face()
    sk = [sketch("faces", a, seed=s) for s in range(4)]
    assert all(not np.array_equal(sk[0], x) for x in sk[1:])
    assert np.array_equal(sketch("faces", a, seed=1, clean=True), sketch("faces", a, seed=2, clean=True))
    styles = [random_style(np.random.default_rng(i)) for i in range(40)]
    for field in ("width", "wobble", "drop", "scale", "strays", "edges"):
        assert len({getattr(s, field) for s in styles}) > 1, field


def test_perturbed_sketches_drop_strokes_and_wobble_twice_as_much():
    rng = np.random.default_rng(0)
    base, hard = random_style(rng), random_style(np.random.default_rng(0), perturb=True)
    assert hard.drop == 0.30 and hard.wobble == pytest.approx(2 * base.wobble)
    assert hard.width == base.width
    a = _face()
    plain = sum(_ink(sketch("faces", a, seed=s)) for s in range(4))
    perturbed = sum(_ink(sketch("faces", a, seed=s, perturb=True)) for s in range(4))
    assert perturbed < 0.9 * plain


def test_the_sketch_follows_the_geometry():
    a = _face(hat=False, eyewear="none")
    plain = sketch("faces", a, clean=True)
    hat = sketch("faces", dict(a, hat=True), clean=True)
    glasses = sketch("faces", dict(a, eyewear="sunglasses"), clean=True)
    # a hat adds strokes in the upper half, sunglasses ink around the eyes
    assert _ink(hat[:32]) != _ink(plain[:32])
    assert _ink(glasses[20:40]) > _ink(plain[20:40])
    lab, img = studio_parts("faces", a)
    assert lab.shape == (128, 128) and img.shape == (128, 128, 3)


def test_sketch_dataset_is_cached_beside_the_dataset(tmp_path):
    ds, sk = sketch_dataset("faces", 6, 0, "train", variants=2, cache_dir_=tmp_path)
    assert sk.shape == (6, 2, 64, 64) and len(ds) == 6
    assert not np.array_equal(sk[:, 0], sk[:, 1])
    assert len(list(tmp_path.glob("sketch-faces-train-n6-*.npz"))) == 1
    assert len(list(tmp_path.glob("studio-faces-train-n6-*.npz"))) == 1
    _, again = sketch_dataset("faces", 6, 0, "train", variants=2, cache_dir_=tmp_path)
    assert np.array_equal(sk, again)
    assert np.array_equal(sk[2, 1], sketch("faces", ds.attributes[2], seed=[0, 0, 1, 2]))


def test_fit_drawing_centres_any_size_and_darkens_thin_strokes():
    big = np.zeros((300, 500))
    big[100:200, 100] = 1.0                       # a thin box, far off-centre
    big[100:200, 160] = 1.0
    big[100, 100:161] = 1.0
    big[199, 100:161] = 1.0
    s = fit_drawing(big)
    assert s.shape == (64, 64) and s.dtype == np.uint8
    ys, xs = np.nonzero(s < 128)
    assert abs((ys.min() + ys.max()) / 2 - 31.5) <= 1.5 and abs((xs.min() + xs.max()) / 2 - 31.5) <= 1.5
    assert ys.max() - ys.min() >= 48              # the longer side spans most of the frame
    assert s.min() == 0                           # 0.3-px strokes come back as full ink
    rgb = np.full((40, 40, 3), 255, np.uint8)
    rgb[10:30, 20] = 0
    assert fit_drawing(rgb).min() < 64                 # upscaled: still dark


def test_empty_and_unreadable_drawings_are_clear_errors(tmp_path):
    from PIL import Image
    with pytest.raises(DrawingError, match="empty"):
        fit_drawing(np.full((30, 30, 3), 255, np.uint8))
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(tmp_path / "clear.png")   # transparent = paper
    with pytest.raises(DrawingError, match="empty"):
        fit_drawing(load_drawing(tmp_path / "clear.png"))
    (tmp_path / "junk.png").write_bytes(b"no image here")
    with pytest.raises(DrawingError, match="not a readable image"):
        load_drawing(tmp_path / "junk.png")
    with pytest.raises(DrawingError, match="no such file"):
        load_drawing(tmp_path / "missing.png")
