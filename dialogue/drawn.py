"""Drawn turns: a drawing enters the session as a turn (issue 23).

A drawing (the app's canvas, or ``draw FILE.png`` in a script or typed) is
turned into one ``ops.Draw``:

1. the 64×64 sketch is kept beside the session log (``sessions.drawings``:
   ``drawings/<sha256>.png``);
2. pix2pix draws its picture (the same ``render_drawn`` the manager and
   replay use, so the shown image is the logged one);
3. the faces judge reads back what a line drawing can show (expression,
   eyewear, hat, beard, yaw, pitch: ``generators.pix2pix_gen.read_drawing``)
   and those values go into the op, so "add sunglasses" or "turn left" go on
   from the drawing with the usual generator.  A smile read back also sets
   ``expression_strength`` to at least 0.5, so it shows once redrawn.
   Chairs have no judge (nothing reads a chair's attributes back from a
   picture), so the drawing itself is matched against studio sketches of the
   chair on screen (``generators.sketch_reader``): legs and armrests are read,
   the view is kept, and the reply says so.

The app hands a canvas over as a ``DrawnInput``; ``draw_request`` reads the
typed forms: ``draw FILE.png`` (any black-on-white drawing, fitted to 64×64
as ``holochat sketch`` fits it), and "draw" / "sketch the current picture",
which open the canvas in the app (headless they get a reply saying so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sessions import ops as O


@dataclass(frozen=True)
class DrawnInput:
    """A drawing from the canvas: the 64×64 uint8 sketch and the line shown for it."""

    sketch: np.ndarray
    text: str = "(drawing)"


@dataclass(frozen=True)
class DrawRequest:
    kind: str  # "file" | "canvas" | "sketch"
    path: str | None = None


_EXT = r"(?:png|jpe?g|gif|bmp|webp|tiff?)"
_FILE = re.compile(
    r"^\s*draw\s+(?:from\s+|the\s+file\s+)?(?P<q>[\"']?)(?P<path>[^\"']*?\."
    + _EXT
    + r")(?P=q)\s*$",
    re.IGNORECASE,
)
_CANVAS = re.compile(
    r"^\s*(?:draw|open the canvas|canvas|let me draw|i want to draw)\s*[.!]?\s*$", re.IGNORECASE
)
_SKETCH = re.compile(
    r"^\s*(?:sketch|trace|draw)\s+(?:the\s+|this\s+)?(?:current\s+)?"
    r"(?:picture|image|one)\s*[.!]?\s*$",
    re.IGNORECASE,
)


def draw_request(text: str) -> DrawRequest | None:
    """``draw FILE.png`` → a file to draw; "draw" → the canvas; "sketch the
    current picture" → the canvas filled with the current picture's sketch.
    None for every other line (the parser reads it)."""
    if not isinstance(text, str) or len(text) > 1000:
        return None
    m = _FILE.match(text)
    if m:
        return DrawRequest("file", m.group("path").strip())
    if _CANVAS.match(text):
        return DrawRequest("canvas")
    if _SKETCH.match(text):
        return DrawRequest("sketch")
    return None


MAX_SIDE = 4096  # a drawing file larger than this on a side is refused (memory)


def sketch_from_file(path: str) -> np.ndarray:
    """A drawing file as the 64×64 sketch pix2pix reads (``DrawingError``
    with a clear message when it is missing, unreadable, too large or empty)."""
    from generators.studio.sketch import DrawingError, fit_drawing, load_drawing

    p = Path(path).expanduser()
    if p.exists() and not p.is_dir() and not p.is_file():  # a FIFO or device would block
        raise DrawingError(f"{path} is not a regular file")
    if p.is_file():
        from PIL import Image

        try:
            with Image.open(p) as im:  # reads the header only
                w, h = im.size
        except Exception:  # noqa: BLE001 - load_drawing says what is wrong with it
            w = h = 0
        if max(w, h) > MAX_SIDE:
            raise DrawingError(
                f"{path} is {w}×{h} pixels; a drawing may be at most {MAX_SIDE}×{MAX_SIDE}"
            )
    try:
        return fit_drawing(load_drawing(p))
    except DrawingError:
        raise
    except Exception as e:  # noqa: BLE001 - any file gets a reply, never a crash
        raise DrawingError(f"{path} is not a usable drawing ({type(e).__name__}: {e})") from None


# -- reading a drawing back --------------------------------------------------------------
def read_back(
    domain: str, picture: np.ndarray, attributes: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """The attributes to set from a drawing and the reply's sentence (faces:
    what the judge reads in ``picture``, the drawing's pix2pix picture;
    chairs: ``picture`` is the drawing itself, matched to studio sketches)."""
    if domain == "chairs":
        return _read_chair(picture, attributes)
    if domain != "faces":
        return {}, "Here is your drawing."
    from generators.weights import has_weights

    if not has_weights("judge", "faces"):
        return {}, (
            "I drew your face. The faces judge is not installed, so I can't read it "
            "back; edits go on from the face before the drawing."
        )
    import torch

    from dialogue.verify import default_verifier
    from generators.pix2pix_gen import read_drawing

    with torch.inference_mode():
        got, sentence = read_drawing(picture, default_verifier().judge())
    got = {
        k: (
            bool(v)
            if isinstance(v, (bool, np.bool_))
            else float(v)
            if isinstance(v, (float, np.floating))
            else str(v)
            if isinstance(v, (str, np.str_))
            else v
        )
        for k, v in got.items()
    }
    if got.get("expression", "neutral") != "neutral":
        got["expression_strength"] = max(0.5, float(attributes.get("expression_strength", 0.5)))
    return got, sentence


def _read_chair(sketch: np.ndarray, attributes: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A chair: no judge reads a chair picture, so the drawing itself is
    matched against studio sketches of the chair on screen
    (``generators.sketch_reader``): legs and armrests are read, the view is not."""
    from generators.sketch_reader import READ, describe_chair, read_chair_drawing

    got, _ = read_chair_drawing(sketch, attributes)
    got = {k: got[k] for k in READ}
    return got, (
        describe_chair(got) + " (The view can't be read from a drawing yet: it stays as it was.)"
    )


def drawn_op(state, sketch: np.ndarray, store) -> tuple[O.Draw, list[str]]:
    """The op of a drawn turn (the sketch stored in ``store``, its picture
    drawn and read back) and warnings for the caller (a drawing not saved)."""
    from sessions.drawings import check_sketch, render_drawn

    sketch = check_sketch(sketch)
    if not (sketch < 128).any():
        from generators.studio.sketch import DrawingError

        raise DrawingError("the drawing is empty: no dark strokes on it")
    name, sha, problem = store.add(sketch)
    if state.domain == "chairs":  # read from the drawing itself (no chairs judge)
        attrs, sentence = read_back("chairs", sketch, dict(state.attributes))
    else:
        picture = render_drawn(state.evolve(size=64), sketch)
        attrs, sentence = read_back(state.domain, picture, dict(state.attributes))
    return O.Draw(name, sha, attrs, sentence), ([problem] if problem else [])


CANVAS_ONLY = (
    "The drawing canvas opens in the app: type 'draw' there (or press F2), and "
    "'sketch the current picture' to start from this picture's outlines. In a "
    "script, 'draw FILE.png' draws from a file."
)
