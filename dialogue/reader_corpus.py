"""The request reader's label space and its generated training corpus.

The reader (``dialogue.reader``) reads one line and outputs a structured request:

- an act: ``edit`` (change the named attributes), ``describe`` (a description of the
  whole face or chair: set what it names, in one turn), ``cant`` (a request about
  something outside the schema: age, bangs, make-up, objects, ...), ``chat`` (greetings,
  thanks, "that's all", "looks good", a stray yes / no) or ``other`` (anything else:
  meta commands, off-topic text; the older fallback handles these);
- one label per attribute slot of the domain: ``-`` (not touched), a category value,
  ``true`` / ``false`` for on/off attributes, ``up`` / ``down`` for numbers;
- a degree: ``half`` / ``one`` / ``two`` steps (the schema's step; "a touch" is half a
  step, "way more" two).

The vocabulary comes from the schema (``generators.schema``) and the grammar's lexicon
(``dialogue.lexicon``) through one adapter, ``vocabulary()``; when the conversation
issue's per-attribute records exist, only that function changes.  The phrasings the
corpus wraps around the vocabulary (preferences, "X should be Y", questions, hedges,
degrees, negation, typos, descriptions, out-of-schema requests, conversation acts) are
templates here, written apart from the held-out corpus in tests/data.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dialogue import lexicon as L
from generators.schema import BOOL, CATEGORY, SCHEMAS

ACTS = ("edit", "describe", "cant", "chat", "other")
DEGREES = ("half", "one", "two")
DEGREE_FACTOR = {"half": 0.5, "one": 1.0, "two": 2.0}
NONE = "-"


# -- the vocabulary adapter ------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    domain: str
    attr: str
    kind: str  # "category" | "bool" | "numeric"
    labels: tuple[str, ...]  # "-" first
    nouns: tuple[str, ...] = ()  # what people call the attribute
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # value -> words

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.attr}"


#: words for numeric attributes' directions: (up phrases, down phrases), as verb phrases
#: ("turn {p} to the right"), comparatives and "too" adjectives (the state is too X: move down)
NUMERIC_WORDS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("faces", "yaw"): {
        "up": (
            "turn {p} head to the right",
            "turn {p} to the right",
            "rotate {p} head right",
            "turn right",
            "face more to the right",
            "swing {p} head rightwards",
            "point {p} face more to the right",
            "more to the right",
        ),
        "down": (
            "turn {p} head to the left",
            "turn {p} to the left",
            "rotate {p} head left",
            "turn left",
            "face more to the left",
            "swing {p} head leftwards",
            "point {p} face more to the left",
            "more to the left",
        ),
    },
    ("faces", "pitch"): {
        "up": (
            "tilt {p} head up",
            "look up",
            "lift {p} chin",
            "tip {p} head upwards",
            "raise {p} head",
            "look upwards",
            "chin up",
        ),
        "down": (
            "tilt {p} head down",
            "look down",
            "lower {p} chin",
            "tip {p} head downwards",
            "drop {p} head",
            "look downwards",
            "chin down",
        ),
    },
    ("faces", "light_azimuth"): {
        "up": (
            "move the light to the right",
            "shift the lighting rightwards",
            "light more from the right",
            "swing the lamp to the right",
        ),
        "down": (
            "move the light to the left",
            "shift the lighting leftwards",
            "light more from the left",
            "swing the lamp to the left",
        ),
    },
    ("faces", "light_elevation"): {
        "up": (
            "move the light up",
            "raise the light",
            "light more from above",
            "put the lamp higher",
            "the light higher",
        ),
        "down": (
            "move the light down",
            "lower the light",
            "light more from below",
            "put the lamp lower",
            "the light lower",
        ),
    },
    ("faces", "brightness"): {
        "up": (
            "brighter",
            "brighten it",
            "lighten the picture",
            "more exposure",
            "brighten the image",
            "make the photo lighter",
            "turn up the brightness",
        ),
        "down": (
            "darker",
            "darken it",
            "dim the picture",
            "less exposure",
            "darken the image",
            "make the photo darker",
            "turn down the brightness",
        ),
        "too_up": ("bright", "light", "washed out", "overexposed"),
        "too_down": ("dark", "dim", "gloomy", "underexposed"),
    },
    ("faces", "expression_strength"): {
        "up": (
            "make the expression stronger",
            "intensify the expression",
            "exaggerate the expression",
            "more intense expression",
            "crank up the expression",
            "push the expression further",
        ),
        "down": (
            "tone the expression down",
            "soften the expression",
            "weaken the expression",
            "dial back the expression",
            "subtler expression",
            "rein in the expression",
            "calm the expression down",
        ),
        "too_up": ("intense", "strong", "exaggerated", "over the top", "extreme", "overdone"),
        "too_down": ("subtle", "weak", "faint"),
    },
    ("chairs", "azimuth"): {
        "up": (
            "turn it to the right",
            "rotate the chair right",
            "spin it rightwards",
            "turn the chair right",
            "swivel it to the right",
            "rotate it clockwise",
            "more to the right",
            "further to the right",
            "angle it more to the right",
            "twist it right",
            "swing it round to the right",
        ),
        "down": (
            "turn it to the left",
            "rotate the chair left",
            "spin it leftwards",
            "turn the chair left",
            "swivel it to the left",
            "rotate it anticlockwise",
            "more to the left",
            "further to the left",
            "angle it more to the left",
            "twist it left",
            "swing it round to the left",
        ),
    },
    ("chairs", "elevation"): {
        "up": (
            "view it from higher",
            "raise the camera",
            "look from further above",
            "a higher viewpoint",
            "move the camera up",
            "see it from more above",
        ),
        "down": (
            "view it from lower",
            "lower the camera",
            "look from further below",
            "a lower viewpoint",
            "move the camera down",
            "see it from lower down",
        ),
    },
    ("chairs", "back_height"): {
        "up": (
            "make the back taller",
            "raise the backrest",
            "a taller backrest",
            "heighten the back",
            "extend the seat back",
            "the backrest higher",
        ),
        "down": (
            "make the back shorter",
            "lower the backrest",
            "a shorter backrest",
            "cut the back down",
            "the backrest lower",
            "shrink the seat back",
        ),
        "too_up": ("tall", "high"),
        "too_down": ("short", "low", "stubby"),
    },
    ("chairs", "zoom"): {
        "up": (
            "zoom in",
            "make it bigger",
            "get closer",
            "enlarge the chair",
            "bring it closer",
            "fill more of the frame",
            "make the chair larger",
        ),
        "down": (
            "zoom out",
            "make it smaller",
            "move further away",
            "shrink the chair",
            "pull back",
            "show more around it",
            "make the chair smaller",
        ),
        "too_up": ("big", "large", "close"),
        "too_down": ("small", "tiny", "far away"),
    },
    ("chairs", "shift_x"): {
        "up": (
            "move it to the right",
            "shift the chair right",
            "slide it rightwards",
            "push it towards the right edge",
            "nudge it to the right",
            "scoot the chair right",
            "push the chair over to the right",
            "slide it over to the right",
            "shove it right",
            "nudge the chair rightwards",
        ),
        "down": (
            "move it to the left",
            "shift the chair left",
            "slide it leftwards",
            "push it towards the left edge",
            "nudge it to the left",
            "scoot the chair left",
            "push the chair over to the left",
            "slide it over to the left",
            "shove it left",
            "nudge the chair leftwards",
        ),
        "too_up": ("far right",),
        "too_down": ("far left",),
    },
    ("chairs", "shift_y"): {
        "up": ("move it up", "shift the chair upwards", "raise it in the frame", "slide it up"),
        "down": (
            "move it down",
            "shift the chair downwards",
            "lower it in the frame",
            "slide it down",
        ),
        "too_up": ("high up in the frame",),
        "too_down": ("low in the frame",),
    },
    ("chairs", "hue"): {
        "up": ("shift the hue", "rotate the hue forward", "move the hue up", "push the tint along"),
        "down": (
            "shift the hue back",
            "rotate the hue backwards",
            "move the hue down",
            "pull the tint back",
        ),
    },
    ("chairs", "saturation"): {
        "up": (
            "more saturated",
            "make the colours more vivid",
            "boost the saturation",
            "richer colours",
            "more colourful",
            "punchier colours",
            "make it pop",
            "make the colours pop",
            "more vibrant",
            "juice up the colours",
            "stronger colours",
            "deeper colours",
            "more colour",
        ),
        "down": (
            "less saturated",
            "make the colours more muted",
            "reduce the saturation",
            "duller colours",
            "less colourful",
            "tone the colours down",
        ),
        "too_up": ("saturated", "vivid", "garish", "loud", "intense"),
        "too_down": ("dull", "muted", "washed out", "faded", "grey"),
    },
    ("chairs", "brightness"): {
        "up": (
            "brighter",
            "brighten it",
            "lighten the picture",
            "more exposure",
            "turn up the brightness",
            "make the image lighter",
        ),
        "down": (
            "darker",
            "darken it",
            "dim the picture",
            "less exposure",
            "turn down the brightness",
            "make the image darker",
        ),
        "too_up": ("bright", "light", "overexposed"),
        "too_down": ("dark", "dim", "murky"),
    },
}

#: words that say which kind of eyewear ("regular glasses", "tinted ones"), used in swaps
EYEWEAR_KINDS: dict[str, tuple[str, ...]] = {
    "glasses": (
        "regular",
        "normal",
        "ordinary",
        "plain",
        "clear",
        "see-through",
        "prescription",
        "reading",
        "everyday",
        "standard",
        "transparent",
    ),
    "sunglasses": ("dark", "tinted", "black", "mirrored", "shaded", "sun"),
}
#: how people name the things one can wear or have (bools and eyewear)
WEARABLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("eyewear", "glasses"): (
        "glasses",
        "specs",
        "spectacles",
        "eyeglasses",
        "reading glasses",
        "a pair of glasses",
        "clear glasses",
    ),
    ("eyewear", "sunglasses"): (
        "sunglasses",
        "shades",
        "sunnies",
        "dark glasses",
        "a pair of sunglasses",
        "aviators",
    ),
    ("hat", "true"): (
        "a hat",
        "a cap",
        "a beanie",
        "a fedora",
        "headwear",
        "a baseball cap",
        "a woolly hat",
    ),
    ("beard", "true"): (
        "a beard",
        "stubble",
        "facial hair",
        "a goatee",
        "a moustache",
        "a full beard",
        "some scruff",
    ),
    ("armrests", "true"): ("armrests", "arms", "arm rests", "armrests on both sides"),
}

EXPRESSION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "happy": {
        "adj": ("happy", "cheerful", "joyful", "glad", "delighted", "pleased", "content"),
        "ing": ("smiling", "grinning", "beaming", "laughing"),
        "verb": ("smile", "grin", "beam", "laugh"),
        "noun": ("a smile", "a grin", "a happy face", "a cheerful look"),
    },
    "sad": {
        "adj": ("sad", "unhappy", "gloomy", "miserable", "down", "melancholy", "upset"),
        "ing": ("frowning", "crying", "sulking", "pouting"),
        "verb": ("frown", "pout", "sulk"),
        "noun": ("a frown", "a sad face", "a gloomy look", "a pout"),
    },
    "angry": {
        "adj": ("angry", "mad", "furious", "cross", "grumpy", "annoyed", "irritated"),
        "ing": ("scowling", "glaring", "fuming"),
        "verb": ("scowl", "glare"),
        "noun": ("a scowl", "an angry face", "a furious look", "a glare"),
    },
    "surprised": {
        "adj": ("surprised", "shocked", "astonished", "amazed", "startled", "stunned"),
        "ing": ("gasping", "gaping"),
        "verb": ("gasp",),
        "noun": ("a surprised face", "a shocked look", "an astonished expression"),
    },
    "neutral": {
        "adj": ("neutral", "serious", "calm", "expressionless", "blank", "stern"),
        "ing": (),
        "verb": (),
        "noun": ("a straight face", "a neutral face", "a poker face", "a serious expression"),
    },
}


@functools.cache
def vocabulary() -> tuple[Slot, ...]:
    """Every attribute slot of both domains with its words (the adapter: schema + lexicon)."""
    slots: list[Slot] = []
    for domain, schema in SCHEMAS.items():
        for a in schema.attributes:
            if a.name == schema.seed_attribute:
                continue
            nouns = tuple(
                w
                for w in L.ATTRIBUTE_SYNONYMS.get(a.name, ())
                if not w.endswith("s") or a.name in ("armrests", "legs", "glasses")
            )
            nouns = nouns or (a.name.replace("_", " "),)
            if a.kind == CATEGORY:
                vals = {}
                for v in a.values:
                    words = [v] + list(L.VALUE_SYNONYMS.get((a.name, v), ()))
                    words += [k for k, c in L.COLOR_WORDS.items() if c == v]
                    vals[v] = tuple(dict.fromkeys(w for w in words if w != "fourlegs"))
                slots.append(Slot(domain, a.name, "category", (NONE,) + a.values, nouns, vals))
            elif a.kind == BOOL:
                slots.append(Slot(domain, a.name, "bool", (NONE, "true", "false"), nouns))
            else:
                slots.append(Slot(domain, a.name, "numeric", (NONE, "up", "down"), nouns))
    return tuple(slots)


def slots(domain: str) -> tuple[Slot, ...]:
    return tuple(s for s in vocabulary() if s.domain == domain)


#: extra words that name an attribute without its noun or values
_GROUND_EXTRA: dict[str, tuple[str, ...]] = {
    "expression": (
        "cheer",
        "mood",
        "expression",
        "emotion",
        "laugh",
        "cry",
        "sulk",
        "scowl",
        "frown",
        "smile",
        "grin",
        "pout",
        "glare",
        "gasp",
        "relax",
        "calm",
    ),
    "beard": (
        "shave",
        "shaven",
        "shaved",
        "beard",
        "bearded",
        "stubble",
        "scruff",
        "moustache",
        "mustache",
        "goatee",
    ),
    "hat": ("hat", "cap", "beanie", "fedora", "headwear", "bareheaded"),
    "eyewear": ("glasses", "shades", "specs", "spectacles", "sunnies", "aviators", "eyewear"),
    "armrests": ("arm", "arms", "armrest", "armrests", "armchair", "armless"),
    "legs": ("leg", "legs", "legged", "pedestal", "base", "stand", "stands", "swivel"),
    "hair_color": ("hair", "haired", "redhead", "blonde", "brunette", "ginger"),
    "skin_tone": ("skin", "complexion", "tan", "tanned", "pale"),
    "background": ("background", "backdrop", "wall", "behind", "bg"),
    "color": ("chair", "colour", "color", "paint", "seat", "it", "one"),
}


@functools.cache
def _ground_words(domain: str, attr: str) -> frozenset[str]:
    slot = next(s for s in vocabulary() if s.domain == domain and s.attr == attr)
    words: set[str] = set(_GROUND_EXTRA.get(attr, ()))
    for phrase in slot.nouns:
        words.update(phrase.split())
    for vals in slot.values.values():
        for phrase in vals:
            words.update(phrase.split())
    if attr == "expression":
        for w in EXPRESSION_WORDS.values():
            for group in w.values():
                for phrase in group:
                    words.update(phrase.split())
    for (a, _), items in WEARABLES.items():
        if a == attr:
            for phrase in items:
                words.update(phrase.split())
    return frozenset(
        w
        for w in words
        if len(w) >= 2
        and w not in ("a", "an", "of", "pair", "the", "on", "both", "sides", "face", "look")
    )


def grounded(domain: str, attr: str, text: str) -> bool:
    """Whether ``text`` has a word for ``attr`` (its noun, a value, a wearable or an
    expression word; a close misspelling counts): a reading of a category or on/off
    attribute the line never mentions ("look at the camera" read as glasses) is dropped."""
    import difflib

    ground = _ground_words(domain, attr)
    for w in re.findall(r"[a-z]+", text.lower()):
        if w in ground or any(
            g in w or (len(w) >= 5 and len(g) >= 5 and w[:4] == g[:4])
            for g in ground
            if len(g) >= 3
        ):  # "armchair", "happier"
            return True
        if len(w) >= 3 and difflib.get_close_matches(
            w, ground, n=1, cutoff=0.75 if len(w) > 3 else 0.6
        ):
            return True
    return False


@functools.cache
def _expression_words() -> dict[str, str]:
    """word -> expression value, for the words that name one expression only."""
    seen: dict[str, set[str]] = {}
    for value, groups in EXPRESSION_WORDS.items():
        phrases = [p for g in groups.values() for p in g]
        phrases += list(next(s for s in vocabulary() if s.attr == "expression").values[value])
        for phrase in phrases:
            w = phrase.split()[-1]
            seen.setdefault(w, set()).add(value)
            for form in (w + "s", w + "es", w + "ed", w + "ing", w + "ning"):
                seen.setdefault(form, set()).add(value)
    return {
        w: next(iter(v))
        for w, v in seen.items()
        if len(v) == 1 and w not in ("face", "look", "expression", "down")
    }


def expression_named(text: str) -> str | None:
    """The one expression ``text`` names by a word ("smile more" -> happy), else None."""
    words = _expression_words()
    found = {words[w] for w in re.findall(r"[a-z]+", text.lower()) if w in words}
    return found.pop() if len(found) == 1 else None


def value_words(domain: str, attr: str, value: str) -> tuple[str, ...]:
    """The words that name ``value`` of ``attr`` ("pedestal", "shades", "a hat")."""
    slot = next((s for s in slots(domain) if s.attr == attr), None)
    if slot is None:
        return ()
    words = list(slot.values.get(value, ()))
    words += WEARABLES.get((attr, value), ())
    if slot.kind == "bool" and value == "true":
        words += list(slot.nouns)
    if attr == "expression":
        words += [p for g in EXPRESSION_WORDS.get(value, {}).values() for p in g]
    out = []
    for w in words:
        for art in ("a pair of ", "a ", "an ", "some "):
            w = w.removeprefix(art)
        if w and w != "none":
            out.append(w)
    return tuple(dict.fromkeys(out))


_CLAUSE = re.compile(r"[,;.!?]|\bbut\b|\binstead\b|\brather\b")
_REFUSING = re.compile(
    r"\b(?:no|not|never|without|nope|nah|rid|lose|remove|ditch|drop|hate"
    r"|dislike)\b|n't\b|\bdont\b"
)


def refused(domain: str, attr: str, value: str, text: str) -> bool:
    """Whether ``text`` names ``value`` in a clause that refuses something ("I don't want
    a pedestal", "no shades"; not "I don't love the black hair, try brown" for brown)."""
    phrases = value_words(domain, attr, value)
    for clause in _CLAUSE.split(text.lower()):
        if _REFUSING.search(clause) and any(
            re.search(r"(?<![\w-])" + re.escape(p) + r"(?![\w-])", clause) for p in phrases
        ):
            return True
    return False


def too_direction(domain: str, attr: str, text: str) -> str | None:
    """ "too dark" asks for the opposite of dark: "up" / "down" when ``text`` says the
    number ``attr`` is too much of one of its "too" words, else None ("not too dark",
    "too much" and words of other attributes say nothing)."""
    words = NUMERIC_WORDS.get((domain, attr), {})
    said = None
    for m in re.finditer(r"(?<!not )(?<!n't )\btoo ([a-z]+(?: [a-z]+)?)", text.lower()):
        phrase = m.group(1)
        for key, direc in (("too_up", "down"), ("too_down", "up")):
            if any(phrase == w or phrase.split()[0] == w for w in words.get(key, ())):
                if said not in (None, direc):
                    return None
                said = direc
    return said


# -- a training example -------------------------------------------------------------------------
@dataclass
class Example:
    text: str
    domain: str
    act: str
    labels: dict[str, str] = field(default_factory=dict)  # slot key -> label
    degree: str = "one"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "domain": self.domain,
            "act": self.act,
            "labels": dict(self.labels),
            "degree": self.degree,
        }


# -- wrappers: hedges, politeness, typos -----------------------------------------------------------
PREFIXES = (
    "",
    "",
    "",
    "",
    "",
    "hmm, ",
    "ok, ",
    "okay so ",
    "I think ",
    "honestly, ",
    "hey, ",
    "hi! ",
    "please ",
    "sorry, ",
    "umm ",
    "right, ",
    "cool. ",
    "great, ",
    "alright, ",
    "well, ",
    "so ",
    "nice. ",
    "ok now ",
    "now ",
    "and ",
    "also ",
    "I guess ",
    "in that case ",
    "one more thing: ",
    "hello, ",
    "yeah ",
    "oh and ",
    "uh, ",
    "if you could, ",
    "next, ",
    "lovely, ",
    "good, ",
    "hm ",
    "actually ",
    "ooh, ",
    "wow nice, ",
    "nice one, ",
    "love it! now ",
    "perfect. ",
    "good stuff, ",
    "yes! ",
    "could u ",
    "can u ",
    "pls ",
    "thanks! ",
    "looks good, but ",
    "not bad, ",
    "if you don't mind, ",
    "no rush, but ",
    "not sure, but ",
    "no pressure, but ",
    "I don't know, maybe ",
    "not to be picky, but ",
    "no offence, but ",
    "if it's not too much trouble, ",
    "don't mind me, ",
    "I'm not sure, ",
    "not a big deal, but ",
    "I never said this before, but ",
    "nothing major, ",
)
SUFFIXES = (
    "",
    "",
    "",
    "",
    "",
    " please",
    " thanks",
    ", thank you",
    " if possible",
    ", if you can",
    ", that would be great",
    ", cheers",
    "?",
    "!",
    " for me",
    " pls",
    ", thanks a lot",
    " thx",
    " I think",
    ", would be nice",
    " :)",
    "...",
    ", if that's ok",
    " when you get a chance",
    ", much appreciated",
    " ty",
    ", that'd be cool",
    " maybe",
    " now",
    " please and thank you",
    ", it would be cool",
    ". thanks!",
    ". that would be nice",
    ", is that possible?",
    ", can you do that?",
    ", if you don't mind",
    ", no rush",
    ", don't worry if not",
    ", no pressure",
    ", if it's not too much trouble",
    ", nothing else",
    ", if it isn't a hassle",
    ", doesn't have to be perfect",
    ", no need to hurry",
)
PRONOUNS = ("her", "him", "them")
SUBJECTS = {"her": "she", "him": "he", "them": "they"}

DEGREE_WORDS = {
    "half": (
        "a bit",
        "a little",
        "a touch",
        "a tad",
        "slightly",
        "a little bit",
        "a smidge",
        "just a bit",
        "a hair",
        "ever so slightly",
        "a tiny bit",
        "marginally",
        "somewhat",
        "a wee bit",
        "a fraction",
        "just a tiny bit",
        "just a touch",
        "only slightly",
        "a teeny bit",
        "the tiniest bit",
        "just slightly",
        "a notch",
    ),
    "two": (
        "a lot",
        "way",
        "much",
        "far",
        "loads",
        "a great deal",
        "heaps",
        "significantly",
        "dramatically",
        "a ton",
        "really",
        "considerably",
        "massively",
        "way more",
        "lots",
        "a whole lot",
        "by a lot",
        "a good deal",
        "tons",
        "hugely",
    ),
}


def typo(word: str, rng: random.Random) -> str:
    if len(word) == 3 and word.isalpha():
        return word[0] + word[2] + word[1]  # hat -> hta
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    r = rng.random()
    if r < 0.3:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap
    if r < 0.6:
        return word[:i] + word[i + 1 :]  # drop
    if r < 0.8:
        return word[:i] + word[i] + word[i:]  # double
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]  # substitute


def noisy(text: str, rng: random.Random, p_typo: float = 0.25, p_case: float = 0.12) -> str:
    if rng.random() < p_typo:
        words = text.split(" ")
        for _ in range(rng.choice((1, 1, 2))):
            j = rng.randrange(len(words))
            words[j] = typo(words[j], rng)
        text = " ".join(words)
    r = rng.random()
    if r < p_case / 3:
        text = text.upper()
    elif r < 2 * p_case / 3:
        text = text.title()
    elif r < p_case:
        text = text.lower()
    elif rng.random() < 0.5:
        text = text[:1].upper() + text[1:]
    return text


def wrap(core: str, rng: random.Random) -> str:
    return f"{rng.choice(PREFIXES)}{core}{rng.choice(SUFFIXES)}"


# -- generators per act ----------------------------------------------------------------------------
def _pick(rng, xs):
    return xs[rng.randrange(len(xs))]


def _deg(rng: random.Random, allow: bool = True) -> tuple[str, str, str]:
    """(degree, words before, words after) e.g. ("half", "", " a bit")."""
    if not allow:
        return "one", "", ""
    r = rng.random()
    if r < 0.45:
        return "one", "", ""
    d = "half" if r < 0.75 else "two"
    w = _pick(rng, DEGREE_WORDS[d])
    return d, w, w


def _set_phrases(slot: Slot, value: str, words: str, pron: str, rng) -> list[str]:
    """Ways to ask that ``slot`` becomes ``value`` (named by ``words``)."""
    noun = _pick(rng, slot.nouns)
    subj = SUBJECTS[pron]
    out = [
        f"make the {noun} {words}",
        f"{words} {noun}",
        f"change the {noun} to {words}",
        f"the {noun} should be {words}",
        f"I'd like the {noun} {words}",
        f"{words} would be nice for the {noun}",
        f"what about a {words} {noun}?",
        f"the {noun} must be {words}",
        f"the {noun} has to be {words}",
        f"the {noun} has got to be {words}",
        f"{pron} {noun} must be {words}".replace("him ", "his ").replace("them ", "their "),
        f"could the {noun} be {words}?",
        f"I want a {words} {noun}",
        f"let's go with {words} for the {noun}",
        f"set the {noun} to {words}",
        f"try a {words} {noun}",
        f"{noun} in {words}",
        f"I'd prefer a {words} {noun}",
        f"the {noun} needs to be {words}",
        f"switch the {noun} to {words}",
        f"how about {words} for the {noun}",
        f"can we have a {words} {noun}",
        f"I think the {noun} would look better {words}",
        f"a {words} {noun} please",
        f"{words} {noun} would be lovely",
        f"the {noun} ought to be {words}",
        f"go for a {words} {noun}",
        f"give it a {words} {noun}",
        f"I'd love a {words} {noun}",
        f"what if the {noun} were {words}?",
        f"{noun} {words}",
        f"paint the {noun} {words}",
        f"recolour the {noun} {words}",
    ]
    if slot.attr == "hair_color":
        out += [
            f"give {pron} {words} hair",
            f"dye {pron} hair {words}",
            f"{subj} should have {words} hair",
            f"{pron} with {words} hair",
            f"I'd love to see {pron} with {words} hair",
            f"make {pron} {words}-haired",
            f"what would {subj} look like with {words} hair?",
            f"{words} hair on {pron}",
        ]
    if slot.attr == "skin_tone":
        out += [
            f"give {pron} {words} skin",
            f"{subj} should have {words} skin",
            f"make {pron} skin {words}",
            f"{words} skin please",
            f"a {words} complexion",
        ]
    if slot.attr in ("color",):
        out += [
            f"make the chair {words}",
            f"a {words} chair",
            f"paint it {words}",
            f"I'd love this chair in {words}",
            f"the chair should be {words}",
            f"could it be {words}?",
            f"{words} would look better",
            f"go with {words}",
            f"make it {words}",
            f"I want it {words}",
            f"how about {words}?",
            f"{words} please",
            f"try it in {words}",
            f"colour it {words}",
        ]
    if slot.attr == "background":
        out += [
            f"put {pron} against a {words} wall",
            f"a {words} backdrop behind {pron}",
            f"make the backdrop {words}",
            f"{words} behind {pron}",
        ]
    if slot.attr == "legs":
        if value == "pedestal":
            out += [
                "put it on a pedestal",
                "a single central leg",
                "one leg instead of four",
                "give it a pedestal base",
                "make it stand on one leg",
                "swap the legs for a pedestal",
                "a swivel base",
                "a pedestal base please",
            ]
        else:
            out += [
                "give it four legs",
                "put it on four legs",
                "four legs instead",
                "swap the pedestal for four legs",
                "make it four-legged",
                "a leg at each corner",
                "four legs please",
                "back to four legs",
            ]
    return out


def _wear_phrases(item: str, pron: str, on: bool, rng) -> list[str]:
    subj = SUBJECTS[pron]
    bare = item.removeprefix("a ").removeprefix("an ").removeprefix("a pair of ")
    if on:
        return [
            f"add {item}",
            f"give {pron} {item}",
            f"put {item} on {pron}",
            f"{subj} should wear {item}",
            f"I'd love to see {pron} with {item}",
            f"could {subj} wear {item}?",
            f"{subj} needs {item}",
            f"let {pron} have {item}",
            f"{pron} with {item}",
            f"what about {item}?",
            f"how about {item} on {pron}",
            f"I want {pron} to have {item}",
            f"{item} would suit {pron}",
            f"can {subj} have {item}?",
            f"I'd like {item}",
            f"stick {item} on {pron}",
            f"{subj} would look great with {item}",
            f"I'd prefer {pron} with {item}",
            f"{item} please",
            f"I think {item} would be nice",
            f"bring in {item}",
            f"I like {bare}, give {pron} some",
            f"dress {pron} in {item}",
            f"{subj} ought to have {item}",
            f"is it possible to add {item}?",
            f"why not {item}?",
            f"try {item}",
            f"go with {item}",
        ]
    return [
        f"remove the {bare}",
        f"no {bare}",
        f"lose the {bare}",
        f"take off the {bare}",
        f"I'm not a fan of the {bare}",
        f"I don't like the {bare}",
        f"the {bare} has to go",
        f"the {bare} have to go",
        f"get rid of the {bare}",
        f"without the {bare}",
        f"{subj} shouldn't have {bare}",
        f"I don't want {bare}",
        f"not keen on the {bare}",
        f"the {bare} isn't working",
        f"ditch the {bare}",
        f"I hate the {bare}",
        f"can we lose the {bare}?",
        f"take the {bare} off",
        f"{subj} doesn't need {bare}",
        f"no more {bare}",
        f"the {bare} look bad",
        f"drop the {bare}",
        f"I'd rather {subj} had no {bare}",
        f"{bare} off please",
        f"I never wanted {bare}",
        f"{bare} are not needed",
        f"there should be no {bare}",
        f"{subj} is better without {bare}",
        f"enough with the {bare}",
        f"honestly the {bare} are too much",
        f"I'm not loving the {bare}",
        f"nah, no {bare}",
        f"could you remove the {bare}?",
        f"not a big fan of {bare}",
        f"the {bare} don't suit {pron}",
        f"{subj} shouldn't wear {bare}",
        f"I don't think {subj} needs {bare}",
        f"{bare} off",
        f"get the {bare} off {pron}",
        f"take those {bare} off",
        f"{bare} gone please",
        f"I'd rather not have {bare}",
        f"nope to the {bare}",
        f"the {bare} {_pick(rng, ('are', 'is'))} too much, {_pick(rng, LOSE_IT)}",
        f"the {bare} {_pick(rng, ('are', 'is'))} a bit much, {_pick(rng, LOSE_IT)}",
        f"too much with the {bare}, {_pick(rng, LOSE_IT)}",
        f"the {bare} {_pick(rng, ('are', 'is'))} way too much",
        f"{_pick(rng, LOSE_IT)}, the {bare} {_pick(rng, ('are', 'is'))} too much",
        f"the {bare} {_pick(rng, ('are', 'is'))} distracting, {_pick(rng, LOSE_IT)}",
        f"the {bare} {_pick(rng, ('are', 'is'))} ugly, {_pick(rng, LOSE_IT)}",
        f"I'm over the {bare}, {_pick(rng, LOSE_IT)}",
    ]


LOSE_IT = (
    "lose them",
    "lose it",
    "get rid of them",
    "get rid of it",
    "take them off",
    "take it off",
    "remove them",
    "remove it",
    "ditch them",
    "ditch it",
    "drop them",
    "off with them",
    "away with them",
)


#: who or what is "too X" ("the colours are way too dull")
TOO_SUBJECTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("chairs", "saturation"): (
        "the colours are",
        "the colors are",
        "the colours look",
        "the colors look",
        "the colour is",
        "everything looks",
        "the image is",
        "the tones are",
    ),
    ("chairs", "brightness"): (
        "the photo is",
        "the image is",
        "the lighting is",
        "the picture looks",
        "everything is",
    ),
    ("faces", "brightness"): (
        "the photo is",
        "the image is",
        "the lighting is",
        "the picture looks",
        "her face is",
        "everything is",
    ),
    ("chairs", "zoom"): ("the chair is", "the chair looks", "it's", "the seat looks"),
    ("chairs", "back_height"): (
        "the back is",
        "the backrest is",
        "the seat back looks",
        "the back looks",
    ),
    ("faces", "expression_strength"): (
        "the expression is",
        "the look is",
        "her face is",
        "his face is",
        "the emotion is",
    ),
}
TOO_AFTER = (
    "",
    "",
    "",
    ", fix it",
    ", can you fix that",
    ", fix that please",
    ", please sort it",
    ", change it",
)
#: a stronger or softer version of the expression already shown
SOFTEN = (
    "tone it down",
    "calm it down",
    "dial it back",
    "soften it",
    "ease off",
    "calm down",
    "take it down a notch",
    "rein it in",
    "tone that down",
    "not so much",
    "less of that",
)
INTENSIFY = (
    "crank it up",
    "more of that",
    "push it further",
    "turn it up",
    "even more",
    "make it stronger",
    "amp it up",
)


def _strength_phrase(direc: str, d: str, pron: str, rng: random.Random) -> tuple[str, str]:
    """(text, degree): "she's way too angry, tone it down", "he smiles too much", "don't
    look so sad", "make her smile way more": the strength of the expression shown, not
    another expression."""
    value = _pick(rng, ("happy", "sad", "angry", "surprised"))
    w = EXPRESSION_WORDS[value]
    adj = _pick(rng, w["adj"])
    subj = SUBJECTS.get(pron, "she")
    be = {"she": "she's", "he": "he's", "they": "they're"}.get(subj, "she's")
    looks = "look" if subj == "they" else "looks"
    verb = _pick(rng, w["verb"]) if w["verb"] else None
    deg = {
        "one": "",
        "half": _pick(rng, DEGREE_WORDS["half"]),
        "two": _pick(rng, ("a lot", "much", "way", "loads", "a great deal", "heaps")),
    }[d]
    if direc == "down":
        way = {
            "one": "",
            "half": _pick(rng, ("a bit ", "a little ", "slightly ")),
            "two": _pick(rng, ("way ", "far ", "much ")),
        }[d]
        graded = [
            f"{be} {way}too {adj}",
            f"{subj} {looks} {way}too {adj}",
            f"{be} {way}too {adj}, {_pick(rng, SOFTEN)}",
            f"{subj} {looks} {way}too {adj}, {_pick(rng, SOFTEN)}",
            f"{be} too {adj}, {_pick(rng, SOFTEN)} {deg}",
            f"{deg} less {adj}",
            f"{_pick(rng, SOFTEN)} {deg}, {subj} {looks} too {adj}",
        ]
        flat = [
            f"don't look so {adj}",
            f"{subj} shouldn't look so {adj}",
            f"not so {adj}",
            f"less {adj} please",
            f"{subj} doesn't need to look so {adj}",
        ]
        if verb:
            verbs = verb if subj == "they" else verb + ("es" if verb.endswith("h") else "s")
            graded += [f"make {pron} {verb} {deg} less", f"{verb} {deg} less"]
            flat += [
                f"{subj} {verbs} too much",
                f"{subj} {verbs} way too much",
                f"too much {_pick(rng, w['ing'])}" if w["ing"] else f"less {verb}",
            ]
        if d != "one" and rng.random() < 0.8:
            return " ".join(_pick(rng, graded).split()), d
        core = _pick(rng, flat + [g for g in graded if "{" not in g])
        return " ".join(core.split()).replace("  ", " "), (
            "two" if "way too much" in core else "one" if core in flat else d
        )
    verb = verb or "smile"
    if d != "one":
        return _pick(
            rng, (f"make {pron} {verb} {deg} more", f"{verb} {deg} more", f"{deg} more {adj}")
        ), d
    return _pick(
        rng,
        (
            f"make {pron} {verb} more",
            f"make {pron} {verb} even more",
            f"{subj} could {verb} more",
            f"even more {adj}",
            f"{_pick(rng, INTENSIFY)}, {subj} could look more {adj}",
            f"{adj} is good, {_pick(rng, INTENSIFY)}",
        ),
    ), "one"


#: how a value is named when it is refused ("no pedestal", "no four legs")
NEGATABLE: dict[tuple[str, str], tuple[str, ...]] = {
    ("legs", "four"): ("four legs", "legs", "four-legged base", "four leg base"),
    ("legs", "pedestal"): (
        "pedestal",
        "pedestal base",
        "single leg",
        "central leg",
        "swivel base",
        "pedestal leg",
    ),
}
BIG_SMILES = (
    "a big smile",
    "a broad grin",
    "a wide smile",
    "a huge grin",
    "a real smile",
    "a nice smile",
    "a warm smile",
    "a beaming smile",
    "a big grin",
)


def _edit_example(domain: str, rng: random.Random) -> Example:
    pron = _pick(rng, PRONOUNS) if domain == "faces" else "it"
    if pron == "it":
        pron_f = "it"
    else:
        pron_f = pron
    sl = [s for s in slots(domain)]
    slot = _pick(rng, sl)
    key = slot.key
    ex = Example("", domain, "edit")
    subj = SUBJECTS.get(pron_f, "it")
    if slot.kind == "numeric":
        words = NUMERIC_WORDS[(domain, slot.attr)]
        up = rng.random() < 0.5
        d, pre, post = _deg(rng)
        direc = "up" if up else "down"
        r = rng.random()
        too = words.get("too_down" if up else "too_up")
        if pron_f in ("her", "him", "them"):
            poss = {"her": "her", "him": "his", "them": "their"}[pron_f]
        else:
            poss = "its"
        if too and r < 0.32:
            adj = _pick(rng, too)
            way = {
                "one": "",
                "half": _pick(rng, ("a bit ", "a little ", "slightly ")),
                "two": _pick(rng, ("way ", "far ", "much ")),
            }[d]
            core = _pick(
                rng,
                (
                    f"it's {way}too {adj}",
                    f"{way}too {adj}",
                    f"the picture is {way}too {adj}",
                    f"this is {way}too {adj}",
                    f"looks {way}too {adj}",
                    f"it looks {way}too {adj}, fix it",
                    f"not so {adj}",
                    f"{way}too {adj}, bring it back",
                ),
            )
            if (domain, slot.attr) in TOO_SUBJECTS and rng.random() < 0.6:
                who = _pick(rng, TOO_SUBJECTS[(domain, slot.attr)])
                core = f"{who} {way}too {adj}{_pick(rng, TOO_AFTER)}"
            if core.startswith("not so"):
                d = "one"
        else:
            phrase = _pick(rng, words[direc]).replace("{p}", poss)
            if d == "one":
                core = phrase
            else:
                core = _pick(
                    rng,
                    (
                        f"{phrase} {post}",
                        f"{pre} {phrase}"
                        if not phrase.startswith(("turn", "make", "move", "rotate"))
                        else f"{phrase} {post}",
                        f"{phrase}, {post}",
                    ),
                )
            if slot.attr == "expression_strength" and rng.random() < 0.4:
                word = "smile" if rng.random() < 0.5 else "expression"
                core = _pick(
                    rng,
                    {
                        "up": (
                            f"a bigger {word}",
                            f"{word} more",
                            f"make the {word} stronger",
                            f"more {word}",
                            f"the {word} could be bigger",
                        ),
                        "down": (
                            f"tone the {word} down",
                            f"the {word} is a bit much, tone it down",
                            f"a smaller {word}",
                            f"not so much {word}",
                            f"{word} less",
                            f"calm the {word} down",
                            f"the {word} is too much",
                            f"less of a {word}",
                            f"dial the {word} back",
                            "smiles too much",
                            "too much smiling",
                            f"the {word} is over the top",
                            f"the {word} is way too strong",
                            f"a softer {word}",
                        ),
                    }[direc],
                )
                if "a bit much" in core:
                    d = "one"
                elif d != "one":
                    core = f"{core} {post}"
            if slot.attr == "expression_strength" and rng.random() < 0.35:
                core, d = _strength_phrase(direc, d, pron_f if pron_f != "it" else "her", rng)
        ex.labels[key] = direc
        ex.degree = d
    elif slot.kind == "bool" or (slot.attr == "eyewear"):
        if slot.kind == "bool":
            on = rng.random() < 0.5
            item = _pick(rng, WEARABLES[(slot.attr, "true")])
            ex.labels[key] = "true" if on else "false"
        else:
            r = rng.random()
            if r < 0.25:
                # swaps: "swap the glasses for shades", "not sunglasses, glasses"
                a, b = rng.sample(["glasses", "sunglasses"], 2)
                wa = _pick(rng, WEARABLES[("eyewear", a)]).removeprefix("a pair of ")
                wb = _pick(rng, WEARABLES[("eyewear", b)])
                if rng.random() < 0.4:  # "regular glasses", "tinted ones"
                    mod = _pick(rng, EYEWEAR_KINDS[b])
                    wb = (
                        f"{mod} {_pick(rng, ('glasses', 'ones', 'specs', 'lenses'))}"
                        if b == "glasses"
                        else f"{mod} {_pick(rng, ('glasses', 'ones', 'lenses'))}"
                    )
                core = _pick(
                    rng,
                    (
                        f"swap the {wa} for {wb}",
                        f"not {wa}, {wb}",
                        f"{wb} instead of {wa}",
                        f"replace the {wa} with {wb}",
                        f"I'd prefer {wb} over the {wa}",
                        f"change the {wa} to {wb}",
                        f"no {wa}, {wb} instead",
                        f"{wb}, not {wa}",
                        f"the {wa} should be {wb}",
                        f"the {wa} should be {wb}, not {wa}",
                        f"I meant {wb}, not {wa}",
                        f"make them {wb} rather than {wa}",
                        f"trade the {wa} for {wb}",
                        f"turn the {wa} into {wb}",
                        f"I'd rather have {wb} than {wa}",
                        f"can the {wa} be {wb} instead?",
                        f"{wb} would be better than {wa}",
                        f"exchange the {wa} for {wb}",
                        f"the {wa} are wrong, {wb} please",
                        f"swap out the {wa} for {wb}",
                        f"change {_pick(rng, ('her', 'his', 'their'))} {wa} to {wb}",
                    ),
                )
                ex.labels[key] = b
                ex.text = noisy(wrap(core, rng), rng)
                return ex
            on = r < 0.6
            kind = rng.choice(["glasses", "sunglasses"])
            item = _pick(rng, WEARABLES[("eyewear", kind)])
            ex.labels[key] = kind if on else "none"
        if slot.attr == "armrests":
            core = _pick(rng, _wear_phrases(item, "him", on, rng))
            core = (
                core.replace("give him", "give it")
                .replace("put " + item + " on him", "put " + item + " on it")
                .replace("him", "it")
                .replace("he should wear", "it should have")
                .replace("he ", "it ")
                .replace("could he wear", "could it have")
            )
        elif slot.attr == "beard" and on and rng.random() < 0.3:
            core = _pick(
                rng,
                (
                    f"let {pron} grow {item}",
                    f"{SUBJECTS[pron]} should grow {item}",
                    f"make {pron} bearded",
                    f"{pron} with a beard",
                ),
            )
        elif slot.attr == "beard" and not on and rng.random() < 0.3:
            core = _pick(
                rng,
                (
                    f"shave {pron}",
                    f"{SUBJECTS[pron]} should be clean-shaven",
                    f"give {pron} a shave",
                    "clean shaven please",
                    f"shave off the {item.removeprefix('a ')}",
                ),
            )
        else:
            core = _pick(rng, _wear_phrases(item, pron if pron != "it" else "her", on, rng))
    elif slot.attr == "expression":
        value = _pick(rng, slot.labels[1:])
        ex.labels[key] = value
        w = EXPRESSION_WORDS[value]
        opp = _pick(rng, [v for v in EXPRESSION_WORDS if v != value])
        subj = SUBJECTS[pron]
        cands = [
            f"make {pron} look {_pick(rng, w['adj'])}",
            f"{subj} should look {_pick(rng, w['adj'])}",
            f"I'd like {pron} {_pick(rng, w['adj'])}",
            f"{_pick(rng, w['noun'])} please",
            f"{subj} looks too {_pick(rng, EXPRESSION_WORDS[opp]['adj'])}, "
            f"make {pron} {_pick(rng, w['adj'])}",
            f"can {subj} look {_pick(rng, w['adj'])}?",
            f"I want {_pick(rng, w['noun'])}",
            f"{subj} looks too {_pick(rng, EXPRESSION_WORDS[opp]['adj'])}, "
            f"give {pron} {_pick(rng, w['noun'])}",
            f"too {_pick(rng, EXPRESSION_WORDS[opp]['adj'])}, "
            f"I'd like {pron} {_pick(rng, w['adj'])}",
            f"less {_pick(rng, EXPRESSION_WORDS[opp]['adj'])}, more {_pick(rng, w['adj'])}",
            f"give {pron} {_pick(rng, w['noun'])}",
            f"a more {_pick(rng, w['adj'])} look",
            f"what about {_pick(rng, w['noun'])}?",
            f"I'd love to see {pron} {_pick(rng, w['adj'])}",
            f"{subj} ought to look {_pick(rng, w['adj'])}",
            f"the expression should be {_pick(rng, w['adj'])}",
            f"change {pron} expression to {_pick(rng, w['adj'])}".replace(
                "him expression", "his expression"
            ).replace("them expression", "their expression"),
            f"I want {pron} {_pick(rng, w['adj'])}",
        ]
        if w["verb"]:
            v = _pick(rng, w["verb"])
            cands += [
                f"make {pron} {v}",
                f"can {subj} {v}?",
                f"let {pron} {v}",
                f"{v} please",
                f"have {pron} {v}",
                f"I'd like to see {pron} {v}",
            ]
        if w["ing"]:
            ing = _pick(rng, w["ing"])
            cands += [
                f"{subj} should be {_pick(rng, w['ing'])}",
                f"I want {pron} {_pick(rng, w['ing'])}",
                f"I want to see {pron} {ing}",
                f"I'd like to see {pron} {ing}",
                f"show {pron} {ing}",
                f"let's see {pron} {ing}",
                f"can I see {pron} {ing}?",
                f"I'd love to see {pron} {ing}",
                f"what would {subj} look like {ing}?",
            ]
        if value == "happy":
            sad = _pick(rng, EXPRESSION_WORDS[_pick(rng, ("sad", "angry"))]["adj"])
            up = _pick(rng, ("", "", " a little", " a bit", " a lot", " a touch", " some"))
            cands += [
                f"give {pron} {_pick(rng, BIG_SMILES)}",
                f"{_pick(rng, BIG_SMILES)} please",
                f"I want {_pick(rng, BIG_SMILES)}",
                f"{subj} needs {_pick(rng, BIG_SMILES)}",
                f"{subj} looks too {sad}, cheer {pron} up{up}",
                f"{subj} seems {sad}, cheer {pron} up{up}",
                f"cheer {pron} up{up}, {subj} looks too {sad}",
                f"too {sad}, cheer {pron} up{up}",
                f"{subj}'s so {sad}, make {pron} smile",
            ]
            cands += [
                f"cheer {pron} up",
                f"cheer {pron} up a little",
                "brighten up the mood",
                f"put a smile on {pron} face".replace("him face", "his face").replace(
                    "them face", "their face"
                ),
            ]
        if value == "neutral":
            opp = _pick(rng, ("happy", "sad", "angry", "surprised"))
            ow = EXPRESSION_WORDS[opp]
            cands += [
                f"stop {_pick(rng, ow['ing'])}" if ow["ing"] else "stop that face",
                f"{subj} shouldn't be {_pick(rng, ow['ing'])}"
                if ow["ing"]
                else f"{subj} shouldn't look {_pick(rng, ow['adj'])}",
                f"{subj} shouldn't look {_pick(rng, ow['adj'])} anymore",
                f"no more {_pick(rng, ow['adj'])} face",
                f"wipe that look off {pron} face",
                f"I don't want {pron} to look {_pick(rng, ow['adj'])}",
                f"not {_pick(rng, ow['adj'])}, just neutral",
                "relax the face",
                f"{subj} shouldn't be {_pick(rng, ow['adj'])}",
            ]
        core = _pick(rng, cands)
    else:
        value = _pick(rng, slot.labels[1:])
        ex.labels[key] = value
        words = _pick(rng, slot.values[value])
        r = rng.random()
        others = [v for v in slot.labels[1:] if v != value]
        if len(others) == 1 and r < 0.3:
            # two values: not the one means the other ("no pedestal", "not on four legs")
            old = others[0]
            ow = _pick(rng, NEGATABLE.get((slot.attr, old), slot.values[old]))
            core = _pick(
                rng,
                (
                    f"no {ow}",
                    f"no {ow} please",
                    f"not on a {ow}",
                    f"not the {ow}",
                    f"I don't want a {ow}",
                    f"get rid of the {ow}",
                    f"lose the {ow}",
                    f"without the {ow}",
                    f"the {ow} has to go",
                    f"I don't like the {ow}",
                    f"not a fan of the {ow}",
                    f"no more {ow}",
                    f"ditch the {ow}",
                    f"I'd rather not have a {ow}",
                    f"the {ow} isn't working",
                ),
            )
        elif r < 0.22 and others:
            old = _pick(rng, others)
            ow = _pick(rng, slot.values[old])
            noun = _pick(rng, slot.nouns)
            core = _pick(
                rng,
                (
                    f"not {ow}, {words}",
                    f"I don't like the {ow} {noun}, make it {words}",
                    f"the {ow} is awful, go with {words}",
                    f"{words} instead of {ow}",
                    f"the {noun} shouldn't be {ow}, make it {words}",
                    f"I don't want it {ow}, make it {words}",
                    f"swap the {ow} for {words}",
                    f"{ow} is ugly, try {words}",
                ),
            )
        else:
            core = _pick(
                rng, _set_phrases(slot, value, words, pron if pron != "it" else "her", rng)
            )
        if slot.attr == "skin_tone" and rng.random() < 0.3:
            core = {
                "light": _pick(
                    rng, ("much lighter skin", "make her skin a lot lighter", "paler skin")
                ),
                "dark": _pick(
                    rng, ("much darker skin", "make his skin a lot darker", "a deep tan")
                ),
                "medium": _pick(rng, ("give her a tan", "tanned skin", "olive skin")),
            }[value]
    if rng.random() < 0.12:  # a typo in the word that matters ("hta", "blak")
        core = _typo_keyword(core, domain, slot, rng)
    ex.text = noisy(wrap(core, rng), rng, p_typo=0.3)
    return ex


def _typo_keyword(core: str, domain: str, slot: Slot, rng: random.Random) -> str:
    words = core.split(" ")
    if slot.kind == "numeric":
        keys = [
            i
            for i, w in enumerate(words)
            if w.isalpha()
            and len(w) >= 3
            and w not in ("the", "and", "her", "his", "its", "make", "more", "bit", "too")
        ]
    else:
        ground = _ground_words(domain, slot.attr)
        keys = [
            i
            for i, w in enumerate(words)
            if w.isalpha()
            and len(w) >= 3
            and w in ground
            and w not in ("chair", "seat", "it", "one")
        ]
    if not keys:
        return core
    i = _pick(rng, keys)
    words[i] = typo(words[i], rng)
    return " ".join(words)


# -- descriptions ----------------------------------------------------------------------------------
FACE_SUBJECTS = (
    "the woman",
    "the man",
    "she",
    "he",
    "the person",
    "the guy",
    "this lady",
    "the girl",
    "the boy",
    "my character",
    "the gentleman",
    "they",
)
BEARD_WORDS = ("short", "thick", "long", "neat", "bushy")
OOS_FILLERS = (
    "old",
    "young",
    "elderly",
    "middle-aged",
    "tired",
    "handsome",
    "pretty",
    "tall",
    "thin",
    "with long hair",
    "with curly hair",
    "with freckles",
    "with a big nose",
    "with short hair",
    "wearing a scarf",
)


def _face_clause(attr: str, value: str, subj: str, rng) -> str:
    be = "are" if subj == "they" else "is"
    has = "have" if subj == "they" else "has"
    if attr == "eyewear":
        if value == "none":
            return _pick(
                rng,
                (
                    f"{subj} {be} not wearing any glasses",
                    f"{subj} {has} no glasses",
                    "no glasses",
                    f"{subj} doesn't wear glasses",
                    f"{subj} {be}n't wearing sunglasses",
                    "without glasses",
                ),
            )
        item = _pick(rng, WEARABLES[("eyewear", value)])
        return _pick(
            rng,
            (
                f"{subj} {be} wearing {item}",
                f"{subj} wears {item}",
                f"{subj} {has} {item} on",
                f"{subj} {has} {item}",
                f"with {item}",
            ),
        )
    if attr in ("hat", "beard"):
        item = _pick(rng, WEARABLES[(attr, "true")])
        bare = item.removeprefix("a ")
        if value == "true":
            return _pick(
                rng,
                (
                    f"{subj} {be} wearing {item}",
                    f"{subj} {has} {item}",
                    f"{subj} {has} got {item}",
                    f"with {item}",
                    f"{subj} {has} a {_pick(rng, BEARD_WORDS)} beard"
                    if attr == "beard"
                    else f"{subj} wears {item}",
                ),
            )
        return _pick(
            rng,
            (
                f"{subj} {be} not wearing a {bare}" if attr == "hat" else f"{subj} {has} no beard",
                f"{subj} {has} no {bare}",
                f"without {item}",
                f"{subj} {be} clean-shaven" if attr == "beard" else f"{subj} {be} bareheaded",
                f"{subj} doesn't have {item}",
            ),
        )
    if attr == "expression":
        w = EXPRESSION_WORDS[value]
        opts = [
            f"{subj} looks {_pick(rng, w['adj'])}",
            f"{subj} {be} {_pick(rng, w['adj'])}",
            f"{subj} seems {_pick(rng, w['adj'])}",
        ]
        if w["ing"]:
            opts.append(f"{subj} {be} {_pick(rng, w['ing'])}")
        if value == "neutral":
            opts.append(f"{subj} {be} not smiling")
        return _pick(rng, opts)
    if attr == "hair_color":
        words = _pick(rng, [w for w in vocab_values("faces", "hair_color", value)])
        poss = {"she": "her", "he": "his", "they": "their"}.get(subj, "the")
        return _pick(
            rng,
            (
                f"{subj} {has} {words} hair",
                f"{poss} hair is {words}",
                f"with {words} hair",
                f"{subj} {be} {words}-haired",
            ),
        )
    if attr == "skin_tone":
        words = _pick(rng, vocab_values("faces", "skin_tone", value))
        return _pick(
            rng,
            (
                f"{subj} {has} {words} skin",
                f"with {words} skin",
                f"{subj} {has} a {words} complexion",
            ),
        )
    if attr == "background":
        words = _pick(rng, vocab_values("faces", "background", value))
        return _pick(
            rng,
            (
                f"the background is {words}",
                f"against a {words} background",
                f"in front of a {words} wall",
                f"on a {words} backdrop",
                f"the backdrop is {words}",
            ),
        )
    raise KeyError(attr)


def vocab_values(domain: str, attr: str, value: str) -> tuple[str, ...]:
    for s in slots(domain):
        if s.attr == attr:
            return s.values[value]
    raise KeyError(attr)


def _chair_clause(attr: str, value: str, rng) -> str:
    subj = _pick(rng, ("the chair", "it", "the seat"))
    if attr == "color":
        w = _pick(rng, vocab_values("chairs", "color", value))
        return _pick(
            rng,
            (
                f"{subj} is {w}",
                f"a {w} chair",
                f"it's {w}",
                f"painted {w}",
                f"{subj} is upholstered in {w}",
            ),
        )
    if attr == "armrests":
        if value == "true":
            return _pick(
                rng,
                (
                    f"{subj} has armrests",
                    "it has arms",
                    "with armrests",
                    "an armchair",
                    f"{subj} comes with arm rests",
                ),
            )
        return _pick(
            rng,
            (
                f"{subj} has no armrests",
                "without arms",
                "no arms",
                f"{subj} doesn't have armrests",
                "an armless chair",
            ),
        )
    if attr == "legs":
        if value == "pedestal":
            return _pick(
                rng,
                (
                    f"{subj} stands on a pedestal",
                    "on a single pedestal",
                    f"{subj} has a pedestal base",
                    "one central leg",
                    f"{subj} has a swivel base",
                ),
            )
        return _pick(
            rng,
            (f"{subj} has four legs", "on four legs", "four-legged", f"{subj} stands on four legs"),
        )
    raise KeyError(attr)


def _describe_example(domain: str, rng: random.Random) -> Example:
    ex = Example("", domain, "describe")
    if domain == "faces":
        attrs = rng.sample(
            ["eyewear", "hat", "beard", "expression", "hair_color", "skin_tone", "background"],
            rng.choice((1, 2, 2, 3, 3, 4)),
        )
        subj = _pick(rng, FACE_SUBJECTS)
        clauses: list[str] = []
        for a in attrs:
            slot = next(s for s in slots("faces") if s.attr == a)
            value = _pick(rng, slot.labels[1:])
            if a == "eyewear" and rng.random() < 0.2:
                value = "none"
            if a == "expression" and value == "neutral" and rng.random() < 0.5:
                value = "happy"
            ex.labels[slot.key] = value
            clauses.append(
                _face_clause(
                    a,
                    value,
                    subj if clauses == [] or rng.random() < 0.7 else SUBJECTS[_pick(rng, PRONOUNS)],
                    rng,
                )
            )
        if rng.random() < 0.35:
            # noun-phrase style: "a smiling man with red hair and glasses"
            rest = [
                c
                for c in clauses
                if c.startswith(("with", "without", "against", "in front", "on a"))
            ]
            if not rest:
                clauses = [_face_clause(a, ex.labels[f"faces.{a}"], subj, rng) for a in attrs]
            else:
                noun = _pick(rng, ("woman", "man", "person", "guy", "girl", "boy", "lady"))
                extra = _pick(rng, ("", "", "", _pick(rng, OOS_FILLERS).split(" with ")[0] + " "))
                exp = ex.labels.get("faces.expression")
                adj = (
                    _pick(rng, EXPRESSION_WORDS[exp]["ing"] or EXPRESSION_WORDS[exp]["adj"]) + " "
                    if exp
                    else ""
                )
                text = f"a {adj}{extra}{noun} " + " and ".join(rest)
                # labels for attributes whose clause was dropped are removed
                for a in attrs:
                    if a != "expression" and not any(a_word_in(c, a) for c in rest):
                        ex.labels.pop(f"faces.{a}", None)
                text = text.replace("a a", "an a")
                ex.text = noisy(
                    _pick(rng, ("", "", "show me ", "I want ", "draw ", "picture ")) + text,
                    rng,
                    0.15,
                )
                if not ex.labels:
                    ex.act = "other"
                return ex
        if rng.random() < 0.2:
            at = rng.randrange(len(clauses) + 1)
            filler = (
                _pick(rng, OOS_FILLERS).replace("with ", "wearing ")
                if "wearing" in _pick(rng, OOS_FILLERS)
                else _pick(rng, ("old", "young", "tired", "pretty", "tall"))
            )
            clauses.insert(at, f"{subj} is {filler}")
    else:
        attrs = rng.sample(["color", "armrests", "legs"], rng.choice((1, 2, 2, 3)))
        clauses = []
        for a in attrs:
            slot = next(s for s in slots("chairs") if s.attr == a)
            value = _pick(rng, slot.labels[1:])
            ex.labels[slot.key] = value
            clauses.append(_chair_clause(a, value, rng))
    # join as sentences or one sentence
    r = rng.random()
    if r < 0.5:
        text = ". ".join(c[:1].upper() + c[1:] for c in clauses) + rng.choice((".", ".", "", "!"))
    elif r < 0.8:
        text = ", ".join(clauses[:-1]) + (" and " if len(clauses) > 1 else "") + clauses[-1]
        text = text[:1].upper() + text[1:] + rng.choice((".", ""))
    else:
        text = "; ".join(clauses)
    if rng.random() < 0.15:
        text = (
            _pick(
                rng,
                (
                    "In the picture, ",
                    "Here's what I want: ",
                    "Description: ",
                    "Picture this: ",
                    "OK so: ",
                ),
            )
            + text
        )
    ex.text = noisy(text, rng, 0.15, 0.06)
    return ex


def a_word_in(clause: str, attr: str) -> bool:
    keys = {
        "eyewear": ("glass", "shade", "spec", "sunn", "aviator"),
        "hat": ("hat", "cap", "beanie", "fedora", "headwear"),
        "beard": ("beard", "stubble", "goatee", "moustache", "facial", "scruff", "shaven"),
        "hair_color": ("hair",),
        "skin_tone": ("skin", "complexion"),
        "background": ("background", "backdrop", "wall"),
    }[attr]
    return any(k in clause for k in keys)


# -- out of schema ---------------------------------------------------------------------------------
CANT_FACES = (
    "make {p} look older",
    "make {p} younger",
    "can {s} look older?",
    "age {p} a bit",
    "{s} should look about 60",
    "make {p} look like a teenager",
    "make {p} look elderly",
    "give {p} a fringe",
    "add bangs",
    "{s} needs bangs",
    "give {p} long hair",
    "shorter hair please",
    "make the hair longer",
    "cut {p} hair short",
    "give {p} a bob",
    "make {p} hair wavy",
    "straight hair please",
    "give {p} dreadlocks",
    "put {p} hair in a bun",
    "a buzz cut",
    "add some mascara",
    "put makeup on {p}",
    "give {p} red lipstick",
    "more eyeliner",
    "add blush to {p} cheeks",
    "give {p} a necklace",
    "add earrings",
    "put a scarf on {p}",
    "give {p} a bow tie",
    "add a parrot on {p} shoulder",
    "put a cup of coffee in {p} hand",
    "add a balloon",
    "add a cat",
    "put a dog in the picture",
    "a tree behind {p}",
    "give {p} a pirate hat",
    "add a crown",
    "give {p} a helmet",
    "a cowboy hat please",
    "make {p} thinner",
    "make {p} taller",
    "make {p} muscular",
    "give {p} green eyes",
    "make {p} eyes brown",
    "make {p} lips fuller",
    "give {p} dimples",
    "add a scar",
    "give {p} a piercing",
    "add a tattoo on {p} neck",
    "make {p} ears bigger",
    "a purple background",
    "make the background orange",
    "pink hair",
    "give {p} blue hair",
    "make {p} hair purple",
    "an orange backdrop",
    "a striped background",
    "put {p} on a beach",
    "a forest background",
    "make {p} wear a suit",
    "give {p} a hoodie",
    "add a mask",
    "make {p} look like a robot",
    "turn {p} into a cartoon",
    "make {p} look like my brother",
    "add wrinkles",
    "remove the wrinkles",
    "give {p} braces",
    "make {p} a child",
    "make {p} a grandma",
    "add a second person",
    "give {p} a monocle",
    "an eye patch",
    "give {p} freckles",
    "add a mole",
    "make {p} sunburnt",
    "make {p} blush",
    "make {p} look sleepy",
    "make {p} wink",
    "close {p} eyes",
    "open {p} mouth",
    "stick out {p} tongue",
    "give {p} a headband",
    "add a flower crown",
)
CANT_CHAIRS = (
    "make it wooden",
    "make the chair out of metal",
    "give it a leather seat",
    "add a cushion",
    "put a pillow on it",
    "add wheels",
    "give it casters",
    "make it a rocking chair",
    "turn it into a sofa",
    "make it a stool",
    "add a footrest",
    "make the seat padded",
    "make the seat wider",
    "make the legs thinner",
    "give it curved legs",
    "three legs",
    "five legs please",
    "make it purple",
    "a pink chair",
    "make it orange",
    "a yellow chair",
    "make it striped",
    "add a pattern to the seat",
    "a floral print",
    "make it glossy",
    "make it transparent",
    "put a cat on it",
    "add a table",
    "put it in a living room",
    "add a lamp next to it",
    "put a book on the seat",
    "add a blanket",
    "make it look antique",
    "make it cheaper",
    "make it comfier",
    "make the seat softer",
    "add a headrest",
    "make it fold up",
    "put a person in it",
    "add a rug under it",
    "make it velvet",
    "add cup holders",
    "give it a reclining back",
    "make it plastic",
    "add a second chair",
)
CANT_AFTER = ("", "", "", " please", "?", " if you can", ", thanks", " for me")


#: parts of a face, changes of them, colours and states the schema does not have
OOS_PARTS = (
    "nose",
    "ears",
    "eyes",
    "lips",
    "mouth",
    "chin",
    "forehead",
    "eyebrows",
    "cheeks",
    "neck",
    "teeth",
    "jaw",
    "head",
    "eyelashes",
    "cheekbones",
)
OOS_CHANGES = (
    "bigger",
    "smaller",
    "longer",
    "shorter",
    "thinner",
    "wider",
    "narrower",
    "fuller",
    "rounder",
    "pointier",
    "sharper",
    "straighter",
    "larger",
    "tinier",
)
OOS_HAIR = (
    "purple",
    "pink",
    "green",
    "blue",
    "orange",
    "teal",
    "turquoise",
    "lilac",
    "violet",
    "rainbow",
    "neon green",
    "pastel pink",
    "lavender",
    "magenta",
)
OOS_BACKGROUND = (
    "purple",
    "pink",
    "orange",
    "black",
    "brown",
    "beige",
    "teal",
    "navy",
    "gold",
    "striped",
    "checkered",
    "sunset",
)
OOS_STATES = (
    "bald",
    "old",
    "older",
    "elderly",
    "young",
    "younger",
    "a teenager",
    "wrinkled",
    "tattooed",
    "tired",
    "sleepy",
    "sunburnt",
    "muscular",
    "skinny",
    "chubby",
    "freckled",
    "bald-headed",
    "a kid",
    "balding",
    "ninety years old",
)
OOS_CHAIR_COLOURS = (
    "purple",
    "pink",
    "orange",
    "yellow",
    "gray",
    "grey",
    "beige",
    "gold",
    "silver",
    "turquoise",
    "teal",
    "cream",
    "lime",
)
OOS_MATERIALS = (
    "wooden",
    "metal",
    "leather",
    "plastic",
    "velvet",
    "wicker",
    "glass",
    "bamboo",
    "steel",
    "marble",
    "oak",
    "fabric",
    "chrome",
)


def _cant_composed(domain: str, rng: random.Random) -> str:
    """An out-of-schema request composed from parts ("make her nose smaller", "she should
    have purple hair", "the guy is bald", "a wicker chair")."""
    pron = _pick(rng, PRONOUNS)
    subj = SUBJECTS[pron]
    poss = {"her": "her", "him": "his", "them": "their"}[pron]
    if domain == "chairs":
        c, m = _pick(rng, OOS_CHAIR_COLOURS), _pick(rng, OOS_MATERIALS)
        return _pick(
            rng,
            (
                f"make it {c}",
                f"a {c} chair",
                f"the chair should be {c}",
                f"paint it {c}",
                f"could it be {c}?",
                f"I'd like it in {c}",
                f"how about {c}?",
                f"can we go for {c}",
                f"{c} would look nicer",
                f"make it {m}",
                f"a {m} chair",
                f"it should be {m}",
                f"I want a {m} one",
                f"could it be made of {m}?",
                f"the seat should be {m}",
                f"{m} legs please",
                f"the chair is {m}.",
                f"It's a {m} chair.",
            ),
        )
    part, chg = _pick(rng, OOS_PARTS), _pick(rng, OOS_CHANGES)
    hair, bg, st = _pick(rng, OOS_HAIR), _pick(rng, OOS_BACKGROUND), _pick(rng, OOS_STATES)
    who = _pick(rng, FACE_SUBJECTS)
    be = "are" if who == "they" else "is"
    return _pick(
        rng,
        (
            f"make {poss} {part} {chg}",
            f"{poss} {part} should be {chg}",
            f"{chg} {part} please",
            f"could {subj} have {chg} {part}?",
            f"give {pron} {chg} {part}",
            f"I think {poss} {part} could be {chg}",
            f"can you make the {part} {chg}",
            f"{subj} should have {hair} hair",
            f"give {pron} {hair} hair",
            f"dye {poss} hair {hair}",
            f"make {poss} hair {hair}",
            f"{hair} hair please",
            f"what about {hair} hair?",
            f"I'd love to see {pron} with {hair} hair",
            f"can {poss} hair be {hair}?",
            f"{hair} hair would suit {pron}",
            f"the hair should be {hair}",
            f"make the background {bg}",
            f"a {bg} background please",
            f"the backdrop should be {bg}",
            f"put {pron} in front of a {bg} wall",
            f"how about a {bg} background?",
            f"make {pron} {st}",
            f"{subj} should be {st}",
            f"{subj} should look {st}",
            f"can {subj} look {st}?",
            f"I want {pron} to look {st}",
            f"{who[:1].upper() + who[1:]} {be} {st}.",
            f"{who} {be} {st}",
            f"In the picture {who} {be} {st}.",
            f"{who[:1].upper() + who[1:]} looks {st}.",
        ),
    )


def _cant_example(domain: str, rng: random.Random) -> Example:
    pron = _pick(rng, PRONOUNS)
    if rng.random() < 0.4:
        core = _cant_composed(domain, rng)
        lead = _pick(rng, ("", "", "", "", "can you ", "please ", "I'd like to "))
        if core[:1].isupper() or core.startswith(("could", "can", "I ", "I'd", "what", "how")):
            lead = ""
        return Example(
            noisy(f"{_pick(rng, PREFIXES[:20])}{lead}{core}{_pick(rng, CANT_AFTER)}", rng, 0.15),
            domain,
            "cant",
        )
    core = _pick(rng, CANT_FACES if domain == "faces" else CANT_CHAIRS)
    core = core.replace("{p}", pron).replace("{s}", SUBJECTS[pron])
    core = (
        core.replace("him hair", "his hair")
        .replace("him eyes", "his eyes")
        .replace("him lips", "his lips")
        .replace("him cheeks", "his cheeks")
        .replace("him shoulder", "his shoulder")
        .replace("him hand", "his hand")
        .replace("him neck", "his neck")
        .replace("him ears", "his ears")
        .replace("him mouth", "his mouth")
        .replace("him tongue", "his tongue")
        .replace("them hair", "their hair")
    )
    core = re.sub(
        r"\bthem (hair|eyes|lips|cheeks|shoulder|hand|neck|ears|mouth|tongue)\b", r"their \1", core
    )
    lead = _pick(
        rng, ("", "", "", "can you ", "could you ", "I'd like to ", "please ", "I want you to ")
    )
    text = noisy(f"{_pick(rng, PREFIXES[:20])}{lead}{core}{_pick(rng, CANT_AFTER)}", rng, 0.15)
    return Example(text, domain, "cant")


# -- conversation acts and other -------------------------------------------------------------------
CHAT = {
    "greet": (
        "hi",
        "hello",
        "hey",
        "hiya",
        "good morning",
        "good evening",
        "hey there",
        "hello there",
        "howdy",
        "yo",
        "hi there",
        "greetings",
        "morning",
        "how are you?",
        "how's it going",
        "what's up",
    ),
    "thanks": (
        "thanks",
        "thank you",
        "thanks a lot",
        "many thanks",
        "cheers",
        "ta",
        "thank you very much",
        "thx",
        "much appreciated",
        "thanks so much",
        "ty",
    ),
    "done": (
        "that's all",
        "that's it",
        "I'm done",
        "all done",
        "that's everything",
        "nothing else",
        "we're done",
        "that will do",
        "that's enough for now",
        "bye",
        "goodbye",
        "see you",
        "later",
        "I'm finished",
        "finished",
        "done",
        "no more changes",
        "that's all for today",
        "signing off",
        "see ya",
    ),
    "praise": (
        "looks good",
        "looks great",
        "perfect",
        "nice",
        "great",
        "awesome",
        "love it",
        "beautiful",
        "wonderful",
        "amazing",
        "cool",
        "brilliant",
        "excellent",
        "that's exactly it",
        "spot on",
        "lovely",
        "fantastic",
        "good job",
        "well done",
        "wow",
        "that's what I wanted",
        "very nice",
        "sweet",
        "neat",
        "fine",
        "not bad",
        "that works",
        "good",
    ),
    "ack": (
        "yes",
        "no",
        "ok",
        "okay",
        "sure",
        "yep",
        "nope",
        "alright",
        "fine by me",
        "hmm",
        "yeah",
        "nah",
        "right",
        "got it",
        "I see",
        "k",
        "mhm",
        "uh huh",
    ),
}
OTHER = (
    "undo",
    "undo that",
    "go back",
    "redo",
    "start over",
    "reset everything",
    "another person",
    "show me someone else",
    "a different chair",
    "new face please",
    "help",
    "what can you do?",
    "save the session",
    "export a gif",
    "show the history",
    "go back to step 2",
    "switch to chairs",
    "switch to faces",
    "use the studio renderer",
    "what's the weather like",
    "tell me a joke",
    "who are you",
    "what is this",
    "asdf",
    "lorem ipsum dolor",
    "the cat sat on the mat",
    "I had pasta for lunch",
    "what's 2 plus 2",
    "play some music",
    "order a pizza",
    "how old are you",
    "do it again",
    "one more time",
    "more",
    "less",
    "again",
    "compare with the previous one",
    "halfway between this and the first one",
    "bring back what I undid",
    "let me see a different face",
    "can I see the first one again",
    "what did you change?",
    "my name is Sam",
    "I like trains",
    "open the door",
    "call my mom",
    "blah blah",
    "xyz",
    "qwertyuiop",
    "123",
    "...",
    "?",
    "test",
    "testing",
    "random words here",
)


def _chat_example(domain: str, rng: random.Random) -> Example:
    kinds = list(CHAT)
    a = _pick(rng, kinds)
    text = _pick(rng, CHAT[a])
    r = rng.random()
    if r < 0.35:
        b = _pick(rng, [k for k in kinds if k not in (a, "ack")])
        text = f"{text}{_pick(rng, (', ', '. ', ' ', '! '))}{_pick(rng, CHAT[b])}"
    if rng.random() < 0.2:
        text += _pick(rng, (" for now", " mate", " buddy", ", really", " :)", "!!", " so much"))
    text = text + _pick(rng, ("", "", "!", ".", "?" if a == "greet" else ""))
    return Example(noisy(text, rng, 0.12), domain, "chat")


#: off-topic sentences that happen to use the vocabulary's words ("my car is red")
OFF_TOPIC_THINGS = (
    "car",
    "dog",
    "cat",
    "bike",
    "house",
    "phone",
    "shirt",
    "sofa",
    "sky",
    "door",
    "kitchen",
    "garden",
    "horse",
    "boat",
    "mug",
    "umbrella",
    "fox",
    "bird",
    "jacket",
    "laptop",
    "train",
    "bus",
    "apple",
    "wall of my office",
)
OFF_TOPIC_WORDS = (
    "red",
    "blue",
    "green",
    "black",
    "white",
    "brown",
    "gray",
    "yellow",
    "happy",
    "sad",
    "angry",
    "bright",
    "dark",
    "big",
    "small",
    "tall",
    "old",
    "fast",
    "lazy",
    "surprised",
    "smiling",
    "four legs",
    "a hat",
    "glasses",
)


def _off_topic(rng: random.Random) -> str:
    thing, word = _pick(rng, OFF_TOPIC_THINGS), _pick(rng, OFF_TOPIC_WORDS)
    owner = _pick(rng, ("my", "the", "our", "a", "her", "his", "my neighbour's", "that"))
    verb = "has" if word in ("four legs", "a hat", "glasses") else "is"
    return _pick(
        rng,
        (
            f"{owner} {thing} {verb} {word}",
            f"I saw a {word} {thing} today",
            f"{owner} {thing} {verb} {word} and very {_pick(rng, OFF_TOPIC_WORDS)}",
            f"yesterday {owner} {thing} looked {word}",
            f"do you like {word} {thing}s?",
            f"I once had a {word} {thing}",
            f"the {word} {thing} ran across the road",
            f"there is a {word} {thing} outside my window",
            f"my favourite {thing} is {word}",
        ),
    )


def _other_example(domain: str, rng: random.Random) -> Example:
    text = _pick(rng, OTHER) if rng.random() < 0.75 else _off_topic(rng)
    if rng.random() < 0.3:
        text = wrap(text, rng)
    return Example(noisy(text, rng, 0.1), domain, "other")


# -- the corpus ------------------------------------------------------------------------------------
MIX: tuple[tuple[str, float], ...] = (
    ("edit", 0.52),
    ("describe", 0.2),
    ("cant", 0.12),
    ("chat", 0.09),
    ("other", 0.07),
)
_MAKERS = {
    "edit": _edit_example,
    "describe": _describe_example,
    "cant": _cant_example,
    "chat": _chat_example,
    "other": _other_example,
}


def _compound(domain: str, rng: random.Random) -> Example:
    """Two edits joined ("add a hat and make the background blue")."""
    for _ in range(20):
        a, b = _edit_example(domain, rng), _edit_example(domain, rng)
        if set(a.labels) & set(b.labels):
            continue
        if a.degree != "one" and b.degree != "one":
            continue
        joint = _pick(rng, (" and ", ", and ", ", then ", ". Also "))
        ex = Example(
            f"{a.text}{joint}{b.text[:1].lower() + b.text[1:]}",
            domain,
            "edit",
            {**a.labels, **b.labels},
            a.degree if a.degree != "one" else b.degree,
        )
        return ex
    return _edit_example(domain, rng)


def generate(n: int, seed: int = 0, exclude: set[str] | None = None) -> Iterator[Example]:
    """``n`` examples, both domains (faces two thirds); texts in ``exclude``
    (lowercased) are skipped, so a held-out corpus stays held out."""
    rng = random.Random(seed)
    exclude = exclude or set()
    acts = [a for a, _ in MIX]
    weights = [w for _, w in MIX]
    made = 0
    while made < n:
        domain = "faces" if rng.random() < 0.66 else "chairs"
        act = rng.choices(acts, weights)[0]
        if act == "edit" and rng.random() < 0.1:
            ex = _compound(domain, rng)
        else:
            ex = _MAKERS[act](domain, rng)
        ex.text = " ".join(ex.text.split())
        if not ex.text or ex.text.lower() in exclude:
            continue
        made += 1
        yield ex
