"""Edit ops: the small typed values the dialogue produces and sessions apply.

Every op serializes to a JSON object ``{"op": <tag>, ...fields}`` and back
(``op_to_json`` / ``op_from_json``).  Ops carry everything needed to re-apply
them exactly: a "new identity" op carries the seed that was drawn, so replaying
a log never depends on a random generator or the parser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


class OpError(ValueError):
    """An op's JSON is malformed or names an unknown op."""


@dataclass(frozen=True)
class Op:
    tag: ClassVar[str] = ""
    #: ops that change the image state (as opposed to meta ops)
    edits: ClassVar[bool] = False

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"op": self.tag}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Mapping):
                v = dict(v)
            d[f.name] = v
        return d


# -- edits of the state -----------------------------------------------------
@dataclass(frozen=True)
class Set(Op):
    """Set an attribute to an absolute value ("face left", "make the chair red")."""

    tag: ClassVar[str] = "set"
    edits: ClassVar[bool] = True
    attr: str
    value: Any


@dataclass(frozen=True)
class Adjust(Op):
    """Add a signed amount, in the attribute's units ("turn left a bit")."""

    tag: ClassVar[str] = "adjust"
    edits: ClassVar[bool] = True
    attr: str
    delta: float


@dataclass(frozen=True)
class Toggle(Op):
    """Flip a boolean attribute ("toggle the hat")."""

    tag: ClassVar[str] = "toggle"
    edits: ClassVar[bool] = True
    attr: str


@dataclass(frozen=True)
class LatentMove(Op):
    """Move along a named latent direction by ``amount`` (dcgan mode)."""

    tag: ClassVar[str] = "latent_move"
    edits: ClassVar[bool] = True
    direction: str
    amount: float


@dataclass(frozen=True)
class NewSeed(Op):
    """Another person / chair: new identity or style and a new ``z``.
    ``seed`` is None when parsed; the session fills it in before logging."""

    tag: ClassVar[str] = "new_seed"
    edits: ClassVar[bool] = True
    seed: int | None = None


@dataclass(frozen=True)
class Describe(Op):
    """Set many attributes and the free conditioning text at once."""

    tag: ClassVar[str] = "describe"
    edits: ClassVar[bool] = True
    attributes: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""

    def __hash__(self) -> int:
        return hash((self.tag, tuple(sorted(self.attributes.items())), self.text))


@dataclass(frozen=True)
class SwitchDomain(Op):
    tag: ClassVar[str] = "switch_domain"
    edits: ClassVar[bool] = True
    domain: str
    seed: int | None = None


@dataclass(frozen=True)
class SwitchGenerator(Op):
    tag: ClassVar[str] = "switch_generator"
    edits: ClassVar[bool] = True
    name: str


@dataclass(frozen=True)
class Interpolate(Op):
    """Move toward another step's state by fraction ``t`` ("halfway between this
    one and the previous one": ref="previous", t=0.5).  ``ref`` is "previous",
    "first", or a step number."""

    tag: ClassVar[str] = "interpolate"
    edits: ClassVar[bool] = True
    ref: Any = "previous"
    t: float = 0.5


@dataclass(frozen=True)
class Complete(Op):
    """Repair / fill in a region of the image ("repair the left half", "inpaint
    the eyes"); ``region`` is one of generators.latent.completion.REGIONS.  In
    dcgan mode the manager resolves it into a ``SetLatent`` (the ``z`` found by
    completion); applied as it is, it changes nothing."""

    tag: ClassVar[str] = "complete"
    edits: ClassVar[bool] = True
    region: str = "center"


@dataclass(frozen=True)
class SetLatent(Op):
    """Set the latent vector ``z`` outright (the result of a completion)."""

    tag: ClassVar[str] = "set_latent"
    edits: ClassVar[bool] = True
    z: tuple[float, ...]
    reason: str = ""

    def __post_init__(self) -> None:
        # JSON gives a list; keep a tuple so the op stays hashable and equal
        if isinstance(self.z, (list, tuple)):
            object.__setattr__(self, "z", tuple(self.z))

    def to_json(self) -> dict[str, Any]:
        return {"op": self.tag, "z": list(self.z), "reason": self.reason}


@dataclass(frozen=True)
class Draw(Op):
    """A drawn turn (sessions/drawings.py): the picture is the sketch stored
    at ``file`` (beside the session log, named by its ``sha256``) through
    pix2pix, and ``attributes`` are what the judge read in that picture, as
    read when the turn was played (replay never reads again); ``read`` is the
    reply's sentence ("I see a smiling face ...")."""

    tag: ClassVar[str] = "draw"
    edits: ClassVar[bool] = True
    file: str
    sha256: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    read: str = ""

    def __hash__(self) -> int:
        return hash((self.tag, self.file, self.sha256, tuple(sorted(self.attributes.items()))))


# -- meta ops (history, files, help) ----------------------------------------
@dataclass(frozen=True)
class Undo(Op):
    tag: ClassVar[str] = "undo"


@dataclass(frozen=True)
class Redo(Op):
    tag: ClassVar[str] = "redo"


@dataclass(frozen=True)
class Goto(Op):
    """Restore step N's state as a new turn ("go back to step 3")."""

    tag: ClassVar[str] = "goto"
    step: int


@dataclass(frozen=True)
class Reset(Op):
    """Return to step 0's state as a new turn ("start over")."""

    tag: ClassVar[str] = "reset"


@dataclass(frozen=True)
class Repeat(Op):
    """Repeat the last edit scaled by ``factor``: again/more = 1, less = -0.5."""

    tag: ClassVar[str] = "repeat"
    factor: float = 1.0


@dataclass(frozen=True)
class Save(Op):
    tag: ClassVar[str] = "save"
    name: str | None = None


@dataclass(frozen=True)
class Export(Op):
    """Export the current image ("png"), the history as "gif" or "sheet"."""

    tag: ClassVar[str] = "export"
    what: str = "png"
    path: str | None = None
    scale: int = 4


@dataclass(frozen=True)
class Help(Op):
    tag: ClassVar[str] = "help"


@dataclass(frozen=True)
class ShowHistory(Op):
    tag: ClassVar[str] = "history"


OP_TYPES: dict[str, type[Op]] = {
    cls.tag: cls
    for cls in (
        Set,
        Adjust,
        Toggle,
        LatentMove,
        NewSeed,
        Describe,
        SwitchDomain,
        SwitchGenerator,
        Interpolate,
        Complete,
        SetLatent,
        Draw,
        Undo,
        Redo,
        Goto,
        Reset,
        Repeat,
        Save,
        Export,
        Help,
        ShowHistory,
    )
}


#: fields that older logs wrote and no op has any more: read and dropped, so
#: those logs still load ("help" had a ``topic`` that nothing ever set)
_RETIRED_FIELDS: dict[str, tuple[str, ...]] = {"help": ("topic",)}


def op_to_json(op: Op) -> dict[str, Any]:
    return op.to_json()


def op_from_json(d: Mapping[str, Any]) -> Op:
    if not isinstance(d, Mapping) or "op" not in d:
        raise OpError(f"not an op: {d!r:.80}")
    cls = OP_TYPES.get(d["op"])
    if cls is None:
        raise OpError(f"unknown op {d['op']!r}; known ops: {', '.join(OP_TYPES)}")
    names = {f.name for f in dataclasses.fields(cls)}
    d = {k: v for k, v in d.items() if k not in _RETIRED_FIELDS.get(cls.tag, ())}
    extra = set(d) - names - {"op"}
    if extra:
        raise OpError(f"op {cls.tag!r} has unknown fields {sorted(extra)}")
    try:
        return cls(**{k: v for k, v in d.items() if k != "op"})
    except TypeError as e:
        raise OpError(f"op {cls.tag!r}: {e}") from None
