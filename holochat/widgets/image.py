"""The image panel: the current image, as large as the panel allows.

textual-image picks Kitty/Sixel graphics where the terminal supports them and
coloured half-block cells otherwise; under tmux, over CI or when
``HOLOCHAT_IMAGE=halfcell`` the half-block renderer is chosen explicitly, since
graphics protocols do not pass through there.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict

import numpy as np
from PIL import Image as PILImage
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
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

    safe_probe._holochat_safe = True  # type: ignore[attr-defined]  # a marker on the function
    term.get_tiocgwinsz = safe_probe


_quiet_terminal_probe()
# textual-image queries the terminal when imported: it must happen before the app starts
from textual_image.renderable.halfcell import Image as HalfcellRenderable  # noqa: E402
from textual_image.widget import HalfcellImage, Image as AutoImage  # noqa: E402


class _Converted:
    """Half-block cells of one image at one cell size, made once and kept.

    The same drawing as textual-image's half-cell renderer (its sizing, its
    resize, one "▀" per two pixels), but each (image, size) is converted
    once: the colours go through numpy, a style is built once per colour
    pair, and the segments are cached by the image's hash, so an undo back to
    an earlier image, a repaint or a resize back costs nothing."""

    CACHE: OrderedDict[tuple, list[Segment]] = OrderedDict()
    CACHE_SIZE = 64
    _STYLES: dict[tuple, Style] = {}

    def __init__(self, widget: CachedHalfcellImage, width, height):
        from textual_image._geometry import ImageSize

        self.widget = widget
        self.size = ImageSize(widget._image_width, widget._image_height, width, height)

    def cells(self, options) -> tuple[int, int]:
        from textual_image._terminal import get_cell_size

        return self.size.get_cell_size(options.max_width, options.max_height, get_cell_size())

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        width, _ = self.cells(options)
        return Measurement(width, width)

    def __rich_console__(self, console, options):
        width, height = self.cells(options)
        key = (self.widget.image_key, width, height)
        segments = self.CACHE.get(key) if self.widget.image_key is not None else None
        if segments is None:
            image = self.widget.image
            if not isinstance(image, PILImage.Image):  # set_image always gives a PIL image
                return iter(())
            t0 = time.perf_counter()
            segments = self.convert(image, width, height)
            self.widget.convert_ms.append((time.perf_counter() - t0) * 1000)
            if self.widget.image_key is not None:
                self.CACHE[key] = segments
                while len(self.CACHE) > self.CACHE_SIZE:
                    self.CACHE.popitem(last=False)
        else:
            self.CACHE.move_to_end(key)
        return iter(segments)

    @classmethod
    def convert(cls, image: PILImage.Image, width: int, height: int) -> list[Segment]:
        if width <= 0 or height <= 0:
            return []
        px = np.asarray(image.convert("RGB").resize((width, height * 2)), dtype=np.uint8)
        styles = cls._STYLES
        out: list[Segment] = []
        newline = Segment("\n")
        for y in range(height):
            top, bottom = px[2 * y].tolist(), px[2 * y + 1].tolist()
            run_key: tuple = ()
            run = 0
            for a, b in zip(top, bottom):
                k = (*a, *b)
                if k == run_key:
                    run += 1
                    continue
                if run:
                    out.append(Segment("▀" * run, styles[run_key]))
                if k not in styles:
                    if len(styles) > 100_000:
                        styles.clear()
                    styles[k] = Style(color=Color.from_rgb(*a), bgcolor=Color.from_rgb(*b))
                run_key, run = k, 1
            if run:
                out.append(Segment("▀" * run, styles[run_key]))
            out.append(newline)
        return out


class CachedHalfcellImage(HalfcellImage, Renderable=HalfcellRenderable):
    """The half-cell image widget with conversions cached by image hash."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.image_key: str | None = None
        self.convert_ms: list[float] = []  # each conversion's time (the benchmark)

    def set_image(self, image: PILImage.Image, key: str) -> None:
        """Replace the image; one of the same size repaints this widget only
        (no layout pass over the whole screen)."""
        self.image_key = key
        if (
            self._image is not None
            and isinstance(self._image, PILImage.Image)
            and self._image.size == image.size
        ):
            self._image = image
            self.refresh()
        else:
            self.image = image

    def render(self):
        if not self._image:
            return ""
        return _Converted(self, *self._get_styled_size())


def _image_class():
    mode = os.environ.get("HOLOCHAT_IMAGE", "")
    if mode == "halfcell" or (not mode and ("TMUX" in os.environ or os.environ.get("CI"))):
        return CachedHalfcellImage
    return CachedHalfcellImage if AutoImage is HalfcellImage else AutoImage


class ImagePanel(Vertical):
    """Shows one uint8 H×W×3 image; ``show(array, caption)`` replaces it.

    An image equal to the one shown (same hash) is not set again, so a turn
    that changes nothing repaints nothing; ``painted`` counts the images put
    on screen and ``painted_at`` is when the last one was (after the screen
    refresh that drew it), for the keypress-to-pixels benchmark."""

    DISPLAY_PX = 128  # upscaled once per image (crisp pixels); the renderer fits it to the panel

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.shown_key: str | None = None
        self.painted = 0
        self.painted_at: float | None = None
        self.paint_pending = False  # an image was set and its frame is not drawn yet

    def compose(self) -> ComposeResult:
        cls = _image_class()
        with Center(id="image-center"):
            yield cls(None, id="image")
        yield Static("loading the generator…", id="image-caption")

    def show(self, image: np.ndarray | None, caption: str) -> None:
        if image is not None:
            arr = np.ascontiguousarray(image, dtype=np.uint8)
            key = hashlib.blake2b(
                arr.tobytes(), digest_size=16, person=str(arr.shape).encode()[:16]
            ).hexdigest()
            if key != self.shown_key:
                self.shown_key = key
                pil = _upscaled(arr, key, self.DISPLAY_PX)
                widget = self.query_one("#image")
                if isinstance(widget, CachedHalfcellImage):
                    widget.set_image(pil, key)
                elif isinstance(widget, AutoImage):
                    widget.image = pil
                self.paint_pending = True
                self.call_after_refresh(self._painted)
        self.query_one("#image-caption", Static).update(literal(caption, limit=200), layout=False)
        self._caption = caption

    def _painted(self) -> None:
        self.paint_pending = False
        self.painted += 1
        self.painted_at = time.perf_counter()

    def working(self) -> None:
        """Mark the caption while a turn runs (the first free-text parse loads a model)."""
        self.query_one("#image-caption", Static).update(
            literal(f"{getattr(self, '_caption', '')} · working…", limit=200), layout=False
        )


_UPSCALED: OrderedDict[str, PILImage.Image] = OrderedDict()


def _upscaled(arr: np.ndarray, key: str, px: int) -> PILImage.Image:
    """The image enlarged (nearest neighbour) to about ``px`` wide, once per image."""
    pil = _UPSCALED.get(key)
    if pil is None:
        pil = PILImage.fromarray(arr)
        if pil.width < px:
            k = px // pil.width
            pil = pil.resize((pil.width * k, pil.height * k), PILImage.Resampling.NEAREST)
        _UPSCALED[key] = pil
        while len(_UPSCALED) > 64:
            _UPSCALED.popitem(last=False)
    else:
        _UPSCALED.move_to_end(key)
    return pil
