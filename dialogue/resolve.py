"""Resolving a line against the dialogue context (``dialogue.context``).

``resolve(text, ctx, facts)`` returns a ``Resolution`` when the line leans on
the conversation, or None (then the parser reads it alone).  Each rule is one
function, tried in this order:

- ``social``: greetings, thanks, "that's all", "looks good": a short reply;
- ``question``: questions about the state or the history (``dialogue.answers``);
- ``correction``: "no, sunglasses", "actually make those sunglasses", "sorry, I
  meant a hat", "I meant right", "the other side", "not the hair, the
  background": ONE turn that undoes the previous edit and applies the
  corrected reading (ops ``[Undo(), ...]``, or ``[Goto(step before), ...]``
  when the corrected edit is no longer the current node);
- ``reverse``: "the other way", "the opposite": the last move the other way
  (replacing it when it was the last turn; "now the other way" moves on);
- ``ellipsis``: "higher", "even higher", "further", "a bit more", "and 10 more
  degrees", "twice as much", "not so much", a bare "30 degrees": the last move
  continued on its attribute;
- ``anaphora``: "take them off", "remove it", "make it bigger", "change that to
  blue": the thing or attribute last mentioned;
- ``view``: a face "turned around" / "from behind" (explained, nothing
  changes) and "from above" / "from below" on a face (the head's pitch);
- ``unsupported``: things outside the schema (vocabulary ``unsupported``
  records), when the grammar cannot read the line: the nearest supported things.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogue import answers, grammar
from dialogue.context import DialogueContext
from generators import vocabulary as V
from generators.schema import get_schema
from sessions import ops as O


@dataclass(frozen=True)
class Resolution:
    kind: str  # social | question | correction | reverse | ellipsis | ...
    ops: tuple[O.Op, ...] = ()
    note: str = ""  # how the line was read (the record's "resolved")
    reply: str | None = None  # the reply of a line that changes nothing
    corrects: str | None = None  # the input of the corrected turn


@dataclass
class Facts:
    """What rules may read besides the context (the manager fills it in)."""

    domain: str
    attributes: Mapping[str, Any]
    step: int  # the image step shown now
    turns: int  # lines typed so far, this one included
    state_at: Callable[[int], Any]  # ImageState of an image step
    parse: Callable[[str, Mapping[str, Any]], list[O.Op] | None] = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.parse is None:
            self.parse = lambda text, attrs: grammar.parse_ops(text, self.domain, attrs)


def normal(text: str) -> str:
    """Lowercase words, digits and signs; punctuation as spaces (a comma kept)."""
    t = grammar.clean(text)
    t = re.sub(r"[^\w,.+\-' ]+", " ", t).replace("'", "")
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    return " ".join(t.split())


def resolve(text: str, ctx: DialogueContext, facts: Facts) -> Resolution | None:
    t = normal(text)
    if not re.search(r"[a-z0-9]", t):
        return None
    bare = t.replace(",", " ")
    bare = " ".join(bare.split())
    for rule in (
        _social,
        _question,
        _correction,
        _reverse,
        _ellipsis,
        _anaphora,
        _view,
        _attribute_words,
        _unsupported,
    ):
        try:
            got = rule(t, bare, ctx, facts, text)
        except (KeyError, ValueError, TypeError, IndexError):
            got = None
        if got is not None:
            return got
    return None


# -- social ------------------------------------------------------------------------
_THANKS = (
    "thank you so much",
    "thank you very much",
    "thanks a lot",
    "thanks so much",
    "many thanks",
    "much appreciated",
    "thank you",
    "thanks",
    "thx",
    "ty",
    "cheers",
    "ta",
)
_DONE = (
    "thats all for now",
    "that is all for now",
    "thats all",
    "that is all",
    "thats it",
    "that is it",
    "im done",
    "i am done",
    "we are done",
    "were done",
    "all done",
    "done",
    "bye",
    "goodbye",
    "good bye",
    "see you",
    "see ya",
    "for now",
    "thats enough",
    "enough for now",
    "nothing else",
    "nothing more",
    "no more changes",
    "finished",
    "that will do",
    "thatll do",
    "good night",
)
_LIKE = (
    "looks good",
    "looks great",
    "looks nice",
    "looks perfect",
    "looks fine",
    "looks lovely",
    "looks amazing",
    "love it",
    "i love it",
    "i like it",
    "i like that",
    "nice one",
    "perfect",
    "great",
    "nice",
    "cool",
    "awesome",
    "good",
    "lovely",
    "wonderful",
    "excellent",
    "brilliant",
    "amazing",
    "wow",
    "fine",
    "ok",
    "okay",
    "alright",
    "all right",
    "sweet",
    "neat",
    "beautiful",
    "fantastic",
    "super",
    "very good",
    "well done",
    "good job",
    "that works",
    "much better",
    "better",
)
_HELLO = (
    "good morning",
    "good afternoon",
    "good evening",
    "hello there",
    "hi there",
    "hey there",
    "hello",
    "hi",
    "hey",
    "howdy",
    "yo",
    "greetings",
    "hiya",
)
_GLUE = {
    "so",
    "very",
    "really",
    "for",
    "now",
    "much",
    "and",
    "oh",
    "that",
    "this",
    "is",
    "its",
    "it",
    "thank",
    "you",
    "then",
    "just",
    "all",
    "ok",
    "okay",
    "yes",
    "yeah",
    "great",
    "please",
    "lol",
    "haha",
    "again",
    "anyway",
    "alright",
    "well",
    "one",
    "bot",
    "assistant",
    "holochat",
    "buddy",
    "mate",
    "a",
    "lot",
    "my",
    "friend",
}


def _strip_phrases(t: str, phrases) -> tuple[str, bool]:
    hit = False
    for p in sorted(phrases, key=len, reverse=True):
        new = re.sub(rf"(?<![a-z]){re.escape(p)}(?![a-z])", " ", t)
        hit |= new != t
        t = new
    return t, hit


def _social(t, bare, ctx, facts, text) -> Resolution | None:
    if bare in ("yes", "yeah", "yep", "yup", "sure"):
        return Resolution(
            "social",
            reply="There is no open question just now; tell me what to change, or type 'help'.",
            note="a stray yes",
        )
    if bare in ("no", "nope", "nah", "no thanks", "no no", "wrong", "not that"):
        return Resolution(
            "social",
            reply="Okay. Say what you'd like instead, or 'undo' to take "
            "back the last change; nothing changed.",
            note="a stray no",
        )
    rest = bare
    rest, thanks = _strip_phrases(rest, _THANKS)
    rest, done = _strip_phrases(rest, _DONE)
    rest, hello = _strip_phrases(rest, _HELLO)
    rest, like = _strip_phrases(rest, _LIKE)
    if any(w not in _GLUE for w in rest.split()):
        return None
    if not (thanks or done or hello or like):
        return None
    subject = get_schema(facts.domain).subject
    if done:
        reply = (
            "You're welcome. " if thanks else ""
        ) + "Glad to help; every turn is already saved, so you can come back to it any time."
    elif thanks:
        reply = "You're welcome. Tell me if you want to change anything else."
    elif hello:
        reply = f"Hello! Tell me what to change about the {subject}, or ask 'what can I change?'."
    else:
        reply = "Glad you like it. Tell me if you want to change anything else."
    return Resolution(
        "social",
        reply=reply,
        note="conversation: "
        + ("thanks" if thanks else "done" if done else "greeting" if hello else "approval"),
    )


# -- questions ------------------------------------------------------------------------
_QUESTION = re.compile(
    r"^(?:so |and |ok |okay |hey |um |hmm |wait |sorry )*"
    r"(?:what(?!\s+(?:about|if)\b)|whats|which|how many|how much|how far"
    r"|where|who|why|is (?:she|he|it|the|there|that|this|they)|are (?:they|the|there|those|these)"
    r"|does (?:she|he|it|the|that|this)|do (?:they|i|we)(?! that)|did (?:you|i|we)"
    r"|have (?:you|i|we)"
    r"|has (?:she|he|it|the)|can i (?:change|edit|do)|tell me (?:what|which|how|about)"
    r"|how (?:do|can|should|would) (?:i|you|we)"
    r"|describe (?:the|her|him|it|this|what)|remind me)\b"
)


_HELP = re.compile(
    r"(?:so |and |ok )?(?:what can (?:i|you) do(?: here| for me)?|how does (?:this|it) work"
    r"|what commands(?: are there)?|what can i say)"
)


def _question(t, bare, ctx, facts, text) -> Resolution | None:
    if not _QUESTION.match(bare) or _HELP.fullmatch(bare):
        return None
    reply = answers.answer(bare, ctx, facts)
    return Resolution("question", reply=reply, note="a question: answered from the state")


# -- corrections -------------------------------------------------------------------------
_FILL = r"(?:(?:hmm+|um+|uh+|oh|well|ok|okay|ah|ugh|whoa|woah)\s*,?\s*)*"
# words that mark a correction only before a comma ("no, sunglasses"; "no sunglasses"
# is a command) and words that always do ("sorry, I meant a hat", "oops I meant green")
_SOFT = r"(?:no|nope|nah|wait|oops|whoops|hmm+|um+|ugh|oh|sorry|actually)"
_HARD = (
    r"(?:sorry|actually|rather|instead|i mean|i meant|i said|what i meant was|correction"
    r"|my bad|my mistake|scratch that|wrong)"
)
_MARKER = re.compile(
    r"^"
    + _FILL
    + r"(?:(?:"
    + _SOFT
    + r"\s*,?\s*)*"
    + _HARD
    + r"\b\s*,?\s*(?:"
    + _HARD
    + r"\b\s*,?\s*)*|(?:"
    + _SOFT
    + r"\s+)*"
    + _SOFT
    + r"\s*,\s*|(?:no|nope|nah)\s+(?=make\s+"
    r"(?:that|those|it|them)))"
)
_LEAD_NO = re.compile(r"^(?:(?:no|nope|nah|oops|whoops|sorry|wait|hmm+|actually)\s+)+")
_NOT_X_Y = re.compile(
    r"^" + _FILL + r"(?:(?:no|oops|sorry|actually|wait)\s*,?\s*)*"
    r"not (?:the |her |his |its |their )?(?P<x>[a-z ]+?)\s*,\s*"
    r"(?:but |i meant |rather |instead )?(?:the |her |his |its |their )?"
    r"(?P<y>[a-z ]+)$"
)
_SWAP = {
    "left": "right",
    "right": "left",
    "up": "down",
    "down": "up",
    "higher": "lower",
    "lower": "higher",
    "above": "below",
    "below": "above",
    "brighter": "darker",
    "darker": "brighter",
    "in": "out",
    "out": "in",
    "bigger": "smaller",
    "smaller": "bigger",
    "taller": "shorter",
    "shorter": "taller",
    "more": "less",
    "less": "more",
    "lighter": "darker",
    "stronger": "weaker",
    "weaker": "stronger",
}
_OTHER_SIDE = re.compile(
    r"^(?:(?:to |on |from )?the )?(?:other|opposite) (?:side|way|direction)"
    r"(?: instead| then| please)*$|^(?:the )?opposite(?: direction| way| side)?"
    r"(?: instead| please)*$|^(?:reverse|flip) (?:it|that|the direction)$"
    r"|^(?:(?:thats |that is |its )?the )?wrong (?:way|direction|side)$"
)
_INSTEAD = re.compile(
    r"(?:(?:hmm+|um+|uh+|oh|well|ok|okay|ah|maybe|perhaps|how about|what about"
    r"|lets try|let's try|try|go with|make it|make that|make them)\s+)*"
    r"(?P<what>[a-z0-9 ]+?)\s+(?:instead|rather)(?: please| then)?"
)
_LEADS = re.compile(
    r"^(?:make (?:that|those|it|them|this|these)|change (?:that|those|it|them) to"
    r"|(?:i )?(?:want|wanted|said)|give (?:her|him|them|it)|put on|use|just)\s+"
)


def _corrected_pre_state(ctx, facts):
    if ctx.last_step_before is None or not ctx.last_input:
        return None
    try:
        return facts.state_at(ctx.last_step_before)
    except (IndexError, KeyError):
        return None


def _undo_ops(ctx, facts) -> list[O.Op]:
    """The ops that take the corrected turn back."""
    ops = list(ctx.last_ops)
    if ops and ops[0].get("op") in ("undo", "goto") and ctx.last_input:
        ops = ops[1:]  # the last turn was itself a correction
    if (
        ctx.last_step is not None
        and ctx.last_step == facts.step
        and not any(o.get("op") in ("undo", "redo", "goto", "reset") for o in ops)
    ):
        return [O.Undo()]
    return [O.Goto(int(ctx.last_step_before))]


def _swap_directions(text: str) -> str:
    return re.sub(r"\b(" + "|".join(_SWAP) + r")\b", lambda m: _SWAP[m.group(1)], text.lower())


def _flipped(ctx, attrs, facts) -> list[O.Op] | None:
    """The last edit read the other way round."""
    out: list[O.Op] = []
    for d in ctx.last_ops:
        op = O.op_from_json(d)
        if isinstance(op, (O.Undo, O.Goto)):
            continue  # the last turn was itself a correction
        if isinstance(op, O.Adjust):
            out.append(O.Adjust(op.attr, -op.delta))
        elif (
            isinstance(op, O.Set)
            and isinstance(op.value, (int, float))
            and not isinstance(op.value, bool)
            and op.attr in ("yaw", "light_azimuth", "shift_x")
        ):
            out.append(O.Set(op.attr, -op.value))
        else:
            out = []  # not every op flips: read the words swapped
            break
    if out:
        return out
    swapped = _swap_directions(ctx.last_input)
    if swapped != ctx.last_input.lower():
        ops = facts.parse(swapped, attrs)
        if ops:
            return ops
    return None


def _correction(t, bare, ctx, facts, text) -> Resolution | None:
    pre = _corrected_pre_state(ctx, facts)
    m = _NOT_X_Y.match(t)
    new_ops = None
    rest = None
    if m and ctx.said and ctx.said != ctx.last_input:
        # the line before did nothing: read it again with the word replaced
        x, y = m["x"].strip(), m["y"].strip()
        prev = normal(ctx.said)
        if re.search(rf"\b{re.escape(x)}\b", prev):
            ops = facts.parse(re.sub(rf"\b{re.escape(x)}\b", y, prev), dict(facts.attributes))
            if ops:
                return Resolution(
                    "correction",
                    tuple(ops),
                    f"'{_short(text)}' → '{_short(ctx.said)}' with '{y}' for '{x}'",
                )
    if m and pre is not None:
        x, y = m["x"].strip(), m["y"].strip()
        prev = ctx.last_input.lower()
        if re.search(rf"\b{re.escape(x)}\b", prev):
            new_ops = facts.parse(re.sub(rf"\b{re.escape(x)}\b", y, prev), dict(pre.attributes))
        if not new_ops:
            new_ops = _reading_of(y, ctx, dict(pre.attributes), facts)
        rest = y
    if new_ops is None:
        mm = _MARKER.match(t)
        side = _OTHER_SIDE.match(_LEAD_NO.sub("", bare))
        late = _INSTEAD.fullmatch(bare)
        if late and not mm and not side and pre is not None:
            # "hmm maybe blond instead": a correction said at the end
            new_ops = _reading_of(late["what"], ctx, dict(pre.attributes), facts)
            if new_ops:
                ops = _undo_ops(ctx, facts) + list(new_ops)
                return Resolution(
                    "correction",
                    tuple(ops),
                    f"'{_short(text)}' corrects '{_short(ctx.last_input)}': read as "
                    f"{_ops_text(new_ops)} instead",
                    corrects=ctx.last_input,
                )
            return None
        if not mm and not side:
            return None
        if pre is None:
            return None
        rest = t[mm.end() :].strip(" ,") if mm else _LEAD_NO.sub("", bare)
        while (more := _MARKER.match(rest)) and more.end():  # "actually no, four legs"
            rest = rest[more.end() :].strip(" ,")
        rest = re.sub(r"^(?:i meant|i mean|i said)\s*,?\s*", "", rest).strip(" ,")
        if not rest:
            return None
        attrs = dict(pre.attributes)
        if side:
            rest = _LEAD_NO.sub("", bare)
        if side or _OTHER_SIDE.match(rest) or rest in _SWAP:
            if rest in _SWAP:
                # "I meant right": the direction named, in the last edit's words
                new_ops = _named_direction(ctx, attrs, facts, rest) or _flipped(ctx, attrs, facts)
            else:
                new_ops = _flipped(ctx, attrs, facts)
        else:
            new_ops = _reading_of(rest, ctx, attrs, facts)
    if new_ops is None:
        return None
    ops = _undo_ops(ctx, facts) + list(new_ops)  # [] = only take the turn back
    note = (
        f"'{_short(text)}' corrects '{_short(ctx.last_input)}': read as "
        f"{_ops_text(new_ops)} instead"
    )
    return Resolution("correction", tuple(ops), note, corrects=ctx.last_input)


def _named_direction(ctx, attrs, facts, word) -> list[O.Op] | None:
    prev = normal(ctx.last_input)
    said = [w for w in _SWAP if re.search(rf"\b{w}\b", prev)]
    for w in sorted(said, key=lambda w: _SWAP[w] != word):  # the opposite first
        ops = facts.parse(re.sub(rf"\b{w}\b", word, prev), attrs)
        if ops:
            return ops
    return None


def _reading_of(rest: str, ctx, attrs, facts) -> list[O.Op] | None:
    """What a correction's words mean in the state before the corrected turn."""
    rest = _LEADS.sub("", rest).strip()
    gone = re.fullmatch(
        r"(?:remove|get rid of|lose|drop|ditch|undo|no|take away|take off|forget)"
        r" (?:the |that |this |those )?(?P<w>[a-z ]+)",
        rest,
    )
    if gone and ctx.attr:
        # "actually, get rid of the red": the corrected turn is only taken back
        r = V.record(facts.domain, ctx.attr)
        said = {v for v in (r.value_words() if r else {})} | set(r.names if r else ())
        if gone["w"] in said or gone["w"] in ("change", "last change", "that", "it"):
            return []
    amount = re.fullmatch(_NUMBER + r"(?:\s*(?:degrees?|deg|percent))?", rest)
    if amount:  # "no, 15": the same move by that much
        last = [O.op_from_json(d) for d in ctx.last_ops if d.get("op") in ("adjust", "set")]
        if len(last) == 1 and isinstance(
            getattr(last[0], "delta", getattr(last[0], "value", None)), (int, float)
        ):
            n = _num(amount["n"])
            op = last[0]
            if isinstance(op, O.Adjust):
                return [O.Adjust(op.attr, n if op.delta >= 0 else -n)]
            if isinstance(op, O.Set) and not isinstance(op.value, bool):
                return [O.Set(op.attr, n if op.value >= 0 else -n)]
    ops = facts.parse(rest, attrs)
    if ops and not any(isinstance(o, (O.Undo, O.Redo, O.Goto, O.Reset)) for o in ops):
        return ops
    # a value of the attribute the corrected turn set ("no, red" after "blue background")
    r = V.record(facts.domain, ctx.attr) if ctx.attr else None
    word = re.sub(r"^(?:a|an|the|some)\s+", "", rest)
    if r is not None and r.kind == "category" and word in r.value_words():
        return [O.Set(r.name, r.value_words()[word])]
    first = ctx.last_input.lower().split()[:1]
    words = [w for w in grammar.tokens(rest) if not w.startswith(("~", "#"))]
    if first and words:  # "no, from the right" after "light from the left"
        ops = facts.parse(f"{first[0]} {rest}", attrs)
        if ops:
            return ops
    return None


# -- "the other way" ------------------------------------------------------------------------
_REVERSE = re.compile(
    r"^(?P<now>(?:now|then|and|ok|okay|so)\s+(?:now\s+)?)?(?:go |turn |move |do it |try )?"
    r"(?:(?:the )?other way(?: round| around)?|the opposite(?: way| direction)?"
    r"|(?:in )?(?:the )?other direction|opposite direction|backwards|the reverse)"
    r"(?: now| please| instead)*$"
)


def _reverse(t, bare, ctx, facts, text) -> Resolution | None:
    m = _REVERSE.match(_LEAD_NO.sub("", bare))
    if not m or not ctx.move_attr or not ctx.move_delta:
        return None
    if not m["now"] and ctx.move_is_last and _corrected_pre_state(ctx, facts) is not None:
        pre = _corrected_pre_state(ctx, facts)
        flipped = _flipped(ctx, dict(pre.attributes), facts)
        if flipped:
            ops = _undo_ops(ctx, facts) + flipped
            return Resolution(
                "reverse",
                tuple(ops),
                f"'{_short(text)}' → '{_short(ctx.last_input)}' the other way round "
                f"({_ops_text(flipped)}), replacing it",
                corrects=ctx.last_input,
            )
    op = O.Adjust(ctx.move_attr, -ctx.move_delta)
    return Resolution(
        "reverse", (op,), f"'{_short(text)}' → {_ops_text([op])}, the last move the other way"
    )


# -- ellipsis -------------------------------------------------------------------------------
_ELL_FILLER = re.compile(
    r"^(?:(?:and|now|ok|okay|then|so|yes|yeah|please|just|maybe|hmm|go|whoa|woah"
    r"|oops|oh|ah|uh|um|hmm+|ugh|wow"
    r"|still|even|yet)\s+)+"
)
_DEGREE = {
    "a bit": 0.5,
    "a little": 0.5,
    "a little bit": 0.5,
    "slightly": 0.5,
    "a tad": 0.5,
    "a tiny bit": 0.5,
    "tiny bit": 0.5,
    "a wee bit": 0.5,
    "just a bit": 0.5,
    "a smidge": 0.5,
    "just a little": 0.5,
    "a touch more": 0.5,
    "a touch": 0.5,
    "bit": 0.5,
    "little": 0.5,
    "a lot": 2.0,
    "much": 2.0,
    "way": 2.0,
    "a lot more": 2.0,
    "far": 2.0,
    "lots": 2.0,
}
_NUMBER = (
    r"(?P<n>\d+(?:\.\d+)?|"
    + "|".join(sorted((w for w in grammar.L.NUMBER_WORDS if " " not in w), key=len, reverse=True))
    + r")"
)
_UNIT = r"(?:\s*(?:degrees?|deg|°|percent|%|steps?|more))*"


_TWICE = frozenset(
    {"twice as much", "double it", "double that", "twice that", "twice as far", "double", "twice"}
)
_LESS = frozenset(
    {
        "not so much",
        "not that much",
        "too much",
        "that is too much",
        "thats too much",
        "half as much",
        "less",
        "tone it down",
        "back a bit",
        "not as much",
        "too far",
        "a bit too much",
        "bit too much",
        "way too much",
        "less so",
        "less than that",
        "thats too far",
        "that is too far",
        "too much now",
    }
)
_ELL_WORDS = frozenset(
    {
        "further",
        "farther",
        "more",
        "again",
        "keep going",
        "some more",
        "go on",
        "continue",
        "the same again",
        "same again",
        "once more",
        "more of that",
        "further still",
    }
)


_TONE = re.compile(
    r"(?:tone it down|tone down|less|not so much|not that much|too much|softer|subtler"
    r"|weaker|calm it down|dial it back|dial it down)(?P<deg> a bit| a little| slightly)?"
    r"|(?P<up>more|stronger|a bit more|even more|much more)"
)


def _strength_of(s, ctx, facts, text) -> Resolution | None:
    """'tone it down' / 'stronger' right after a category with a strength was
    set (an expression): its strength, not the category."""
    if ctx.move_is_last or not ctx.attr or not ctx.last_ops:
        return None
    r = V.record(facts.domain, ctx.attr)
    schema = get_schema(facts.domain)
    if r is None or not r.strength or r.strength not in schema:
        return None
    if not any(o.get("attr") == ctx.attr for o in ctx.last_ops):
        return None
    m = _TONE.fullmatch(re.sub(r"^(?:a bit |a little |slightly )(?=less|softer|weaker)", "", s))
    if not m or facts.attributes.get(ctx.attr) == r.default:
        return None
    step = schema.get(r.strength).step_size
    if m["up"]:
        amount = step * (0.5 if "bit" in m["up"] else 2.0 if "much" in m["up"] else 1.0)
    else:
        amount = -step * (0.5 if m["deg"] else 1.0)
    op = O.Adjust(r.strength, amount)
    return Resolution(
        "ellipsis",
        (op,),
        f"'{_short(text)}' → {_ops_text([op])}, "
        f"the strength of the {ctx.attr.replace('_', ' ')} just set",
    )


def _num(word: str) -> float:
    try:
        return float(word)
    except ValueError:
        return float(grammar.L.NUMBER_WORDS[word])


def _ellipsis(t, bare, ctx, facts, text) -> Resolution | None:
    attr, delta = ctx.move_attr, ctx.move_delta
    s = _ELL_FILLER.sub("", bare).strip()
    s = re.sub(r"\s+(?:please|again|still|then|now|too)$", "", s)
    schema = get_schema(facts.domain)
    if not s:
        return None
    # a bare amount: "30 degrees", "and 10 more degrees", "another 10", "by 20 more"
    m = re.fullmatch(
        r"(?:do |go |turn |move |rotate |and )?(?:another |by |an extra |a further )?"
        + _NUMBER
        + r"(?P<more>"
        + _UNIT
        + r")(?: (?:more|further|extra))?"
        r"(?: (?P<d>left|right|up|down|higher|lower))?",
        s,
    )
    if m and facts.parse(text, dict(facts.attributes)):
        m = None  # "rotate 45 degrees left" reads on its own
    if m:
        if not attr or attr not in schema:
            turn = "turn left" if facts.domain == "faces" else "turn it left"
            return Resolution(
                "ellipsis",
                reply=(
                    f"{m['n']} of what? Say what to change too, for example "
                    f"'{turn} {m['n']} degrees'."
                ),
                note="a bare amount with no move to continue",
            )
        a = schema.get(attr)
        amount = _num(m["n"])
        sign = ctx.direction or 1
        r = V.record(facts.domain, attr)
        if m["d"] and r is not None:
            if m["d"] in r.pos:
                sign = 1
            elif m["d"] in r.neg:
                sign = -1
            else:
                return None
        if "percent" in (m["more"] or "") or "%" in (m["more"] or ""):
            amount = amount / 100 * (a.bounds[1] - a.bounds[0])
        op = O.Adjust(attr, sign * amount)
        return Resolution(
            "ellipsis", (op,), f"'{_short(text)}' → {_ops_text([op])}, continuing the last move"
        )
    strength = _strength_of(s, ctx, facts, text)
    if strength is not None:
        return strength
    if not attr or attr not in schema or not delta or not ctx.move_is_last:
        return None
    r = V.record(facts.domain, attr)
    factor = 1.0
    if len(s.split()) == 1 and s not in _ELL_WORDS and (r is None or s not in r.pos + r.neg):
        import difflib  # "furthr": a typo of a word that continues a move

        near = difflib.get_close_matches(
            s, list(_ELL_WORDS) + list(r.pos + r.neg if r else ()), n=1, cutoff=0.8
        )
        s = near[0] if near else s
    for deg in sorted(_DEGREE, key=len, reverse=True):
        if s in _TWICE or s in _LESS:
            break
        if s.startswith(deg + " ") or s.endswith(" " + deg):
            factor = _DEGREE[deg]
            s = (s[len(deg) + 1 :] if s.startswith(deg + " ") else s[: -len(deg) - 1]).strip()
            break
    s = re.sub(r"^(?:even|yet|still)\s+", "", s)
    sign = ctx.direction
    if s in _TWICE:
        factor, word = 1.0, "again"
    elif s in _LESS:
        factor, word = (-0.5 if s != "way too much" else -1.0), "less"
    elif s in _ELL_WORDS:
        word = "more"
    elif r is not None and (
        s in r.pos
        or s in r.neg
        or re.fullmatch(r"(?:further|more|bit more|farther)(?: to the)? (\w+)", s)
    ):
        w = s.split()[-1]
        if w not in r.pos and w not in r.neg:
            # "further right" after a move on another axis: that direction alone
            ops = facts.parse(w, dict(facts.attributes))
            if ops and all(isinstance(o, O.Adjust) for o in ops):
                return Resolution("ellipsis", tuple(ops), f"'{_short(text)}' → {_ops_text(ops)}")
            return None
        sign = 1 if w in r.pos else -1
        word = w
        # a bare direction word on the same axis continues that move
    else:
        return None
    step = float(schema.get(attr).step or abs(delta))
    if word == "less":
        op = O.Adjust(attr, factor * delta)
    elif factor != 1.0:  # "a bit more" = half a step, "a lot more" = two steps
        op = O.Adjust(attr, sign * step * factor)
    else:  # "further", "even higher": the last amount again
        op = O.Adjust(attr, sign * abs(delta))
    return Resolution(
        "ellipsis", (op,), f"'{_short(text)}' → {_ops_text([op])}, continuing the last move"
    )


# -- anaphora --------------------------------------------------------------------------------
_PRON = r"(?:it|them|those|that|these|this|they|the thing|em)"
_REMOVE = re.compile(
    rf"^(?:(?:take|get|pull) {_PRON} off|(?:remove|lose|ditch|drop|delete|"
    rf"get rid of|take away|take off|scrap|bin) {_PRON}|{_PRON} off"
    rf"|no more of {_PRON}|{_PRON} (?:has|have|need|needs) to go"
    rf"|(?:i )?(?:dont|do not) (?:like|want) {_PRON}(?: anymore| any more)?)"
    r"(?: (?:again|now|please|too|as well))*$"
)
_MAKE = re.compile(
    rf"^(?:(?:make|change|turn|paint|switch|color|colour|set) {_PRON}"
    r"(?: (?:to|into|in))?|(?:swap|replace|exchange|trade|switch) " + _PRON + r" (?:for|with|to))"
    r" (?:a |an |the |some )?(?P<v>[a-z ]+?)(?: (?:instead|please|now))*$"
)


_ANA_FILL = re.compile(
    r"^(?:(?:actually|hmm+|um+|ok|okay|so|now|then|and|please|just|well|oh|yeah"
    r"|yes|no|nah|nope|sorry|wait|oops|ah|right|ugh|whoa)\s+)+"
)


def _anaphora(t, bare, ctx, facts, text) -> Resolution | None:
    schema = get_schema(facts.domain)
    bare = _ANA_FILL.sub("", bare)
    bare = re.sub(r"\s+(?:please|then|now|instead)$", "", bare)
    if _REMOVE.match(bare):
        target = ctx.object if ctx.object in schema else None
        on = [
            r.name
            for r in V.vocabulary(facts.domain)
            if r.object
            and r.name in schema
            and facts.attributes.get(r.name) not in (False, "none", None)
        ]
        if target is None or target not in on:
            target = on[-1] if len(on) == 1 else (target if target in on else None)
        if target is None:
            if not on:
                return Resolution(
                    "anaphora",
                    reply="There is nothing to take off.",
                    note=f"'{_short(text)}': nothing is on",
                )
            return None
        a = schema.get(target)
        op = O.Set(target, False if a.kind == "bool" else "none")
        return Resolution(
            "anaphora",
            (op,),
            f"'{_short(text)}' → {_ops_text([op])}, the {target.replace('_', ' ')} last mentioned",
        )
    if ctx.attr and re.fullmatch(rf"(?:change|edit|modify|alter|adjust) {_PRON}", bare):
        asked = schema.get(ctx.attr) if ctx.attr in schema else None
        if asked is not None and asked.kind != "seed":  # "change it": to what? (no guess)
            name = ctx.attr.replace("_", " ")
            if asked.kind == "bool":
                what = f"Change the {name} how? Say 'no {name}' or 'add a {name}'."
            elif asked.values:
                what = (
                    f"Change the {name} to what? It can be "
                    f"{', '.join(map(str, asked.values[:-1]))} or {asked.values[-1]}."
                )
            else:
                what = f"Change the {name} how? For example 'more', 'less' or a number."
            return Resolution(
                "anaphora",
                reply=f"{what} Nothing changed.",
                note=f"'{_short(text)}': the {name} last mentioned, no value",
            )
    m = _MAKE.match(bare)
    if not m or not ctx.attr:
        return None
    v = m["v"].strip()
    attr = ctx.attr
    r = V.record(facts.domain, attr)
    if r is None:
        return None
    if not (r.kind == "category" and v in r.value_words()):
        # the thing last mentioned, or the one attribute with that value word
        others = [V.record(facts.domain, ctx.object)] if ctx.object else []
        others += [x for x in V.vocabulary(facts.domain) if x.bare_values]
        hit = next(
            (
                x
                for x in others
                if x is not None
                and x.kind == "category"
                and x.name in schema
                and v in x.value_words()
            ),
            None,
        )
        if hit is not None:
            r, attr = hit, hit.name
    if r.kind == "category" and v in r.value_words():
        op = O.Set(attr, r.value_words()[v])
        return Resolution(
            "anaphora",
            (op,),
            f"'{_short(text)}' → {_ops_text([op])}, the {attr.replace('_', ' ')} last mentioned",
        )
    if attr == "expression":
        r = V.record(facts.domain, "expression_strength")
    if r is not None and (v in r.pos or v in r.neg):
        a = schema.get(r.name)
        move = O.Adjust(r.name, (1 if v in r.pos else -1) * a.step_size)
        return Resolution(
            "anaphora",
            (move,),
            f"'{_short(text)}' → {_ops_text([move])}, "
            f"the {r.name.replace('_', ' ')} last mentioned",
        )
    return None


# -- views -------------------------------------------------------------------------------------
_AROUND = re.compile(
    r"\b(?:turn (?:(?:her|him|them|it|the head|the face|the person) )?(?:a)?round"
    r"|(?:from|view from) (?:the )?(?:behind|back)|back of (?:the |her |his |their )?head"
    r"|show (?:me )?(?:the|her|his) back|rear view|back view)\b"
)


def _view(t, bare, ctx, facts, text) -> Resolution | None:
    if facts.domain != "faces":
        return None
    if _AROUND.search(bare):
        hi = get_schema("faces").get("yaw").hi
        return Resolution(
            "view",
            reply=(
                f"I can only turn a face up to {hi:g}° either way, so I can't show it from behind; "
                "nothing changed. Try 'face fully left' or 'profile'."
            ),
            note="a face cannot be seen from behind",
        )
    m = re.search(r"\bfrom (above|below|the top|underneath|beneath)\b", bare)
    if m and not re.search(r"\blight|lamp|lit\b", bare):
        ops = facts.parse(
            "from above" if m.group(1) in ("above", "the top") else "from below",
            dict(facts.attributes),
        )
        if not ops:
            return None
        how = "down" if m.group(1) in ("above", "the top") else "up"
        return Resolution(
            "view",
            tuple(ops),
            f"'{_short(text)}' → {_ops_text(ops)}: faces are seen from the front, "
            f"so the head tilts {how} instead",
        )
    return None


# -- a word about the attribute last mentioned ("lighter" after "dark skin") -----------------
_YES_NO = frozenset(
    {
        "yes",
        "no",
        "yeah",
        "yep",
        "nope",
        "nah",
        "true",
        "false",
        "ok",
        "okay",
        "sure",
        "y",
        "n",
        "right",
        "correct",
        "wrong",
    }
)


_VERTICAL = frozenset({"higher", "lower", "up", "down", "above", "below"})


def _attribute_words(t, bare, ctx, facts, text) -> Resolution | None:
    if (
        not ctx.attr
        or len(bare.split()) > 3
        or set(bare.split()) & _YES_NO
        or facts.parse(text, dict(facts.attributes))
    ):
        return None
    r = V.record(facts.domain, ctx.attr)
    if r is None or r.kind == "seed":
        return None
    words = re.sub(r"^(?:and |now |then |a bit |even )+", "", bare)
    if set(r.pos + r.neg) & {"left", "right"} and set(words.split()) & _VERTICAL:
        return None  # "higher" after "turn left" is not "more to the right"
    for phrase in (f"{words} {r.names[0]}", f"make {r.names[0]} {words}"):
        ops = facts.parse(phrase, dict(facts.attributes))
        if ops and all(getattr(o, "attr", None) == r.name for o in ops):
            return Resolution(
                "anaphora",
                tuple(ops),
                f"'{_short(text)}' → {_ops_text(ops)}, about the "
                f"{r.name.replace('_', ' ')} last mentioned",
            )
    return None


# -- outside the vocabulary ----------------------------------------------------------------------
def _unsupported(t, bare, ctx, facts, text) -> Resolution | None:
    hit = V.vocabulary(facts.domain).out_of_schema(bare)
    if hit is None or facts.parse(text, dict(facts.attributes)):
        return None
    u, word = hit
    return Resolution(
        "unsupported", reply=cant_reply(u, word), note=f"outside the vocabulary: {u.name}"
    )


def cant_reply(u: V.Unsupported, word: str) -> str:
    near = " or ".join(f"'{n}'" for n in u.nearest[:3])
    return (
        f"Sorry, '{word}' is outside what I can draw ({u.name} can't be changed here), "
        f"so nothing changed. The nearest things I can do: {near}."
    )


# -- wording --------------------------------------------------------------------------------------
def _short(s: str, n: int = 40) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _ops_text(ops) -> str:
    parts = []
    for op in ops:
        if isinstance(op, O.Adjust):
            unit = (
                "°"
                if op.attr
                in (
                    "yaw",
                    "pitch",
                    "light_azimuth",
                    "light_elevation",
                    "azimuth",
                    "elevation",
                    "hue",
                )
                else ""
            )
            parts.append(f"{op.attr} {op.delta:+g}{unit}")
        elif isinstance(op, O.Set):
            parts.append(f"{op.attr} = {op.value}")
        else:
            parts.append(op.tag)
    return ", ".join(parts)
