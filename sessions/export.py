"""Image hashes and exports: PNG at a scale, history as GIF and contact sheet.
Every write is atomic: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from generators.files import atomic_write, save_png, to_pil, write_bytes_atomic

__all__ = [
    "contact_sheet",
    "export_gif",
    "export_png",
    "export_sheet",
    "image_sha256",
    "write_bytes_atomic",
]


def image_sha256(image: np.ndarray) -> str:
    """SHA-256 of an H×W×3 uint8 image's raw C-order bytes (not of a PNG)."""
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).hexdigest()


def export_png(image: np.ndarray, path: str | os.PathLike, scale: int = 1) -> Path:
    return save_png(image, path, scale)


def export_gif(
    frames: Sequence[np.ndarray], path: str | os.PathLike, duration_ms: int = 500, scale: int = 2
) -> Path:
    if not frames:
        raise ValueError("no frames to export")
    ims = [to_pil(f, scale) for f in frames]
    return atomic_write(
        path,
        lambda f: ims[0].save(
            f, format="GIF", save_all=True, append_images=ims[1:], duration=duration_ms, loop=0
        ),
    )


def contact_sheet(
    frames: Sequence[np.ndarray], labels: Sequence[str], cols: int = 6, scale: int = 2
) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    if not frames:
        raise ValueError("no frames for a contact sheet")
    ims = [to_pil(f, scale) for f in frames]
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


def export_sheet(
    frames: Sequence[np.ndarray],
    labels: Sequence[str],
    path: str | os.PathLike,
    cols: int = 6,
    scale: int = 2,
) -> Path:
    sheet = contact_sheet(frames, labels, cols, scale)
    return export_png(sheet, path)
