"""Drawn turns: the sketches a person drew, kept beside the session log.

A drawn turn (``ops.Draw``) stores its 64×64 sketch (uint8, 255 = paper,
0 = ink: exactly what the pix2pix U-Net reads) as a grey PNG in the folder
``drawings/`` next to the session's ``.jsonl`` log, named by the SHA-256 of
the PNG file's bytes: ``drawings/<sha256>.png``.  The op records that file
name and hash; the state after the turn carries the hash
(``ImageState.drawing``), and its picture is that sketch through the
``pix2pix`` generator (``render_drawn``) until the next edit, which draws
the read-back attributes with the state's own generator again.

Content-addressed names make a copy of a log ("save as NAME", a recovered
log) find the same drawings, and the same drawing twice is one file.  On
load the bytes are hashed again: a missing, changed or unreadable file is a
``DrawingFileError`` that says which file and what happened; nothing in the
log is touched.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np

from generators.errors import GeneratorError
from sessions.log import LogError

FOLDER = "drawings"
SIZE = 64


class DrawingFileError(LogError, GeneratorError):
    """A drawn turn's sketch cannot be read back (missing, changed, not a
    sketch).  A ``LogError`` for replay (the session is incomplete) and a
    ``GeneratorError`` for a live session (the step cannot be drawn)."""


def drawing_file(sha256: str) -> str:
    """The file name a drawing is stored under, relative to the log's folder."""
    return f"{FOLDER}/{sha256}.png"


def check_sketch(sketch: np.ndarray) -> np.ndarray:
    """A 64×64 uint8 sketch (``ValueError`` otherwise)."""
    a = np.asarray(sketch)
    if a.shape != (SIZE, SIZE) or a.dtype != np.uint8:
        raise ValueError(f"a drawing is a {SIZE}×{SIZE} uint8 picture, got {a.shape} {a.dtype}")
    return np.ascontiguousarray(a)


def encode(sketch: np.ndarray) -> bytes:
    """The sketch as grey PNG bytes (PIL, no metadata: equal sketches give equal bytes)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(check_sketch(sketch), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def decode(data: bytes, name: str = "the drawing") -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode != "L" or im.size != (SIZE, SIZE):
                raise DrawingFileError(
                    f"{name} is not a {SIZE}×{SIZE} grey sketch "
                    f"({im.mode} {im.size[0]}×{im.size[1]})"
                )
            return np.array(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise DrawingFileError(f"{name} is not a readable PNG ({e})") from None


class DrawingStore:
    """Where one session's drawings are kept and found: in memory (this
    process), written to ``write_dir/drawings/`` (the live log's folder), and
    read from ``write_dir`` and then each of ``read_dirs``."""

    def __init__(
        self,
        write_dir: str | os.PathLike | None = None,
        read_dirs: list[str | os.PathLike] | tuple = (),
    ):
        self.write_dir = Path(write_dir) if write_dir is not None else None
        self.read_dirs = [Path(d) for d in read_dirs]
        self.memory: dict[str, np.ndarray] = {}

    def dirs(self) -> list[Path]:
        out = [self.write_dir] if self.write_dir is not None else []
        return out + [d for d in self.read_dirs if d not in out]

    def add(self, sketch: np.ndarray) -> tuple[str, str, str | None]:
        """Keep a sketch: (file name, sha256, why it could not be written or None)."""
        data = encode(sketch)
        sha = hashlib.sha256(data).hexdigest()
        self.memory[sha] = check_sketch(sketch).copy()
        name = drawing_file(sha)
        if self.write_dir is None:
            return name, sha, "this session has no log folder, so the drawing is not saved"
        target = self.write_dir / name
        try:
            if not (target.is_file() and target.read_bytes() == data):
                from sessions.export import write_bytes_atomic

                target.parent.mkdir(parents=True, exist_ok=True)
                write_bytes_atomic(target, data)
        except OSError as e:
            return name, sha, f"cannot write {target}: {e.strerror or e}"
        return name, sha, None

    def get(self, sha256: str) -> np.ndarray:
        """The sketch of that hash; ``DrawingFileError`` saying why not."""
        if sha256 in self.memory:
            return self.memory[sha256]
        name = drawing_file(sha256)
        dirs = self.dirs()
        if not dirs:
            raise DrawingFileError(
                f"the drawing {name} cannot be found: this session has no "
                "log folder to read it from"
            )
        for d in dirs:
            path = d / name
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as e:
                raise DrawingFileError(
                    f"the drawing {path} cannot be read ({e.strerror or e})"
                ) from None
            got = hashlib.sha256(data).hexdigest()
            if got != sha256:
                raise DrawingFileError(
                    f"the drawing {path} has changed since it was drawn (its SHA-256 is "
                    f"{got[:12]}…, the log says {sha256[:12]}…)"
                )
            sketch = decode(data, str(path))
            self.memory[sha256] = sketch
            return sketch
        where = " or ".join(str(d / FOLDER) for d in dirs)
        raise DrawingFileError(
            f"the drawing {name} is missing (looked in {where}); a drawn "
            "turn keeps its sketch there, beside the session log"
        )


def render_drawn(state, sketch: np.ndarray) -> np.ndarray:
    """The picture of a drawn state: its sketch through pix2pix, at the state's size."""
    from generators import registry

    gen = registry.get_generator("pix2pix", state.domain)
    img = gen.render_sketches(check_sketch(sketch))[0]  # type: ignore[attr-defined]  # pix2pix's own
    size = int(state.size)
    if img.shape[0] != size:
        from PIL import Image

        img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.BILINEAR))
    return np.ascontiguousarray(img, dtype=np.uint8)


def sketch_of_state(state, store: DrawingStore | None = None) -> np.ndarray:
    """The line drawing of the current picture ("sketch the current
    picture"): a drawn state's own sketch; otherwise the studio's clean
    sketch of the state (its outlines and the edge map of its studio render,
    what pix2pix was trained on), identity / style blends included."""
    if getattr(state, "drawing", "") and store is not None:
        try:
            return store.get(state.drawing)
        except DrawingFileError:
            pass
    from generators.blend import mixes, shape_params
    from generators.studio.sketch import sketch

    attrs = dict(state.attributes)
    if mixes(state.offsets):
        attrs["_shape"] = shape_params(state.domain, attrs, state.offsets)
    return sketch(state.domain, attrs, clean=True, size=SIZE)
