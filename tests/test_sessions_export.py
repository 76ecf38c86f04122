"""Export: image hash, PNG at a scale, GIF and contact sheet, atomic writes."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from sessions import export
from sessions.export import contact_sheet, export_gif, export_png, export_sheet, image_sha256


def _frames(n=3, size=16):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]


def test_image_sha256_is_of_the_raw_c_order_bytes():
    img = _frames(1)[0]
    assert image_sha256(img) == hashlib.sha256(img.tobytes()).hexdigest()
    strided = np.asfortranarray(img)                 # same pixels, other memory order
    assert image_sha256(strided) == image_sha256(img)
    other = img.copy()
    other[0, 0, 0] ^= 1
    assert image_sha256(other) != image_sha256(img)


def test_png_at_a_scale_keeps_the_pixels(tmp_path):
    img = _frames(1)[0]
    p = export_png(img, tmp_path / "deep" / "x.png", scale=3)
    back = np.asarray(Image.open(p).convert("RGB"))
    assert back.shape == (48, 48, 3)
    assert np.array_equal(back[::3, ::3], img)


def test_gif_holds_every_frame(tmp_path):
    frames = _frames(4)
    p = export_gif(frames, tmp_path / "h.gif", duration_ms=120, scale=1)
    im = Image.open(p)
    assert im.n_frames == 4 and im.info["duration"] == 120
    with pytest.raises(ValueError):
        export_gif([], tmp_path / "empty.gif")


def test_contact_sheet_has_a_label_under_each_frame(tmp_path):
    frames = [np.full((16, 16, 3), 255, np.uint8)] * 3
    sheet = contact_sheet(frames, ["0: start", "1: add a hat", ""], cols=3, scale=4)
    w = 64
    label_rows = sheet[4 + w + 2: 4 + w + 20]
    ink = [(label_rows[:, 4 + c * (w + 4): 4 + c * (w + 4) + w] < 128).any() for c in range(3)]
    assert ink == [True, True, False]                # text only where there is a label
    p = export_sheet(frames, ["a", "b", "c"], tmp_path / "s.png", cols=2)
    assert Image.open(p).size == sheet_size(2, 2, 32)


def sheet_size(cols, rows, w):
    return cols * (w + 4) + 4, rows * (w + 24 + 4) + 4


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "x.png"
    export_png(_frames(1)[0], target)
    before = target.read_bytes()

    def broken_save(self, fp, *a, **k):
        fp.write(b"half a png")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        export.export_png(_frames(1)[0] + 1, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
