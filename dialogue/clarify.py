"""Clarifying questions and reading the answer to one.

When the fallback is unsure it asks "Did you mean 'add sunglasses' or 'add
glasses'?" and changes nothing.  The next turn's text resolves the question when
it is a yes ("yes" = the first option), an ordinal ("the first one", "the
second", "2"), or words that name exactly one option ("sunglasses"); "no" /
"neither" declines it; anything else is parsed as a new command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dialogue.grammar import clean
from dialogue.lexicon import FILLER, POLITENESS
from dialogue.types import Clarification
from generators.schema import SCHEMAS
from sessions.ops import Adjust, Describe, Op, Set

YES = frozenset(
    {
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "ok",
        "okay",
        "correct",
        "exactly",
        "y",
        "affirmative",
        "indeed",
        "right",
        "that",
        "that one",
        "yes please",
        "please",
        "do it",
        "go ahead",
    }
)
NO = frozenset(
    {
        "no",
        "nope",
        "neither",
        "neither one",
        "none",
        "cancel",
        "nah",
        "never mind",
        "nevermind",
        "forget it",
        "n",
        "none of them",
        "no thanks",
        "neither of them",
        "not really",
    }
)
ORDINALS = {
    0: ("first", "1", "1st", "one", "former", "top", "a", "option 1", "option one"),
    1: (
        "second",
        "2",
        "2nd",
        "two",
        "latter",
        "other",
        "b",
        "last",
        "option 2",
        "option two",
        "bottom",
    ),
}
DECLINED = -1

_WORD = re.compile(r"[a-z0-9']+")
_FILLER = (
    FILLER
    | {
        "one",
        "please",
        "the",
        "i",
        "mean",
        "meant",
        "did",
        "option",
        "yes",
        "yeah",
        "thanks",
        "want",
    }
    | {p for p in POLITENESS if " " not in p}
)


def label(command: str) -> str:
    """What a clarifying question shows for a canonical command: words a
    person would type, never an internal op name ('goto 2')."""
    m = re.fullmatch(r"goto (\d+)", command)
    if m:
        return f"go back to step {m.group(1)}"
    m = re.fullmatch(r"([a-z_]+) ([a-z]+)", command)
    if m and any(m.group(1) in s for s in SCHEMAS.values()):
        attr, value = m.groups()  # "hair_color red" -> "red hair color"
        if attr == "eyewear":
            return "remove glasses" if value == "none" else f"add {value}"
        if attr == "expression":
            return f"look {value}"
        return f"{value} {attr.replace('_', ' ')}"
    command = command.replace("_", " ")
    return {
        "no hat": "remove the hat",
        "no beard": "remove the beard",
        "no armrests": "remove the armrests",
    }.get(command, command)


#: ops never offered for an unclear request: they change identity or discard work
DESTRUCTIVE = frozenset({"new_seed", "reset", "switch_domain", "switch_generator"})


def _attrs(ops: Sequence[Op]) -> frozenset[str]:
    out: set[str] = set()
    for o in ops:
        attr = getattr(o, "attr", None)
        if attr:
            out.add(attr)
        out.update(getattr(o, "attributes", {}) or {})
    return frozenset(out)


def make(candidates: Sequence[tuple[str, tuple[Op, ...]]]) -> Clarification | None:
    """A question offering the (label, ops) candidates, best first (one or two), or None
    when none is left: destructive options are never offered, and two readings of the
    same attribute (typically its two opposite choices) become one question about the
    first ("Did you mean 'remove glasses'?")."""
    options = tuple(
        (label(c), ops) for c, ops in candidates[:2] if not any(o.tag in DESTRUCTIVE for o in ops)
    )
    if not options:
        return None
    if (
        len(options) == 2
        and _attrs(options[0][1])
        and _attrs(options[0][1]) == _attrs(options[1][1])
    ):
        options = options[:1]
    if len(options) == 1:
        question = f"Did you mean '{options[0][0]}'?"
    else:
        question = f"Did you mean '{options[0][0]}' or '{options[1][0]}'?"
    return Clarification(question=question, options=options)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in _FILLER]


def answer(text: str, pending: Clarification) -> int | None:
    """The option ``text`` picks (0, 1, …), ``DECLINED``, or None when it is no answer."""
    t = re.sub(r"[^\w' ]+", " ", clean(text)).strip()
    t = re.sub(r"^(?:i (?:mean|meant)|i said|yes,?|yeah,?) ", "", t)
    if not t:
        return None
    n = len(pending.options)
    labels = [clean(label) for label, _ in pending.options]
    if t in labels:
        return labels.index(t)
    if t in YES:
        return 0
    if t in NO:
        return DECLINED
    core = re.sub(r"^(?:the|option|number) |(?: one| option)$", "", t).strip()
    for idx, words in ORDINALS.items():
        if idx < n and (core in words or t in words):
            return idx
    said = set(_words(t))
    if not said:
        return None
    label_words = [set(_words(label)) for label in labels]
    if not said <= set().union(*label_words):
        return None
    hits = [
        i
        for i, lw in enumerate(label_words)
        if said & (lw - set().union(*(o for j, o in enumerate(label_words) if j != i)))
    ]
    return hits[0] if len(hits) == 1 else None


def ask(label: str, ops: tuple[Op, ...]) -> Clarification:
    """A yes / no question about one reading: "Remove the glasses?"."""
    return Clarification(question=f"{label[:1].upper()}{label[1:]}?", options=((label, ops),))


def label_of(ops: Sequence[Op], domain: str) -> str:
    """A short command-like label for ops ("remove the glasses", "make the hair red")."""
    from generators.schema import get_schema

    schema = get_schema(domain)
    parts = []
    for o in ops:
        if isinstance(o, Describe):
            parts.append(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in o.attributes.items()))
            continue
        attr = getattr(o, "attr", None)
        if attr is None:
            parts.append(o.tag.replace("_", " "))
            continue
        noun = {
            "eyewear": "glasses",
            "hair_color": "hair",
            "skin_tone": "skin",
            "expression_strength": "expression",
            "back_height": "back",
        }.get(attr, attr.replace("_", " "))
        if isinstance(o, Set) and isinstance(o.value, bool):
            parts.append(f"{'add' if o.value else 'remove'} the {noun}")
        elif isinstance(o, Set) and attr == "eyewear":
            parts.append("remove the glasses" if o.value == "none" else f"add {o.value}")
        elif isinstance(o, Set) and attr == "expression":
            parts.append(f"look {o.value}")
        elif isinstance(o, Set):
            parts.append(f"make the {noun} {o.value}")
        elif isinstance(o, Adjust):
            a = schema.get(attr)
            way = "more" if o.delta > 0 else "less"
            if attr in ("yaw", "azimuth", "shift_x", "light_azimuth"):
                way = "right" if o.delta > 0 else "left"
            elif attr in ("pitch", "elevation", "shift_y", "light_elevation"):
                way = "up" if o.delta > 0 else "down"
            parts.append(f"{noun} {way} by {abs(o.delta):g}{a.unit}")
        else:
            parts.append(f"{o.tag} {noun}")
    return " and ".join(p for p in parts if p)
