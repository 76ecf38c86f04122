"""The dialogue manager: one turn = parse → apply → render → log → reply.

``DialogueManager.turn(text)`` never raises on user input: whatever is typed
gets a reply, and the state changes only when an op was read.  Every turn is
appended to the session log before ``turn`` returns.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from dialogue import replies
from dialogue.types import Clarification, ParseContext, ParseResult
from generators import registry
from generators.errors import GeneratorError
from generators.schema import get_schema
from sessions import ops as O
from sessions import paths
from sessions.export import export_gif, export_png, export_sheet, image_sha256
from sessions.log import LogError, LogWriteError, SessionLog, load_log, now_iso
from sessions.session import Session, TurnOutcome
from sessions.state import ImageState

MAX_INPUT = 2000   # characters of a typed line that are kept in the log


@dataclass
class TurnResult:
    turn: int
    input: str
    ops: list[dict]
    reply: str
    changed: bool
    state: ImageState
    image: np.ndarray | None
    image_sha256: str | None
    image_path: str | None = None
    ms: dict[str, float] = field(default_factory=dict)
    kind: str = "edit"            # edit | meta | clarify | unknown | help | error | start
    suggestions: list[str] = field(default_factory=list)
    source: str = ""              # the parser's source

    def record(self) -> dict[str, Any]:
        """Exactly the per-turn record of ``holochat run --jsonl`` (DESIGN.md)."""
        return {"turn": self.turn, "input": self.input, "ops": self.ops, "reply": self.reply,
                "changed": self.changed, "state": self.state.to_json(),
                "image": self.image_path, "image_sha256": self.image_sha256,
                "ms": {"parse": round(self.ms.get("parse", 0.0), 3),
                       "render": round(self.ms.get("render", 0.0), 3)}}


@dataclass
class HistoryEntry:
    step: int
    input: str
    reply: str
    current: bool


def _default_parser(text: str, context: ParseContext) -> ParseResult:
    from dialogue.parser import parse
    return parse(text, context)


class DialogueManager:
    def __init__(self, domain: str = "faces", seed: int | None = None,
                 generator: str | None = None, *, log: bool = True,
                 log_dir: str | os.PathLike | None = None, session_name: str | None = None,
                 log_path: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None,
                 parser: Callable[[str, ParseContext], ParseResult] | None = None,
                 size: int = 64, _start: ImageState | None = None):
        get_schema(domain)
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little") % (2**31)
        self.seed = int(seed) % (2**31)
        if _start is None:
            gen = generator or registry.default_generator(domain)
            if gen not in registry.names(domain):
                raise GeneratorError(f"unknown generator {gen!r} for {domain}; "
                                     f"available: {', '.join(registry.available(domain))}")
            _start = ImageState.new(domain, self.seed, gen, size=size)
        self.session = Session(_start, self.seed)
        self.parser = parser or _default_parser
        self.pending: Clarification | None = None
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.entries: list[HistoryEntry] = []
        self.image: np.ndarray | None = None
        self.images: dict[int, np.ndarray] = {}     # step -> image (this process only)
        self.warnings: list[str] = []
        self.session_name = session_name or paths.new_session_name()
        self.log: SessionLog | None = None
        self.log_path: Path | None = None
        if log:
            if log_path is None:
                base = Path(log_dir) if log_dir is not None else paths.sessions_dir()
                log_path = base / f"{self.session_name}.jsonl"
            self._open_log(Path(log_path))

    def _open_log(self, path: Path) -> None:
        try:
            self.log = SessionLog(path)
            self.log_path = path
        except LogWriteError as e:
            self.warnings.append(f"{e}; this session will not be saved")
            self.log, self.log_path = None, None

    # -- reading --------------------------------------------------------
    @property
    def state(self) -> ImageState:
        return self.session.state

    @property
    def step(self) -> int:
        return self.session.step

    def history(self) -> list[HistoryEntry]:
        cur = self.step
        return [HistoryEntry(e.step, e.input, e.reply, e.step == cur) for e in self.entries]

    def vocabulary(self) -> list[str]:
        """Phrases for input completion, from the schema and the meta commands."""
        from dialogue import lexicon
        words = getattr(lexicon, "completions", None)
        if callable(words):
            return list(words(self.state.domain))
        return replies.help_text(self.state.domain, dict(self.state.attributes))[1]

    # -- rendering ------------------------------------------------------
    def render(self, state: ImageState) -> np.ndarray:
        gen = registry.get_generator(state.generator, state.domain)
        img = gen.render(state)
        return np.ascontiguousarray(img, dtype=np.uint8)

    def _render_step(self, step: int) -> tuple[np.ndarray | None, str | None, float]:
        t = time.perf_counter()
        try:
            img = self.render(self.state)
        except GeneratorError as e:
            return None, str(e), (time.perf_counter() - t) * 1000
        self.image = img
        self.images[step] = img
        return img, None, (time.perf_counter() - t) * 1000

    # -- the turn loop ----------------------------------------------------
    def start(self) -> TurnResult:
        """Render step 0 and log it as turn 0 (the session's start record)."""
        img, err, render_ms = self._render_step(0)
        reply = (f"Here is your starting {get_schema(self.state.domain).subject}. "
                 "Tell me what to change, or type 'help'.")
        if err:
            reply = f"I couldn't render the image: {err}"
        res = self._finish(0, "", [], reply, False, img, {"parse": 0.0, "render": render_ms},
                           "start", extra_record={"start_seed": self.seed, "node": 0, "parent": None})
        return res

    def turn(self, text: str) -> TurnResult:
        text = text if isinstance(text, str) else str(text)
        shown = text[:MAX_INPUT]
        t0 = time.perf_counter()
        ctx = ParseContext(domain=self.state.domain, attributes=dict(self.state.attributes),
                           generator=self.state.generator, pending=self.pending)
        parsed = self.parser(text, ctx)
        parse_ms = (time.perf_counter() - t0) * 1000
        return self._play(shown, parsed, parse_ms)

    def _play(self, text: str, parsed: ParseResult, parse_ms: float) -> TurnResult:
        before = self.state
        kind = "edit"
        suggestions: list[str] = []
        self.pending = parsed.clarification if parsed.source == "clarify" else None
        outcome = self.session.play(list(parsed.ops))
        extra = self._meta_texts(outcome)
        if parsed.source == "clarify" and parsed.clarification is not None:
            kind = "clarify"
            reply = parsed.clarification.question
            suggestions = [label for label, _ in parsed.clarification.options]
        elif not parsed.ops:
            kind = "unknown" if parsed.source != "empty" else "empty"
            hint = parsed.message or "I didn't understand that"
            reply = (f"{hint[0].upper() + hint[1:]}. Nothing changed." if parsed.source != "empty"
                     else "Type a command, or 'help' to see what I can do.")
            if parsed.source != "empty" and "help" not in reply:
                reply += " Type 'help' for ideas."
        else:
            reply = replies.reply_for(self.state.domain if before.domain == self.state.domain
                                      else before.domain, outcome, extra)
            if any(k == "help" for k, _ in outcome.meta):
                kind = "help"
                suggestions = replies.help_text(self.state.domain, dict(self.state.attributes))[1]
            elif not any(o.edits for o in outcome.ops):
                kind = "meta"
            if parsed.source == "fallback" and parsed.matched:
                reply = f"(Read as '{parsed.matched}'.) " + reply
        step = outcome.step
        render_ms = 0.0
        img = self.images.get(step - 1) if not outcome.changed else None
        if img is None or outcome.changed:
            img, err, render_ms = self._render_step(step)
            if err:
                reply += f" I couldn't render the image: {err}"
                kind = "error"
        else:
            self.images[step] = img
        node = self.session.history.cursor
        parent = self.session.history.current.parent
        return self._finish(step, text, [o.to_json() for o in outcome.ops], reply,
                            outcome.changed, img, {"parse": parse_ms, "render": render_ms},
                            kind, suggestions=suggestions, source=parsed.source,
                            extra_record={"node": node, "parent": parent})

    def _finish(self, step: int, text: str, ops: list[dict], reply: str, changed: bool,
                img: np.ndarray | None, ms: dict[str, float], kind: str, *,
                suggestions: list[str] | None = None, source: str = "",
                extra_record: dict | None = None) -> TurnResult:
        sha = image_sha256(img) if img is not None else None
        path = None
        if self.out_dir is not None and img is not None:
            try:
                path = str(export_png(img, self.out_dir / f"turn-{step:03d}.png"))
            except OSError as e:
                self.warnings.append(f"cannot write {self.out_dir}: {e}")
        res = TurnResult(step, text, ops, reply, changed, self.state, img, sha, path, ms, kind,
                         suggestions or [], source)
        self.entries.append(HistoryEntry(step, text, reply, True))
        if self.log is not None:
            rec = {"turn": step, "time": now_iso(), "input": text, "ops": ops, "reply": reply,
                   "changed": changed, "state": self.state.to_json(), "image_sha256": sha,
                   "ms": res.record()["ms"], **(extra_record or {})}
            try:
                self.log.append(rec)
            except LogWriteError as e:
                self.warnings.append(str(e))
                res.reply += f" (Warning: {e}; this turn is not saved.)"
        return res

    # -- meta ops that need the manager --------------------------------------
    def _meta_texts(self, outcome: TurnOutcome) -> dict[str, str]:
        texts: dict[str, str] = {}
        for kind, op in outcome.meta:
            if kind == "save":
                texts["save"] = (f"Saved: every turn is already written to {self.log_path}."
                                 if self.log_path else "This session cannot be saved: "
                                 + "; ".join(self.warnings[-1:]))
            elif kind == "export":
                texts["export"] = self._export(op, outcome.step)
            elif kind == "help":
                texts["help"] = replies.help_text(self.state.domain, dict(self.state.attributes))[0]
            elif kind == "history":
                lines = [f"{e.step}: {e.input or '(start)'}" for e in self.entries[-12:]]
                texts["history"] = "Steps so far — " + "; ".join(lines) + f"; {outcome.step}: history."
        return texts

    def _export(self, op: O.Export, step: int) -> str:
        what = op.what if op.what in ("png", "gif", "sheet") else "png"
        suffix = {"png": ".png", "gif": ".gif", "sheet": "-sheet.png"}[what]
        default = paths.exports_dir() / f"{self.session_name}-step-{step:03d}{suffix}"
        path = Path(op.path) if op.path else default
        try:
            if what == "png":
                img = self.render(self.state)
                export_png(img, path, scale=max(1, min(int(op.scale or 4), 16)))
            else:
                frames, labels = self.history_frames()
                if what == "gif":
                    export_gif(frames, path)
                else:
                    export_sheet(frames, labels, path)
        except (OSError, ValueError, GeneratorError) as e:
            return f"Couldn't export to {path}: {e}."
        return f"Exported {'the image' if what == 'png' else 'the history as a ' + what} to {path}."

    def history_frames(self) -> tuple[list[np.ndarray], list[str]]:
        """Every step's image (rendered again where not cached) with its command."""
        frames, labels = [], []
        h = self.session.history
        for e in self.entries:
            if e.step > h.last_step:
                continue
            img = self.images.get(e.step)
            if img is None:
                img = self.render(h.state_at(e.step))
            frames.append(img)
            labels.append(f"{e.step}: {e.input or 'start'}")
        cur = h.last_step
        if not self.entries or self.entries[-1].step < cur:
            frames.append(self.render(self.state))
            labels.append(f"{cur}: now")
        return frames, labels

    # -- resume ------------------------------------------------------------
    @classmethod
    def resume(cls, name_or_path: str | os.PathLike, *, parser=None,
               out_dir=None) -> "DialogueManager":
        """Continue a saved session: re-apply its logged ops and append to its log.

        A log with a corrupt middle line is resumed from the turns before it,
        into a new file (the damaged file is left as it is)."""
        path = paths.resolve_session(name_or_path)
        warnings: list[str] = []
        try:
            loaded = load_log(path)
            records = loaded.records
            warnings += loaded.warnings
            recovered = False
        except LogError as e:
            if not e.records:
                raise
            records, recovered = e.records, True
            warnings.append(str(e))
        first = records[0]
        start = ImageState.from_json(first["state"])
        seed = first.get("start_seed", start.seed)
        name = path.stem + ("-recovered" if recovered else "")
        target = path.with_name(name + ".jsonl") if recovered else path
        m = cls(start.domain, seed, log=False, parser=parser, out_dir=out_dir,
                session_name=name, _start=start)
        m.entries.append(HistoryEntry(0, "", first.get("reply", ""), True))
        for rec in records[1:]:
            ops = [O.op_from_json(o) for o in rec.get("ops", [])]
            outcome = m.session.play(ops)
            if outcome.step != rec.get("turn", outcome.step):
                warnings.append(f"{path}: turn numbers jump at turn {rec.get('turn')}")
            m.entries.append(HistoryEntry(outcome.step, rec.get("input", ""), rec.get("reply", ""), True))
        if recovered:
            m._open_log(target)
            if m.log is not None:
                for rec in records:
                    m.log.append({k: v for k, v in rec.items() if k != "v"})
        else:
            m._open_log(target)
        m.warnings = warnings + m.warnings
        img, err, _ = m._render_step(m.step)
        if err:
            m.warnings.append(err)
        return m

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
