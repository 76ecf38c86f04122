"""The image panel: the current image, as large as the panel allows.

textual-image picks Kitty/Sixel graphics where the terminal supports them and
coloured half-block cells otherwise; under tmux, over CI or when
``HOLOCHAT_IMAGE=halfcell`` the half-block renderer is chosen explicitly, since
graphics protocols do not pass through there.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Static

from holochat.display import literal


def _quiet_terminal_probe() -> None:
    """textual-image asks the terminal for its cell size when imported.  A
    terminal that does not answer made it print a traceback (a logged
    warning), and one that reports 0 columns (a bare pty) made it divide by
    zero; both now fall back to its default cell size, silently."""
    import logging
    logging.getLogger("textual_image").setLevel(logging.ERROR)
    try:
        import textual_image._terminal as term
    except Exception:  # noqa: BLE001 - a different version: leave it be
        return
    probe = getattr(term, "get_tiocgwinsz", None)
    if probe is None or getattr(probe, "_holochat_safe", False):
        return

    def safe_probe():
        size = probe()
        if not size[0] or not size[1]:
            raise OSError("the terminal reports no size")
        return size
    safe_probe._holochat_safe = True
    term.get_tiocgwinsz = safe_probe


_quiet_terminal_probe()
# textual-image queries the terminal when imported: it must happen before the app starts
from textual_image.widget import HalfcellImage, Image as AutoImage  # noqa: E402


def _image_class():
    mode = os.environ.get("HOLOCHAT_IMAGE", "")
    if mode == "halfcell" or (not mode and ("TMUX" in os.environ or os.environ.get("CI"))):
        return HalfcellImage
    return AutoImage


class ImagePanel(Vertical):
    """Shows one uint8 H×W×3 image; ``show(array, caption)`` replaces it."""

    DISPLAY_PX = 128   # upscaled once per turn (crisp pixels); the renderer fits it to the panel

    def compose(self) -> ComposeResult:
        cls = _image_class()
        with Center(id="image-center"):
            yield cls(None, id="image")
        yield Static("loading the generator…", id="image-caption")

    def show(self, image: np.ndarray | None, caption: str) -> None:
        if image is not None:
            pil = PILImage.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
            if pil.width < self.DISPLAY_PX:
                k = self.DISPLAY_PX // pil.width
                pil = pil.resize((pil.width * k, pil.height * k), PILImage.NEAREST)
            self.query_one("#image").image = pil
        self.query_one("#image-caption", Static).update(literal(caption, limit=200))
        self._caption = caption

    def working(self) -> None:
        """Mark the caption while a turn runs (the first free-text parse loads a model)."""
        self.query_one("#image-caption", Static).update(
            literal(f"{getattr(self, '_caption', '')} · working…", limit=200))
