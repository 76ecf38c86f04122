"""The deterministic grammar: text → ops, or no parse.

A command is cleaned (case, punctuation, control characters), split into pieces
on "and", commas, "then" and semicolons, and each piece is rewritten into
canonical tokens (``dialogue.lexicon``), stripped of filler and politeness, and
its modifiers (degree words, numbers) are taken out.  What remains must match one
rule exactly; a piece with a word no rule knows has no parse, and then the
whole command has none (the embedding fallback takes over).

The vocabulary derives from ``generators.schema``: attribute names, category
values, ranges, steps and defaults are read from it, so a schema change reaches
the grammar without edits here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogue import lexicon as L
from generators import vocabulary as V
from generators.schema import BOOL, CATEGORY, DEGREES, FLOAT, SCHEMAS, Schema, get_schema
from sessions.ops import (
    Adjust,
    Complete,
    Describe,
    Export,
    Goto,
    Help,
    Interpolate,
    NewSeed,
    Op,
    Redo,
    Repeat,
    Reset,
    Save,
    Set,
    ShowHistory,
    SwitchDomain,
    SwitchGenerator,
    Toggle,
    Undo,
)

MAX_CHARS = 500

# -- cleaning -------------------------------------------------------------------
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_PROTECTED = (
    (re.compile(r"\bblack\s*(?:and|&)\s*white\b"), "grayscale"),
    (re.compile(r"\bhundred and eighty\b"), "hundred eighty"),
)


def clean(text: str, lower: bool = True) -> str:
    """NFKC, control characters dropped, whitespace collapsed, lowercased."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = text.translate(_APOSTROPHES)
    text = text.lower() if lower else text
    text = text.replace("°", " degrees ").replace("%", " percent ")
    return " ".join(text.split())


def _strip_punct(piece: str) -> str:
    piece = piece.replace("'", "")
    piece = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", piece)  # four-legged
    piece = re.sub(r"[^a-z0-9.+\-_~# ]", " ", piece)
    piece = re.sub(r"\.(?!\d)|(?<![\d\s])\.", " ", piece)  # dots outside numbers
    piece = re.sub(r"(?<![\s])[+\-]|[+\-](?![\d.])", " ", piece)  # signs only before digits
    return " ".join(piece.split())


_SPLIT = re.compile(r"\s*(?:;|,\s*and then\b|,\s*then\b|\band then\b|\bthen\b|,|\band\b|&)\s*")


# -- hedges around a request ------------------------------------------------------
#: interjections, greetings and hedges before a request ("ok, ", "hey there, ",
#: "if you don't mind, ", "no rush, but "); one-word ones need their punctuation
_HEDGE_LEAD = re.compile(
    r"^(?:(?:(?:hey|hi|hello|hiya|howdy)(?: there)?|ok(?:ay)?|so|well|right|alright|oh|ooh|um+"
    r"|uh+|hm+|yeah|yes|yep|cool|nice(?: one)?|great|good(?: stuff)?|lovely|perfect|wow(?: nice)?"
    r"|sorry|honestly|next|love it|looks good|not bad|one more thing|in that case|actually"
    r"|if you (?:could|can|don't mind|do not mind)|if possible|if it's not too much trouble"
    r"|don't mind me|nothing major|not a big deal|no rush|no pressure|no hurry|not sure"
    r"|i'm not sure|i am not sure|i don't know|not to be picky|no offen[cs]e|excuse me"
    r"|quick one|one thing)"
    r"\s*[,.!:;]+\s*(?:(?:but|now|and|so|then|maybe)\s+)?"
    r"|(?:oh and|and also|in that case|i guess|(?:could|can|would|will) (?:u|ya)|hm+|um+|uh+"
    r"|yeah|ok(?:ay)? so|ok(?:ay)? now|right so|(?:no rush|no pressure|not sure|no offen[cs]e"
    r"|not to be picky|not a big deal|i don't know),? but|i don't know,? maybe)\s+)+"
)
#: hedges, thanks and conditions after a request (", if that's ok", " when you get a
#: chance", ", no rush", ", that would be great")
_HEDGE_TAIL = re.compile(
    r"(?:[\s,.;:!-]+(?:if (?:that's|that is|it's|it is) (?:ok|okay|alright|fine|possible"
    r"|not too much trouble)|if (?:it )?(?:isn't|is not) (?:a hassle|too much trouble)"
    r"|if (?:you )?(?:can|could|possible|don't mind|do not mind)"
    r"|when you (?:get a chance|can|have a (?:sec|second|moment|minute))"
    r"|(?:that|it|this) (?:would|will|'d) be (?:great|cool|nice|lovely|awesome|perfect|good|ideal)"
    r"|that'd be (?:great|cool|nice|lovely|awesome|perfect|good|ideal)"
    r"|(?:would|'d) be (?:nice|great|cool|lovely)"
    r"|is that possible|can you do that|could you do that"
    r"|(?:many )?(?:thanks|thank you|thx|ty|cheers|much appreciated)"
    r"(?: (?:a lot|so much|very much|in advance|a bunch))?"
    r"|no (?:rush|pressure|need to hurry|hurry)|don't worry if not|nothing else"
    r"|(?:it )?doesn't have to be perfect|for me)[\s.!?:)(]*)+$"
)


def strip_hedges(cleaned: str) -> str:
    """``cleaned`` without the hedges, greetings and thanks around the request (what
    is left when that would leave nothing)."""
    out = _HEDGE_TAIL.sub("", _HEDGE_LEAD.sub("", cleaned)).strip()
    return out if re.search(r"[a-z0-9]", out) else cleaned


def split_pieces(cleaned: str) -> list[str]:
    """Split a cleaned command into pieces on ';', ',', 'then', 'and'."""
    for pat, rep in _PROTECTED:
        cleaned = pat.sub(rep, cleaned)
    return [p for p in (s.strip() for s in _SPLIT.split(cleaned)) if p]


# -- canonical tokens -------------------------------------------------------------
def _phrase_regex(phrases) -> re.Pattern:
    alts = sorted({p for p in phrases if p}, key=len, reverse=True)
    return re.compile(r"(?<![\w~#])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])")


@functools.cache
def _rewrites() -> tuple[re.Pattern, dict[str, str]]:
    table: dict[str, str] = {}
    for name, words in L.ATTRIBUTE_SYNONYMS.items():
        for w in words:
            table[w] = name
    for schema in SCHEMAS.values():
        for a in schema.attributes:
            table.setdefault(a.name.replace("_", " "), a.name)
    bare = {r.name for _, r in V.all_records() if r.bare_values}
    for (attr, value), words in L.VALUE_SYNONYMS.items():
        if attr in bare:  # unambiguous value words
            for w in words:
                table[w] = value
    for gen, words in L.GENERATOR_SYNONYMS.items():
        for w in words:
            table[w] = gen
    for w, n in L.NUMBER_WORDS.items():
        if w != "one":
            table[w] = f"{n:g}"
    for p in L.POLITENESS:
        table[p] = ""
    table.update(L.REWRITES)
    for _, r in V.all_records():  # phrases that belong to one attribute
        table.update(r.phrases)
    # a record's own direction words ("blurrier" -> "increase blur"), where the
    # word is not already a word of the grammar
    taken = set(table) | {t for v in table.values() for t in v.split()} | _DIRECTION_TOKENS
    for _, r in V.all_records():
        for words, verb in ((r.pos, "increase"), (r.neg, "decrease")):
            for w in words:
                if w not in taken:
                    table[w] = f"{verb} {r.name}"
    return _phrase_regex(table), table


_DIRECTION_TOKENS = frozenset(
    """left right up down higher lower in out more less above below
bigger smaller larger taller shorter stronger weaker brighter darker dimmer vivid duller""".split()
)


def rewrite_table() -> Mapping[str, str]:
    """Every phrase the grammar rewrites, to its canonical tokens."""
    return _rewrites()[1]


_TAKE_OFF = re.compile(r"\btake (.{1,40}?) off\b")
#: "make her look at the camera", "have him turn left", "get them to face left": the
#: causative around a pose verb is stripped before reading ("look at the camera")
_CAUSATIVE = re.compile(
    r"\b(?:make|have|get|let) (?:her|him|them|the (?:person|man|woman)) "
    r"(?:to )?(?=(?:look|face|turn|tilt|glance|gaze)\b)"
)
#: "I'd like it in black and white": the "in" before a grayscale word is no zoom
_IN_GRAYSCALE = re.compile(
    r"\bin (?=(?:grayscale|greyscale|gray scale|monochrome"
    r"|black (?:and|&) white)\b)"
)
#: "glasses off", "the hat off": a thing then "off" (no verb before it)
_THING_OFF = re.compile(
    r"^(?!(?:take|turn|switch|put|set|light|move|zoom|shut|log|sign|back)\b)"
    r"((?:[a-z]+ ){0,2}[a-z]+) off(?: please| thanks| now)?$"
)
_NUM = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def tokens(piece: str) -> list[str]:
    """Canonical tokens of one piece (filler dropped, numbers as '#<value>')."""
    pat, table = _rewrites()
    piece = _CAUSATIVE.sub("", piece)
    piece = _IN_GRAYSCALE.sub("", piece)
    piece = _TAKE_OFF.sub(r"remove \1", piece)
    piece = _THING_OFF.sub(r"remove \1", piece)
    text = pat.sub(lambda m: " " + table[m.group(0)] + " ", " " + _strip_punct(piece) + " ")
    out: list[str] = []
    for t in text.split():
        if t in L.FILLER:
            continue
        if _NUM.fullmatch(t):
            v = float(t)
            t = f"#{0.0 if v == 0 else v!r}"
        if out and out[-1] == t:
            continue
        out.append(t)
    return out


# -- modifiers -----------------------------------------------------------------------
@dataclass
class Frame:
    """One piece's remaining words and the modifiers taken out of it."""

    words: str
    factor: float = 1.0
    full: bool = False
    amount: float | None = None
    absolute: float | None = None

    @property
    def mods(self) -> set[str]:
        m = set()
        if self.factor != 1.0:
            m.add("factor")
        if self.full:
            m.add("full")
        if self.amount is not None:
            m.add("amount")
        if self.absolute is not None:
            m.add("absolute")
        return m


_DROP = {"to", "by", "at", "for", "towards", "toward", "into"}


def frame_of(toks: list[str]) -> Frame | None:
    """Take degree words and numbers out of ``toks``; None if they conflict."""
    words: list[str] = []
    f = Frame("")
    numbers = 0
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "~half":
            f.factor *= L.HALF
        elif t == "~two":
            f.factor *= L.TWO
        elif t == "~full":
            f.full = True
        elif t.startswith("#"):
            numbers += 1
            v = float(t[1:])
            if v != v or v in (float("inf"), float("-inf")):
                return None
            if i + 1 < len(toks) and toks[i + 1] in L.UNITS:
                v *= L.UNITS[toks[i + 1]]
                i += 1
            if i > 0 and toks[i - 1] == "to":
                f.absolute = v
            else:
                f.amount = v
        elif t not in _DROP:
            words.append(t)
        i += 1
    if numbers > 1:
        return None
    f.words = " ".join(words)
    return f


# -- rules ------------------------------------------------------------------------------
class NoParse(Exception):
    """A rule matched the words but cannot make sense of them."""


@dataclass(frozen=True)
class Ctx:
    domain: str
    schema: Schema
    attributes: Mapping[str, Any]

    def current(self, name: str) -> Any:
        if name in self.attributes:
            return self.attributes[name]
        return self.schema.get(name).default


Handler = Callable[[re.Match, Frame, Ctx], "list[Op] | None"]


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    handler: Handler
    mods: frozenset[str] = field(default_factory=frozenset)
    domains: tuple[str, ...] = ("faces", "chairs")


def _set_matched(attr: str) -> Handler:
    """A handler that sets ``attr`` to the pattern's ``v`` group."""
    return lambda m, f, ctx: [Set(attr, m["v"])]


def _set_to(attr: str, value: Any) -> Handler:
    return lambda m, f, ctx: [Set(attr, value)]


def _signed(d: str) -> int:
    return -1 if d in ("left", "down", "out", "lower", "less", "decrease", "darker") else 1


def _delta(f: Frame, step: float, sign: int) -> float:
    if f.amount is not None:
        if f.factor != 1.0:
            raise NoParse
        return sign * abs(f.amount)
    return sign * step * f.factor


def _adjust(ctx: Ctx, attr: str, f: Frame, sign: int) -> list[Op]:
    a = ctx.schema.get(attr)
    if f.full:
        if a.wraps or f.amount is not None or f.factor != 1.0:
            raise NoParse
        return [Set(attr, a.bounds[0] if sign < 0 else a.bounds[1])]
    return [Adjust(attr, _delta(f, a.step_size, sign))]


def _value_words(schema: Schema, attr: str) -> dict[str, str]:
    """word → category value of ``attr`` (values, their synonyms, colour spellings)."""
    a = schema.get(attr)
    out = {v: v for v in a.values}
    for w, v in L.COLOR_WORDS.items():
        if v in a.values:
            out[w] = v
    for (name, value), words in L.VALUE_SYNONYMS.items():
        if name == attr:
            for w in words:
                out.setdefault(w, value)
    return out


@functools.cache
def _color_attrs(domain: str) -> dict[str, dict[str, str]]:
    """Colour-like category attributes of a domain → their value words."""
    schema = get_schema(domain)
    names = [r.name for r in V.vocabulary(domain) if r.colour and r.name in schema]
    return {n: _value_words(schema, n) for n in names}


def _alt(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


def _emotion(ctx: Ctx, emo: str, f: Frame) -> list[Op]:
    """Set an expression, or intensify it (by the degree) when it is already that one."""
    if emo == "neutral":
        return [Set("expression", "neutral")]
    if ctx.current("expression") == emo:
        step = ctx.schema.get("expression_strength").step_size
        return [Adjust("expression_strength", step * f.factor)]
    return [Set("expression", emo)]


_EMO_TOKEN = {
    "smile": "happy",
    "frown": "sad",
    "happy": "happy",
    "sad": "sad",
    "angry": "angry",
    "surprised": "surprised",
    "neutral": "neutral",
}
_EMO = _alt(_EMO_TOKEN)
_SUBJ = r"(?: (?:person|picture|chair))?"
_GENS = ("studio", "convdeconv", "textgan", "dcgan")


def _category_value(ctx: Ctx, attr: str, word: str) -> str:
    words = _value_words(ctx.schema, attr)
    if word not in words:
        raise NoParse
    return words[word]


def _generic_rules(schema: Schema) -> list[Rule]:
    """Rules over raw attribute names, derived from the schema."""
    numeric = [a.name for a in schema.attributes if a.kind in (DEGREES, FLOAT)]
    bools = [a.name for a in schema.attributes if a.kind == BOOL]
    cats = [a.name for a in schema.attributes if a.kind == CATEGORY]
    everything = [a.name for a in schema.attributes if a.kind != "seed"]
    R: list[Rule] = []
    num = _alt(numeric)

    def set_num(m, f, ctx):
        if f.absolute is None:  # "change the pitch": no value to set it to
            raise NoParse
        return [Set(m["a"], f.absolute)]

    R.append(
        Rule(re.compile(rf"(?:set |make )?(?P<a>{num})(?: be)?"), set_num, frozenset({"absolute"}))
    )

    def adj_num(m, f, ctx):
        sign = 1 if m["v"] in ("increase", "more", "higher", "up") else -1
        return _adjust(ctx, m["a"], f, sign)

    R.append(
        Rule(
            re.compile(
                rf"(?:make )?(?P<v>increase|decrease|more|less|higher|lower) (?P<a>{num})"
                rf"|(?:make )?(?P<a2>{num}) (?P<v2>up|down|higher|lower)"
            ),
            lambda m, f, ctx: adj_num({"a": m["a"] or m["a2"], "v": m["v"] or m["v2"]}, f, ctx),
            frozenset({"factor", "amount", "full"}),
        )
    )

    def set_cat(m, f, ctx):
        a = m["a"]
        kind = ctx.schema.get(a).kind
        if kind == BOOL:
            if m["v"] not in ("true", "false", "yes", "no"):
                raise NoParse
            return [Set(a, m["v"] in ("true", "yes"))]
        return [Set(a, _category_value(ctx, a, m["v"]))]

    R.append(
        Rule(re.compile(rf"(?:set |make )?(?P<a>{_alt(cats + bools)}) (?P<v>[a-z]+)"), set_cat)
    )

    R.append(
        Rule(
            re.compile(rf"reset (?P<a>{_alt(everything)})"),
            lambda m, f, ctx: [Set(m["a"], ctx.schema.get(m["a"]).default)],
        )
    )
    R.append(Rule(re.compile(rf"toggle (?P<a>{_alt(bools)})"), lambda m, f, ctx: [Toggle(m["a"])]))

    def add_bool(m, f, ctx):
        return [Set(m["a"], m["v"] not in ("no", "remove"))]

    R.append(
        Rule(
            re.compile(rf"(?:(?P<v>add|no|remove) )?(?:chair |person )?(?P<a>{_alt(bools)})"),
            add_bool,
        )
    )
    return R


def _face_rules() -> list[Rule]:
    R: list[Rule] = []
    F = ("faces",)

    def bare_side(m, f, ctx):
        # "fully left", "left a bit", "right 20 degrees": a turn of the head
        d = m["d"]
        attr = "yaw" if d in ("left", "right") else "pitch"
        return _adjust(ctx, attr, f, _signed(d))

    R.append(
        Rule(
            re.compile(r"(?P<d>left|right|up|down)"),
            bare_side,
            frozenset({"factor", "amount", "full"}),
            F,
        )
    )

    def seen_from(m, f, ctx):
        # a face has no camera elevation: "from above" reads as the head tilted
        # down (two thirds of the range), "from below" as tilted up
        a = ctx.schema.get("pitch")
        return [Set("pitch", float(a.lo) * 2 / 3 if m["d"] == "above" else float(a.hi) * 2 / 3)]

    R.append(
        Rule(
            re.compile(
                r"(?:view |look |see |show )?(?:person |picture )?from (?P<d>above|below)"
                r"(?: angle| view)?|view (?P<d2>top)"
            ),
            lambda m, f, ctx: seen_from({"d": m["d"] or "above"}, f, ctx),
            frozenset(),
            F,
        )
    )

    def profile(m, f, ctx):
        hi = float(ctx.schema.get("yaw").hi)
        d = m["d"]
        sign = _signed(d) if d else (-1 if float(ctx.current("yaw")) < 0 else 1)
        return [Set("yaw", sign * hi)]

    R.append(
        Rule(
            re.compile(
                r"(?:show |view |turn |make )?(?:person |picture )?(?:in )?(?:side )?profile"
                r"(?: view)?(?: (?P<d>left|right))?|view side"
            ),
            profile,
            frozenset(),
            F,
        )
    )

    def turn(m, f, ctx):
        d = m["d"]
        if d in ("left", "right"):
            return _adjust(ctx, "yaw", f, _signed(d))
        return _adjust(ctx, "pitch", f, _signed(d))

    R.append(
        Rule(
            re.compile(rf"(?:turn|move){_SUBJ} (?P<d>left|right|up|down)"),
            turn,
            frozenset({"factor", "amount", "full"}),
            F,
        )
    )

    def face_side(m, f, ctx):
        sign = _signed(m["d"])
        hi = float(ctx.schema.get("yaw").hi)
        if f.full:
            return [Set("yaw", sign * hi)]
        if f.amount is not None or f.absolute is not None:
            v = f.amount if f.amount is not None else f.absolute
            return [Set("yaw", sign * min(abs(v), hi))]
        return [Set("yaw", sign * min(L.FACE_SIDE_YAW * f.factor, hi))]

    R.append(
        Rule(
            re.compile(rf"(?:face|look){_SUBJ} (?P<d>left|right)"),
            face_side,
            frozenset({"factor", "amount", "full", "absolute"}),
            F,
        )
    )

    R.append(
        Rule(
            re.compile(
                rf"(?:(?:face|look|turn){_SUBJ} )?(?:ahead|camera|front)"
                rf"|(?:face|look) ahead camera"
            ),
            lambda m, f, ctx: [Set("yaw", 0.0), Set("pitch", 0.0)],
            frozenset(),
            F,
        )
    )

    R.append(
        Rule(
            re.compile(
                rf"(?:look|tilt|face){_SUBJ} (?P<d>up|down)|tilt{_SUBJ} (?P<d2>up|down)"
                rf"|(?:chin|person) (?P<d3>up|down)"
            ),
            lambda m, f, ctx: _adjust(ctx, "pitch", f, _signed(m["d"] or m["d2"] or m["d3"])),
            frozenset({"factor", "amount", "full"}),
            F,
        )
    )

    def light_from(m, f, ctx):
        d = m["d"]
        if d in L.LIGHT_AZIMUTH_FROM:
            return [Set("light_azimuth", L.LIGHT_AZIMUTH_FROM[d])]
        a = ctx.schema.get("light_elevation")
        return [Set("light_elevation", float(a.hi if d == "above" else a.lo))]

    R.append(
        Rule(
            re.compile(
                r"(?:add |move |make )?light(?: person)? from (?P<d>left|right|front|above|below)"
                r"(?: side)?"
            ),
            light_from,
            frozenset(),
            F,
        )
    )

    def light_move(m, f, ctx):
        d = m["d"] or m["d2"]
        if d in ("left", "right"):
            return _adjust(ctx, "light_azimuth", f, _signed(d))
        return _adjust(ctx, "light_elevation", f, 1 if d in ("up", "higher") else -1)

    R.append(
        Rule(
            re.compile(
                r"(?:move |turn )?light (?P<d>left|right|up|down|higher|lower)"
                r"|(?P<d2>higher|lower) light"
            ),
            light_move,
            frozenset({"factor", "amount", "full"}),
            F,
        )
    )

    # expression
    R.append(
        Rule(
            re.compile(
                rf"(?:make |add )?(?:person )?(?:look )?(?P<e>{_EMO})(?: person| expression)?"
            ),
            lambda m, f, ctx: _emotion(ctx, _EMO_TOKEN[m["e"]], f),
            frozenset({"factor"}),
            F,
        )
    )
    R.append(
        Rule(
            re.compile(
                rf"(?:make |look )?(?:person )?(?:look )?more (?P<e>{_EMO})"
                rf"|(?P<e2>{_EMO}) more"
            ),
            lambda m, f, ctx: _emotion(ctx, _EMO_TOKEN[m["e"] or m["e2"]], f),
            frozenset({"factor"}),
            F,
        )
    )

    def strength(m, f, ctx):
        sign = 1 if (m["v"] or m["v2"]) == "more" else -1
        return _adjust(ctx, "expression_strength", f, sign)

    R.append(
        Rule(
            re.compile(
                rf"(?:make )?(?P<v>more|less) (?:{_EMO}|expression)(?: expression)?"
                rf"|(?:{_EMO}|expression) (?P<v2>less)"
            ),
            strength,
            frozenset({"factor", "amount"}),
            F,
        )
    )
    R.append(
        Rule(
            re.compile(rf"(?:no|remove) (?:look )?(?:{_EMO}|expression)(?: person)?"),
            lambda m, f, ctx: [Set("expression", "neutral")],
            frozenset(),
            F,
        )
    )

    # things worn that are values of a category (eyewear): from the vocabulary record
    for r in V.vocabulary("faces"):
        if not (r.object and r.kind == CATEGORY):
            continue
        worn = _alt(v for v in r.values if v != r.default)
        R.append(Rule(re.compile(rf"(?:add )?(?P<v>{worn})"), _set_matched(r.name), frozenset(), F))
        R.append(
            Rule(
                re.compile(rf"(?:no|remove) (?:{worn}|{r.name})"),
                _set_to(r.name, r.default),
                frozenset(),
                F,
            )
        )

    # skin comparatives
    def skin_step(m, f, ctx):
        order = L.SKIN_ORDER
        i = order.index(ctx.current("skin_tone"))
        i = min(i + 1, len(order) - 1) if (m["c"] or m["c2"]) == "darker" else max(i - 1, 0)
        return [Set("skin_tone", order[i])]

    R.append(
        Rule(
            re.compile(
                r"(?:make )?(?P<c>darker|lighter|paler|fairer) skin_tone"
                r"|(?:make )?skin_tone (?P<c2>darker|lighter|paler|fairer)"
            ),
            skin_step,
            frozenset(),
            F,
        )
    )
    return R


def _chair_rules() -> list[Rule]:
    R: list[Rule] = []
    C = ("chairs",)

    R.append(
        Rule(
            re.compile(rf"turn{_SUBJ} around|turn around{_SUBJ}|turn{_SUBJ} round"),
            lambda m, f, ctx: [Adjust("azimuth", 180.0)],
            frozenset(),
            C,
        )
    )
    R.append(
        Rule(
            re.compile(r"(?:show |view )?(?:chair )?(?:in )?profile(?: view)?"),
            lambda m, f, ctx: [Set("azimuth", L.CHAIR_FACE_AZIMUTH["side"])],
            frozenset(),
            C,
        )
    )

    def seen_from(m, f, ctx):
        # "from above" / "from below" are absolute views (a high, a level camera)
        return [
            Set(
                "elevation",
                L.CHAIR_FROM_ABOVE if m["d"] == "above" else float(ctx.schema.get("elevation").lo),
            )
        ]

    R.append(
        Rule(
            re.compile(
                r"(?:view|look|see|show)?(?: chair)? ?from (?P<d>above|below)"
                r"(?: angle| view)?"
            ),
            seen_from,
            frozenset(),
            C,
        )
    )
    R.append(
        Rule(
            re.compile(r"(?P<d>left|right)"),
            lambda m, f, ctx: _adjust(ctx, "azimuth", f, _signed(m["d"])),
            frozenset({"factor", "amount"}),
            C,
        )
    )

    def turn(m, f, ctx):
        return _adjust(ctx, "azimuth", f, _signed(m["d"]) if m["d"] else 1)

    R.append(
        Rule(
            re.compile(rf"turn{_SUBJ}(?: (?P<d>left|right))?"),
            turn,
            frozenset({"factor", "amount"}),
            C,
        )
    )

    def face(m, f, ctx):
        d = m["d"] or m["d2"]
        d = "front" if d in ("ahead", "camera") else d
        if d == "top":
            return [Set("elevation", float(ctx.schema.get("elevation").hi))]
        if d == "level":
            return [Set("elevation", float(ctx.schema.get("elevation").lo))]
        return [Set("azimuth", L.CHAIR_FACE_AZIMUTH[d])]

    R.append(
        Rule(
            re.compile(
                rf"(?:face|turn){_SUBJ} (?P<d>left|right|ahead|camera|front)"
                rf"|(?:chair )?view (?P<d2>front|side|back|top|level)|(?:look |view )?(?P<d3>ahead)"
            ),
            lambda m, f, ctx: face({"d": m["d"] or m["d3"], "d2": m["d2"]}, f, ctx),
            frozenset(),
            C,
        )
    )

    def elevation(m, f, ctx):
        up = any(m[g] in ("higher", "above", "up") for g in ("d", "d2", "d3") if m[g])
        return _adjust(ctx, "elevation", f, 1 if up else -1)

    R.append(
        Rule(
            re.compile(
                r"(?:view|look|see|show)?(?: chair)? ?from (?P<d>higher|above|lower|below)"
                r"(?: angle| view)?"
                r"|(?:view|camera|angle) (?P<d2>higher|lower|up|down)"
                r"|(?P<d3>higher|lower) (?:view|camera|angle|viewpoint)"
            ),
            elevation,
            frozenset({"factor", "amount", "full"}),
            C,
        )
    )

    R.append(
        Rule(
            re.compile(rf"(?:make{_SUBJ} )?zoom (?P<d>in|out)"),
            lambda m, f, ctx: _adjust(ctx, "zoom", f, _signed(m["d"])),
            frozenset({"factor", "amount", "full"}),
            C,
        )
    )

    def shift(m, f, ctx):
        d = m["d"]
        return _adjust(ctx, "shift_x" if d in ("left", "right") else "shift_y", f, _signed(d))

    R.append(
        Rule(
            re.compile(rf"move{_SUBJ} (?P<d>left|right|up|down)"),
            shift,
            frozenset({"factor", "amount", "full"}),
            C,
        )
    )
    R.append(
        Rule(
            re.compile(rf"(?:move{_SUBJ} )?centre{_SUBJ}"),
            lambda m, f, ctx: [Set("shift_x", 0.0), Set("shift_y", 0.0)],
            frozenset(),
            C,
        )
    )

    R.append(
        Rule(
            re.compile(
                r"(?:add |make )?(?:chair )?(?P<v>pedestal|fourlegs)(?: legs)?(?: chair)?"
                r"|(?:add |make )?legs (?P<v2>pedestal|fourlegs)"
            ),
            lambda m, f, ctx: [
                Set("legs", "four" if (m["v"] or m["v2"]) == "fourlegs" else "pedestal")
            ],
            frozenset(),
            C,
        )
    )

    def back(m, f, ctx):
        return _adjust(ctx, "back_height", f, 1 if (m["c"] or m["c2"]) == "higher" else -1)

    R.append(
        Rule(
            re.compile(
                r"(?:make )?(?P<c>higher|lower) back_height"
                r"|(?:make )?back_height (?P<c2>higher|lower)"
            ),
            back,
            frozenset({"factor", "amount", "full"}),
            C,
        )
    )

    R.append(
        Rule(
            re.compile(r"(?:move|turn) hue"),
            lambda m, f, ctx: _adjust(ctx, "hue", f, 1),
            frozenset({"factor", "amount"}),
            C,
        )
    )
    R.append(
        Rule(
            re.compile(rf"(?:make{_SUBJ} )?grayscale{_SUBJ}"),
            lambda m, f, ctx: [Set("saturation", 0.0)],
            frozenset(),
            C,
        )
    )
    R.append(
        Rule(
            re.compile(rf"(?:make{_SUBJ} )?(?P<v>more|less) saturation"),
            lambda m, f, ctx: _adjust(ctx, "saturation", f, _signed(m["v"])),
            frozenset({"factor", "amount"}),
            C,
        )
    )
    return R


def _colour_rules() -> list[Rule]:
    """'red hair', 'make the background blue', 'paint it red' (chairs)."""
    R: list[Rule] = []

    def named(m, f, ctx):
        attr = m["a"] or m["a2"]
        if attr not in _color_attrs(ctx.domain):
            raise NoParse
        return [Set(attr, _category_value(ctx, attr, m["v"] or m["v2"]))]

    R.append(
        Rule(
            re.compile(
                r"(?:make |add |turn )?(?:person )?(?P<v>[a-z]+)"
                r" (?P<a>hair_color|background|skin_tone|color)(?: chair)?"
                r"|(?:make |turn )?(?:person )?(?P<a2>hair_color|background|skin_tone|color)"
                r" (?P<v2>[a-z]+)"
            ),
            named,
        )
    )

    def bare(m, f, ctx):
        word = m["v"]
        hits = {
            a: words[word]
            for a, words in _color_attrs(ctx.domain).items()
            if word in words and a != "skin_tone"
        }
        if len(hits) != 1:
            raise NoParse
        ((attr, value),) = hits.items()
        return [Set(attr, value)]

    R.append(Rule(re.compile(r"(?:make |turn )?(?:person |chair )?(?P<v>[a-z]+)(?: chair)?"), bare))
    return R


def _brightness_rules() -> list[Rule]:
    return [
        Rule(
            re.compile(r"(?:make )?(?:picture )?(?P<d>brighter|darker)(?: picture)?"),
            lambda m, f, ctx: _adjust(ctx, "brightness", f, _signed(m["d"])),
            frozenset({"factor", "amount", "full"}),
        )
    ]


def _meta_rules() -> list[Rule]:
    R: list[Rule] = []
    simple = {
        "undo": Undo(),
        "redo": Redo(),
        "reset": Reset(),
        "help": Help(),
        "history": ShowHistory(),
        "save": Save(),
        "export": Export("png"),
    }
    R.append(
        Rule(
            re.compile(r"(?P<w>undo|redo|reset|help)(?: picture)?"),
            lambda m, f, ctx: [simple[m["w"]]],
        )
    )

    def times(m, f, ctx):
        # "undo twice", "undo 3 times", "go back two steps": that many undos
        n = f.amount
        if n is None or not float(n).is_integer() or not 1 <= n <= 50:
            raise NoParse
        return [Undo() if m["w"] == "undo" else Redo()] * int(n)

    R.append(
        Rule(
            re.compile(
                r"(?P<w>undo|redo)(?: last)?(?: times| steps| step| changes| edits"
                r"| turns)?(?: again)?"
            ),
            times,
            frozenset({"amount"}),
        )
    )
    R.append(
        Rule(re.compile(r"(?:show |list )?(?:history|steps)"), lambda m, f, ctx: [ShowHistory()])
    )
    R.append(
        Rule(
            re.compile(r"save(?: session| progress| work| my session)?"), lambda m, f, ctx: [Save()]
        )
    )
    R.append(
        Rule(
            re.compile(r"export(?: png| picture)?|export (?:as )?png"),
            lambda m, f, ctx: [Export("png")],
        )
    )
    R.append(
        Rule(
            re.compile(r"(?:export |make |save |add )?(?:as )?(?P<w>gif|sheet)(?: picture)?"),
            lambda m, f, ctx: [Export(m["w"])],
        )
    )

    def goto(m, f, ctx):
        n = f.amount if f.amount is not None else f.absolute
        if n is None or not float(n).is_integer():
            raise NoParse
        return [Goto(int(n))]  # a step that does not exist gets a clear answer

    R.append(Rule(re.compile(r"goto(?: step)?|step"), goto, frozenset({"amount", "absolute"})))

    def repeat(m, f, ctx):
        if f.amount is not None:
            raise NoParse
        base = L.REPEAT_LESS if m["w"] == "less" else L.REPEAT_MORE
        return [Repeat(base * f.factor)]

    R.append(
        Rule(
            re.compile(r"(?:do )?(?P<w>again|more|less)(?: again)?|even (?P<w2>more)"),
            lambda m, f, ctx: repeat({"w": m["w"] or m["w2"]}, f, ctx),
            frozenset({"factor"}),
        )
    )

    def another(m, f, ctx):
        noun = m["n"] or m["n2"]
        target = ctx.domain
        if noun in ("person", "face", "faces", "identity"):
            target = "faces"
        elif noun in ("chair", "chairs", "style"):
            target = "chairs"
        return [NewSeed()] if target == ctx.domain else [SwitchDomain(target)]

    R.append(
        Rule(
            re.compile(
                r"another(?: (?P<n>person|face|faces|identity|chair|chairs|style|picture))?"
                r"|(?P<n2>person|chair) another"
            ),
            another,
        )
    )

    def domain(m, f, ctx):
        w = m["d"]
        return [SwitchDomain("chairs" if w.startswith("chair") else "faces")]

    R.append(
        Rule(
            re.compile(
                r"(?:switch |goto |use |switch to |make |add )?(?:to )?"
                r"(?P<d>faces|chairs|chair)(?: mode| domain)?"
            ),
            domain,
        )
    )

    # personal DCGANs: "use dcgan:alice" (the colon reads as a space), "use my dcgan alice"
    R.append(
        Rule(
            re.compile(
                r"(?:use |switch to |switch |render with |render using )?(?:the |my )?"
                r"dcgan (?:model |generator )?(?:called |named )?"
                r"(?!(?:generator|renderer|model|network|now|please|instead|again)$)(?P<name>[a-z0-9][a-z0-9_\-]*)"
            ),
            lambda m, f, ctx: [SwitchGenerator(f"dcgan:{m['name']}")],
        )
    )
    R.append(
        Rule(
            re.compile(
                rf"(?:use |switch to |switch |goto |make |render with |render using )?"
                rf"(?P<g>{_alt(_GENS)})(?: generator| renderer| model| network)?"
            ),
            lambda m, f, ctx: [SwitchGenerator(m["g"])],
        )
    )
    return R


@functools.cache
def _rules(domain: str) -> tuple[Rule, ...]:
    schema = get_schema(domain)
    rules = (
        _meta_rules()
        + _face_rules()
        + _chair_rules()
        + _brightness_rules()
        + _generic_rules(schema)
        + _colour_rules()
    )
    return tuple(r for r in rules if domain in r.domains)


def _parse_piece(toks: list[str], ctx: Ctx) -> list[Op] | None:
    f = frame_of(toks)
    if f is None or not f.words:
        return None
    for rule in _rules(ctx.domain):
        m = rule.pattern.fullmatch(f.words)
        if m is None or not f.mods <= rule.mods:
            continue
        try:
            ops = rule.handler(m, f, ctx)
        except (NoParse, KeyError, ValueError):
            continue
        if ops:
            return ops
    return None


# -- whole-sentence forms: interpolation, descriptions ------------------------------------
_FRACTIONS = {
    "halfway": 0.5,
    "half way": 0.5,
    "half": 0.5,
    "a quarter of the way": 0.25,
    "a quarter": 0.25,
    "a third of the way": 1 / 3,
    "a third": 1 / 3,
    "three quarters of the way": 0.75,
    "three quarters": 0.75,
}
_THING = (
    r"(?: one| image| picture| step| state| chair| face| person| man| woman| guy| style| identity)"
)
_INTERP = re.compile(
    r"(?:go |move |please |can you |could you |make it |make this |make them |take it )*"
    r"(?:(?P<frac>" + "|".join(sorted(map(re.escape, _FRACTIONS), key=len, reverse=True)) + r")"
    r" (?:between (?:this|it|the current|now|here)" + _THING + r"? and|to|towards|toward|back to)"
    r"|(?:blend|mix|interpolate|average|morph)(?: this| it)?"
    + _THING
    + r"? (?:with|and|toward|towards|into)"
    r"(?: the)?)"
    r"(?: the)? (?P<ref>previous|last|first|original|start|step \d+)"
    r"" + _THING + r"?(?: please)?[.!]*"
)


def _interpolate(cleaned: str) -> list[Op] | None:
    m = _INTERP.fullmatch(cleaned)
    if not m:
        return None
    ref: Any = m["ref"]
    ref = {"last": "previous", "original": "first", "start": "first"}.get(ref, ref)
    if ref.startswith("step"):
        ref = int(ref.split()[1])
    t = _FRACTIONS[m["frac"]] if m["frac"] else 0.5
    return [Interpolate(ref, t)]


# "repair the left half", "fill in the masked region", "inpaint the eyes"
_COMPLETE_REGIONS = {
    "left": "left",
    "right": "right",
    "top": "top",
    "upper": "top",
    "bottom": "bottom",
    "lower": "bottom",
    "center": "center",
    "centre": "center",
    "middle": "center",
    "masked": "center",
    "missing": "center",
    "damaged": "center",
    "eyes": "eyes",
    "eye": "eyes",
    "mouth": "mouth",
    "lips": "mouth",
}
_FACE_REGIONS = {"eyes", "mouth"}
_COMPLETE = re.compile(
    r"(?:(?:please|can you|could you|now) )*"
    r"(?:repair|fix|restore|complete|fill in|fill|inpaint|in paint|reconstruct|regenerate|redraw"
    r"|heal|patch|patch up)"
    r"(?: in)?(?: the| its| his| her| their| this)?"
    r"(?: (?P<r>" + "|".join(sorted(_COMPLETE_REGIONS, key=len, reverse=True)) + r"))?"
    r"(?: (?P<noun>half|side|part|region|area|hole|bit|portion|section|gap|mask|pixels))?"
    r"(?: of (?:the |this |her |his |their )?(?:image|picture|face|photo|chair))?"
    r"(?: please)?[.!]*"
)


def _complete(cleaned: str, domain: str) -> list[Op] | None:
    m = _COMPLETE.fullmatch(cleaned)
    if not m or not (m["r"] or m["noun"] in ("hole", "gap", "mask")):
        return None
    if m["r"] is None and m["noun"] in ("hole", "gap", "mask"):
        region = "center"
    else:
        region = _COMPLETE_REGIONS[m["r"]]
    if region in _FACE_REGIONS and (domain != "faces" or m["noun"] == "half"):
        return None
    return [Complete(region)]


_DESCRIBE = re.compile(
    r"(?:(?P<lead>"
    + "|".join(sorted(map(re.escape, L.DESCRIBE_LEADS), key=len, reverse=True))
    + r") )?(?P<np>(?:a|an) .+)"
)
_NOT_DESCRIBE = re.compile(r"\b(?:new|different|another|other|else|gif|sheet|picture of it)\b")


def _describe_attrs(np: str, domain: str) -> dict[str, Any]:
    """Attribute values a description names, by the schema's vocabulary."""
    schema = get_schema(domain)
    toks = tokens(np)
    text = " " + " ".join(toks) + " "
    out: dict[str, Any] = {}
    if domain == "faces":
        for t in toks:
            if t in _EMO_TOKEN and t != "neutral":
                out["expression"] = _EMO_TOKEN[t]
        if re.search(r" (?:no|remove) (?:sunglasses|glasses) ", text):
            out["eyewear"] = "none"
        else:
            for w in ("sunglasses", "glasses"):
                if f" {w} " in text:
                    out["eyewear"] = w
                    break
    for a in schema.of_kind(BOOL):
        if f" {a.name} " in text:
            out[a.name] = not re.search(rf" (?:no|remove) {a.name} ", text)
    for attr, words in _color_attrs(domain).items():
        if attr == "color":
            continue
        m = re.search(rf" ({_alt(words)}) {attr} | {attr} ({_alt(words)}) ", text)
        if m:
            out[attr] = words[m.group(1) or m.group(2)]
    if domain == "chairs":
        colours = [t for t in toks if t in _color_attrs("chairs")["color"]]
        if len(set(colours)) == 1:
            out["color"] = _color_attrs("chairs")["color"][colours[0]]
        if " pedestal " in text:
            out["legs"] = "pedestal"
        elif " fourlegs " in text:
            out["legs"] = "four"
    return out


def _describe(cleaned: str, domain: str, original: str) -> list[Op] | None:
    """A description; ``original`` is ``cleaned`` before lowercasing (its text is kept)."""
    m = _DESCRIBE.fullmatch(cleaned)
    if not m or _NOT_DESCRIBE.search(m["np"]):
        return None
    np = m["np"]
    words = set(re.findall(r"[a-z]+", np))
    subject = None
    for dom, nouns in L.SUBJECT_NOUNS.items():
        if any((n in words) if " " not in n else (n in np) for n in nouns):
            subject = dom if subject is None else "both"
    if subject is None or subject == "both":
        return None
    attrs = _describe_attrs(np, subject)
    if len(original) == len(cleaned):
        np = original[m.start("np") :]
    text = re.sub(r"[\s.!?]+$", "", np)
    if subject != domain:
        return [SwitchDomain(subject)] + ([Describe(attrs, text)] if attrs else [])
    return [Describe(attrs, text)]


_SAVE_AS = re.compile(
    r"(?i)(?:(?:please|could you|can you|now|ok|okay),? )*"
    r"save(?: it| this| the session| this session"
    r"| my session| my work| a copy| a copy of this session| the whole thing)?"
    r" (?:as|under(?: the name)?|with the name|named|called) (?P<name>.+?)[.!]*"
)


def save_as(text: str) -> list[Op] | None:
    """'save as NAME': the name as typed (quotes dropped); the manager checks it."""
    m = _SAVE_AS.fullmatch(clean(text, lower=False)[:MAX_CHARS])
    if not m:
        return None
    name = m["name"].strip().strip("'\"“”").strip()
    return [Save(name)] if name else None


# -- entry points ----------------------------------------------------------------------------
_INHERITABLE = {
    "add",
    "remove",
    "make",
    "turn",
    "look",
    "face",
    "tilt",
    "move",
    "no",
    "set",
    "increase",
    "decrease",
}
_STARTERS = _INHERITABLE | {
    "zoom",
    "toggle",
    "smile",
    "frown",
    "undo",
    "redo",
    "goto",
    "reset",
    "again",
    "more",
    "less",
    "switch",
    "use",
    "save",
    "export",
    "help",
    "history",
    "another",
    "brighter",
    "darker",
    "view",
    "centre",
    "step",
}


def parse_ops(
    text: str, domain: str, attributes: Mapping[str, Any] | None = None
) -> list[Op] | None:
    """The ops of a full grammar parse of ``text`` in ``domain``, or None."""
    ctx = Ctx(domain, get_schema(domain), attributes or {})
    cleaned = strip_hedges(clean(text)[:MAX_CHARS])
    if not cleaned:
        return None
    whole = (
        save_as(text)
        or _interpolate(cleaned)
        or _complete(cleaned, domain)
        or _describe(cleaned, domain, clean(text, lower=False)[:MAX_CHARS])
    )
    if whole:
        return whole
    ops: list[Op] = []
    lead: str | None = None
    for piece in split_pieces(cleaned):
        toks = tokens(piece)
        if not toks:
            continue
        got = None
        if lead is not None and toks[0] not in _STARTERS:
            got = _parse_piece([lead] + toks, ctx)
        if got is None:
            got = _parse_piece(toks, ctx)
        if got is None:
            return None
        ops.extend(got)
        lead = toks[0] if toks[0] in _INHERITABLE else lead
    return ops or None


def _register() -> None:
    def clear() -> None:
        _rewrites.cache_clear()
        _color_attrs.cache_clear()
        _rules.cache_clear()

    V.on_change(clear)


_register()


def foreign_attribute(text: str, domain: str) -> tuple[str, str] | None:
    """When ``text`` reads as an edit of another domain's attribute: (domain, attribute)."""
    schema = get_schema(domain)
    for other in SCHEMAS:
        if other == domain:
            continue
        ops = parse_ops(text, other)
        if not ops:
            continue
        for op in ops:
            attr = getattr(op, "attr", None)
            if attr is not None and attr not in schema:
                return other, attr
    return None
