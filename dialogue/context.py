"""The dialogue context: what the conversation remembers between turns.

A small, explicit, serialisable record.  Every resolution rule
(``dialogue.resolve``) reads it; the manager updates it after each turn
(``advance``) and writes it into the session log record of that turn, so that
resuming a session continues the conversation where it stopped.

- ``last_input`` / ``last_ops``: the last turn that changed the image, its
  text and its ops as logged, ``last_step_before`` / ``last_step``: the image
  steps before and after it (a correction replaces that turn);
- ``attr`` / ``object``: the attribute and the thing (eyewear, hat, beard,
  armrests) last mentioned ("change that to blue", "take them off");
- ``move_attr`` / ``move_delta``: the last numeric move, signed ("even higher",
  "the other way", "30 more degrees"); ``move_is_last``: it was made by the
  last turn that changed the image;
- ``said``: the last line typed, whatever it did ("not the hair, the
  background" after a request that could not be done);
- ``pending``: the open clarifying question (its options' labels and ops).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from generators import vocabulary as V
from generators.schema import get_schema
from sessions import ops as O


@dataclass(frozen=True)
class DialogueContext:
    domain: str = "faces"
    last_input: str = ""
    last_ops: tuple[dict, ...] = ()
    last_step_before: int | None = None
    last_step: int | None = None
    attr: str | None = None
    object: str | None = None
    move_attr: str | None = None
    move_delta: float | None = None
    move_is_last: bool = False
    pending: dict | None = None
    said: str = ""  # the last line typed (whatever it did)

    # -- serialisation -----------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["last_ops"] = [dict(o) for o in self.last_ops]
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> DialogueContext:
        if not isinstance(d, Mapping):
            return cls()
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "last_ops" in known:
            known["last_ops"] = tuple(o for o in known["last_ops"] or () if isinstance(o, Mapping))
        try:
            return cls(**known)
        except TypeError:
            return cls()

    # -- what a rule asks ---------------------------------------------------
    @property
    def direction(self) -> int:
        """The sign of the last move (0 when there is none)."""
        if not self.move_delta:
            return 0
        return 1 if self.move_delta > 0 else -1


def _mentioned(ops: Iterable[O.Op]) -> list[str]:
    out = []
    for op in ops:
        a = getattr(op, "attr", None)
        if isinstance(a, str):
            out.append(a)
        elif isinstance(op, O.Describe):
            out += [k for k in op.attributes]
    return out


def advance(
    ctx: DialogueContext,
    *,
    domain: str,
    text: str,
    ops: list[O.Op],
    changes: list,
    step_before: int,
    step: int,
    changed: bool,
    pending: dict | None,
) -> DialogueContext:
    """The context after one turn: ``ops`` as logged, ``changes`` the
    ``sessions.apply.Change`` list of its edits."""
    if domain != ctx.domain:
        ctx = DialogueContext(domain=domain)
    new = replace(ctx, pending=pending, said=text)
    schema = get_schema(domain)
    mentioned = [a for a in _mentioned(ops) if a in schema]
    for ch in changes:
        if ch.attr in schema and ch.attr not in mentioned:
            mentioned.append(ch.attr)
    if mentioned:
        new = replace(new, attr=mentioned[-1])
        objects = [a for a in mentioned if (r := V.record(domain, a)) is not None and r.object]
        if objects:
            new = replace(new, object=objects[-1])
    edits = any(o.edits for o in ops)
    if changed and edits:
        move = None
        for ch in changes:
            if ch.attr in schema and schema.get(ch.attr).numeric:
                a = schema.get(ch.attr)
                d = float(ch.new) - float(ch.old)
                if a.wraps:
                    span = a.bounds[1] - a.bounds[0]
                    d = (d + span / 2) % span - span / 2
                if d and not any(isinstance(o, O.Adjust) and o.attr == ch.attr for o in ops):
                    # an absolute target ("face right"): going on is one step at a time
                    d = (1 if d > 0 else -1) * float(a.step or abs(d))
                if d:
                    move = (ch.attr, d)
        new = replace(
            new,
            last_input=text,
            last_ops=tuple(o.to_json() for o in ops),
            last_step_before=step_before,
            last_step=step,
            move_is_last=move is not None,
        )
        if move is not None:
            new = replace(new, move_attr=move[0], move_delta=round(move[1], 6))
    elif changed:  # undo, redo, goto: the last edit is not at hand
        new = replace(new, move_is_last=False, last_step=None)
    return new


def pending_to_json(clar) -> dict | None:
    if clar is None:
        return None
    return {
        "question": clar.question,
        "options": [[label, [o.to_json() for o in ops]] for label, ops in clar.options],
    }


def pending_from_json(d):
    from dialogue.types import Clarification

    if not isinstance(d, Mapping):
        return None
    try:
        return Clarification(
            str(d["question"]),
            tuple(
                (str(label), tuple(O.op_from_json(o) for o in ops)) for label, ops in d["options"]
            ),
        )
    except (KeyError, TypeError, ValueError):
        return None
