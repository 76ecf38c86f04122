"""Image hashes and exports: PNG at a scale, history as GIF and contact sheet.
Every write is atomic: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np


def image_sha256(image: np.ndarray) -> str:
    """SHA-256 of an H×W×3 uint8 image's raw C-order bytes (not of a PNG)."""
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).hexdigest()


def _atomic(path: str | os.PathLike, write: Callable[[object], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, then rename)."""
    return _atomic(path, lambda f: f.write(data))


def _pil(image: np.ndarray, scale: int = 1):
    from PIL import Image
    im = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.NEAREST)
    return im


def export_png(image: np.ndarray, path: str | os.PathLike, scale: int = 1) -> Path:
    im = _pil(image, max(1, int(scale)))
    return _atomic(path, lambda f: im.save(f, format="PNG"))


def export_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, duration_ms: int = 500,
               scale: int = 2) -> Path:
    if not frames:
        raise ValueError("no frames to export")
    ims = [_pil(f, scale) for f in frames]
    return _atomic(path, lambda f: ims[0].save(f, format="GIF", save_all=True,
                                                append_images=ims[1:], duration=duration_ms,
                                                loop=0))


def contact_sheet(frames: Sequence[np.ndarray], labels: Sequence[str], cols: int = 6,
                  scale: int = 2) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont
    if not frames:
        raise ValueError("no frames for a contact sheet")
    ims = [_pil(f, scale) for f in frames]
    w, h = ims[0].size
    label_h = 24
    cols = max(1, min(cols, len(ims)))
    rows = (len(ims) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (w + 4) + 4, rows * (h + label_h + 4) + 4), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (im, label) in enumerate(zip(ims, labels)):
        r, c = divmod(i, cols)
        x, y = 4 + c * (w + 4), 4 + r * (h + label_h + 4)
        sheet.paste(im, (x, y))
        text = label if len(label) <= w // 6 else label[: max(1, w // 6 - 1)] + "…"
        draw.text((x + 1, y + h + 2), text, fill="black", font=font)
    return np.asarray(sheet)


def export_sheet(frames: Sequence[np.ndarray], labels: Sequence[str], path: str | os.PathLike,
                 cols: int = 6, scale: int = 2) -> Path:
    sheet = contact_sheet(frames, labels, cols, scale)
    return export_png(sheet, path)
