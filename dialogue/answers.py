"""Answers to questions about the state and the history; they change nothing.

"what did you change?", "what is she wearing?", "which way is he facing?",
"what can I change?", "how many steps so far?", "what colour is the hair?";
any other question gets a short description of the picture.
"""

from __future__ import annotations

import re
from typing import Any

from generators import vocabulary as V
from generators.schema import get_schema


def answer(q: str, ctx, facts) -> str:
    for rule in (_how, _steps, _can_change, _changed, _wearing, _facing, _attribute):
        got = rule(q, ctx, facts)
        if got:
            return got
    return "Right now: " + summary(facts.domain, facts.attributes) + ". Nothing changed."


def _how(q, ctx, facts) -> str | None:
    if not re.match(r"(?:\w+ )*?how (?:do|can|should|would) (?:i|you|we)\b", q):
        return None
    ex = (
        "'add sunglasses', 'turn left a bit', 'undo'"
        if facts.domain == "faces"
        else "'turn it left', 'make it red', 'undo'"
    )
    return (
        f"Just say what to change in plain words, for example {ex}; 'help' lists more. "
        "Nothing changed."
    )


def _changed(q, ctx, facts) -> str | None:
    if not re.search(r"\b(?:change|changed|do|did|done|happen|happened|differen)", q) or re.search(
        r"\bcan i\b|\bcould i\b", q
    ):
        return None
    from dialogue import replies
    from sessions.apply import diff

    if facts.step == 0:
        return "Nothing yet: this is the starting image."
    last = ""
    if ctx.last_input and ctx.last_step_before is not None and ctx.last_step is not None:
        try:
            ch = diff(facts.state_at(ctx.last_step_before), facts.state_at(ctx.last_step))
            said = replies.sentence(
                replies.describe_change(facts.domain, c) for c in ch if c.attr != "z"
            )
            if said:
                last = f"Last, for '{ctx.last_input}': {said[0].lower() + said[1:]}"
        except (IndexError, KeyError):
            last = ""
    total = diff(facts.state_at(0), facts.state_at(facts.step))
    since = replies.sentence(
        replies.describe_change(facts.domain, c)
        for c in total
        if c.attr not in ("z",) and not c.attr.startswith("offset:")
    )
    out = [last] if last else []
    if since and (not last or len(total) > 1):
        out.append(f"Compared with the start: {since[0].lower() + since[1:]}")
    elif not since:
        out.append("The picture is back to how it started.")
    return " ".join(out) + " (Nothing changed now.)"


def _steps(q, ctx, facts) -> str | None:
    if not re.search(
        r"\bhow many\b.*\b(?:steps?|changes?|edits?|turns?|images?|moves?)\b"
        r"|\bwhat step\b|\bwhich step\b",
        q,
    ):
        return None
    now = facts.state_at(facts.step)
    same = next((n for n in range(facts.step) if facts.state_at(n) == now), None)
    like = f"; it is the same picture as step {same}" if same is not None else ""
    return (
        f"{facts.step} image step{'s' if facts.step != 1 else ''} so far "
        f"(step 0 is the start, step {facts.step} is shown now{like}), over {facts.turns} "
        f"line{'s' if facts.turns != 1 else ''} typed."
    )


def _can_change(q, ctx, facts) -> str | None:
    if not re.search(
        r"\b(?:can|could) (?:i|you|we) (?:change|edit|do|adjust|modify)\b"
        r"|\bwhat (?:things |attributes )?(?:can|could) (?:i|you|we)\b"
        r"|\bwhat (?:are|is) (?:the )?(?:options|attributes)\b",
        q,
    ):
        return None
    voc = V.vocabulary(facts.domain)
    schema = get_schema(facts.domain)
    nouns = [r.spoken.removeprefix("the ") for r in voc if r.kind != "seed" and r.name in schema]
    nouns = list(dict.fromkeys(nouns))
    what = "another person" if facts.domain == "faces" else "another chair"
    return (
        f"I can change {', '.join(nouns)}; and '{what}', undo, 'go back to step N'. "
        "Type 'help' for examples."
    )


def _wearing(q, ctx, facts) -> str | None:
    if not re.search(r"\bwear|\bwearing\b|\bhave on\b|\bhas on\b|\bput on\b", q):
        return None
    if facts.domain != "faces":
        return None
    a = facts.attributes
    things = []
    if a.get("eyewear", "none") != "none":
        things.append(str(a["eyewear"]))
    if a.get("hat"):
        things.append("a hat")
    if not things:
        return "They are not wearing anything I can draw: no glasses and no hat."
    return "They are wearing " + " and ".join(things) + "."


def _facing(q, ctx, facts) -> str | None:
    if not re.search(
        r"\b(?:facing|face|looking|look|turned|pointing|way|direction|angle|view)\b", q
    ) or not re.search(r"\bwhich\b|\bwhere\b|\bwhat\b|\bhow\b|\bis\b", q):
        return None
    a = facts.attributes
    if facts.domain == "faces":
        yaw, pitch = float(a["yaw"]), float(a["pitch"])
        side = (
            "straight at the camera"
            if abs(yaw) < 0.5
            else f"{abs(yaw):g}° to the {'left' if yaw < 0 else 'right'}"
        )
        tilt = (
            ""
            if abs(pitch) < 0.5
            else f", head tilted {'up' if pitch > 0 else 'down'} {abs(pitch):g}°"
        )
        return f"They are looking {side}{tilt}."
    from generators.studio.captions import _view

    return (
        f"The chair is seen from the {_view(a)} (azimuth {float(a['azimuth']):g}°), "
        f"camera elevation {float(a['elevation']):g}°."
    )


def _attribute(q, ctx, facts) -> str | None:
    schema = get_schema(facts.domain)

    def said(words) -> bool:
        return any(re.search(rf"\b{re.escape(w)}\b", q) for w in words if len(w) > 2)

    records = [r for r in V.vocabulary(facts.domain) if r.kind != "seed" and r.name in schema]
    # an attribute named ("the hat") before one of whose values is named ("red")
    found = [r for r in records if said(r.names)] or [r for r in records if said(r.value_words())]
    if not found:
        return None
    return " ".join(state_text(facts.domain, r.name, facts.attributes[r.name]) for r in found[:3])


def state_text(domain: str, name: str, value: Any) -> str:
    """One attribute's current value in words ("The hair is red.")."""
    r = V.record(domain, name)
    noun = r.spoken if r is not None else "the " + name.replace("_", " ")
    if r is not None and r.kind == "bool":
        who = "They" if domain == "faces" else "The chair"
        has = "have" if domain == "faces" else "has"
        hasnt = "don't have" if domain == "faces" else "doesn't have"
        thing = r.reply.thing or noun
        return f"{who} {has if value else hasnt} {thing}."
    if isinstance(value, float):
        unit = get_schema(domain).get(name).unit
        return f"{noun[0].upper() + noun[1:]} is at {value:g}{unit}."
    if name == "eyewear":
        return "No glasses." if value == "none" else f"They are wearing {value}."
    return f"{noun[0].upper() + noun[1:]} is {value}."


def summary(domain: str, attributes) -> str:
    """The picture in a few words (from the captions)."""
    from generators.studio.captions import caption

    return caption(domain, attributes)
