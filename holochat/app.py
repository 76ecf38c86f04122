"""The Textual app: chat beside a live image.  It only wires widgets to the
dialogue manager; the manager (model loading, rendering, turns) runs in one
background thread worker that takes commands from a queue in order, so typing
never waits for a render."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widgets import Footer, Header

from generators.errors import describe
from holochat.display import shown
from holochat.errors import explain
from holochat.widgets.canvas import DrawScreen
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
    replay: str | os.PathLike | None = None  # play a saved session back step by step
    session_name: str | None = None
    replay_delay: float = 0.8
    greeting: str | None = None  # said first (e.g. "a new session called X")
    warm_fallback: bool | None = None  # load the embedding model in the background
    #                                             (None: unless HOLOCHAT_WARMUP=0)


@dataclass(frozen=True)
class View:
    """What the screen shows after a turn.  The worker takes it from the
    manager it owns and posts it in a message, so the UI thread never reads
    the manager while a turn runs."""

    step: int
    state: Any
    image: Any
    history: tuple
    moves: tuple
    session_name: str
    saved: bool
    vocabulary: tuple[str, ...] | None = None


def _view(m, vocabulary: bool = False) -> View:
    from dialogue.latent import offset_rows

    return View(
        m.step,
        m.state,
        m.image,
        tuple(m.history()),
        tuple(offset_rows(m.state.offsets)),
        m.session_name,
        m.log_path is not None,
        tuple(m.vocabulary()) if vocabulary else None,
    )


class HoloCommands(Provider):
    """Command palette: domain and generator switches, exports, saved sessions."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, HoloApp)
        matcher = self.matcher(query)
        items = [(f"Switch to {d}", f"switch to {d}") for d in ("faces", "chairs")]
        items += [(f"Use the {g} generator", f"use the {g}") for g in app.generator_names()]
        items += [
            ("Export the history as a GIF", "export a gif"),
            ("Export a contact sheet of the history", "contact sheet"),
            ("Export the current image (PNG)", "export"),
            ("Help", "help"),
        ]
        for label, cmd in items:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, _highlight(matcher, label), lambda c=cmd: app.submit(c), help=cmd)
        for path in app.saved_sessions()[-20:]:
            label = f"Open saved session {shown(path.stem, limit=80)}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, _highlight(matcher, label), lambda p=path: app.open_session(p))


def _highlight(matcher, label: str) -> Content:
    """The matcher's highlight, but of the label as literal text (Textual's
    own reads the label as markup, and a session's file name is not markup)."""
    content = Content(label)
    score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    if score:
        for i in offsets:
            if not label[i].isspace():
                content = content.stylize(matcher._match_style, i, i + 1)
    return content


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
        Binding("f2", "draw", "draw", priority=True),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    # Messages from the session worker; ``gen`` is the session they belong to
    # (a message from a session that was replaced is dropped).
    class Ready(Message):
        def __init__(
            self,
            gen: int,
            manager,
            view: View,
            reply: str,
            kind: str,
            warnings: list[str],
            notices: list[str],
        ):
            self.gen, self.manager, self.view, self.reply, self.kind = (
                gen,
                manager,
                view,
                reply,
                kind,
            )
            self.warnings, self.notices = warnings, notices
            super().__init__()

    class TurnDone(Message):
        def __init__(self, gen: int, result, view: View, warnings: list[str]):
            self.gen, self.result, self.view, self.warnings = gen, result, view, warnings
            super().__init__()

    class ImageShown(Message):
        """A turn's image, posted as soon as it is rendered (before the turn is
        checked and logged), with the caption of the state it shows."""

        def __init__(self, gen: int, image, caption: str):
            self.gen, self.image, self.caption = gen, image, caption
            super().__init__()

    class Queued(Message):
        def __init__(self, gen: int, n: int):
            self.gen, self.n = gen, n
            super().__init__()

    class Failed(Message):
        """One command could not be run; the queue goes on."""

        def __init__(self, gen: int, error: str):
            self.gen, self.error = gen, error
            super().__init__()

    class Fatal(Message):
        """The session could not start; nothing queued will run."""

        def __init__(self, gen: int, error: str):
            self.gen, self.error = gen, error
            super().__init__()

    def __init__(self, spec: SessionSpec | None = None):
        super().__init__()
        self.spec = spec or SessionSpec()
        self.manager = None  # set on the UI thread when the worker reports Ready
        self.view: View | None = None
        self.dead: str | None = None  # why the session could not start
        self._queue: queue.Queue = queue.Queue()
        self._gen = 0
        self.busy = 0  # commands queued or running (UI thread only)
        self._deferred = 0  # finished turns waiting for their image's frame
        self.started_at = time.perf_counter()
        self.first_image_s: float | None = None
        one_thread()

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
        warm = self.spec.warm_fallback
        if warm is None:
            warm = os.environ.get("HOLOCHAT_WARMUP", "1") != "0"
        if warm:
            start_fallback_warmup((self.spec.domain,))
        self._start()

    def _start(self) -> None:
        self._gen += 1
        self._run_session(self.spec, self._queue, self._gen)

    # -- the worker: builds the manager, then plays queued commands in order --
    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _run_session(self, spec: SessionSpec, q: queue.Queue, gen: int) -> None:
        try:
            m, first, notices = _build(spec)
        except BaseException as e:  # noqa: BLE001 - said in the app, never a crash
            self.post_message(self.Fatal(gen, explain(e).message))
            return
        try:
            if first is not None:
                reply, kind = first.reply, first.kind
            else:
                reply, kind = f"Resumed at step {m.step}.", "meta"
            warnings = list(m.warnings)
            shown_warnings = len(m.warnings)
            self.post_message(
                self.Ready(gen, m, _view(m, vocabulary=True), reply, kind, warnings, notices)
            )
            _settle()

            def image_known(step: int, image) -> None:  # on this worker thread
                self.post_message(
                    self.ImageShown(
                        gen, image, f"step {step} · {m.state.domain} · {m.state.generator}"
                    )
                )

            m.on_image = image_known
            if spec.replay:
                from sessions.log import load_log

                recs = load_log(spec.replay).records[1:]
                self.post_message(self.Queued(gen, len(recs)))
                for rec in recs:
                    q.put((str(rec.get("input", "")), rec.get("ops", [])))
            while True:
                item = q.get()
                if item is None:
                    return
                domain = m.state.domain
                try:
                    # a replayed turn arrives as (input, logged ops) and is never re-parsed
                    result = m.replay_turn(*item) if isinstance(item, tuple) else m.turn(item)
                except Exception as e:  # noqa: BLE001 - the manager never raises on input
                    self.post_message(
                        self.Failed(gen, f"That command could not be run: {explain(e).message}")
                    )
                    continue
                new_warnings = list(m.warnings[shown_warnings:])
                shown_warnings = len(m.warnings)
                self.post_message(
                    self.TurnDone(
                        gen, result, _view(m, vocabulary=m.state.domain != domain), new_warnings
                    )
                )
                if spec.replay:
                    time.sleep(spec.replay_delay)
        except BaseException as e:  # noqa: BLE001 - release the queue with a message
            self.post_message(self.Fatal(gen, explain(e).message))
        finally:
            try:
                m.close()
            except Exception:  # noqa: BLE001
                pass

    # -- sending commands ----------------------------------------------------------
    def submit(self, text) -> None:
        chat = self.query_one(ChatLog)
        chat.user(getattr(text, "text", text))  # a canvas drawing is a DrawnInput
        if self.dead is not None:
            chat.reply(
                "Not run: this session could not start. Press ctrl+n for a new "
                "session, or ctrl+q to quit.",
                "error",
            )
            return
        if self.manager is None:
            chat.note("(queued until the generator is ready)")
        else:
            self.query_one(ImagePanel).working()
        self.busy += 1
        self._queue.put(text)
        if (
            WARM_STARTED.is_set()
            and not WARM_DONE.is_set()
            and not getattr(self, "_told_loading", False)
        ):
            self.set_timer(1.5, self._still_loading)

    def _still_loading(self) -> None:
        """Say why a turn waits, once: the sentence model is still loading."""
        if self.busy and not WARM_DONE.is_set() and not getattr(self, "_told_loading", False):
            self._told_loading = True
            self.query_one(ChatLog).note(
                "(Loading the language model that reads sentences the grammar doesn't know; "
                "this happens once, in the background, and takes a few seconds.)"
            )

    @on(CommandInput.Submitted)
    def handle_submitted(self, event: CommandInput.Submitted) -> None:
        text = event.value
        inp = self.query_one(CommandInput)
        inp.remember(text.strip())
        inp.value = ""
        if not text.strip():
            return
        from dialogue.drawn import draw_request

        request = draw_request(text)
        if request is not None and request.kind != "file":  # "draw", "sketch the current picture"
            self.query_one(ChatLog).user(text)
            self.action_draw(request.kind == "sketch")
            return
        self.submit(text)

    # -- the drawing canvas (holochat/widgets/canvas.py, dialogue/drawn.py) -------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The app's keys do nothing while the canvas is open (ctrl+z there must
        not undo a turn behind it)."""
        if isinstance(self.screen, DrawScreen) and action in ("command", "new_session", "draw"):
            return False
        return True

    def current_sketch(self):
        """The current picture's line drawing (None before the first image)."""
        if self.view is None or self.manager is None:
            return None
        from sessions.drawings import sketch_of_state

        return sketch_of_state(self.view.state, self.manager.drawings)

    def action_draw(self, from_picture: bool = False) -> None:
        base = self.current_sketch() if from_picture else None
        if from_picture and base is None:
            self.query_one(ChatLog).note("(no picture to sketch yet: starting from a blank page)")
        self.push_screen(DrawScreen(base, self.current_sketch), self._drawn)

    def _drawn(self, sketch) -> None:
        if sketch is None:
            self.query_one(ChatLog).note("(drawing put away; nothing changed)")
            return
        from dialogue.drawn import DrawnInput

        self.submit(DrawnInput(sketch, "drawn on the canvas"))

    def action_command(self, text: str) -> None:
        self.submit(text)

    @on(HistoryList.StepChosen)
    def handle_step_chosen(self, event: HistoryList.StepChosen) -> None:
        if self.view is not None and event.step != self.view.step:
            self.submit(f"go back to step {event.step}")

    def action_new_session(self) -> None:
        domain = self.view.state.domain if self.view else self.spec.domain
        self.spec = SessionSpec(domain=domain, warm_fallback=False)
        self._restart("New session.")

    def open_session(self, path: Path) -> None:
        self.spec = SessionSpec(resume=path, warm_fallback=False)
        self._restart(f"Opening {path.stem}…")

    def _restart(self, note: str) -> None:
        self._queue.put(None)  # the old worker closes its session and ends
        self.manager, self.view, self.dead = None, None, None
        self._queue = queue.Queue()
        self.busy = 0
        self._deferred = 0
        chat = self.query_one(ChatLog)
        chat.clear()
        chat.note(note)
        self._start()

    # -- results (on the UI thread) -------------------------------------------------
    def notice(self, text: str, severity: SeverityLevel = "warning") -> None:
        """A toast, shown literally."""
        self.notify(shown(text, limit=400), severity=severity, markup=False, timeout=8)

    @on(Ready)
    def handle_ready(self, msg: Ready) -> None:
        if msg.gen != self._gen:
            return
        self.manager, self.view = msg.manager, msg.view
        chat = self.query_one(ChatLog)
        for w in msg.warnings:
            chat.reply(f"Warning: {w}", "error")
        for n in msg.notices:
            chat.reply(n, "error")
            self.notice(n)
        if self.spec.greeting:
            chat.reply(self.spec.greeting, "meta")
        chat.reply(msg.reply, msg.kind)
        v = msg.view
        self.sub_title = shown(
            f"session {v.session_name}" if v.saved else "session not saved", limit=80
        )
        if not v.saved:
            self.notice(
                "This session is not being saved: "
                + (msg.warnings[-1] if msg.warnings else "logging is off")
            )
        if v.vocabulary is not None:
            self.query_one(CommandInput).set_vocabulary(list(v.vocabulary))
        self._refresh(v, None, "")
        if self.first_image_s is None and v.image is not None:
            self.first_image_s = time.perf_counter() - self.started_at

    @on(ImageShown)
    def handle_image_shown(self, msg: ImageShown) -> None:
        if msg.gen == self._gen:
            self.query_one(ImagePanel).show(msg.image, msg.caption)

    @on(Queued)
    def handle_queued(self, msg: Queued) -> None:
        if msg.gen == self._gen:
            self.busy += msg.n

    @on(TurnDone)
    def handle_turn_done(self, msg: TurnDone) -> None:
        if msg.gen != self._gen:
            return
        self.view = msg.view
        self._after_paint(self._turn_done_shown, msg)

    def _after_paint(self, show, msg) -> None:
        """``show(msg)`` now, or, while the turn's image is not on screen yet,
        after the frame that draws it: that frame then carries the image alone
        (cheap), and the chat, state and history follow in the next one.
        Results are shown in the order they came."""
        if not self.query_one(ImagePanel).paint_pending and not self._deferred:
            show(msg)
            return
        self._deferred += 1

        def later() -> None:
            if msg.gen == self._gen:  # (a new session reset the count)
                self._deferred -= 1
                show(msg)

        self.query_one(ImagePanel).call_after_refresh(later)

    def _turn_done_shown(self, msg: TurnDone) -> None:
        self.busy = max(0, self.busy - 1)
        r, v = msg.result, msg.view
        chat = self.query_one(ChatLog)
        if self.spec.replay:  # replayed inputs were never typed here: show them
            chat.user(r.input)
        chat.reply(r.reply, r.kind)
        for w in msg.warnings:
            self.notice(w)
        timing = f" · {r.ms.get('parse', 0) + r.ms.get('render', 0):.0f} ms"
        changed = {
            op.get("attr") or op.get("direction")
            for op in r.ops
            if "attr" in op or "direction" in op
        }
        if v.vocabulary is not None:
            self.query_one(CommandInput).set_vocabulary(list(v.vocabulary))
        self._refresh(v, changed, timing)

    @on(Failed)
    def handle_failed(self, msg: Failed) -> None:
        if msg.gen == self._gen:
            self._after_paint(self._failed_shown, msg)

    def _failed_shown(self, msg: Failed) -> None:
        self.busy = max(0, self.busy - 1)
        self.query_one(ChatLog).reply(msg.error, "error")

    @on(Fatal)
    def handle_fatal(self, msg: Fatal) -> None:
        if msg.gen != self._gen:
            return
        self.dead = msg.error
        waiting, self.busy = self.busy, 0
        chat = self.query_one(ChatLog)
        chat.reply(f"The session could not start: {msg.error}", "error")
        if waiting:
            chat.note(f"({waiting} typed command{'s' if waiting != 1 else ''} not run.)")
        chat.note("Press ctrl+n for a new session, or ctrl+q to quit.")
        self.query_one(ImagePanel).show(None, "no image: the session could not start")
        self.notice(f"The session could not start: {msg.error}", "error")

    def _refresh(self, v: View, changed: set | None, timing: str) -> None:
        s = v.state
        self.query_one(ImagePanel).show(
            v.image,
            f"step {v.step} · {s.domain} · "
            f"{'drawing (pix2pix)' if s.drawing else s.generator}{timing}",
        )
        self.query_one(StatePanel).show(s.domain, s.generator, s.attributes, changed, v.moves)
        self.query_one(HistoryList).show(list(v.history), v.step)

    # -- helpers for the palette -------------------------------------------------------
    def generator_names(self) -> list[str]:
        from generators import registry

        domain = self.view.state.domain if self.view else self.spec.domain
        return registry.available(domain)

    def saved_sessions(self) -> list[Path]:
        from sessions.paths import sessions_dir

        d = sessions_dir()
        try:
            return sorted(d.glob("*.jsonl"), key=lambda p: p.stat().st_mtime) if d.is_dir() else []
        except OSError:
            return []

    def on_unmount(self) -> None:
        self._queue.put(None)  # the worker closes its manager (the log) and ends


def _build(spec: SessionSpec):
    """The session's manager (on the worker thread), its first reply (None when
    resumed) and notices for the person.  A generator that cannot be loaded
    falls back to the studio renderer, said in a notice."""
    from dialogue.manager import DialogueManager
    from generators import registry

    notices: list[str] = []
    if spec.resume:
        m = DialogueManager.resume(spec.resume)
        if m.image is None and m.state.generator != "studio":
            old = m.state.generator
            m.replay_turn("use the studio", [{"op": "switch_generator", "name": "studio"}])
            notices.append(
                f"The {old} generator could not render this session, so it is "
                f"shown with the studio renderer (step {m.step}); type "
                f"'use the {old}' to try again."
            )
        return m, None, notices
    gen = spec.generator or registry.default_generator(spec.domain)
    if gen != "studio":
        try:
            registry.get_generator(gen, spec.domain)  # load the weights now, not mid-turn
        except Exception as e:  # noqa: BLE001 - any load failure: fall back, say why
            notices.append(
                f"The {gen} generator could not be loaded: {describe(e)} "
                f"Showing the studio renderer instead."
            )
            gen = "studio"
    m = DialogueManager(
        spec.domain, spec.seed, gen, session_name=spec.session_name, log=spec.replay is None
    )
    if spec.replay:  # drawn turns' sketches, beside the log
        m.drawings.read_dirs.append(Path(spec.replay).parent)
    first = m.start()
    return m, first, notices


WARM_STARTED = threading.Event()  # set when the background load has begun
WARM_DONE = threading.Event()  # set when the background load has ended
_WARM_LOCK = threading.Lock()
WARM_TIMES: dict[str, float] = {}  # perf_counter() at "start", "reader", "done"


def _settle() -> None:
    """Move what is loaded so far (torch, the models, the app) out of the
    garbage collector's sight: a full collection over it took 200-240 ms, the
    slowest keypress-to-pixels turns; what a turn allocates is still collected."""
    import gc

    gc.freeze()


def one_thread() -> None:
    """Torch on one thread in the app: its renders and checks are small, and
    with two threads each op waits on the other, which under load (other
    processes, the background model load) made keypress-to-pixels p95 ~600 ms
    instead of ~100 ms.  The environment is read when torch loads (every thread
    then starts with one); ``OMP_NUM_THREADS`` set by the person wins."""
    import sys

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    # torch already loaded (tests, the benchmark): tell it too.  Not while another
    # thread is still importing it (the warm-up): that import reads the environment
    set_threads = getattr(sys.modules.get("torch"), "set_num_threads", None)
    if set_threads is not None and os.environ["OMP_NUM_THREADS"] == "1":
        try:
            set_threads(1)
        except Exception:  # noqa: BLE001 - a half-initialised module: the environment holds
            pass


_WARM_STOP = threading.Event()  # the process is ending: load no more


def start_fallback_warmup(domains: tuple[str, ...]) -> None:
    """Load, in one daemon thread started now, what reads the lines the grammar
    does not: the request reader (the model most such lines reach) first, then
    the sentence-embedding model and the exemplar bank, so the first such line
    waits only for what is left of the load; one thread, so the two loads do
    not fight each other (and the session's own start) for the interpreter.
    Once per process; failures are left for the parser to report when the
    model is needed."""
    with _WARM_LOCK:
        if WARM_STARTED.is_set():
            return
        WARM_STARTED.set()
    import atexit

    one_thread()

    def warm() -> None:
        try:
            from dialogue import reader

            reader.available()
        except Exception:  # noqa: BLE001
            pass
        WARM_TIMES["reader"] = time.perf_counter()
        try:
            if not _WARM_STOP.is_set():
                from dialogue import fallback

                fallback.warm_up(domains)
        except Exception:  # noqa: BLE001
            pass
        finally:
            WARM_TIMES["done"] = time.perf_counter()
            WARM_DONE.set()
            _settle()

    WARM_TIMES["start"] = time.perf_counter()
    thread = threading.Thread(target=warm, name="holochat-fallback-warmup", daemon=True)
    thread.start()

    def finish() -> None:
        # a daemon thread stopped inside torch at exit aborts the process
        # ("terminate called without an active exception"): let the load end
        _WARM_STOP.set()
        thread.join(timeout=20)

    atexit.register(finish)


def run_app(spec: SessionSpec) -> int:
    app = HoloApp(spec)
    app.run()
    return app.return_code or 0


def run_replay_ui(path: str | os.PathLike) -> int:
    """Play a saved session back in the app; an unreadable log raises
    ``LogError`` before the app opens."""
    import sys

    from sessions.log import load_log

    first = load_log(path).records[0]
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print(
            "holochat replay: the app needs a terminal; 'holochat replay SESSION' without "
            "--ui replays headless",
            file=sys.stderr,
        )
        return 2
    st = first.get("state", {}) if isinstance(first.get("state"), dict) else {}
    spec = SessionSpec(
        domain=st.get("domain", "faces"),
        seed=first.get("start_seed"),
        generator=st.get("generator"),
        replay=path,
    )
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


def keypress_lines() -> tuple[str, ...]:
    """The bench's 10-line grammar script, then undo / redo and one more edit."""
    from holochat.bench import SCRIPT

    return (*SCRIPT, "undo", "undo", "redo", "frown")


FALLBACK_LINE = "I would like a gloomier look"  # read by the request reader
LOADING_LINE = "add a beard"  # a grammar line typed during the load


async def _measure_latency(rounds: int, generator: str | None) -> dict:
    """In one fresh app: a grammar line typed as soon as the first image
    shows (keypress → its image painted, while the models still load in the
    background), then the first line the grammar does not read, then
    keypress (enter) → the new image painted, for each line.  Also when the
    background load ended, from the app's start."""
    t0 = time.perf_counter()
    start_fallback_warmup(("faces",))  # as `holochat` does, before the app is built
    app = HoloApp(SessionSpec(seed=0, generator=generator, session_name=None, warm_fallback=True))
    out: dict = {"keypress_to_pixels_ms": [], "fallback_first_ms": None}
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(ImagePanel)
        while panel.painted == 0 and time.perf_counter() - t0 < 120:
            await asyncio.sleep(0.005)
        out["ready_s"] = time.perf_counter() - t0
        inp = app.query_one(CommandInput)

        async def turn(text: str) -> float:
            before_busy = app.busy
            inp.value = text
            start = time.perf_counter()
            await pilot.press("enter")
            while app.busy > before_busy - 0 and time.perf_counter() - start < 120:
                await asyncio.sleep(0.01)
            return start

        # a grammar line straight after start-up, the models loading meanwhile
        out["loading_when_typed"] = not WARM_DONE.is_set()
        painted = panel.painted
        start = await turn(LOADING_LINE)
        while panel.painted == painted and time.perf_counter() - start < 5:
            await asyncio.sleep(0.005)
        if panel.painted != painted and panel.painted_at is not None:
            out["during_load_ms"] = (panel.painted_at - start) * 1000
        # the first line the grammar does not read, straight after that
        out["fallback_typed_s"] = time.perf_counter() - t0
        start = await turn(FALLBACK_LINE)
        out["fallback_first_ms"] = (time.perf_counter() - start) * 1000
        while not WARM_DONE.is_set() and time.perf_counter() - t0 < 120:
            await asyncio.sleep(0.02)
        if "done" in WARM_TIMES:
            out["background_load_s"] = WARM_TIMES["done"] - t0
        for _ in range(rounds):
            for text in keypress_lines():
                painted = panel.painted
                start = await turn(text)
                t = time.perf_counter()
                while panel.painted == painted and time.perf_counter() - t < 2:
                    await asyncio.sleep(0.01)
                if panel.painted != painted and panel.painted_at is not None:
                    out["keypress_to_pixels_ms"].append((panel.painted_at - start) * 1000)
        widget = app.query_one("#image")
        out["convert_ms"] = list(getattr(widget, "convert_ms", []))
        out["generator"] = app.view.state.generator if app.view else None
    return out


def measure_latency(rounds: int = 3, generator: str | None = None) -> dict:
    """Keypress-to-new-pixels samples (ms) and the first fallback line's
    latency (ms) in a headless app (for ``holochat bench``; call it in a
    fresh process so the embedding model is not loaded yet)."""
    import asyncio

    return asyncio.run(_measure_latency(rounds, generator))
