"""The dialogue manager: one turn = parse → resolve → apply → render → describe.

``DialogueManager.turn(text)`` never raises on user input: whatever is typed
gets a reply, and the state changes only when an op was read.  Every turn is
appended to the session log before ``turn`` returns.

The turn is a pipeline of small steps, each found in one place:

- ``read``: the line against the dialogue context (``dialogue.resolve``:
  ellipsis, anaphora, corrections, questions, conversation, requests outside
  the vocabulary), else the parser (``dialogue.parser``) → ``Reading``;
- ``_play``: apply the reading's ops to the session, render, and
  ``_describe`` the outcome (the reply from its parts);
- ``_finish``: log and save (apart from the turn itself).

Turns that change nothing (questions, help, clarifications, refusals) are
logged, but they are not image steps: "go back to step N", the history list
and ``TurnResult.step`` count image steps only; ``TurnResult.turn`` counts
every line.  The context (``dialogue.context``) is written into every log
record, so a resumed session continues the conversation.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dialogue import context as C, latent, replies
from dialogue.resolve import Facts, Resolution, resolve
from dialogue.types import Clarification, ParseContext, ParseResult
from generators import registry
from generators.errors import GeneratorError, describe
from generators.schema import get_schema
from sessions import ops as O, paths
from sessions.export import export_gif, export_png, export_sheet, image_sha256, write_bytes_atomic
from sessions.log import LogError, LogWriteError, SessionLog, load_log, now_iso
from sessions.replay import render_state
from sessions.session import Session, TurnOutcome
from sessions.state import ImageState

MAX_INPUT = 2000  # characters of a typed line that are kept in the log
HISTORY_SHOWN = 12  # steps listed in the reply to "history" (the app shows them all)


@dataclass(frozen=True)
class Reading:
    """What a line means: the parser's result, and how the context resolved it."""

    parsed: ParseResult
    resolution: Resolution | None = None


@dataclass
class Applied:
    """The apply stage: the reading as played and what the session did."""

    parsed: ParseResult
    outcome: TurnOutcome
    notes: list[str]  # the generator's remarks (dcgan mode)
    had_ops: bool  # the reading had ops before dcgan mode
    step_before: int
    domain_before: str
    meta_texts: dict[str, str]  # save / export / help / history texts


@dataclass
class Shown:
    """The render stage: the image of the turn, its step and logged ops."""

    image: np.ndarray | None
    step: int
    changed: bool
    ops: list[dict]
    render_ms: float
    error: str | None = None
    record: dict = field(default_factory=dict)  # extra log fields ("rejected_ops")


@dataclass
class TurnResult:
    turn: int  # lines typed so far (this one included)
    input: str
    ops: list[dict]
    reply: str
    changed: bool
    state: ImageState
    image: np.ndarray | None
    image_sha256: str | None
    image_path: str | None = None
    ms: dict[str, float] = field(default_factory=dict)
    kind: str = "edit"  # edit | meta | clarify | unknown | chat | help | error | start
    suggestions: list[str] = field(default_factory=list)
    source: str = ""  # the parser's source
    step: int = 0  # the image step shown after this turn
    resolved: str | None = None  # how a line that leans on the context was read
    verified: dict | None = None  # per-turn verification (dialogue/verify.py), faces only

    def record(self) -> dict[str, Any]:
        """Exactly the per-turn record of ``holochat run --jsonl`` (DESIGN.md)."""
        rec = {
            "turn": self.turn,
            "step": self.step,
            "input": self.input,
            "ops": self.ops,
            "reply": self.reply,
            "changed": self.changed,
            "state": self.state.to_json(),
            "image": self.image_path,
            "image_sha256": self.image_sha256,
            "ms": self.rounded_ms(),
        }
        if self.resolved:
            rec["resolved"] = self.resolved
        if self.verified is not None:
            rec["verified"] = self.verified
        return rec

    def rounded_ms(self) -> dict[str, float]:
        return {
            "parse": round(self.ms.get("parse", 0.0), 3),
            "render": round(self.ms.get("render", 0.0), 3),
        }


@dataclass
class HistoryEntry:
    step: int  # the image step after this turn
    input: str
    reply: str
    current: bool  # the step the session stands on now
    changed: bool = False  # this turn changed the image
    new_step: bool = True  # this turn made a new image step


def _default_parser(text: str, context: ParseContext) -> ParseResult:
    from dialogue.parser import parse

    return parse(text, context)


class DialogueManager:
    def __init__(
        self,
        domain: str = "faces",
        seed: int | None = None,
        generator: str | None = None,
        *,
        log: bool = True,
        log_dir: str | os.PathLike | None = None,
        session_name: str | None = None,
        log_path: str | os.PathLike | None = None,
        out_dir: str | os.PathLike | None = None,
        parser: Callable[[str, ParseContext], ParseResult] | None = None,
        size: int = 64,
        _start: ImageState | None = None,
    ):
        get_schema(domain)
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little") % (2**31)
        self.seed = int(seed) % (2**31)
        if _start is None:
            gen = generator or registry.default_generator(domain)
            if gen not in registry.names(domain):
                raise GeneratorError(
                    f"unknown generator {gen!r} for {domain}; "
                    f"available: {', '.join(registry.available(domain))}"
                )
            _start = ImageState.new(domain, self.seed, gen, size=size)
        self.session = Session(_start, self.seed)
        self.parser = parser or _default_parser
        self.pending: Clarification | None = None
        self.context = C.DialogueContext(domain=domain)
        self.turns = 0  # lines typed (every turn)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.entries: list[HistoryEntry] = []
        self.image: np.ndarray | None = None
        self.images: dict[int, np.ndarray] = {}  # step -> image (this process only)
        self.warnings: list[str] = []  # for the caller to show (stderr, a toast)
        self.write_errors = 0  # files (turn images, the log) not written
        self._save_as: Path | None = None  # "save as NAME": copy the log after this turn
        self.verify = True  # read each turn back (dialogue/verify.py)
        self.latent_options = latent.Options()  # dcgan mode (dialogue/latent.py)
        # called with (step, image) as soon as a turn's image is known, before the
        # turn is checked and logged (the app paints it while the rest of the turn runs)
        self.on_image: Callable[[int, np.ndarray], None] | None = None
        self.session_name = session_name or paths.new_session_name()
        from sessions.drawings import DrawingStore

        self.drawings = DrawingStore()  # drawn turns' sketches (sessions/drawings.py)
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
            self.drawings.write_dir = path.parent
        except LogWriteError as e:
            self.warnings.append(f"{e}; this session will not be saved")
            self.log, self.log_path = None, None
            self.write_errors += 1

    # -- reading --------------------------------------------------------
    @property
    def state(self) -> ImageState:
        return self.session.state

    @property
    def step(self) -> int:
        return self.session.step

    def history(self) -> list[HistoryEntry]:
        """One entry per image step: the turn that made it (turns that changed
        nothing are in the log, not in this list)."""
        cur = self.step
        return [
            HistoryEntry(e.step, e.input, e.reply, e.step == cur, e.changed)
            for e in self.entries
            if e.new_step
        ]

    def vocabulary(self) -> list[str]:
        """Phrases for input completion, from the schema and the meta commands."""
        from dialogue.exemplars import bank

        domain = self.state.domain
        phrases = {e.command for e in bank(domain)}
        phrases.update(replies.help_text(domain, dict(self.state.attributes))[1])
        return sorted(p for p in phrases if p and len(p) <= 60)

    # -- rendering ------------------------------------------------------
    def render(self, state: ImageState) -> np.ndarray:
        return render_state(state, self.drawings)

    def _render_step(self, step: int) -> tuple[np.ndarray | None, str | None, float]:
        """Render the current state as ``step``'s image; a failure comes back
        as a message (a broken model must not take the session down)."""
        t = time.perf_counter()
        try:
            img = self.render(self.state)
        except GeneratorError as e:
            return None, str(e), (time.perf_counter() - t) * 1000
        except Exception as e:  # noqa: BLE001 - a model bug, reported in the reply
            return (
                None,
                f"the {self.state.generator} generator failed ({describe(e)})",
                (time.perf_counter() - t) * 1000,
            )
        self.image = img
        self.images[step] = img
        return img, None, (time.perf_counter() - t) * 1000

    # -- the turn loop ----------------------------------------------------
    def start(self) -> TurnResult:
        """Render step 0 and log it as turn 0 (the session's start record)."""
        img, err, render_ms = self._render_step(0)
        reply = (
            f"Here is your starting {get_schema(self.state.domain).subject}. "
            "Tell me what to change, or type 'help'."
        )
        if err:
            reply = f"I couldn't render the image: {err}"
        res = self._finish(
            0,
            "",
            [],
            reply,
            False,
            img,
            {"parse": 0.0, "render": render_ms},
            "start",
            extra_record={"start_seed": self.seed, "node": 0, "parent": None},
        )
        return res

    def turn(self, text: str) -> TurnResult:
        from dialogue import drawn

        if isinstance(text, drawn.DrawnInput):  # the app's canvas
            return self.draw(text.sketch, text.text)
        text = text if isinstance(text, str) else str(text)
        shown = text[:MAX_INPUT]
        t0 = time.perf_counter()
        request = drawn.draw_request(text)
        if request is not None:
            return self._draw_request(shown, request, t0)
        reading = self.read(text)
        parse_ms = (time.perf_counter() - t0) * 1000
        return self._play(shown, reading.parsed, parse_ms, reading.resolution)

    # -- drawn turns (dialogue/drawn.py) ----------------------------------------------
    def draw(
        self, sketch: np.ndarray, text: str = "(drawing)", t0: float | None = None
    ) -> TurnResult:
        """A drawn turn: the 64×64 sketch is kept beside the log, its picture
        (pix2pix) is the new image, and what the judge reads in it goes into
        the state.  A sketch that cannot be used changes nothing."""
        from dialogue import drawn
        from generators.studio.sketch import DrawingError

        t0 = time.perf_counter() if t0 is None else t0
        try:
            op, problems = drawn.drawn_op(self.state, sketch, self.drawings)
        except (DrawingError, ValueError, GeneratorError) as e:
            parsed = ParseResult((), "unknown", message=f"I couldn't use that drawing: {e}")
            return self._play(text[:MAX_INPUT], parsed, (time.perf_counter() - t0) * 1000)
        except Exception as e:  # noqa: BLE001 - a model bug must not take the session down
            parsed = ParseResult(
                (), "unknown", message=f"I couldn't read that drawing ({describe(e)})"
            )
            return self._play(text[:MAX_INPUT], parsed, (time.perf_counter() - t0) * 1000)
        for p in problems:
            if p not in self.warnings:
                self.warnings.append(p)
        return self._play(
            text[:MAX_INPUT], ParseResult((op,), "drawn"), (time.perf_counter() - t0) * 1000
        )

    def _draw_request(self, text: str, request, t0: float) -> TurnResult:
        from dialogue import drawn
        from generators.studio.sketch import DrawingError

        if request.kind != "file":
            parsed = ParseResult((), "chat", message=drawn.CANVAS_ONLY)
            return self._play(text, parsed, (time.perf_counter() - t0) * 1000)
        try:
            sketch = drawn.sketch_from_file(request.path)
        except DrawingError as e:
            parsed = ParseResult((), "unknown", message=f"I couldn't use that drawing: {e}")
            return self._play(text, parsed, (time.perf_counter() - t0) * 1000)
        return self.draw(sketch, text, t0)

    # -- parse → resolve --------------------------------------------------------
    def facts(self) -> Facts:
        h = self.session.history
        return Facts(
            domain=self.state.domain,
            attributes=dict(self.state.attributes),
            step=self.step,
            turns=self.turns + 1,
            state_at=h.state_at,
        )

    def read(self, text: str) -> Reading:
        """The line against the context first, then the parser alone."""
        from dialogue import clarify

        answering = self.pending is not None and clarify.answer(text, self.pending) is not None
        res = None
        if not answering:
            try:
                res = resolve(text, self.context, self.facts())
            except Exception:  # noqa: BLE001 - a rule bug must not cost the turn
                res = None
        if res is not None:
            if res.ops:
                return Reading(ParseResult(tuple(res.ops), "resolved"), res)
            return Reading(ParseResult((), res.kind, message=res.reply), res)
        ctx = ParseContext(
            domain=self.state.domain,
            attributes=dict(self.state.attributes),
            generator=self.state.generator,
            pending=self.pending,
        )
        try:
            parsed = self.parser(text, ctx)
        except Exception:  # noqa: BLE001 - any input gets a reply, never a crash
            parsed = ParseResult(
                (), "unknown", message="I couldn't read that (an internal parser error)"
            )
        return Reading(parsed)

    def replay_turn(self, text: str, ops: list[dict]) -> TurnResult:
        """Play a logged turn: its ops as logged, never re-parsed (replay --ui)."""
        played = tuple(op for op in map(O.op_from_json, ops) if op.tag not in ("export", "save"))
        parsed = ParseResult(played, "replay")  # no files are written again
        return self._play(text[:MAX_INPUT], parsed, 0.0)

    def _dcgan_mode(self, parsed: ParseResult) -> tuple[ParseResult, list[str]]:
        """dcgan mode (dialogue/latent.py): a parsed turn's schema edits become
        latent moves and "repair …" a SetLatent; replayed turns are left as logged."""
        if parsed.source == "replay" or not parsed.ops:
            return parsed, []
        from dataclasses import replace

        from sessions.session import derived_seed

        try:
            res = latent.resolve(
                list(parsed.ops),
                self.state,
                render=self.render,
                completion_seed=derived_seed(self.seed, self.step + 1, 7),
                options=self.latent_options,
            )
        except Exception as e:  # noqa: BLE001 - a model bug must not take the session down
            why = (
                f"I couldn't do that with the {self.state.generator} generator "
                f"({describe(e)}), so nothing changed."
            )
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

    # -- apply → render → describe ----------------------------------------------
    def _play(
        self, text: str, parsed: ParseResult, parse_ms: float, resolution: Resolution | None = None
    ) -> TurnResult:
        before = self.state
        applied = self._apply(parsed)
        shown = self._show(applied)
        if self.on_image is not None and shown.image is not None:
            try:
                self.on_image(shown.step, shown.image)
            except Exception:  # noqa: BLE001 - a display hook must not cost the turn
                pass
        reply, kind, suggestions = self._describe(applied, shown, resolution)
        self._remember(text, applied, shown, resolution)
        record: dict[str, Any] = dict(shown.record)
        ms = {"parse": parse_ms, "render": shown.render_ms}
        # --- per-turn verification (dialogue/verify.py) ---
        drew = any(isinstance(o, O.Draw) for o in applied.outcome.ops)
        if (
            self.verify
            and shown.changed
            and shown.image is not None
            and kind != "error"
            and not drew
        ):
            from dialogue.verify import verify_turn

            check = verify_turn(before, self.state, shown.image)
            if check is not None:
                record["verified"] = check.record()
                ms["verify"] = check.ms
                if check.note and isinstance(reply, replies.Reply):
                    if reply.whole is not None:
                        reply.whole = f"{reply.whole} {check.note}"
                    else:
                        reply.checked.append(check.note)
        # --- end of per-turn verification ---
        history = self.session.history
        record.update(
            node=history.cursor, parent=history.current.parent, context=self.context.to_json()
        )
        resolved = resolution.note if resolution is not None and resolution.note else None
        if resolved:
            record["resolved"] = resolved
        return self._finish(
            shown.step,
            text,
            shown.ops,
            reply.text(),
            shown.changed,
            shown.image,
            ms,
            kind,
            suggestions=suggestions,
            source=applied.parsed.source,
            extra_record=record,
            new_step=shown.step != applied.step_before,
            resolved=resolved,
        )

    def _apply(self, parsed: ParseResult) -> Applied:
        """The reading's ops played on the session (dcgan mode resolved first)."""
        before = self.state
        step_before = self.step
        self.pending = parsed.clarification if parsed.source == "clarify" else None
        had_ops = bool(parsed.ops)
        parsed, notes = self._dcgan_mode(parsed)
        outcome = self.session.play(list(parsed.ops))
        return Applied(
            parsed, outcome, notes, had_ops, step_before, before.domain, self._meta_texts(outcome)
        )

    def _show(self, a: Applied) -> Shown:
        """The image of the new state; a state that cannot be drawn is taken back."""
        step, changed = a.outcome.step, a.outcome.changed
        ops = [o.to_json() for o in a.outcome.ops]
        img = None if changed else self.images.get(step)
        if img is None and not changed and step != a.step_before:
            img = self.images.get(a.step_before)
        if img is not None:
            self.images[step] = img
            return Shown(img, step, changed, ops, 0.0)
        img, err, render_ms = self._render_step(step)
        if err and changed:
            # the new state cannot be shown: take the turn back (no new step)
            step = self.session.revert_turn()
            img = self.images.get(step)
            if img is not None:
                self.images[step] = img
            return Shown(img, step, False, [], render_ms, err, {"rejected_ops": ops})
        return Shown(img, step, changed, ops, render_ms, err)

    def _describe(
        self, a: Applied, shown: Shown, resolution: Resolution | None
    ) -> tuple[replies.Reply, str, list[str]]:
        """The reply from its parts, the turn's kind and its suggestions."""
        parsed, outcome = a.parsed, a.outcome
        kind, suggestions = "edit", []
        if resolution is not None and not parsed.ops and resolution.reply:
            kind, reply = resolution.kind, replies.Reply(whole=resolution.reply)
        elif parsed.source == "clarify" and parsed.clarification is not None:
            kind, reply = "clarify", replies.Reply(whole=parsed.clarification.question)
            suggestions = [label for label, _ in parsed.clarification.options]
        elif not parsed.ops and parsed.source == "chat" and parsed.message:
            kind, reply = "chat", replies.Reply(whole=parsed.message)  # greetings, thanks
        elif not parsed.ops:
            kind = "unknown" if parsed.source != "empty" else "empty"
            hint = parsed.message or "I didn't understand that"
            text = (
                f"{hint[0].upper() + hint[1:]}. Nothing changed."
                if parsed.source != "empty"
                else "Type a command, or 'help' to see what I can do."
            )
            if parsed.source != "empty" and "help" not in text:
                text += " Type 'help' for ideas."
            reply = replies.Reply(whole=text)
        else:
            domain = self.state.domain if a.domain_before == self.state.domain else a.domain_before
            reply = replies.reply_parts(domain, outcome, a.meta_texts)
            if any(k == "help" for k, _ in outcome.meta):
                kind = "help"
                suggestions = replies.help_text(self.state.domain, dict(self.state.attributes))[1]
            elif not any(o.edits for o in outcome.ops):
                kind = "meta"
            if parsed.source == "fallback" and parsed.matched:
                reply.read_as = parsed.matched
            draws = [o for o in outcome.ops if isinstance(o, O.Draw)]
            if draws and shown.changed:  # a drawn turn says what was read in it
                reply = replies.Reply(whole=draws[-1].read or "Here is your drawing.")
            if resolution is not None and resolution.corrects is not None:
                self._as_correction(reply, resolution, outcome)
        if a.notes:
            if a.had_ops and not parsed.ops:  # every edit lacked a direction
                reply, kind = replies.Reply(whole=" ".join(a.notes)), "edit"
            elif reply.whole is not None:
                reply.whole = reply.whole + " " + " ".join(a.notes)
            else:
                reply.notes += a.notes
        if shown.error and shown.record.get("rejected_ops") is not None:
            reply, kind = (
                replies.Reply(whole=f"I couldn't render that, so nothing changed: {shown.error}"),
                "error",
            )
        elif shown.error:
            reply.errors.append(f"I couldn't render the image: {shown.error}")
            kind = "error"
        return reply, kind, suggestions

    def _as_correction(self, reply: replies.Reply, res: Resolution, outcome: TurnOutcome) -> None:
        """A correction says what it replaced and the net change, not the undo."""
        from sessions.apply import diff

        step = self.context.last_step_before
        if step is None:
            return
        try:
            pre = self.session.history.state_at(step)
        except (IndexError, TypeError):
            return
        reply.changed = [
            replies.describe_change(self.state.domain, c)
            for c in diff(pre, outcome.state)
            if c.attr != "z" and not c.attr.startswith("offset:")
        ]
        reply.meta = [m for m in reply.meta if not m.startswith(("Undid", "Went back", "Back at"))]
        reply.instead_of = res.corrects

    def _remember(self, text: str, a: Applied, shown: Shown, resolution: Resolution | None) -> None:
        """The dialogue context after this turn."""
        outcome = a.outcome
        changes = [ch for eff in outcome.effects for ch in eff.changes] if shown.changed else []
        drew = any(isinstance(o, O.Draw) for o in outcome.ops)
        if drew:  # a drawing is no move to go on with ("again" does not redraw it)
            changes = []
        # a correction stands for the turn it replaced: a second correction
        # goes back to the picture before both
        ctx_before = a.step_before
        if (
            resolution is not None
            and resolution.corrects is not None
            and self.context.last_step_before is not None
        ):
            ctx_before = self.context.last_step_before
        self.context = C.advance(
            self.context,
            domain=self.state.domain,
            text=text,
            ops=list(outcome.ops) if shown.changed and not drew else [],
            changes=changes,
            step_before=ctx_before,
            step=shown.step,
            changed=shown.changed,
            pending=C.pending_to_json(self.pending),
        )

    def _finish(
        self,
        step: int,
        text: str,
        ops: list[dict],
        reply: str,
        changed: bool,
        img: np.ndarray | None,
        ms: dict[str, float],
        kind: str,
        *,
        suggestions: list[str] | None = None,
        source: str = "",
        extra_record: dict | None = None,
        new_step: bool = True,
        resolved: str | None = None,
    ) -> TurnResult:
        turn = self.turns if kind == "start" else self.turns + 1
        self.turns = turn
        sha = image_sha256(img) if img is not None else None
        path = None
        if self.out_dir is not None and img is not None:
            try:
                path = str(export_png(img, self.out_dir / f"turn-{turn:03d}.png"))
            except OSError as e:
                self.write_errors += 1
                self.warnings.append(
                    f"cannot write turn-{turn:03d}.png to {self.out_dir}: {e.strerror or e}"
                )
        res = TurnResult(
            turn,
            text,
            ops,
            reply,
            changed,
            self.state,
            img,
            sha,
            path,
            ms,
            kind,
            suggestions or [],
            source,
            step,
            resolved,
            (extra_record or {}).get("verified"),
        )
        self.entries.append(HistoryEntry(step, text, reply, True, changed, new_step))
        if self.log is not None:
            rec = {
                "turn": turn,
                "step": step,
                "time": now_iso(),
                "input": text,
                "ops": ops,
                "reply": reply,
                "changed": changed,
                "state": self.state.to_json(),
                "image_sha256": sha,
                "ms": res.rounded_ms(),
                **(extra_record or {}),
            }
            try:
                self.log.append(rec)
            except LogWriteError as e:
                # stop logging here: the log keeps every turn before this one and
                # never gets a gap that a resume would re-apply wrongly
                self.write_errors += 1
                self.log.close()
                self.log = None
                self.log_path = None
                note = (
                    f"{e}; the saved session stops at step {step - 1}, and later "
                    "turns are not saved"
                )
                self.warnings.append(note)
                res.reply += f" (Warning: {note}.)"
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
                steps = [e for e in self.entries if e.new_step]
                shown = steps[-HISTORY_SHOWN:]
                lines = [f"{e.step}: {e.input or '(start)'}" for e in shown]
                head = (
                    "Image steps so far"
                    if len(shown) == len(steps)
                    else f"The last {len(shown)} of {len(steps)} image steps"
                )
                texts["history"] = f"{head} — " + "; ".join(lines) + "."
        return texts

    def _save(self, name: str | None) -> str:
        """Every turn is saved as it happens; "save as NAME" also keeps a copy of
        the session so far (this turn included) under that name."""
        self._save_as = None
        if name and (
            not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name)
            or ".." in name
            or name.lower().endswith(".jsonl")
        ):
            return (
                f"'{name[:40]}' can't be a session name: use letters, digits, '-', '_' "
                "or '.' (no spaces, slashes or '..'), up to 64 characters; nothing was saved."
            )
        if self.log_path is None:
            return "This session cannot be saved: " + "; ".join(
                self.warnings[-1:] or ["logging is off"]
            )
        if not name:
            return f"Saved: every turn is already written to {self.log_path}."
        target = self.log_path.with_name(f"{name}.jsonl")
        if target.exists():
            return f"There is already a session called '{name}'; pick another name."
        self._save_as = target
        return f"Saved a copy of this session as '{name}' ({target})."

    def _export(self, op: O.Export, step: int) -> str:
        what = op.what if op.what in ("png", "gif", "sheet") else "png"
        suffix = {"png": ".png", "gif": ".gif", "sheet": "-sheet.png"}[what]
        default = paths.exports_dir() / f"{self.session_name}-step-{step:03d}{suffix}"
        path = default
        if op.path:  # a name typed in the dialogue: always inside the exports dir
            from sessions.names import InvalidNameError, name_problem

            problem = name_problem(op.path)
            if problem is not None:
                return f"Couldn't export: {InvalidNameError(op.path, problem)} Nothing was written."
            path = paths.exports_dir() / (
                op.path if op.path.endswith(suffix[-4:]) else op.path + suffix
            )
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
        steps = [
            (e.step, e.input or "start")
            for e in self.entries
            if (e.step == 0 or e.changed) and e.step <= h.last_step
        ]
        if h.last_step not in (e.step for e in self.entries) and (
            not steps or h.state_at(steps[-1][0]) != self.state
        ):
            steps.append((h.last_step, "now"))
        frames, labels = [], []
        for step, label in steps:
            img = self.images.get(step)
            frames.append(img if img is not None else self.render(h.state_at(step)))
            labels.append(f"{step}: {label}")
        return frames, labels

    # -- resume ------------------------------------------------------------
    @classmethod
    def resume(
        cls,
        name_or_path: str | os.PathLike,
        *,
        log_dir: str | os.PathLike | None = None,
        parser: Callable[[str, ParseContext], ParseResult] | None = None,
        out_dir: str | os.PathLike | None = None,
    ) -> DialogueManager:
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
            if not e.records or e.newer:  # a newer format's session is refused, as replay does
                raise
            records, recovered = e.records, True
            warnings.append(str(e))
        try:
            start = ImageState.from_json(records[0]["state"])
        except (KeyError, TypeError, ValueError) as e:
            raise LogError(f"{path}: the first record is not a session start ({e})") from None
        m = cls(
            start.domain,
            records[0].get("start_seed", start.seed),
            log=False,
            parser=parser,
            out_dir=out_dir,
            session_name=path.stem,
            _start=start,
        )
        m.entries.append(HistoryEntry(0, "", records[0].get("reply", ""), True))
        from sessions.replay import legacy_numbering

        m.session.history.every_turn_is_a_step = legacy_numbering(records)
        for i, rec in enumerate(records[1:], start=1):
            try:
                ops = [O.op_from_json(o) for o in rec.get("ops", [])]
            except O.OpError as e:
                warnings.append(
                    f"{path}: turn {rec.get('turn', i)} has an unreadable op ({e}); "
                    f"resumed from the {i} records before it"
                )
                records, recovered = records[:i], True
                break
            step_before = m.session.step
            outcome = m.session.play(ops)
            m.entries.append(
                HistoryEntry(
                    outcome.step,
                    str(rec.get("input", "")),
                    str(rec.get("reply", "")),
                    True,
                    outcome.changed,
                    outcome.step != step_before,
                )
            )
            if (
                len(warnings) < 5
                and rec.get("state") is not None
                and rec["state"] != outcome.state.to_json()
            ):
                warnings.append(
                    f"{path}: turn {outcome.step} re-applies to a different state "
                    "than the one logged (written by another holochat version?)"
                )
        m.turns = len(records) - 1
        ctx = C.DialogueContext.from_json(records[-1].get("context"))
        if ctx.domain == m.state.domain:  # the conversation goes on where it stopped
            m.context = ctx
            m.pending = C.pending_from_json(ctx.pending)
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
