"""The pieces behind keypress-to-pixels (``holochat bench --only latency``):
the image is posted as soon as it is rendered and painted before the reply,
the state table is updated in place, and the app's torch setting survives
a torch that another thread is still importing."""

from __future__ import annotations

import asyncio
import sys
import time
import types

from holochat.app import HoloApp, SessionSpec, one_thread
from holochat.widgets.chat import ChatLog
from holochat.widgets.command_input import CommandInput
from holochat.widgets.image import ImagePanel
from app_helpers import idle as _idle


def test_one_thread_with_a_half_imported_torch(monkeypatch):
    """The app exited 70 at start when the warm-up thread was still importing
    torch (a module without ``set_num_threads`` yet)."""
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    one_thread()
    import os
    assert os.environ["OMP_NUM_THREADS"] == "1"


def test_the_image_is_known_before_the_turn_is_checked_and_logged(tmp_path):
    from dialogue.manager import DialogueManager
    m = DialogueManager("faces", 3, "studio", log_dir=tmp_path)
    m.start()
    seen = []
    m.on_image = lambda step, image: seen.append(
        (step, image.shape, len(m.log_path.read_text().splitlines())))
    r = m.turn("add a hat")
    assert seen == [(1, r.image.shape, 1)]          # only the start record was written then
    assert len(m.log_path.read_text().splitlines()) == 2
    m.on_image = lambda step, image: 1 / 0          # a broken display hook costs nothing
    assert m.turn("smile").changed and m.state.attributes["expression"] == "happy"
    m.close()


def test_the_new_image_is_painted_before_the_reply_is_shown():
    order: list[tuple[str, int]] = []

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio",
                                  session_name="paint", warm_fallback=False))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            panel = app.query_one(ImagePanel)
            t0 = time.perf_counter()
            while (panel.painted == 0 or panel.paint_pending) and time.perf_counter() - t0 < 20:
                await pilot.pause(0.02)                 # the start image is on screen
            chat = app.query_one(ChatLog)
            reply = chat.reply
            chat.reply = lambda text, kind="edit": (order.append((text, panel.painted)),
                                                    reply(text, kind))
            for line in ("add a hat", "smile", "turn left"):
                before = panel.painted
                app.query_one(CommandInput).value = line
                await pilot.press("enter")
                await _idle(app, pilot)
                assert panel.painted == before + 1, line
                assert order[-1][1] == before + 1, (line, order)   # the reply came after
            rows = {str(app.query_one("StatePanel").get_row_at(i)[0]):
                    str(app.query_one("StatePanel").get_row_at(i)[1])
                    for i in range(app.query_one("StatePanel").row_count)}
            assert rows["hat"] == "yes" and rows["expression"] == "happy"
            assert rows["yaw"] == "● -15"
    asyncio.run(go())


def test_the_state_table_is_updated_in_place():
    from holochat.widgets.state import StatePanel

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio",
                                  session_name="table", warm_fallback=False))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            table = app.query_one(StatePanel)
            n = table.row_count
            keys = list(table.rows)
            table.show("faces", "studio", {**app.view.state.attributes, "hat": True}, {"hat"})
            await pilot.pause(0.05)
            assert table.row_count == n and list(table.rows) == keys     # not rebuilt
            values = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1])
                      for i in range(n)}
            assert values["hat"] == "● yes" and values["domain"] == "faces"
            table.show("chairs", "studio", {"azimuth": 30.0})               # other rows: rebuilt
            await pilot.pause(0.05)
            assert table.row_count == 3 and str(table.get_row_at(2)[1]) == "30"
    asyncio.run(go())
