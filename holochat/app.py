"""The Textual app: chat beside a live image.  It only wires widgets to the
dialogue manager; the manager (model loading, rendering, turns) runs in one
background thread worker that takes commands from a queue in order, so typing
never waits for a render."""

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Header

from holochat.widgets.chat import ChatLog
from holochat.widgets.command_input import CommandInput
from holochat.widgets.history import HistoryList
from holochat.widgets.image import ImagePanel
from holochat.widgets.state import StatePanel


@dataclass
class SessionSpec:
    domain: str = "faces"
    seed: int | None = None
    generator: str | None = None
    resume: str | os.PathLike | None = None
    replay: str | os.PathLike | None = None     # play a saved session back step by step
    session_name: str | None = None
    replay_delay: float = 0.8


class HoloCommands(Provider):
    """Command palette: domain and generator switches, exports, saved sessions."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, HoloApp)
        matcher = self.matcher(query)
        items = [(f"Switch to {d}", f"switch to {d}") for d in ("faces", "chairs")]
        items += [(f"Use the {g} generator", f"use the {g}") for g in app.generator_names()]
        items += [("Export the history as a GIF", "export a gif"),
                  ("Export a contact sheet of the history", "contact sheet"),
                  ("Export the current image (PNG)", "export"), ("Help", "help")]
        for label, cmd in items:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), lambda c=cmd: app.submit(c), help=cmd)
        for path in app.saved_sessions()[-20:]:
            label = f"Open saved session {path.stem}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), lambda p=path: app.open_session(p))


class HoloApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "holochat"
    COMMANDS = App.COMMANDS | {HoloCommands}
    BINDINGS = [
        Binding("ctrl+z", "command('undo')", "undo", priority=True),
        Binding("ctrl+y", "command('redo')", "redo", priority=True),
        Binding("ctrl+s", "command('export')", "export", priority=True),
        Binding("ctrl+n", "new_session", "new", priority=True),
        Binding("f1", "command('help')", "help", priority=True),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    class Ready(Message):
        def __init__(self, result, warnings: list[str]):
            self.result, self.warnings = result, warnings
            super().__init__()

    class TurnDone(Message):
        def __init__(self, result, queued: int):
            self.result, self.queued = result, queued
            super().__init__()

    class Failed(Message):
        def __init__(self, error: str):
            self.error = error
            super().__init__()

    def __init__(self, spec: SessionSpec | None = None):
        super().__init__()
        self.spec = spec or SessionSpec()
        self.manager = None
        self._queue: queue.Queue = queue.Queue()
        self.busy = 0              # commands queued or running
        self.started_at = time.perf_counter()
        self.first_image_s: float | None = None

    # -- layout -------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="main"):
            yield ImagePanel(id="image-panel")
            with Vertical(id="right"):
                yield ChatLog(id="chat")
                with Horizontal(id="side"):
                    yield StatePanel(id="state")
                    yield HistoryList(id="history")
        yield CommandInput(id="command")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#state").border_title = "state"
        self.query_one("#history").border_title = "history (enter: go back)"
        self.query_one("#chat").border_title = "chat"
        self.query_one(CommandInput).focus()
        self._run_session()
        self._warm_reader()

    @work(thread=True, group="reader")
    def _warm_reader(self) -> None:
        """Load the request reader (dialogue.reader) in the background, so the first
        loosely phrased request does not wait for it; a missing model only logs."""
        from dialogue import reader
        reader.available()

    # -- the worker: builds the manager, then plays queued commands in order --
    @work(thread=True, exclusive=True, group="session")
    def _run_session(self) -> None:
        from dialogue.manager import DialogueManager
        try:
            if self.spec.resume:
                m = DialogueManager.resume(self.spec.resume)
                first = None
            else:
                m = DialogueManager(self.spec.domain, self.spec.seed, self.spec.generator,
                                    session_name=self.spec.session_name,
                                    log=self.spec.replay is None)
                first = m.start()
        except Exception as e:   # a broken install must show, not crash the UI
            self.post_message(self.Failed(f"{type(e).__name__}: {e}"))
            return
        self.manager = m
        self.post_message(self.Ready(first, list(m.warnings)))
        if self.spec.replay:
            self._queue_replay(Path(self.spec.replay))
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                # a replayed turn arrives as (input, logged ops) and is never re-parsed
                result = m.replay_turn(*item) if isinstance(item, tuple) else m.turn(item)
            except Exception as e:     # the manager never raises on input; belt and braces
                self.post_message(self.Failed(f"internal error on {item!r:.80}: {e}"))
                continue
            self.post_message(self.TurnDone(result, self._queue.qsize()))
            if self.spec.replay:
                time.sleep(self.spec.replay_delay)

    def _queue_replay(self, path: Path) -> None:
        from sessions.log import load_log
        for rec in load_log(path).records[1:]:
            self.busy += 1
            self._queue.put((rec.get("input", ""), rec.get("ops", [])))

    # -- sending commands ----------------------------------------------------------
    def _enqueue(self, text: str) -> None:
        self.busy += 1
        self._queue.put(text)

    def submit(self, text: str) -> None:
        chat = self.query_one(ChatLog)
        chat.user(text)
        if self.manager is None:
            chat.note("(queued until the generator is ready)")
        else:
            self.query_one(ImagePanel).working()
        self._enqueue(text)

    @on(CommandInput.Submitted)
    def handle_submitted(self, event: CommandInput.Submitted) -> None:
        text = event.value
        inp = self.query_one(CommandInput)
        inp.remember(text.strip())
        inp.value = ""
        if not text.strip():
            return
        self.submit(text)

    def action_command(self, text: str) -> None:
        self.submit(text)

    @on(HistoryList.StepChosen)
    def handle_step_chosen(self, event: HistoryList.StepChosen) -> None:
        if self.manager is not None and event.step != self.manager.step:
            self.submit(f"go back to step {event.step}")

    def action_new_session(self) -> None:
        self._queue.put(None)
        self.spec = SessionSpec(domain=self.manager.state.domain if self.manager else "faces")
        self._restart("New session.")

    def open_session(self, path: Path) -> None:
        self._queue.put(None)
        self.spec = SessionSpec(resume=path)
        self._restart(f"Opening {path.stem}…")

    def _restart(self, note: str) -> None:
        self.manager = None
        self._queue = queue.Queue()
        self.busy = 0
        chat = self.query_one(ChatLog)
        chat.clear()
        chat.note(note)
        self._run_session()

    # -- results (on the UI thread) -------------------------------------------------
    @on(Ready)
    def handle_ready(self, msg: Ready) -> None:
        m = self.manager
        chat = self.query_one(ChatLog)
        for w in msg.warnings:
            chat.reply(f"Warning: {w}", "error")
        if msg.result is not None:
            chat.reply(msg.result.reply, msg.result.kind)
        else:
            chat.reply(f"Resumed at step {m.step}.", "meta")
        self.sub_title = (f"session {m.session_name}" if m.log_path else "session not saved")
        self.query_one(CommandInput).set_vocabulary(m.vocabulary())
        self._refresh(None, m.image, "")
        if self.first_image_s is None and m.image is not None:
            self.first_image_s = time.perf_counter() - self.started_at

    @on(TurnDone)
    def handle_turn_done(self, msg: TurnDone) -> None:
        r = msg.result
        self.busy = max(0, self.busy - 1)
        chat = self.query_one(ChatLog)
        if self.spec.replay:       # replayed inputs were never typed here: show them
            chat.user(r.input)
        chat.reply(r.reply, r.kind)
        timing = f" · {r.ms.get('parse', 0) + r.ms.get('render', 0):.0f} ms"
        changed = {op.get("attr") or op.get("direction") for op in r.ops
                   if "attr" in op or "direction" in op}
        if any(op.get("op") == "switch_domain" for op in r.ops):
            self.query_one(CommandInput).set_vocabulary(self.manager.vocabulary())
        self._refresh(changed, r.image, timing)

    @on(Failed)
    def handle_failed(self, msg: Failed) -> None:
        self.busy = max(0, self.busy - 1)
        self.query_one(ChatLog).reply(msg.error, "error")

    def _refresh(self, changed: set | None, image, timing: str) -> None:
        m = self.manager
        s = m.state
        self.query_one(ImagePanel).show(
            image, f"step {m.step} · {s.domain} · {s.generator}{timing}")
        from dialogue.latent import offset_rows      # loaded with the manager by now
        self.query_one(StatePanel).show(s.domain, s.generator, s.attributes, changed,
                                        offset_rows(s.offsets))
        self.query_one(HistoryList).show(m.history(), m.step)

    # -- helpers for the palette -------------------------------------------------------
    def generator_names(self) -> list[str]:
        from generators import registry
        domain = self.manager.state.domain if self.manager else self.spec.domain
        return registry.available(domain)

    def saved_sessions(self) -> list[Path]:
        from sessions.paths import sessions_dir
        d = sessions_dir()
        return sorted(d.glob("*.jsonl"), key=lambda p: p.stat().st_mtime) if d.exists() else []

    def on_unmount(self) -> None:
        self._queue.put(None)
        if self.manager is not None:
            self.manager.close()


def run_app(spec: SessionSpec) -> int:
    HoloApp(spec).run()
    return 0


def run_replay_ui(path: str | os.PathLike) -> int:
    from sessions.log import LogError, load_log
    try:
        first = load_log(path).records[0]
    except LogError as e:
        print(f"holochat replay: {e}")
        return 2
    st = first.get("state", {})
    spec = SessionSpec(domain=st.get("domain", "faces"), seed=first.get("start_seed"),
                       generator=st.get("generator"), replay=path)
    return run_app(spec)


async def _measure() -> dict:
    t0 = time.perf_counter()
    app = HoloApp(SessionSpec(seed=0, session_name="bench"))
    async with app.run_test(size=(120, 40)) as pilot:
        ready = None
        while time.perf_counter() - t0 < 60:
            if ready is None and isinstance(app.focused, CommandInput):
                ready = time.perf_counter() - t0
            if app.first_image_s is not None and ready is not None:
                break
            await pilot.pause(0.01)
        return {"app_ready_s": ready, "first_image_s": app.first_image_s}


def measure_startup() -> dict:
    """Headless start to a focused input, and to the first image (for the benchmark)."""
    import asyncio
    return asyncio.run(_measure())
