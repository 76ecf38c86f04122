"""Pure state transitions: ``apply(state, op) -> (state, Effect)``.

Only the edit ops are applied here; meta ops (undo, redo, goto, reset,
repeat, save, export, help, history) need the history and are handled by
``sessions.session.Session``.  Nothing here raises on user input: an unknown
attribute or a bad value comes back as ``Effect.error`` with the state
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from generators import blend, registry
from generators.errors import GeneratorError
from generators.protocol import z_from_seed
from generators.schema import (
    BOOL,
    CATEGORY,
    Clamp,
    InvalidValueError,
    UnknownAttributeError,
    UnknownDomainError,
    get_schema,
)
from sessions import ops as O
from sessions.state import ImageState


@dataclass(frozen=True)
class Change:
    attr: str  # schema name, or "z", "text", "domain", "generator", "offset:<name>"
    old: Any
    new: Any


@dataclass
class Effect:
    op: O.Op
    changes: list[Change] = field(default_factory=list)
    clamps: list[Clamp] = field(default_factory=list)
    noop: str | None = None  # why nothing changed ("already wearing sunglasses")
    error: str | None = None  # the op could not be applied at all

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _drop_offsets(state: ImageState, prefix: str, effect: Effect) -> ImageState:
    """Remove the offsets whose names start with ``prefix`` (a blend that an
    explicit edit replaces)."""
    gone = {k: v for k, v in state.offsets.items() if k.startswith(prefix)}
    if not gone:
        return state
    for k, v in gone.items():
        effect.changes.append(Change(f"offset:{k}", v, 0.0))
    return state.evolve(offsets={k: v for k, v in state.offsets.items() if k not in gone})


def _set_one(state: ImageState, name: str, value: Any, effect: Effect) -> ImageState:
    schema = get_schema(state.domain)
    attr = schema.get(name)
    new, clamp = attr.coerce(value)
    if clamp is not None:
        effect.clamps.append(clamp)
    if attr.kind == CATEGORY:  # "make them happy" ends a happy/sad blend
        state = _drop_offsets(state, f"{blend.BLEND}{name}=", effect)
    old = state.attributes[name]
    if new == old:
        return state
    effect.changes.append(Change(name, old, new))
    return state.set_attributes(**{name: new})


def apply(state: ImageState, op: O.Op) -> tuple[ImageState, Effect]:
    effect = Effect(op)
    try:
        new = _apply(state, op, effect)
    except (UnknownAttributeError, UnknownDomainError, InvalidValueError, GeneratorError) as e:
        return state, Effect(op, error=str(e))
    if not effect.changes and effect.noop is None and effect.error is None:
        effect.noop = "nothing changed"
    return new, effect


def _apply(state: ImageState, op: O.Op, effect: Effect) -> ImageState:
    schema = get_schema(state.domain)
    if isinstance(op, O.Set):
        return _set_one(state, op.attr, op.value, effect)
    if isinstance(op, O.Adjust):
        attr = schema.get(op.attr)
        if not attr.numeric:
            raise InvalidValueError(f"{op.attr} is not a number that can be adjusted")
        if (
            isinstance(op.delta, bool)
            or not isinstance(op.delta, (int, float))
            or not np.isfinite(op.delta)
        ):
            raise InvalidValueError(f"cannot adjust {op.attr} by {op.delta!r}")
        return _set_one(state, op.attr, float(state.attributes[op.attr]) + float(op.delta), effect)
    if isinstance(op, O.Toggle):
        attr = schema.get(op.attr)
        if attr.kind != BOOL:
            raise InvalidValueError(f"{op.attr} is not on/off")
        return _set_one(state, op.attr, not state.attributes[op.attr], effect)
    if isinstance(op, O.LatentMove):
        if (
            not isinstance(op.amount, (int, float))
            or isinstance(op.amount, bool)
            or not np.isfinite(op.amount)
        ):
            raise InvalidValueError(f"cannot move by {op.amount!r}")
        offsets = dict(state.offsets)
        old = offsets.get(op.direction, 0.0)
        new = float(np.clip(old + float(op.amount), -3.0, 3.0))
        if new == old:
            effect.noop = f"{op.direction} is already at its limit"
            return state
        offsets[op.direction] = new
        effect.changes.append(Change(f"offset:{op.direction}", old, new))
        return state.evolve(offsets=offsets)
    if isinstance(op, O.NewSeed):
        if op.seed is None:
            raise InvalidValueError("a new identity needs a seed (the session draws one)")
        seed_attr = schema.seed_attribute
        seed, _ = schema.coerce(seed_attr, op.seed)
        old = state.attributes[seed_attr]
        effect.changes.append(Change(seed_attr, old, seed))
        state = _drop_offsets(state, blend.MIX, effect)  # a new one is not a blend
        return state.set_attributes(**{seed_attr: seed}).evolve(z=z_from_seed(seed))
    if isinstance(op, O.Describe):
        if not isinstance(op.attributes, dict) and not hasattr(op.attributes, "items"):
            raise InvalidValueError("describe needs a mapping of attributes")
        for name, value in op.attributes.items():
            state = _set_one(state, name, value, effect)
        text = str(op.text or "")[:500]
        if text != state.text:
            effect.changes.append(Change("text", state.text, text))
            state = state.evolve(text=text)
        return state
    if isinstance(op, O.Draw):
        if (
            not isinstance(op.sha256, str)
            or len(op.sha256) != 64
            or any(c not in "0123456789abcdef" for c in op.sha256)
        ):
            raise InvalidValueError("a drawing is named by its SHA-256 (64 hex digits)")
        if op.file != f"drawings/{op.sha256}.png":
            raise InvalidValueError(
                f"a drawing's file is drawings/<its SHA-256>.png, not {str(op.file)[:80]!r}"
            )
        if not hasattr(op.attributes, "items"):
            raise InvalidValueError("a drawing's read-back attributes must be a mapping")
        for name, value in op.attributes.items():
            state = _set_one(state, name, value, effect)
        if op.sha256 == state.drawing:
            if not effect.changes:
                effect.noop = "that drawing is already the picture"
            return state
        effect.changes.append(Change("drawing", state.drawing, op.sha256))
        return state.evolve(drawing=op.sha256)
    if isinstance(op, O.SwitchDomain):
        if op.domain == state.domain:
            effect.noop = f"already showing {op.domain}"
            return state
        get_schema(op.domain)
        if op.seed is None:
            raise InvalidValueError("switching domain needs a seed (the session draws one)")
        gen = (
            state.generator
            if state.generator in registry.available(op.domain)
            else registry.default_generator(op.domain)
        )
        switched = ImageState.new(op.domain, int(op.seed), generator=gen, size=state.size)
        effect.changes.append(Change("domain", state.domain, op.domain))
        return switched
    if isinstance(op, O.SwitchGenerator):
        if op.name == state.generator:
            effect.noop = f"already using the {op.name} generator"
            return state
        if op.name not in registry.names(state.domain):
            raise GeneratorError(
                f"there is no generator {op.name!r} for {state.domain}; "
                f"available: {', '.join(registry.available(state.domain))}"
            )
        if op.name not in registry.available(state.domain):
            raise GeneratorError(
                f"the {op.name} generator has no weights for {state.domain} "
                f"here; available: {', '.join(registry.available(state.domain))}"
            )
        effect.changes.append(Change("generator", state.generator, op.name))
        return state.evolve(generator=op.name)
    if isinstance(op, O.Complete):
        # resolved into a SetLatent by the manager where a generator can do it
        effect.noop = (
            f"completing the {op.region} region needs the dcgan generator; nothing changed"
        )
        return state
    if isinstance(op, O.SetLatent):
        z = op.z
        if (
            not isinstance(z, tuple)
            or len(z) != len(state.z)
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
                for v in z
            )
        ):
            raise InvalidValueError(f"a latent vector must be {len(state.z)} finite numbers")
        new_z = tuple(float(v) for v in z)
        if new_z == state.z:
            effect.noop = "the latent vector is already that one"
            return state
        effect.changes.append(Change("z", None, None))
        return state.evolve(z=new_z)
    raise InvalidValueError(f"{op.tag} is not an edit of the image")


def _seed_weights(state: ImageState) -> dict[int, float]:
    """The identity / style of a state as weights over seeds (sum 1)."""
    own = int(state.attributes[get_schema(state.domain).seed_attribute])
    w = {s: m for s, m in blend.mixes(state.offsets).items() if s != own}
    w[own] = 1.0 - sum(w.values())
    return w


def _blends(
    state: ImageState, target: ImageState, t: float, attrs: dict[str, Any]
) -> dict[str, float]:
    """The identity / style and category blends of the state ``t`` of the way
    from ``state`` to ``target``, relative to the discrete reading ``attrs``
    (see generators/blend.py): the shape parameters and one-hots are then
    exactly the linear interpolation of both ends'."""
    schema = get_schema(state.domain)
    out: dict[str, float] = {}
    a, b = _seed_weights(state), _seed_weights(target)
    base = int(attrs[schema.seed_attribute])
    for seed in set(a) | set(b):
        w = (1 - t) * a.get(seed, 0.0) + t * b.get(seed, 0.0)
        if seed != base and abs(w) > 1e-6:
            out[f"{blend.MIX}{seed}"] = round(w, 6)
    for attr in schema:
        if attr.kind != CATEGORY:
            continue
        mixed = (1 - t) * blend.category_weights(
            state.domain, state.attributes, attr.name, state.offsets
        ) + t * blend.category_weights(state.domain, target.attributes, attr.name, target.offsets)
        for value, weight in zip(attr.values, mixed):
            if value != attrs[attr.name] and weight > 1e-6:
                out[f"{blend.BLEND}{attr.name}={value}"] = round(float(weight), 6)
    return out


def interpolate(state: ImageState, target: ImageState, t: float) -> ImageState:
    """Move ``state`` toward ``target`` by fraction ``t`` (same domain):
    numbers and ``z`` linearly (wrapping angles along the shorter arc);
    categories, bools, the seed and the text switch at ``t >= 0.5``, and the
    identity / style and categories are also kept as continuous blends in
    ``offsets`` (generators/blend.py) for generators that can draw them."""
    if state.domain != target.domain:
        raise InvalidValueError(f"cannot blend a {state.domain} image with a {target.domain} image")
    t = float(np.clip(t, 0.0, 1.0))
    schema = get_schema(state.domain)
    attrs: dict[str, Any] = {}
    for a in schema:
        x, y = state.attributes[a.name], target.attributes[a.name]
        if a.numeric:
            d = float(y) - float(x)
            if a.wraps:
                span = a.hi - a.lo
                d = (d + span / 2) % span - span / 2
            attrs[a.name] = a.coerce(float(x) + t * d)[0]
        else:
            attrs[a.name] = y if t >= 0.5 else x
    z = tuple(float(a + t * (b - a)) for a, b in zip(state.z, target.z))
    names = {k for k in set(state.offsets) | set(target.offsets) if not blend.is_blend(k)}
    offsets = {
        k: state.offsets.get(k, 0.0) + t * (target.offsets.get(k, 0.0) - state.offsets.get(k, 0.0))
        for k in names
    }
    offsets.update(_blends(state, target, t, attrs))
    return state.evolve(
        attributes=attrs, z=z, offsets=offsets, text=target.text if t >= 0.5 else state.text
    )


def diff(old: ImageState, new: ImageState) -> list[Change]:
    """What differs between two states, as changes (used for undo/goto replies)."""
    if old.domain != new.domain:
        return [Change("domain", old.domain, new.domain)]
    out = [
        Change(k, old.attributes[k], new.attributes[k])
        for k in old.attributes
        if old.attributes[k] != new.attributes[k]
    ]
    if old.generator != new.generator:
        out.append(Change("generator", old.generator, new.generator))
    if old.text != new.text:
        out.append(Change("text", old.text, new.text))
    if old.drawing != new.drawing:
        out.append(Change("drawing", old.drawing, new.drawing))
    if old.z != new.z and not any(c.attr == get_schema(old.domain).seed_attribute for c in out):
        out.append(Change("z", None, None))
    for k in set(old.offsets) | set(new.offsets):
        if old.offsets.get(k, 0.0) != new.offsets.get(k, 0.0):
            out.append(Change(f"offset:{k}", old.offsets.get(k, 0.0), new.offsets.get(k, 0.0)))
    return out
