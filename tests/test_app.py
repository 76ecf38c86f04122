"""The Textual app, driven with Pilot against the real manager and studio."""

import asyncio
import functools

import numpy as np
import pytest

from holochat.app import HoloApp, SessionSpec
from holochat.widgets.command_input import CommandInput
from holochat.widgets.history import HistoryList
from app_helpers import idle, type_line as _type

_idle = functools.partial(idle, check=True)  # fails when the turn did not finish


@pytest.fixture(autouse=True)
def _no_fallback_warmup(monkeypatch):
    """The app loads the embedding model in the background at start; these
    tests do not need it (tests/test_robust_app.py checks the warm-up)."""
    monkeypatch.setenv("HOLOCHAT_WARMUP", "0")


def _image(app):
    return np.asarray(app.query_one("#image").image).copy()


def _spec():
    return SessionSpec(domain="faces", seed=3, generator="studio", session_name="test")


def test_add_sunglasses_then_undo_with_ctrl_z():
    async def go():
        app = HoloApp(_spec())
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            assert isinstance(app.focused, CommandInput)
            before_state, before_img = app.manager.state, _image(app)
            await _type(pilot, "add sunglasses")
            await _idle(app, pilot)
            assert app.manager.state.attributes["eyewear"] == "sunglasses"
            assert not np.array_equal(_image(app), before_img)
            await pilot.press("ctrl+z")
            await _idle(app, pilot)
            assert app.manager.state == before_state
            assert np.array_equal(_image(app), before_img)
    asyncio.run(go())


def test_nonsense_gets_a_reply_and_changes_nothing():
    async def go():
        app = HoloApp(_spec())
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            before = app.manager.state
            n = len(app.query_one("#chat").lines)
            await _type(pilot, "%%% ;;; <script>")
            await _idle(app, pilot)
            assert app.manager.state == before
            assert len(app.query_one("#chat").lines) > n + 1      # the line and a reply
    asyncio.run(go())


def test_clarification_round_trip():
    async def go():
        app = HoloApp(_spec())
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            from dialogue.types import Clarification, ParseResult
            from sessions import ops as O
            q = Clarification("Did you mean 'add sunglasses' or 'add glasses'?",
                              (("add sunglasses", (O.Set("eyewear", "sunglasses"),)),
                               ("add glasses", (O.Set("eyewear", "glasses"),))))
            real = app.manager.parser
            app.manager.parser = lambda t, c: (ParseResult((), "clarify", 0.6, q)
                                               if t == "put on the dark ones" else real(t, c))
            await _type(pilot, "put on the dark ones")
            await _idle(app, pilot)
            assert app.manager.pending == q and app.manager.state.attributes["eyewear"] == "none"
            await _type(pilot, "the first one")
            await _idle(app, pilot)
            assert app.manager.state.attributes["eyewear"] == "sunglasses"
    asyncio.run(go())


def test_selecting_a_history_step_goes_there_and_up_recalls():
    async def go():
        app = HoloApp(_spec())
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            for cmd in ("add a hat", "turn left", "smile"):
                await _type(pilot, cmd)
                await _idle(app, pilot)
            step1 = app.manager.session.history.state_at(1)
            hist = app.query_one(HistoryList)
            hist.focus()
            hist.highlighted = 1
            await pilot.press("enter")
            await _idle(app, pilot)
            assert app.manager.state == step1 and app.manager.step == 4
            app.query_one(CommandInput).focus()
            await pilot.press("up")
            assert app.query_one(CommandInput).value == "smile"
    asyncio.run(go())


def test_layout_snapshot(snap_compare, monkeypatch):
    monkeypatch.setenv("HOLOCHAT_IMAGE", "halfcell")

    async def run_before(pilot):
        pilot.app.query_one(CommandInput).cursor_blink = False   # blinking is not layout
        await _idle(pilot.app, pilot)
        await _type(pilot, "add sunglasses")
        await _idle(pilot.app, pilot)
        pilot.app.query_one("#image-caption").update("step 1 · faces · studio")
        pilot.app.sub_title = "session test"

    assert snap_compare(HoloApp(_spec()), terminal_size=(120, 40), run_before=run_before)


def test_dcgan_moves_are_listed_in_the_state_panel():
    """In dcgan mode "add sunglasses" is a latent move, not an attribute: the
    panel lists it ("move: sunglasses +1", marked as just changed) instead of
    leaving only the unchanged "eyewear none" to look at."""
    import pytest

    from generators.weights import has_weights
    if not has_weights("dcgan", "faces"):
        pytest.skip("no shipped dcgan weights")

    def rows(app):
        table = app.query_one("StatePanel")
        return {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1])
                for i in range(table.row_count)}

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="dcgan",
                                  session_name="test"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            assert not any(k.startswith("move:") for k in rows(app))
            await _type(pilot, "add sunglasses")
            await _idle(app, pilot)
            assert rows(app)["move: sunglasses"] == "● +1"
            await _type(pilot, "add sunglasses")
            await _type(pilot, "turn left")
            await _idle(app, pilot)
            r = rows(app)
            assert r["move: sunglasses"] == "+1.5" and r["move: yaw"] == "● -1"
            assert r["eyewear"] == "none"                 # the attribute itself is untouched
    asyncio.run(go())


@pytest.mark.parametrize("size", [(90, 30), (70, 24), (60, 20)])
def test_narrow_terminals_work(size):
    """At 90 columns the history list once got zero width and the app crashed
    drawing it (Rich's line divider with width 0); every panel keeps room now."""
    async def go():
        app = HoloApp(_spec())
        async with app.run_test(size=size) as pilot:
            await _idle(app, pilot)
            await _type(pilot, "add sunglasses")
            await _idle(app, pilot)
            assert app.query_one(HistoryList).size.width > 0
            assert app.manager.state.attributes["eyewear"] == "sunglasses"
    asyncio.run(go())
