"""Reply text: what changed in plain words, or why nothing did.

Directions are the viewer's (DESIGN.md).  Faces are "them" (the schema has no
gender), chairs "the chair".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from generators.blend import is_blend
from generators.schema import get_schema
from sessions import ops as O
from sessions.apply import Change, Effect
from sessions.session import TurnOutcome


def _deg(v: float) -> str:
    v = abs(float(v))
    return f"{v:.0f}°" if abs(v - round(v)) < 0.05 else f"{v:.1f}°"


def _num(v: float) -> str:
    return f"{float(v):.2f}".rstrip("0").rstrip(".") if v != 0 else "0"


def _side(delta: float, neg: str, pos: str) -> str:
    return neg if delta < 0 else pos


def _yaw_pos(v: float) -> str:
    return "straight ahead" if abs(v) < 0.5 else f"{_deg(v)} to the {'left' if v < 0 else 'right'}"


def describe_change(domain: str, ch: Change) -> str:
    a, old, new = ch.attr, ch.old, ch.new
    if a == "domain":
        return f"switched to {new}"
    if a == "generator":
        return f"switched to the {new} generator"
    if a == "text":
        return f'set the description to "{new}"' if new else "cleared the description"
    if a == "z":
        return "changed the latent code"
    if a == "drawing":
        return "showed the drawing" if new else "left the drawing"
    if a.startswith("offset:"):
        return _latent_text(domain, a[7:], old, new)
    if a in ("identity", "style"):
        return "switched to another person" if a == "identity" else "switched to another chair"
    d = (
        (float(new) - float(old))
        if isinstance(new, (int, float)) and not isinstance(new, bool)
        else 0.0
    )
    if domain == "faces":
        if a == "yaw":
            now = f" (now {_yaw_pos(new)})" if abs(float(old)) >= 0.05 else ""
            return f"turned them {_deg(d)} to the {_side(d, 'left', 'right')}{now}"
        if a == "pitch":
            return f"tilted their head {_side(d, 'down', 'up')} {_deg(d)} (now {_num(new)}°)"
        if a == "light_azimuth":
            where = (
                "the front" if abs(new) < 0.5 else f"{_deg(new)} {'left' if new < 0 else 'right'}"
            )
            now = f" (now from {where})" if abs(float(old)) >= 0.05 else ""
            return f"moved the light {_deg(d)} to the {_side(d, 'left', 'right')}{now}"
        if a == "light_elevation":
            return f"{_side(d, 'lowered', 'raised')} the light to {_num(new)}°"
        if a == "expression":
            return {
                "happy": "made them smile",
                "sad": "made them look sad",
                "angry": "made them look angry",
                "surprised": "made them look surprised",
                "neutral": "gave them a neutral face",
            }[new]
        if a == "expression_strength":
            return f"made the expression {_side(d, 'weaker', 'stronger')} ({_num(new)})"
        if a == "eyewear":
            if new == "none":
                return f"took off the {old}"
            if old == "none":
                return f"added {new}"
            return f"swapped the {old} for {new}"
        if a == "hat":
            return "put on a hat" if new else "took off the hat"
        if a == "beard":
            return "added a beard" if new else "shaved off the beard"
        if a == "hair_color":
            return f"made the hair {new}"
        if a == "skin_tone":
            return f"made the skin tone {new}"
    else:
        if a == "azimuth":
            span = (d + 180) % 360 - 180
            return (
                f"turned the chair {_deg(span)} to the {_side(span, 'left', 'right')}"
                f" (azimuth {_num(new)}°)"
            )
        if a == "elevation":
            return f"moved the view {_side(d, 'lower', 'higher')} (elevation {_num(new)}°)"
        if a == "armrests":
            return "added armrests" if new else "removed the armrests"
        if a == "back_height":
            return f"made the back {_side(d, 'lower', 'taller')} ({_num(new)})"
        if a == "legs":
            return "gave it a pedestal base" if new == "pedestal" else "gave it four legs"
        if a == "color":
            return f"made the chair {new}"
        if a == "zoom":
            return f"zoomed {_side(d, 'out', 'in')} ({_num(new)}×)"
        if a == "shift_x":
            return f"moved it {_side(d, 'left', 'right')} ({_num(new)})"
        if a == "shift_y":
            return f"moved it {_side(d, 'down', 'up')} ({_num(new)})"
        if a == "hue":
            return f"shifted the hue by {_num(d)}° (now {_num(new)}°)"
        if a == "saturation":
            return f"made the colours {_side(d, 'less', 'more')} saturated ({_num(new)})"
    if a == "brightness":
        return f"{_side(d, 'darkened', 'brightened')} the image (brightness {_num(new)})"
    if a == "background":
        return f"made the background {new}"
    return _record_change(domain, a, old, new)


def _record_change(domain: str, a: str, old: Any, new: Any) -> str:
    """A change told from the attribute's vocabulary record (reply wording)."""
    r = _record(domain, a)
    if r is None:
        return f"set {a.replace('_', ' ')} to {new}"
    if r.kind == "bool":
        thing = r.reply.thing or r.spoken
        return (r.reply.on or f"added {thing}") if new else (r.reply.off or f"removed {r.spoken}")
    if r.kind == "category":
        return r.reply.set.format(value=new) if r.reply.set else f"made {r.spoken} {new}"
    d = float(new) - float(old)
    words = r.pos if d > 0 else r.neg
    unit = "°" if r.unit == "°" else ""
    if words:
        return f"made it {words[0]} ({r.spoken.removeprefix('the ')} {_num(new)}{unit})"
    return f"{'raised' if d > 0 else 'lowered'} {r.spoken} to {_num(new)}{unit}"


def _latent_text(domain: str, name: str, old: Any, new: Any) -> str:
    """A move along a latent direction (dcgan mode), in calibrated units: one
    unit takes a face across to the attribute; numeric directions move in
    schema steps, said in the attribute's units too."""
    from dialogue.latent import direction_words

    try:
        amount = float(new or 0.0) - float(old or 0.0)
    except (TypeError, ValueError):
        return f"moved along the {name} direction"
    text = f"moved along the {direction_words(name)} direction ({amount:+.1f}"
    schema = get_schema(domain)
    if "=" not in name and name in schema and schema.get(name).numeric:
        attr = schema.get(name)
        size = abs(amount) * float(attr.step or 1.0)
        unit = "°" if attr.unit == "°" else ""
        text += f" step{'s' if abs(amount) != 1 else ''}, about {_num(size)}{unit}"
    return text + ")"


def _set_latent_text(op) -> str | None:
    """The reply for a SetLatent that a completion produced."""
    reason = str(getattr(op, "reason", "") or "")
    if reason.startswith("complete:"):
        from dialogue.latent import REGION_WORDS

        region = reason.split(":", 1)[1]
        return f"repaired the {REGION_WORDS.get(region, region)} from the rest of the image"
    return None


def _clamp_text(domain: str, c) -> str:
    n, low = c.name, c.limit == "min"
    if domain == "faces":
        if n == "yaw":
            return (
                f"They are already looking as far {'left' if low else 'right'} as I can turn them."
            )
        if n == "pitch":
            return f"Their head is already tilted as far {'down' if low else 'up'} as it goes."
        if n == "light_azimuth":
            return f"The light is already as far to the {'left' if low else 'right'} as it goes."
    if domain == "chairs" and n == "elevation":
        return f"The view is already as {'low' if low else 'high'} as it goes ({_num(c.value)}°)."
    if domain == "chairs" and n == "zoom":
        return (
            f"It is already zoomed {'out' if low else 'in'} as far as it goes ({_num(c.value)}×)."
        )
    return (
        f"{n.replace('_', ' ').capitalize()} stops at its {'minimum' if low else 'maximum'}, "
        f"{_num(c.value)}."
    )


def _record(domain: str, name: str):
    from generators import vocabulary as V

    return V.record(domain, name)


def _bare(word: str) -> str:
    """'a beard' -> 'beard' (after 'no')."""
    return word.split(" ", 1)[1] if word.startswith(("a ", "an ")) else word


def _noop_text(domain: str, eff: Effect, attributes: dict) -> str | None:
    op = eff.op
    if isinstance(op, O.Set):
        v = attributes.get(op.attr)
        if op.attr == "eyewear":
            return (
                "They are not wearing glasses." if v == "none" else f"They are already wearing {v}."
            )
        r = _record(domain, op.attr)
        if r is not None and r.kind == "bool":
            word = r.reply.thing or r.spoken
            if domain == "chairs":
                return f"The chair already has {word}." if v else f"The chair has no {_bare(word)}."
            return f"They already have {word}." if v else f"They don't have {word}."
        r = _record(domain, op.attr)
        noun = r.spoken if r is not None else op.attr.replace("_", " ")
        return (
            f"{noun[0].upper() + noun[1:]} is already {v if not isinstance(v, float) else _num(v)}."
        )
    if eff.noop and eff.noop != "nothing changed":
        return eff.noop[0].upper() + eff.noop[1:] + "."
    return None


def sentence(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return ""
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[0].upper() + text[1:] + "."


def _is_blend_change(ch: Change) -> bool:
    """Identity / style and category blends (``offset:mix:…``,
    ``offset:blend:…``) are said once, as the blend, not one by one."""
    return ch.attr.startswith("offset:") and is_blend(ch.attr[len("offset:") :])


def _blend_text(op) -> str:
    t = float(op.t) if isinstance(op.t, (int, float)) and not isinstance(op.t, bool) else 0.5
    how = {0.5: "halfway", 0.25: "a quarter of the way", 0.75: "three quarters of the way"}.get(
        round(t, 3), f"{t:.0%} of the way"
    )
    ref = op.ref
    where = {"previous": "the previous image", "first": "the first image"}.get(ref, f"step {ref}")
    return f"blended {how} toward {where}"


@dataclass
class Reply:
    """A reply built from parts; ``text()`` joins them.

    ``changed`` are phrases of what changed (one sentence), ``clamped`` what hit
    a limit, ``unchanged`` why an op did nothing, ``meta`` undo / goto / save /
    export / help texts, ``checked`` what the picture reads back, ``notes`` the
    generator's remarks, ``errors`` what went wrong after applying.  ``whole``
    is a reply that is one message (a question, an answer, a refusal);
    ``read_as`` and ``instead_of`` frame a fallback reading and a correction."""

    changed: list[str] = field(default_factory=list)
    clamped: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    whole: str | None = None
    read_as: str | None = None
    instead_of: str | None = None

    def body(self) -> list[str]:
        out: list[str] = []
        if self.changed:
            said = sentence(self.changed)
            if self.instead_of is not None:
                said = f"Instead of '{self.instead_of}': {said[0].lower() + said[1:]}"
            out.append(said)
        elif self.instead_of is not None:
            out.append(f"Instead of '{self.instead_of}': the picture is as it was before that.")
        return out + self.clamped + self.unchanged + self.meta + self.checked

    def text(self) -> str:
        if self.whole is not None:
            return " ".join([self.whole] + self.errors)
        body = self.body()
        if self.read_as and body:
            body = [f"(Read as '{self.read_as}'.)"] + body
        if not body and not self.notes:
            body = ["Nothing changed."]
        return " ".join(body + self.notes + self.errors)


def _changes_said(domain: str, effects) -> list[str]:
    changes: list[str] = []
    for eff in effects:
        said = [
            describe_change(domain, ch)
            for ch in eff.changes
            if not (ch.attr == "z" and any(c.attr in ("identity", "style") for c in eff.changes))
            and not _is_blend_change(ch)
        ]
        latent_text = (
            _set_latent_text(eff.op)
            if getattr(eff.op, "tag", None) == "set_latent" and eff.changes
            else None
        )
        if latent_text:
            said = [latent_text]
        if getattr(eff.op, "tag", None) == "interpolate" and eff.changes:
            said = [_blend_text(eff.op)] + [
                describe_change(domain, ch)
                for ch in eff.changes
                if ch.attr not in ("z", "identity", "style") and not _is_blend_change(ch)
            ][:4]
        changes += said
    return changes


def reply_parts(domain: str, outcome: TurnOutcome, extra: dict[str, Any] | None = None) -> Reply:
    """The parts of the reply to one turn from its outcome; ``extra`` carries
    texts for save/export/help/history that the manager produced."""
    extra = extra or {}
    r = Reply(changed=_changes_said(domain, outcome.effects))
    attrs = dict(outcome.state.attributes)
    for eff in outcome.effects:
        for c in eff.clamps:
            r.clamped.append(_clamp_text(domain, c))
        if eff.error:
            r.unchanged.append(f"I couldn't do that: {eff.error}.")
        elif not eff.changes and not eff.clamps:
            t = _noop_text(domain, eff, attrs)
            if t:
                r.unchanged.append(t)
    out = r.meta
    undos = [d for k, d in outcome.meta if k == "undo" and d is not None]
    if len(undos) > 1:  # "undo twice": one sentence for all of them
        what = sentence(describe_change(domain, ch) for d in undos for ch in d if ch.attr != "z")
        out.append(
            f"Went back {len(undos)} steps: {what[0].lower() + what[1:]}"
            if what
            else f"Went back {len(undos)} steps."
        )
    for kind, detail in outcome.meta:
        if kind == "undo" and detail is not None and len(undos) > 1:
            continue
        if kind in ("undo", "redo"):
            if detail is None:  # said once ("undo twice" with nothing to undo)
                done = any(k == kind and d is not None for k, d in outcome.meta)
                text = f"There was nothing more to {kind}." if done else f"Nothing to {kind}."
                if text not in out:
                    out.append(text)
            else:
                what = sentence(describe_change(domain, ch) for ch in detail if ch.attr != "z")
                verb = "Undid the last change" if kind == "undo" else "Redid it"
                out.append(f"{verb}: {what[0].lower() + what[1:]}" if what else f"{verb}.")
        elif kind in ("goto", "reset"):
            step, changes_ = detail
            head = "Started over from step 0" if kind == "reset" else f"Back at step {step}"
            out.append(f"{head}." if changes_ else f"{head}; the image is the same as now.")
        elif kind == "repeat_none":
            out.append(
                "The last change has no more or less to it, so nothing changed."
                if detail
                else "There is no edit yet to repeat."
            )
        elif kind == "goto_missing":
            step, last = detail
            out.append(f"There is no step {step}; the steps so far are 0 to {last}.")
        elif kind in extra:
            out.append(extra[kind])
    return r


def reply_for(domain: str, outcome: TurnOutcome, extra: dict[str, Any] | None = None) -> str:
    """The reply to one turn from its outcome (``reply_parts`` joined)."""
    return reply_parts(domain, outcome, extra).text()


def help_text(domain: str, attributes: dict) -> tuple[str, list[str]]:
    """Suggestions drawn from the schema and the current state."""
    if domain == "faces":
        s = [
            "add sunglasses" if attributes.get("eyewear") == "none" else "take off the glasses",
            "turn left a bit",
            "light from the right",
            "smile" if attributes.get("expression") != "happy" else "smile more",
            "make the hair red" if attributes.get("hair_color") != "red" else "make the hair blond",
            "add a hat" if not attributes.get("hat") else "remove the hat",
            "another person",
            "a bit brighter",
        ]
    else:
        s = [
            "turn it left",
            "view from higher up",
            "add armrests" if not attributes.get("armrests") else "remove the armrests",
            "make it red" if attributes.get("color") != "red" else "make it blue",
            "pedestal base" if attributes.get("legs") == "four" else "four legs",
            "zoom in",
            "taller back",
            "another chair",
        ]
    meta = [
        "undo",
        "redo",
        "go back to step 2",
        "start over",
        "again",
        "less",
        "switch to " + ("chairs" if domain == "faces" else "faces"),
        "export a gif",
        "history",
        "draw",
        "sketch the current picture",
    ]
    names = ", ".join(get_schema(domain).names)
    text = (
        "Try: "
        + ", ".join(f"'{x}'" for x in s)
        + ". Also: "
        + ", ".join(meta)
        + f". Attributes: {names}."
    )
    return text, s + meta
