"""Atomic file writes (temporary file in the same folder, then a rename), shared
by checkpoints, sheets, training runs and session exports."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np


def data_dir() -> Path:
    """The user's data dir (sessions, exports, personal models):
    ``HOLOCHAT_DATA_DIR``, else the platform's user data dir."""
    env = os.environ.get("HOLOCHAT_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("holochat"))


def cache_dir() -> Path:
    """The user's cache dir (studio datasets, embeddings):
    ``HOLOCHAT_CACHE_DIR``, else the platform's user cache dir."""
    env = os.environ.get("HOLOCHAT_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("holochat"))


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Create ``path`` by ``write(binary_file)``: a reader sees the old file or
    the whole new one, never a part."""
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
    return atomic_write(path, lambda f: f.write(data))


def to_pil(image: np.ndarray, scale: int = 1):
    """An H×W×3 uint8 array as a PIL image, upscaled ``scale``× (nearest)."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    scale = max(1, int(scale))
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)
    return im


def save_png(image: np.ndarray, path: str | os.PathLike, scale: int = 1) -> Path:
    """Write an image as PNG atomically, upscaled ``scale``×."""
    im = to_pil(image, scale)
    return atomic_write(path, lambda f: im.save(f, format="PNG"))
