"""The drawing canvas: draw a 64×64 sketch with the mouse (issue 23).

Mapping from the terminal grid to the sketch: the canvas is 64 cells wide and
32 rows high, and every cell shows two sketch pixels, one above the other,
as a half block ("▀": the top pixel in the foreground colour, the bottom one
in the background colour).  A terminal cell is about twice as high as it is
wide, so the pixels come out square.  Cell (column c, row r) is pixels
(x = c, y = 2r) and (x = c, y = 2r + 1).

The mouse position becomes the pixel (x, y) = (⌊pointer x⌋, ⌊2 · pointer y⌋).
Most terminals report whole cells, so y is the cell's top pixel (2r); a
terminal that reports the pointer in pixels (Textual's SGR-pixels mode, e.g.
kitty, WezTerm) gives fractional rows and so either half of a cell.  The pen
is 1 pixel wide and 2 high, from y down: with whole cells it inks exactly
the cell under the mouse, strokes come out 1 pixel wide drawn up and down
and 2 drawn across (the training sketches' strokes are 0.7–1.8 pixels).  The
eraser clears 3×2 pixels (the pen's and its left and right neighbours).

Between two mouse events the pen draws a straight line through every pixel
between their points (Bresenham, 8-connected), so a fast drag leaves no gaps.

The sketch is exactly what is drawn, where it is drawn: it is not cropped or
re-centred (``holochat sketch`` and ``draw FILE.png`` fit a drawing file to
the frame; here the frame is the canvas).

Keys: left button draws, right button (or ``e``, which toggles) erases;
``u`` / backspace / ctrl+z undoes the last stroke (a clear, too); ``c`` clears;
``s`` starts again from the current picture's sketch; enter renders;
escape cancels.  ``DrawScreen`` dismisses with the 64×64 uint8 sketch (255
paper, 0 ink) or None.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer

SIZE = 64
PAPER, INK = 255, 0
ROWS = SIZE // 2


@dataclass
class Stroke:
    """One press-drag-release: the pixels (x, y) its pen went through, pen or eraser."""

    erase: bool = False
    points: list[tuple[int, int]] = field(default_factory=list)


CLEAR = "clear"  # a clear in the list of actions (undo brings the drawing back)


def line_points(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """Every point of a straight line from ``a`` to ``b`` on the integer grid
    (Bresenham, both ends included, 8-connected)."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    out = []
    while True:
        out.append((x0, y0))
        if (x0, y0) == (x1, y1):
            return out
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def paint(pixels: np.ndarray, point: tuple[int, int], erase: bool) -> None:
    """Ink the pen's 1×2 pixels at ``point`` = (x, y), y the upper one (or
    erase 3×2 around it), in place; what falls outside the sketch is dropped."""
    x, y = point
    if not (0 <= x < SIZE and -1 <= y < SIZE):
        return
    rows = slice(max(0, y), y + 2)
    if erase:
        pixels[rows, max(0, x - 1) : x + 2] = PAPER
    else:
        pixels[rows, x] = INK


class SketchCanvas(Widget, can_focus=True):
    """A 64×64 black-on-white sketch on 64×32 half-block cells."""

    DEFAULT_CSS = """
    SketchCanvas { width: 64; height: 32; }
    """

    class Changed(Message):
        """The drawing changed (a stroke, an undo, a clear)."""

    def __init__(self, base: np.ndarray | None = None, **kw):
        super().__init__(**kw)
        self.base = self._blank() if base is None else self._checked(base)
        self.actions: list[Stroke | str] = []
        self.eraser = False  # the left button erases (``e`` toggles)
        self._stroke: Stroke | None = None
        self.pixels = self.base.copy()

    @staticmethod
    def _blank() -> np.ndarray:
        return np.full((SIZE, SIZE), PAPER, np.uint8)

    @staticmethod
    def _checked(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        if a.shape != (SIZE, SIZE):
            raise ValueError(f"a canvas holds a {SIZE}×{SIZE} sketch, got {a.shape}")
        return np.ascontiguousarray(a, dtype=np.uint8).copy()

    # -- what is drawn ---------------------------------------------------------------
    @property
    def strokes(self) -> list[Stroke]:
        return [a for a in self.actions if isinstance(a, Stroke)]

    def sketch(self) -> np.ndarray:
        """The drawing as the 64×64 uint8 sketch pix2pix reads."""
        return self.pixels.copy()

    def is_blank(self) -> bool:
        """No ink on the page (named apart from Textual's DOMNode.is_empty)."""
        return not (self.pixels < 128).any()

    def _redraw(self) -> None:
        """The pixels from the base and every action since the last clear."""
        px = self.base.copy()
        for a in self.actions:
            if not isinstance(a, Stroke):  # CLEAR
                px[:] = PAPER
                continue
            for point in a.points:
                paint(px, point, a.erase)
        self.pixels = px
        self.refresh()
        self.post_message(self.Changed())

    def load(self, base: np.ndarray) -> None:
        """Start again from ``base`` (the current picture's sketch): the
        strokes before it are dropped, undo goes back to ``base``."""
        self.base = self._checked(base)
        self.actions = []
        self._stroke = None
        self._redraw()

    def clear(self) -> None:
        if self.is_blank():
            return
        self._end_stroke()
        self.actions.append(CLEAR)
        self._redraw()

    def undo(self) -> bool:
        """Take back the last stroke (or clear); False when there is none."""
        self._end_stroke()
        if not self.actions:
            return False
        self.actions.pop()
        self._redraw()
        return True

    # -- the mouse ---------------------------------------------------------------------
    @staticmethod
    def point_of(event: events.MouseEvent) -> tuple[int, int]:
        """The sketch pixel under the pointer (see the module's docstring)."""
        return math.floor(event.pointer_x), math.floor(2 * event.pointer_y)

    def _add(self, point: tuple[int, int]) -> None:
        s = self._stroke
        if s is None:
            return
        if s.points and s.points[-1] == point:
            return
        new = line_points(s.points[-1], point)[1:] if s.points else [point]
        for p in new:
            paint(self.pixels, p, s.erase)
        s.points.extend(new)
        self.refresh()

    def _end_stroke(self) -> None:
        if self._stroke is not None:
            self._stroke = None
            self.release_mouse()
            self.post_message(self.Changed())

    def on_mouse_down(self, event: events.MouseDown) -> None:
        event.stop()
        self._end_stroke()
        self._stroke = Stroke(erase=self.eraser or event.button == 3)
        self.actions.append(self._stroke)
        self.capture_mouse()
        self._add(self.point_of(event))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._stroke is not None:
            event.stop()
            self._add(self.point_of(event))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._stroke is not None:
            event.stop()
            self._add(self.point_of(event))
            self._end_stroke()

    # -- drawing on screen -----------------------------------------------------------------
    def get_content_width(self, container: Size, viewport: Size) -> int:
        return SIZE

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return ROWS

    _STYLES: dict[tuple[int, int], Style] = {}

    def render_line(self, y: int) -> Strip:
        if not 0 <= y < ROWS:
            return Strip.blank(self.size.width)
        top, bottom = self.pixels[2 * y], self.pixels[2 * y + 1]
        segs: list[Segment] = []
        run_key: tuple[int, int] = (-1, -1)
        run = 0
        for a, b in zip(top.tolist(), bottom.tolist()):
            k = (a, b)
            if k == run_key:
                run += 1
                continue
            if run:
                segs.append(Segment("▀" * run, self._style(run_key)))
            run_key, run = k, 1
        if run:
            segs.append(Segment("▀" * run, self._style(run_key)))
        return Strip(segs, SIZE)

    def _style(self, k: tuple[int, int]) -> Style:
        st = self._STYLES.get(k)
        if st is None:
            st = self._STYLES[k] = Style(
                color=Color.from_rgb(k[0], k[0], k[0]), bgcolor=Color.from_rgb(k[1], k[1], k[1])
            )
        return st


HELP = "draw 64×64 · left button draws, right button erases"


class DrawScreen(ModalScreen):
    """The canvas on its own screen.  ``current`` gives the current picture's
    sketch for ``s`` (None: there is none); dismisses with the sketch or None."""

    DEFAULT_CSS = """
    DrawScreen { align: center middle; }
    DrawScreen #draw-box { width: 70; height: auto; max-height: 100%; margin-bottom: 1;
                           overflow-y: auto; border: round $accent; padding: 0 1;
                           background: $surface; }
    """
    BINDINGS = [
        Binding("enter", "render", "render"),
        Binding("escape", "cancel", "cancel"),
        Binding("u", "undo", "undo stroke"),
        Binding("backspace", "undo", "undo stroke", show=False),
        Binding("ctrl+z", "undo", "undo stroke", show=False),
        Binding("c", "clear", "clear"),
        Binding("e", "eraser", "eraser"),
        Binding("s", "from_picture", "sketch the picture"),
    ]

    def __init__(
        self, base: np.ndarray | None = None, current: Callable[[], np.ndarray | None] | None = None
    ):
        super().__init__()
        self._base = base
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="draw-box"):  # help in its title, the status below it
            with Center():
                yield SketchCanvas(self._base, id="canvas")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#draw-box").border_title = HELP
        self.query_one(SketchCanvas).focus()
        self._status()

    @property
    def canvas(self) -> SketchCanvas:
        return self.query_one(SketchCanvas)

    NEEDS = (72, ROWS + 4)  # terminal columns and rows that show the whole canvas

    def on_resize(self, _event: events.Resize) -> None:
        self._status()

    def _status(self, note: str = "") -> None:
        c = self.canvas
        n = len(c.strokes)
        mode = "eraser" if c.eraser else "pen"
        text = f"{mode} · {n} stroke{'s' if n != 1 else ''}"
        w, h = self.app.size
        if not note and (w < self.NEEDS[0] or h < self.NEEDS[1]):
            note = f"{w}×{h}: scroll, or enlarge to {self.NEEDS[0]}×{self.NEEDS[1]}"
        self.status = f"{text}{' · ' + note if note else ''}"
        self.query_one("#draw-box").border_subtitle = self.status

    def on_sketch_canvas_changed(self, _msg: SketchCanvas.Changed) -> None:
        self._status()

    def action_render(self) -> None:
        c = self.canvas
        if c.is_blank():
            self._status("nothing drawn yet: draw with the mouse, or esc to cancel")
            return
        self.dismiss(c.sketch())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_undo(self) -> None:
        if not self.canvas.undo():
            self._status("nothing to undo")

    def action_clear(self) -> None:
        self.canvas.clear()

    def action_eraser(self) -> None:
        self.canvas.eraser = not self.canvas.eraser
        self._status()

    def action_from_picture(self) -> None:
        sk = self._current() if self._current is not None else None
        if sk is None:
            self._status("there is no current picture to sketch")
            return
        self.canvas.load(sk)
        self._status("the current picture's sketch: change it by hand")
