"""A session: the current state, its history tree, and the meta ops.

``Session.play(ops)`` runs one turn's ops and returns what happened.  It
resolves everything that would otherwise need randomness or the parser at
replay time (new seeds, "again"/"less"), so the ops it returns, once logged,
re-create the turn exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from generators.schema import get_schema
from sessions import ops as O
from sessions.apply import Change, Effect, apply, diff, interpolate
from sessions.history import History
from sessions.state import ImageState


@dataclass
class TurnOutcome:
    state: ImageState
    ops: list[O.Op]  # resolved ops, as they are logged
    effects: list[Effect] = field(default_factory=list)
    meta: list[tuple[str, Any]] = field(default_factory=list)  # (kind, detail) for replies
    changed: bool = False
    step: int = 0


def derived_seed(start_seed: int, step: int, k: int = 0) -> int:
    """The seed that "another person" draws at a given step: a pure function
    of the session's starting seed, so a replay draws the same one."""
    return int(np.random.default_rng([int(start_seed) % 2**32, step, k, 99]).integers(2**31))


def _after_drawing(state: ImageState, op: O.Op) -> ImageState:
    """An edit of a drawn state (sessions/drawings.py) leaves the drawing:
    the state's own generator draws the read-back attributes from here on."""
    if state.drawing and not isinstance(op, O.Draw):
        return state.evolve(drawing="")
    return state


class Session:
    def __init__(self, start: ImageState, start_seed: int | None = None):
        self.history = History(start)
        self.start_seed = start.seed if start_seed is None else int(start_seed)
        self.last_edit: list[Effect] = []  # the last turn that edited the state
        self._last_edit_before: list[Effect] = []  # last_edit as the current turn began

    @property
    def state(self) -> ImageState:
        return self.history.state

    @property
    def step(self) -> int:
        return self.history.last_step

    def resolve(self, op: O.Op, k: int = 0) -> list[O.Op]:
        """Fill in what an op leaves open: seeds, and "again"/"less"."""
        step = self.history.last_step + 1
        if isinstance(op, O.NewSeed) and op.seed is None:
            return [O.NewSeed(derived_seed(self.start_seed, step, k))]
        if isinstance(op, O.SwitchDomain) and op.seed is None:
            return [O.SwitchDomain(op.domain, derived_seed(self.start_seed, step, k))]
        if isinstance(op, O.Repeat):
            return self._repeat(op.factor, step)
        return [op]

    def _repeat(self, factor: float, step: int) -> list[O.Op]:
        out: list[O.Op] = []
        if not self.last_edit:
            return []
        for i, eff in enumerate(self.last_edit):
            if isinstance(eff.op, O.NewSeed):
                out.append(O.NewSeed(derived_seed(self.start_seed, step, 100 + i)))
                continue
            if isinstance(eff.op, O.Draw):  # "again" does not draw again
                continue
            if isinstance(eff.op, O.LatentMove):
                out.append(O.LatentMove(eff.op.direction, eff.op.amount * factor))
                continue
            for ch in eff.changes:
                out.extend(self._repeat_change(ch, factor))
        return out

    def _repeat_change(self, ch: Change, factor: float) -> list[O.Op]:
        schema = get_schema(self.state.domain)
        if ch.attr not in schema:
            return []
        attr = schema.get(ch.attr)
        if attr.numeric:
            d = float(ch.new) - float(ch.old)
            if attr.wraps:
                span = attr.bounds[1] - attr.bounds[0]
                d = (d + span / 2) % span - span / 2
            return [O.Adjust(ch.attr, d * factor)] if d else []
        if attr.kind == "seed":
            return []
        if factor < 0:  # "less" after a switch: switch back
            return [O.Set(ch.attr, ch.old)]
        if ch.attr == "expression" and ch.new != "neutral":  # "smile", then "more"
            step = schema.get("expression_strength").step_size
            return [O.Adjust("expression_strength", step * factor)]
        return []  # a category set again changes nothing

    def play(self, ops: list[O.Op]) -> TurnOutcome:
        """Run one turn.  Always ends the turn (a step is recorded)."""
        before = self.state
        self.history.begin_turn()
        self._last_edit_before = self.last_edit
        resolved: list[O.Op] = []
        effects: list[Effect] = []
        meta: list[tuple[str, Any]] = []
        state = before
        edit_effects: list[Effect] = []
        for k, raw in enumerate(ops):
            ops_k = self.resolve(raw, k)
            if isinstance(raw, O.Repeat) and not ops_k:
                meta.append(("repeat_none", bool(self.last_edit)))
            for op in ops_k:
                resolved.append(op)
                if op.edits and not isinstance(op, O.Interpolate):
                    state, eff = apply(state, op)
                    effects.append(eff)
                    if eff.changed:
                        edit_effects.append(eff)
                        state = _after_drawing(state, op)
                elif isinstance(op, O.Interpolate):
                    state, eff = self._interpolate(state, op)
                    effects.append(eff)
                    if eff.changed:
                        edit_effects.append(eff)
                        state = _after_drawing(state, op)
                elif isinstance(op, (O.Undo, O.Redo, O.Goto, O.Reset)):
                    if state != self.state:  # commit pending edits first
                        self.history.push(state)
                    meta.append(self._navigate(op))
                    state = self.state
                else:  # save, export, help, history
                    meta.append((op.tag, op))
        if state != self.state:
            self.history.push(state)
        if edit_effects:
            self.last_edit = edit_effects
        step = self.history.end_turn()
        return TurnOutcome(
            self.state, resolved, effects, meta, changed=self.state != before, step=step
        )

    def revert_turn(self) -> int:
        """Take back the turn just played (its state could not be rendered):
        the step stays, with the state it started from.  Returns the step."""
        h = self.history
        h.steps.pop()
        h.rollback_turn()
        self.last_edit = self._last_edit_before
        return h.end_turn()

    def _interpolate(self, state: ImageState, op: O.Interpolate) -> tuple[ImageState, Effect]:
        ref = op.ref
        if ref == "previous":
            # the image shown before this one: the latest earlier step that differs
            target = next(
                (
                    self.history.state_at(n)
                    for n in range(self.step, -1, -1)
                    if self.history.state_at(n) != state
                ),
                state,
            )
        elif ref == "first":
            target = self.history.state_at(0)
        elif isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref <= self.step:
            target = self.history.state_at(ref)
        else:
            return state, Effect(
                op, error=f"there is no step {ref!r} to blend with (steps 0 to {self.step})"
            )
        if target.domain != state.domain:
            return state, Effect(op, error="cannot blend images of different domains")
        t = op.t if isinstance(op.t, (int, float)) and not isinstance(op.t, bool) else 0.5
        new = interpolate(state, target, float(t))
        eff = Effect(op, changes=diff(state, new))
        if not eff.changes:
            eff.noop = "the two images are already the same"
        return new, eff

    def _navigate(self, op: O.Undo | O.Redo | O.Goto | O.Reset) -> tuple[str, Any]:
        h = self.history
        before = h.state
        if isinstance(op, O.Undo):
            node = h.undo()
            return ("undo", diff(before, h.state) if node else None)
        if isinstance(op, O.Redo):
            node = h.redo()
            return ("redo", diff(before, h.state) if node else None)
        step = 0 if isinstance(op, O.Reset) else op.step
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= h.last_step:
            return ("goto_missing", (step, h.last_step))
        target = h.state_at(step)
        if target != before:
            h.push(target)
        return ("reset" if isinstance(op, O.Reset) else "goto", (step, diff(before, target)))
