"""The app against hostile text, broken installs and odd start paths (Pilot)."""

import asyncio
import json

import pytest

from holochat.app import HoloApp, SessionSpec
from holochat.display import MAX_SHOWN, literal, shown
from holochat.widgets.command_input import CommandInput
from holochat.widgets.history import HistoryList
from app_helpers import idle as _idle

HOSTILE = [
    "[link=file:///etc/passwd]x[/link]",
    "[bold]not bold[/bold] [/] [red",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[2J",
    "nul\x00byte bell\x07 del\x7f c1\x9b tab\there",
    "emoji 😎🧑‍🦰 👍🏽",
    "RTL \u05e9\u05dc\u05d5\u05dd \u202eevil\u202c \u0627\u0644\u0633\u0644\u0627\u0645",
    "zero\u200bwidth\u200d\ufeffjoin",
    "add sunglasses [/bold]",
    "x" * 10_000,
]


@pytest.fixture(autouse=True)
def _no_fallback_warmup(monkeypatch):
    monkeypatch.setenv("HOLOCHAT_WARMUP", "0")


def _chat_text(app) -> str:
    return "".join(seg.text for line in app.query_one("#chat").lines for seg in line)


def _history(app) -> list[str]:
    h = app.query_one(HistoryList)
    return [str(h.get_option_at_index(i).prompt) for i in range(h.option_count)]


def test_display_is_literal():
    assert literal("[bold]x[/bold]").plain == "[bold]x[/bold]"
    assert literal("[bold]x[/bold]").spans == []
    assert shown("a\x1b[31mb\x00") == "a␛[31mb␀"
    assert shown("\u202eabc") == "\\u202eabc"
    assert shown("a\nb") == "a⏎b" and shown("a\nb", multiline=True) == "a\nb"
    assert shown("\ud800") == "\ufffd"
    long = shown("y" * (MAX_SHOWN + 5))
    assert long.startswith("y" * MAX_SHOWN) and long.endswith("(5 more characters)")
    assert shown("😎 שלום") == "😎 שלום"


def test_hostile_text_is_shown_literally_and_the_session_resumes(tmp_path):
    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio",
                                  session_name="hostile"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            inp = app.query_one(CommandInput)
            for ch in "[bold]hi[/bold]":          # typed key by key
                await pilot.press(ch)
            await pilot.press("enter")
            for s in HOSTILE:                     # pasted
                inp.value = s
                await pilot.press("enter")
            await _idle(app, pilot, timeout=120)
            assert app.dead is None and not app.busy
            chat = _chat_text(app)
            for s in ["[bold]hi[/bold]"] + HOSTILE:
                want = shown(s).replace(" ", "")
                assert want[:300] in chat.replace(" ", ""), s[:40]
            hist = _history(app)
            # only lines that change the picture are image steps (docs/conversation.md);
            # the one hostile line that does shows literally, markup and all
            assert "(start)" in hist[0] and len(hist) >= 2
            assert hist[-1].endswith("add sunglasses [/bold]")
            for row in hist[1:]:           # each image step shows its line as typed
                assert any(row.endswith(shown(s)[:80]) for s in HOSTILE + ["[bold]hi[/bold]"])
            assert "\x1b" not in "".join(hist) and "\x00" not in chat
            return app.manager.log_path, app.manager.step, app.manager.state
    log_path, step, state = asyncio.run(go())
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(HOSTILE) + 2
    assert json.loads(lines[2])["input"] == "[link=file:///etc/passwd]x[/link]"

    async def resume():            # the poisoned session opens again
        app = HoloApp(SessionSpec(resume=log_path))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            assert app.dead is None
            assert app.manager.step == step and app.manager.state == state
            assert _history(app)[-1].endswith("add sunglasses [/bold]")
            assert "Resumed at step" in _chat_text(app)
            app.query_one(CommandInput).value = "add a hat"
            await pilot.press("enter")
            await _idle(app, pilot)
            assert app.manager.state.attributes["hat"] is True
    asyncio.run(resume())


def test_palette_lists_a_session_whose_name_is_markup(monkeypatch, tmp_path):
    """A session file named like markup shows in the palette literally."""
    from sessions.paths import sessions_dir
    d = sessions_dir()
    d.mkdir(parents=True, exist_ok=True)
    (d / "[bold]x[.jsonl").write_text('{"v":1}\n')

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio", session_name="p"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            await pilot.press("ctrl+p")
            await pilot.pause(0.2)
            for ch in "open":
                await pilot.press(ch)
            await pilot.pause(0.5)
            from textual.command import CommandList
            opts = app.screen.query_one(CommandList)
            labels = [str(opts.get_option_at_index(i).prompt) for i in range(opts.option_count)]
            assert any("[bold]x[" in label for label in labels), labels
    asyncio.run(go())


def break_weights(monkeypatch, tmp_path, model="convdeconv", domain="faces"):
    """Point the shipped weights at a copy whose model.safetensors is cut in half."""
    import shutil

    import generators.weights as W
    from generators import registry
    src = W.weights_path(model, domain)
    root = tmp_path / "weights"
    dst = root / src.name
    shutil.copytree(src, dst)
    data = (dst / "model.safetensors").read_bytes()
    (dst / "model.safetensors").write_bytes(data[: len(data) // 2])
    monkeypatch.setattr(W, "WEIGHTS_DIR", root)
    registry.clear_cache()
    monkeypatch.setattr(registry, "_CACHE", {})     # restored (emptied) after the test
    return dst


def test_damaged_weights_fall_back_to_the_studio_with_a_notice(monkeypatch, tmp_path):
    break_weights(monkeypatch, tmp_path)

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="convdeconv",
                                  session_name="broken"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            assert app.dead is None
            assert app.manager.state.generator == "studio"
            chat = _chat_text(app)
            assert "convdeconv generator could not be loaded" in chat
            assert "truncated or corrupt" in chat and "holochat train" in chat
            assert "WeightsError" not in chat and "Traceback" not in chat
            app.query_one(CommandInput).value = "add sunglasses"
            await pilot.press("enter")
            await _idle(app, pilot)
            assert app.manager.state.attributes["eyewear"] == "sunglasses"
    asyncio.run(go())


def test_unwritable_data_dir_gives_a_working_unsaved_session(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"          # a data dir nobody can create, even as root
    blocker.write_text("")
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(blocker / "data"))

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            assert app.dead is None and app.manager.log_path is None
            assert "will not be saved" in _chat_text(app)
            assert app.sub_title == "session not saved"
            app.query_one(CommandInput).value = "turn left"
            await pilot.press("enter")
            await _idle(app, pilot)
            assert app.manager.state.attributes["yaw"] < 0
    asyncio.run(go())


def test_a_session_that_cannot_start_releases_the_queue(tmp_path):
    """A resume that fails inside the worker (the file vanished after the
    start-up checks) says so; typed commands are answered, never queued forever."""
    async def go():
        app = HoloApp(SessionSpec(resume=tmp_path / "gone.jsonl"))
        async with app.run_test(size=(120, 40)) as pilot:
            app.query_one(CommandInput).value = "turn left"
            await pilot.press("enter")
            await _idle(app, pilot)
            assert app.dead is not None and app.busy == 0
            chat = _chat_text(app)
            assert "could not start" in chat and "no session log at" in chat
            assert "LogError" not in chat
            app.query_one(CommandInput).value = "turn right"
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert "Not run" in _chat_text(app) and app.busy == 0
            await pilot.press("ctrl+n")                  # a new session works
            await _idle(app, pilot)
            assert app.dead is None and app.manager is not None
    asyncio.run(go())


def test_missing_session_name_starts_a_new_one_and_says_so(monkeypatch):
    import argparse

    from holochat.commands.app import plan
    args = argparse.Namespace(domain=None, seed=3, generator="studio", session="portrait")
    spec = plan(args)
    assert isinstance(spec, SessionSpec) and spec.session_name == "portrait"
    spec.warm_fallback = False

    async def go():
        app = HoloApp(spec)
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            assert "no saved session called 'portrait'" in _chat_text(app)
            assert app.manager.log_path.name == "portrait.jsonl"
            return app.manager.log_path
    path = asyncio.run(go())
    assert path.exists()
    again = plan(args)                       # now it exists: resumed
    assert isinstance(again, SessionSpec) and again.resume == path


def test_the_embedding_model_starts_loading_with_the_app(monkeypatch):
    import threading

    import holochat.app as A
    from dialogue import fallback
    called = threading.Event()
    seen = []

    def fake_warm_up(domains=("faces", "chairs")):
        seen.append(tuple(domains))
        called.set()
        return True
    monkeypatch.setattr(fallback, "warm_up", fake_warm_up)
    monkeypatch.setattr(A, "WARM_STARTED", threading.Event())
    monkeypatch.delenv("HOLOCHAT_WARMUP", raising=False)

    async def go():
        app = HoloApp(SessionSpec(domain="chairs", seed=3, generator="studio",
                                  session_name="warm"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
    asyncio.run(go())
    assert called.wait(5) and seen == [("chairs",)]


def test_run_warms_the_fallback_only_when_a_line_needs_it(monkeypatch, tmp_path, capsys):
    import holochat.app as A
    from holochat.cli import main
    started = []
    monkeypatch.setattr(A, "start_fallback_warmup", lambda domains: started.append(domains))
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(tmp_path / "data"))
    script = tmp_path / "s.txt"
    script.write_text("add sunglasses\nturn left\n")
    assert main(["run", str(script), "--generator", "studio"]) == 0
    assert started == []
    script.write_text("add sunglasses\nundo\n")
    assert main(["run", str(script), "--generator", "studio", "--no-log"]) == 0
    assert started == []
    from holochat.commands.run import _needs_fallback
    assert _needs_fallback(["add sunglasses", "the hat has to go"], "faces")
    assert not _needs_fallback(["add sunglasses", "go back to step 1"], "faces")


def test_images_are_converted_once_per_size_and_cached_by_hash(monkeypatch):
    import numpy as np
    monkeypatch.setenv("HOLOCHAT_IMAGE", "halfcell")
    from holochat.widgets.image import CachedHalfcellImage, ImagePanel, _Converted
    _Converted.CACHE.clear()
    a = np.zeros((64, 64, 3), np.uint8)
    b = a.copy()
    b[10:20, 10:20] = 255

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio", session_name="c"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            panel = app.query_one(ImagePanel)
            widget = app.query_one(CachedHalfcellImage)
            for img in (a, b, a, a.copy()):
                n = panel.painted
                panel.show(img, "x")
                await pilot.pause(0.1)
                if img is a or img is b:
                    assert panel.painted >= n
            painted_before = panel.painted
            panel.show(a.copy(), "same image again")      # unchanged: nothing repainted
            await pilot.pause(0.1)
            assert panel.painted == painted_before
            keys = [k for k in _Converted.CACHE]
            assert len({k[0] for k in keys}) >= 2
            return widget.convert_ms
    conv = asyncio.run(go())
    # the start image, a and b: each converted once at this size; showing a again hit the cache
    assert len(conv) == 3


def test_newer_format_is_refused_by_the_manager_as_by_replay(tmp_path):
    """The app and replay agree: a log with a newer record is not resumed
    (no recovered copy is written)."""
    from dialogue.manager import DialogueManager
    from sessions.log import LogError
    from sessions.state import ImageState
    start = {"v": 1, "turn": 0, "input": "", "ops": [], "start_seed": 1,
             "state": ImageState.new("faces", 1, "studio").to_json()}
    log = tmp_path / "n.jsonl"
    log.write_text(json.dumps(start) + "\n" + json.dumps({"v": 2, "turn": 1}) + "\n")
    with pytest.raises(LogError) as err:
        DialogueManager.resume(log)
    assert err.value.newer and "newer holochat" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.jsonl"]


def test_a_turn_waiting_for_the_sentence_model_says_why(monkeypatch):
    import threading

    import holochat.app as A
    from dialogue import fallback
    release = threading.Event()
    monkeypatch.setattr(fallback, "warm_up", lambda domains=(): release.wait(20))
    monkeypatch.setattr(A, "WARM_STARTED", threading.Event())
    monkeypatch.setattr(A, "WARM_DONE", threading.Event())
    monkeypatch.delenv("HOLOCHAT_WARMUP", raising=False)

    def slow_parser(text, ctx):                 # stands in for the first fallback parse
        release.wait(20)
        from dialogue.parser import parse
        return parse(text, ctx)

    async def go():
        app = HoloApp(SessionSpec(domain="faces", seed=3, generator="studio",
                                  session_name="slow"))
        async with app.run_test(size=(120, 40)) as pilot:
            await _idle(app, pilot)
            app.manager.parser = slow_parser
            app.query_one(CommandInput).value = "add a hat"
            await pilot.press("enter")
            await pilot.pause(2.0)
            assert "Loading the language model" in _chat_text(app)
            release.set()
            await _idle(app, pilot)
            assert app.manager.state.attributes["hat"] is True
    asyncio.run(go())
