"""The dialogue manager: one turn = parse → apply → render → log → reply.

``DialogueManager.turn(text)`` never raises on user input: whatever is typed
gets a reply, and the state changes only when an op was read.  Every turn is
appended to the session log before ``turn`` returns.
"""

from __future__ import annotations

import os
import re
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
from sessions.export import (export_gif, export_png, export_sheet, image_sha256,
                             write_bytes_atomic)
from sessions.log import LogError, LogWriteError, SessionLog, load_log, now_iso
from sessions.replay import render_state
from sessions.session import Session, TurnOutcome
from sessions.state import ImageState

MAX_INPUT = 2000   # characters of a typed line that are kept in the log
HISTORY_SHOWN = 12  # steps listed in the reply to "history" (the app shows them all)


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
    verified: dict | None = None  # per-turn verification (dialogue/verify.py), faces only

    def record(self) -> dict[str, Any]:
        """Exactly the per-turn record of ``holochat run --jsonl`` (DESIGN.md)."""
        rec = {"turn": self.turn, "input": self.input, "ops": self.ops, "reply": self.reply,
               "changed": self.changed, "state": self.state.to_json(),
               "image": self.image_path, "image_sha256": self.image_sha256,
               "ms": self.rounded_ms()}
        if self.verified is not None:
            rec["verified"] = self.verified
        return rec

    def rounded_ms(self) -> dict[str, float]:
        return {"parse": round(self.ms.get("parse", 0.0), 3),
                "render": round(self.ms.get("render", 0.0), 3)}


@dataclass
class HistoryEntry:
    step: int
    input: str
    reply: str
    current: bool               # the step the session stands on now
    changed: bool = False       # this turn changed the image


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
        self.warnings: list[str] = []               # for the caller to show (stderr, a toast)
        self.write_errors = 0                       # turn images that could not be written
        self._save_as: Path | None = None           # "save as NAME": copy the log after this turn
        self.verify = True                          # read each turn back (dialogue/verify.py)
        self.session_name = session_name or paths.new_session_name()
        self.log: SessionLog | None = None
        self.log_path: Path | None = None
        if log:
            if log_path is None:
                base = Path(log_dir) if log_dir is not None else paths.sessions_dir()
                log_path = base / f"{self.session_name}.jsonl"
            self._open_log(Path(log_path), fresh=True)

    def _open_log(self, path: Path, fresh: bool = False) -> None:
        try:
            self.log = SessionLog(path, fresh=fresh)
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
        return [HistoryEntry(e.step, e.input, e.reply, e.step == cur, e.changed)
                for e in self.entries]

    def vocabulary(self) -> list[str]:
        """Phrases for input completion, from the schema and the meta commands."""
        from dialogue.exemplars import bank
        domain = self.state.domain
        phrases = {e.command for e in bank(domain)}
        phrases.update(replies.help_text(domain, dict(self.state.attributes))[1])
        return sorted(p for p in phrases if p and len(p) <= 60)

    # -- rendering ------------------------------------------------------
    def render(self, state: ImageState) -> np.ndarray:
        return render_state(state)

    def _render_step(self, step: int) -> tuple[np.ndarray | None, str | None, float]:
        """Render the current state as ``step``'s image; a failure comes back
        as a message (a broken model must not take the session down)."""
        t = time.perf_counter()
        try:
            img = self.render(self.state)
        except GeneratorError as e:
            return None, str(e), (time.perf_counter() - t) * 1000
        except Exception as e:  # noqa: BLE001 - a model bug, reported in the reply
            return None, f"the {self.state.generator} generator failed ({type(e).__name__}: {e})", \
                (time.perf_counter() - t) * 1000
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
        try:
            parsed = self.parser(text, ctx)
        except Exception as e:  # noqa: BLE001 - any input gets a reply, never a crash
            parsed = ParseResult((), "unknown",
                                 message=f"I couldn't read that (parser error: {type(e).__name__})")
        parse_ms = (time.perf_counter() - t0) * 1000
        return self._play(shown, parsed, parse_ms)

    def replay_turn(self, text: str, ops: list[dict]) -> TurnResult:
        """Play a logged turn: its ops as logged, never re-parsed (replay --ui)."""
        played = tuple(op for op in map(O.op_from_json, ops) if op.tag not in ("export", "save"))
        parsed = ParseResult(played, "replay")       # no files are written again
        return self._play(text[:MAX_INPUT], parsed, 0.0)

    def _dcgan_mode(self, parsed: ParseResult) -> tuple[ParseResult, list[str]]:
        """dcgan mode (dialogue/latent.py): a parsed turn's schema edits become
        latent moves and "repair …" a SetLatent; replayed turns are left as logged."""
        if parsed.source == "replay" or not parsed.ops:
            return parsed, []
        from dataclasses import replace

        from dialogue import latent
        from sessions.session import derived_seed
        try:
            res = latent.resolve(list(parsed.ops), self.state, render=self.render,
                                 completion_seed=derived_seed(self.seed, self.step + 1, 7))
        except Exception as e:  # noqa: BLE001 - a model bug must not take the session down
            why = (f"I couldn't do that with the {self.state.generator} generator "
                   f"({type(e).__name__}: {e}), so nothing changed.")
            return replace(parsed, ops=()), [why]
        notes = list(res.notes)
        if any(isinstance(o, O.SwitchGenerator) for o in res.ops):
            after = self.state
            for o in res.ops:
                if isinstance(o, O.SwitchGenerator):
                    after = after.evolve(generator=o.name)
            note = latent.ignored_note(after)
            if note and after.generator in registry.available(after.domain):
                notes.append(note)
        return replace(parsed, ops=tuple(res.ops)), notes

    def _play(self, text: str, parsed: ParseResult, parse_ms: float) -> TurnResult:
        before = self.state
        kind = "edit"
        suggestions: list[str] = []
        self.pending = parsed.clarification if parsed.source == "clarify" else None
        had_ops = bool(parsed.ops)
        parsed, notes = self._dcgan_mode(parsed)
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
        if notes:
            if had_ops and not parsed.ops:          # every edit lacked a direction
                reply, kind = " ".join(notes), "edit"
            else:
                reply = (reply + " " + " ".join(notes)) if reply != "Nothing changed." \
                    else " ".join(notes)
        step = outcome.step
        ops = [o.to_json() for o in outcome.ops]
        changed = outcome.changed
        record: dict[str, Any] = {}
        render_ms = 0.0
        img = None if changed else self.images.get(step - 1)
        if img is not None:
            self.images[step] = img
        else:
            img, err, render_ms = self._render_step(step)
            if err and changed:
                # the new state cannot be shown: take the turn back, keep the step
                step = self.session.revert_turn()
                img = self.images.get(step - 1)
                if img is not None:
                    self.images[step] = img
                record["rejected_ops"], ops, changed = ops, [], False
                reply, kind = f"I couldn't render that, so nothing changed: {err}", "error"
            elif err:
                reply, kind = reply + f" I couldn't render the image: {err}", "error"
        # --- per-turn verification (dialogue/verify.py) ---
        verify_ms = {}
        if self.verify and changed and img is not None and kind != "error":
            from dialogue.verify import verify_turn
            check = verify_turn(before, self.state, img)
            if check is not None:
                record["verified"] = check.record()
                verify_ms = {"verify": check.ms}
                if check.note:
                    reply = f"{reply} {check.note}"
        # --- end of per-turn verification ---
        history = self.session.history
        record.update(node=history.cursor, parent=history.current.parent)
        return self._finish(step, text, ops, reply, changed, img,
                            {"parse": parse_ms, "render": render_ms, **verify_ms}, kind,
                            suggestions=suggestions, source=parsed.source, extra_record=record)

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
                self.write_errors += 1
                self.warnings.append(f"cannot write turn-{step:03d}.png to {self.out_dir}: "
                                     f"{e.strerror or e}")
        res = TurnResult(step, text, ops, reply, changed, self.state, img, sha, path, ms, kind,
                         suggestions or [], source, (extra_record or {}).get("verified"))
        self.entries.append(HistoryEntry(step, text, reply, True, changed))
        if self.log is not None:
            rec = {"turn": step, "time": now_iso(), "input": text, "ops": ops, "reply": reply,
                   "changed": changed, "state": self.state.to_json(), "image_sha256": sha,
                   "ms": res.rounded_ms(), **(extra_record or {})}
            try:
                self.log.append(rec)
            except LogWriteError as e:
                self.warnings.append(str(e))
                res.reply += f" (Warning: {e}; this turn is not saved.)"
        if self._save_as is not None and self.log is not None:
            target, self._save_as = self._save_as, None
            try:
                write_bytes_atomic(target, self.log.path.read_bytes())
            except OSError as e:
                self.warnings.append(f"cannot save a copy to {target}: {e.strerror or e}")
                res.reply += f" (Warning: the copy {target} could not be written.)"
        return res

    # -- meta ops that need the manager --------------------------------------
    def _meta_texts(self, outcome: TurnOutcome) -> dict[str, str]:
        texts: dict[str, str] = {}
        for kind, op in outcome.meta:
            if kind == "save":
                texts["save"] = self._save(op.name)
            elif kind == "export":
                texts["export"] = self._export(op, outcome.step)
            elif kind == "help":
                texts["help"] = replies.help_text(self.state.domain, dict(self.state.attributes))[0]
            elif kind == "history":
                shown = self.entries[-(HISTORY_SHOWN - 1):]
                lines = [f"{e.step}: {e.input or '(start)'}" for e in shown]
                head = ("Steps so far" if len(shown) == len(self.entries)
                        else f"The last {len(shown) + 1} of {outcome.step + 1} steps")
                texts["history"] = f"{head} — " + "; ".join(lines) + f"; {outcome.step}: history."
        return texts

    def _save(self, name: str | None) -> str:
        """Every turn is saved as it happens; "save as NAME" also keeps a copy of
        the session so far (this turn included) under that name."""
        self._save_as = None
        if self.log_path is None:
            return "This session cannot be saved: " + "; ".join(self.warnings[-1:] or
                                                                 ["logging is off"])
        if not name:
            return f"Saved: every turn is already written to {self.log_path}."
        if not re.fullmatch(r"[A-Za-z0-9][\w.-]{0,63}", name):
            return (f"'{name[:40]}' can't be a session name: use letters, digits, '-', '_' "
                    "or '.'.")
        target = self.log_path.with_name(f"{name}.jsonl")
        if target.exists():
            return f"There is already a session called '{name}'; pick another name."
        self._save_as = target
        return f"Saved a copy of this session as '{name}' ({target})."

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
        """The image of step 0 and of every step that changed it, each with its
        command (rendered again where this process has not kept it); the state
        of a turn still in progress comes last as "now"."""
        h = self.session.history
        steps = [(e.step, e.input or "start") for e in self.entries
                 if (e.step == 0 or e.changed) and e.step <= h.last_step]
        if h.last_step not in (e.step for e in self.entries) and \
                (not steps or h.state_at(steps[-1][0]) != self.state):
            steps.append((h.last_step, "now"))
        frames, labels = [], []
        for step, label in steps:
            img = self.images.get(step)
            frames.append(img if img is not None else self.render(h.state_at(step)))
            labels.append(f"{step}: {label}")
        return frames, labels

    # -- resume ------------------------------------------------------------
    @classmethod
    def resume(cls, name_or_path: str | os.PathLike, *, log_dir: str | os.PathLike | None = None,
               parser: Callable[[str, ParseContext], ParseResult] | None = None,
               out_dir: str | os.PathLike | None = None) -> "DialogueManager":
        """Continue a saved session: re-apply its logged ops and append to its log.

        ``name_or_path`` is a log file, or a session name in ``log_dir``
        (default: the data dir's sessions).  A log that is damaged in the
        middle is resumed from the turns before the damage, into a new file
        ``<name>-recovered.jsonl``; the damaged file is left as it is.  Raises
        ``LogError`` when not even the start record can be read."""
        path = paths.resolve_session(name_or_path, log_dir)
        warnings: list[str] = []
        try:
            loaded = load_log(path)
            records, recovered = loaded.records, False
            warnings += loaded.warnings
        except LogError as e:
            if not e.records:
                raise
            records, recovered = e.records, True
            warnings.append(str(e))
        try:
            start = ImageState.from_json(records[0]["state"])
        except (KeyError, TypeError, ValueError) as e:
            raise LogError(f"{path}: the first record is not a session start ({e})") from None
        m = cls(start.domain, records[0].get("start_seed", start.seed), log=False,
                parser=parser, out_dir=out_dir, session_name=path.stem, _start=start)
        m.entries.append(HistoryEntry(0, "", records[0].get("reply", ""), True))
        for i, rec in enumerate(records[1:], start=1):
            try:
                ops = [O.op_from_json(o) for o in rec.get("ops", [])]
            except O.OpError as e:
                warnings.append(f"{path}: turn {rec.get('turn', i)} has an unreadable op ({e}); "
                                f"resumed from the {i} records before it")
                records, recovered = records[:i], True
                break
            outcome = m.session.play(ops)
            m.entries.append(HistoryEntry(outcome.step, str(rec.get("input", "")),
                                          str(rec.get("reply", "")), True, outcome.changed))
            if len(warnings) < 5 and rec.get("state") is not None \
                    and rec["state"] != outcome.state.to_json():
                warnings.append(f"{path}: turn {outcome.step} re-applies to a different state "
                                "than the one logged (written by another holochat version?)")
        if recovered:
            target = _fresh_path(path.with_name(path.stem + "-recovered.jsonl"))
            m.session_name = target.stem
            m._open_log(target, fresh=True)
            if m.log is not None:
                for rec in records:
                    m.log.append({k: v for k, v in rec.items() if k != "v"})
        else:
            m._open_log(path)
        m.warnings = warnings + m.warnings
        _, err, _ = m._render_step(m.step)
        if err:
            m.warnings.append(err)
        return m

    def close(self) -> None:
        if self.log is not None:
            self.log.close()


def _fresh_path(path: Path) -> Path:
    """``path``, or ``<stem>-2``, ``-3``, … if it exists (never append to a
    file that holds another session)."""
    k = 1
    candidate = path
    while candidate.exists():
        k += 1
        candidate = path.with_name(f"{path.stem}-{k}{path.suffix}")
    return candidate
