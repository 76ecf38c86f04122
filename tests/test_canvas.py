"""The drawing canvas (holochat/widgets/canvas.py), driven by Pilot mouse events,
and the app's wiring of it: "draw", F2, "sketch the current picture", enter."""

import asyncio
import functools

import numpy as np
import pytest
from textual.app import App

from holochat.widgets.canvas import (INK, PAPER, DrawScreen, SketchCanvas, line_points)
from app_helpers import idle, type_line as _type

_idle = functools.partial(idle, timeout=90.0, check=True)


@pytest.fixture(autouse=True)
def _no_fallback_warmup(monkeypatch):
    monkeypatch.setenv("HOLOCHAT_WARMUP", "0")


class CanvasApp(App):
    """The canvas screen alone; ``result`` is what it was dismissed with."""

    def __init__(self, base=None, current=None):
        super().__init__()
        self.base, self.current = base, current
        self.result = "open"

    def on_mount(self) -> None:
        self.push_screen(DrawScreen(self.base, self.current), self._done)

    def _done(self, sketch) -> None:
        self.result = sketch


def _canvas(app) -> SketchCanvas:
    return app.screen.query_one(SketchCanvas)


async def _stroke(pilot, canvas, cells, button=1):
    """Press at the first cell, move through the others, release at the last."""
    await pilot.mouse_down(canvas, offset=cells[0], button=button)
    for c in cells[1:]:
        await pilot.hover(canvas, offset=c)
    await pilot.mouse_up(canvas, offset=cells[-1])
    await pilot.pause()


def test_line_points_are_gapless():
    cells = line_points((0, 0), (20, 7))
    assert cells[0] == (0, 0) and cells[-1] == (20, 7)
    for (x0, y0), (x1, y1) in zip(cells, cells[1:]):
        assert max(abs(x1 - x0), abs(y1 - y0)) == 1          # 8-connected
    assert line_points((5, 5), (5, 5)) == [(5, 5)]


def test_press_move_release_draws_a_gapless_stroke():
    async def go():
        app = CanvasApp()
        async with app.run_test(size=(100, 42)) as pilot:
            canvas = _canvas(app)
            assert canvas.is_blank()
            # a fast drag: only three move events from (5, 4) to (50, 20)
            await _stroke(pilot, canvas, [(5, 4), (20, 10), (35, 15), (50, 20)])
            assert len(canvas.strokes) == 1
            px = canvas.sketch()
            # cell (c, r) is pixels (c, 2r) and (c, 2r + 1)
            assert px[8, 5] == INK and px[9, 5] == INK
            assert px[40, 50] == INK and px[41, 50] == INK
            # every column between the ends has ink in the stroke's rows (no gaps)
            for x in range(5, 51):
                assert (px[:, x] == INK).any(), f"gap at column {x}"
            # nothing outside the line's band
            assert (px[:, :5] == PAPER).all() and (px[:, 51:] == PAPER).all()
            # what the screen shows: the half-block cells carry the pixels
            strip = canvas.render_line(2)           # row 2 = pixels 4 and 5, cell (5, 2) ... paper
            assert "▀" in strip.text
    asyncio.run(go())


def test_undo_stroke_clear_and_undo_clear():
    async def go():
        app = CanvasApp()
        async with app.run_test(size=(100, 42)) as pilot:
            canvas = _canvas(app)
            await _stroke(pilot, canvas, [(10, 5), (30, 5)])
            one = canvas.sketch()
            await _stroke(pilot, canvas, [(10, 20), (10, 28)])
            two = canvas.sketch()
            assert (two != one).any() and len(canvas.strokes) == 2
            await pilot.press("u")
            assert np.array_equal(canvas.sketch(), one)
            await pilot.press("c")
            assert canvas.is_blank()
            await pilot.press("u")                   # a clear is undone like a stroke
            assert np.array_equal(canvas.sketch(), one)
            await pilot.press("u")
            assert canvas.is_blank()
            await pilot.press("u")                   # nothing left: says so, changes nothing
            assert canvas.is_blank()
            assert "nothing to undo" in app.screen.status
    asyncio.run(go())


def test_eraser_key_and_right_button():
    async def go():
        app = CanvasApp()
        async with app.run_test(size=(100, 42)) as pilot:
            canvas = _canvas(app)
            await _stroke(pilot, canvas, [(10, 10), (40, 10)])     # pixels rows 20-21, x 10..40
            assert (canvas.sketch()[20, 10:41] == INK).all()
            await pilot.press("e")                                 # eraser on
            assert canvas.eraser
            await _stroke(pilot, canvas, [(20, 10), (22, 10)])
            px = canvas.sketch()
            assert (px[20:22, 19:24] == PAPER).all()               # 3×2 px eraser, x 19..23
            assert px[20, 10] == INK and px[20, 40] == INK
            await pilot.press("e")                                 # pen again
            assert not canvas.eraser
            await _stroke(pilot, canvas, [(30, 10)], button=3)     # right button erases
            assert (canvas.sketch()[20:22, 29:32] == PAPER).all()
            assert len(canvas.strokes) == 3 and canvas.strokes[2].erase
            await pilot.press("u")
            assert canvas.sketch()[20, 30] == INK
    asyncio.run(go())


def test_enter_dismisses_with_the_sketch_and_escape_with_none():
    async def go():
        app = CanvasApp()
        async with app.run_test(size=(100, 42)) as pilot:
            await pilot.press("enter")                   # nothing drawn: stays open
            assert app.result == "open" and isinstance(app.screen, DrawScreen)
            canvas = _canvas(app)
            await _stroke(pilot, canvas, [(3, 3), (9, 9)])
            drawn = canvas.sketch()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.result, np.ndarray) and app.result.shape == (64, 64)
            assert app.result.dtype == np.uint8 and np.array_equal(app.result, drawn)
        app = CanvasApp()
        async with app.run_test(size=(100, 42)) as pilot:
            await _stroke(pilot, _canvas(app), [(3, 3), (9, 9)])
            await pilot.press("escape")
            await pilot.pause()
            assert app.result is None
    asyncio.run(go())


def test_s_loads_the_current_picture_and_undo_returns_to_it():
    base = np.full((64, 64), 255, np.uint8)
    base[30:34, 10:50] = 0

    async def go():
        app = CanvasApp(current=lambda: base)
        async with app.run_test(size=(100, 42)) as pilot:
            canvas = _canvas(app)
            await pilot.press("s")
            assert np.array_equal(canvas.sketch(), base)
            await _stroke(pilot, canvas, [(20, 15), (30, 15)], button=3)   # rub part of it out
            assert canvas.sketch()[30, 25] == PAPER
            await pilot.press("u")
            assert np.array_equal(canvas.sketch(), base)
    asyncio.run(go())


# -- the app --------------------------------------------------------------------------------
def test_app_draw_renders_the_drawing_as_a_turn_and_chat_continues():
    from holochat.app import HoloApp, SessionSpec
    from holochat.widgets.command_input import CommandInput

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio",
                                  session_name="drawn"))
        async with app.run_test(size=(120, 44)) as pilot:
            await _idle(app, pilot)
            start = app.manager.state
            await _type(pilot, "sketch the current picture")
            await pilot.pause()
            assert isinstance(app.screen, DrawScreen)
            canvas = _canvas(app)
            from sessions.drawings import sketch_of_state
            assert np.array_equal(canvas.sketch(), sketch_of_state(start))
            await _stroke(pilot, canvas, [(20, 30), (44, 30)])
            assert not np.array_equal(canvas.sketch(), sketch_of_state(start))
            await pilot.press("ctrl+z")   # undoes the stroke, not the session's last turn
            await pilot.pause()
            assert isinstance(app.screen, DrawScreen) and app.manager.step == 0
            assert np.array_equal(canvas.sketch(), sketch_of_state(start))
            await _stroke(pilot, canvas, [(20, 3), (44, 3)])      # a brim across the top
            drawn = canvas.sketch()
            await pilot.press("enter")
            await pilot.pause()
            await _idle(app, pilot)
            assert isinstance(app.focused, CommandInput)
            m = app.manager
            assert m.step == 1 and m.state.drawing
            assert np.array_equal(m.drawings.get(m.state.drawing), drawn)
            assert (m.log_path.parent / "drawings" / f"{m.state.drawing}.png").is_file()
            assert app.view.image is not None
            reply = m.entries[-1].reply
            assert reply.startswith("I see ")
            await _type(pilot, "add sunglasses")
            await _idle(app, pilot)
            assert m.state.attributes["eyewear"] == "sunglasses" and not m.state.drawing
            # F2 opens a blank canvas; escape puts it away and nothing changes
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, DrawScreen) and _canvas(app).is_blank()
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, DrawScreen) and m.step == 2
    asyncio.run(go())


def test_pixel_precise_pointer_reaches_either_half_of_a_cell():
    """A terminal that reports the pointer in pixels (fractional cells): the
    lower half of row 10 is pixel row 21, so the pen inks rows 21 and 22."""
    from textual import events

    def ev(cls, canvas, x, y, button=1):
        return cls(canvas, x, y, 0, 0, button, False, False, False)

    async def go():
        app = CanvasApp()
        async with app.run_test(size=(100, 42)) as pilot:
            canvas = _canvas(app)
            canvas.on_mouse_down(ev(events.MouseDown, canvas, 12.3, 10.6))
            canvas.on_mouse_move(ev(events.MouseMove, canvas, 16.8, 10.6))
            canvas.on_mouse_up(ev(events.MouseUp, canvas, 16.8, 10.6, 0))
            await pilot.pause()
            px = canvas.sketch()
            assert (px[21:23, 12:17] == INK).all()
            assert (px[20, :] == PAPER).all() and (px[23, :] == PAPER).all()
            assert canvas.strokes[0].points[0] == (12, 21)
    asyncio.run(go())


def test_canvas_layout_snapshot(snap_compare):
    """The canvas screen at 100×40: help in the title, a drawn circle and a
    stroke, the status below, the keys in the footer."""
    base = np.full((64, 64), PAPER, np.uint8)
    yy, xx = np.mgrid[:64, :64]
    base[np.abs(np.hypot(yy - 30, xx - 32) - 20) < 0.8] = INK

    async def run_before(pilot):
        await _stroke(pilot, _canvas(pilot.app), [(12, 26), (52, 26)])

    assert snap_compare(CanvasApp(base=base), terminal_size=(100, 40), run_before=run_before)
