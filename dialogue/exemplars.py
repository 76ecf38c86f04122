"""The exemplar bank of the embedding fallback: several phrasings per command.

Each exemplar pairs a phrasing with a *canonical command*, a short text the
grammar parses ("add sunglasses", "turn left").  The fallback finds the
exemplar nearest to what the user typed and hands its canonical command to the
grammar, so both paths produce ops the same way (context rules included), and
the canonical command is what a clarifying question offers.

Phrasings are generated from the schema (attribute names, category values and
their synonyms in ``dialogue.lexicon``) and from templates per command family.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from dialogue import lexicon as L
from generators.schema import BOOL, CATEGORY, DEGREES, FLOAT, get_schema


@dataclass(frozen=True)
class Exemplar:
    text: str  # a phrasing a person might type
    command: str  # the canonical command the grammar parses


def _values(attr: str, value: str) -> list[str]:
    words = [value] + list(L.VALUE_SYNONYMS.get((attr, value), ()))
    return list(dict.fromkeys(w for w in words if w not in ("fourlegs",)))


def _noun(attr: str) -> list[str]:
    syn = L.ATTRIBUTE_SYNONYMS.get(attr, ())
    return list(dict.fromkeys([attr.replace("_", " "), *syn[:3]]))


def _expand(command: str, phrasings) -> list[Exemplar]:
    return [Exemplar(p, command) for p in dict.fromkeys([command, *phrasings])]


def _faces() -> list[Exemplar]:
    out: list[Exemplar] = []
    for value in ("sunglasses", "glasses"):
        for w in _values("eyewear", value):
            out += _expand(
                f"add {value}",
                [
                    f"add {w}",
                    f"put on {w}",
                    f"wear {w}",
                    f"give her {w}",
                    f"put {w} on him",
                    f"with {w}",
                ],
            )
            out += _expand(
                "remove glasses",
                [
                    f"remove the {w}",
                    f"take off the {w}",
                    f"no {w}",
                    f"without {w}",
                    f"no more {w}",
                    f"the {w} have to go",
                    f"lose the {w}",
                ],
            )
    for attr, verbs in (
        ("hat", ("add a {w}", "put on a {w}", "wear a {w}", "give him a {w}")),
        ("beard", ("add a {w}", "grow a {w}", "give him a {w}", "with a {w}")),
    ):
        for w in L.ATTRIBUTE_SYNONYMS[attr][:5]:
            out += _expand(f"add {attr}", [v.format(w=w) for v in verbs])
            out += _expand(
                f"no {attr}",
                [
                    f"remove the {w}",
                    f"take off the {w}",
                    f"no {w}",
                    f"without a {w}",
                    f"get rid of the {w}",
                    f"the {w} has to go",
                    f"lose the {w}",
                ],
            )
    out += _expand("no beard", ["shave", "shave him", "clean shaven", "shaved face"])
    emo_words = {
        "happy": ["happy", "smiling", "cheerful", "joyful", "glad", "pleased"],
        "sad": ["sad", "unhappy", "gloomy", "sorrowful", "miserable", "upset"],
        "angry": ["angry", "mad", "annoyed", "furious", "cross", "irritated"],
        "surprised": ["surprised", "astonished", "amazed", "startled", "shocked"],
    }
    for emo, words in emo_words.items():
        for w in words:
            out += _expand(
                f"look {emo}",
                [
                    f"look {w}",
                    f"make her {w}",
                    f"she should be {w}",
                    f"make him look {w}",
                    f"a {w} expression",
                ],
            )
        out += _expand(
            f"more {emo}", [f"even more {emo}", f"make her more {emo}", f"increase the {emo}ness"]
        )
    out += _expand(
        "smile",
        [
            "smile",
            "grin",
            "give a smile",
            "make her smile",
            "smile please",
            "beam",
            "show some teeth",
            "happy face",
        ],
    )
    out += _expand(
        "more smile",
        ["smile more", "bigger smile", "a wider smile", "smile harder", "a broader grin"],
    )
    out += _expand("frown", ["frown", "make her frown", "scowl", "pout", "frowning face"])
    out += _expand(
        "neutral",
        [
            "neutral face",
            "neutral expression",
            "stop smiling",
            "no expression",
            "straight face",
            "blank expression",
            "serious face",
            "relax the face",
            "expressionless",
        ],
    )
    out += _expand(
        "more expression",
        [
            "stronger expression",
            "intensify the expression",
            "exaggerate the expression",
            "more intense emotion",
        ],
    )
    out += _expand(
        "less expression",
        [
            "weaker expression",
            "subtler expression",
            "tone down the expression",
            "soften the expression",
            "less intense emotion",
        ],
    )
    for value in get_schema("faces").get("hair_color").values:
        for w in _values("hair_color", value):
            out += _expand(
                f"{value} hair",
                [
                    f"{w} hair",
                    f"make the hair {w}",
                    f"dye her hair {w}",
                    f"change the hair to {w}",
                    f"give him {w} hair",
                ],
            )
    for value in get_schema("faces").get("skin_tone").values:
        for w in _values("skin_tone", value):
            out += _expand(
                f"{value} skin",
                [f"{w} skin", f"make the skin {w}", f"{w} skin tone", f"{w} complexion"],
            )
    out += _expand(
        "darker skin",
        ["darker skin", "darker skin tone", "make her skin darker", "a darker complexion"],
    )
    out += _expand(
        "lighter skin",
        [
            "lighter skin",
            "paler skin",
            "fairer skin",
            "make his skin lighter",
            "a lighter complexion",
        ],
    )
    for value in get_schema("faces").get("background").values:
        for w in _values("background", value):
            out += _expand(
                f"{value} background",
                [
                    f"{w} background",
                    f"{w} backdrop",
                    f"make the background {w}",
                    f"change the background to {w}",
                    f"put her on a {w} background",
                ],
            )
    turns = {"left": "left", "right": "right"}
    for d in turns:
        out += _expand(
            f"turn {d}",
            [
                f"turn {d}",
                f"rotate {d}",
                f"turn her head {d}",
                f"turn to the {d}",
                f"rotate the face to the {d}",
                f"swivel the head {d}",
                f"turn the head towards the {d}",
                f"move her head to the {d}",
                f"head {d}",
            ],
        )
        out += _expand(
            f"face {d}",
            [
                f"face {d}",
                f"look {d}",
                f"look to the {d}",
                f"face the {d}",
                f"look towards the {d}",
                f"she should face {d}",
                f"gaze {d}",
                f"profile {d}",
            ],
        )
    for d in ("up", "down"):
        out += _expand(
            f"look {d}",
            [
                f"look {d}",
                f"tilt the head {d}",
                f"tilt {d}",
                f"head {d}",
                f"look {d}wards",
                f"turn the head {d}",
                "raise her chin" if d == "up" else "lower her chin",
                f"gaze {d}",
                f"nod {d}",
            ],
        )
    out += _expand(
        "look ahead",
        [
            "look straight ahead",
            "face forward",
            "look at the camera",
            "look at me",
            "face the camera",
            "face front",
            "look into the lens",
            "eyes front",
            "centre the head",
            "straighten the head",
            "face the viewer",
            "look into the camera",
            "eyes on the camera",
            "face me",
            "look at the viewer",
        ],
    )
    for d, phr in (
        ("left", "left"),
        ("right", "right"),
        ("front", "front"),
        ("above", "above"),
        ("below", "below"),
    ):
        out += _expand(
            f"light from {d}",
            [
                f"light from the {phr}",
                f"lighting from the {phr}",
                f"light her from the {phr}",
                f"illuminate from the {phr}",
                f"put the light on the {phr}",
                f"the light should come from the {phr}",
                f"lit from the {phr}",
            ],
        )
    for d in ("left", "right", "up", "down"):
        out += _expand(
            f"move light {d}",
            [
                f"move the light {d}",
                f"move the light to the {d}",
                f"shift the lamp {d}",
                f"light a bit more to the {d}",
                f"slide the light {d}wards",
            ],
        )
    out += _expand("move light up", ["raise the light", "higher light", "lift the lamp"])
    out += _expand("move light down", ["lower the light", "lower light", "drop the lamp"])
    out += _expand(
        "another person",
        [
            "another person",
            "someone else",
            "a new face",
            "different person",
            "new person",
            "another face",
            "show me somebody else",
            "next person",
            "new identity",
            "change the person",
            "a different face",
            "someone new",
            "a new person please",
            "swap her for someone else",
        ],
    )
    out += _expand(
        "switch to chairs",
        [
            "switch to chairs",
            "show me a chair",
            "chairs",
            "go to chairs",
            "chair mode",
            "let's do chairs",
            "change to furniture",
            "work on chairs",
        ],
    )
    return out


def _chairs() -> list[Exemplar]:
    out: list[Exemplar] = []
    for d in ("left", "right"):
        out += _expand(
            f"turn {d}",
            [
                f"turn it {d}",
                f"rotate the chair {d}",
                f"spin it {d}",
                f"swing it {d}",
                f"twist the chair {d}",
                f"turn the chair to the {d}",
                f"rotate {d}",
                f"swivel the chair {d}",
                f"rotate it towards the {d}",
            ],
        )
        out += _expand(
            f"face {d}",
            [f"face {d}", f"make it face {d}", f"the chair should face {d}", f"point it {d}"],
        )
    out += _expand(
        "turn",
        [
            "rotate the chair",
            "turn it",
            "spin the chair",
            "rotate it",
            "turn the chair around",
            "give it a spin",
            "rotate the view",
        ],
    )
    out += _expand(
        "front view",
        [
            "front view",
            "face forward",
            "face the camera",
            "show the front",
            "view it from the front",
        ],
    )
    out += _expand(
        "side view", ["side view", "show the side", "profile view", "view it from the side"]
    )
    out += _expand(
        "back view",
        ["back view", "from behind", "show the back", "view from the rear", "turn it away"],
    )
    out += _expand(
        "view from higher",
        [
            "view from higher up",
            "view from above",
            "higher viewpoint",
            "raise the camera",
            "camera higher",
            "look down on it",
            "higher angle",
            "see it from above",
            "from a higher position",
            "look from above",
        ],
    )
    out += _expand(
        "view from lower",
        [
            "view from lower down",
            "view from below",
            "lower viewpoint",
            "lower the camera",
            "camera lower",
            "look up at it",
            "lower angle",
            "see it from below",
        ],
    )
    out += _expand("top view", ["top view", "bird's eye view", "from directly above"])
    out += _expand("eye level", ["eye level", "level view", "camera at eye level"])
    out += _expand(
        "zoom in",
        [
            "zoom in",
            "closer",
            "get closer",
            "move closer",
            "make it bigger",
            "enlarge it",
            "magnify",
            "bring it closer",
            "larger",
            "fill the frame",
        ],
    )
    out += _expand(
        "zoom out",
        [
            "zoom out",
            "further away",
            "move back",
            "make it smaller",
            "shrink it",
            "pull back",
            "smaller",
            "back off",
        ],
    )
    for d in ("left", "right", "up", "down"):
        out += _expand(
            f"move {d}",
            [
                f"move it {d}",
                f"shift the chair {d}",
                f"slide it {d}",
                f"move the chair to the {d}",
                f"nudge it {d}",
                f"pan {d}",
                f"push it {d}",
            ],
        )
    out += _expand(
        "centre", ["center it", "centre the chair", "put it in the middle", "move it to the center"]
    )
    for w in L.ATTRIBUTE_SYNONYMS["armrests"]:
        out += _expand(
            "add armrests",
            [f"add {w}", f"give it {w}", f"with {w}", f"put {w} on it", f"it needs {w}"],
        )
        out += _expand(
            "no armrests",
            [
                f"remove the {w}",
                f"no {w}",
                f"without {w}",
                f"take off the {w}",
                f"get rid of the {w}",
            ],
        )
    out += _expand("add armrests", ["armchair", "make it an armchair"])
    out += _expand("no armrests", ["armless", "armless chair"])
    out += _expand(
        "pedestal",
        [
            "pedestal base",
            "pedestal",
            "swivel base",
            "single leg",
            "one central leg",
            "office chair base",
            "a pedestal leg",
            "put it on a pedestal",
        ],
    )
    out += _expand(
        "four legs",
        [
            "four legs",
            "4 legs",
            "four-legged",
            "give it four legs",
            "normal legs",
            "regular legs",
            "legs at the corners",
        ],
    )
    for value in get_schema("chairs").get("color").values:
        out += _expand(
            f"make {value}",
            [
                f"make it {value}",
                f"paint it {value}",
                f"{value} chair",
                f"color it {value}",
                f"change the color to {value}",
                f"a {value} one",
                f"{value} paint",
            ],
        )
    out += _expand(
        "higher back",
        [
            "taller back",
            "higher back",
            "make the back taller",
            "raise the backrest",
            "taller backrest",
            "a higher back rest",
            "longer back",
        ],
    )
    out += _expand(
        "lower back",
        [
            "shorter back",
            "lower back",
            "make the back shorter",
            "lower the backrest",
            "shorter backrest",
            "smaller back",
        ],
    )
    out += _expand(
        "more saturation",
        [
            "more saturated",
            "saturate",
            "more colorful",
            "more vivid",
            "more vibrant",
            "richer colors",
            "boost the colors",
            "stronger colors",
            "more vivid colours",
            "make the colors pop",
        ],
    )
    out += _expand(
        "less saturation",
        [
            "less saturated",
            "desaturate",
            "less colorful",
            "duller",
            "more muted",
            "washed out colors",
            "faded colors",
            "paler colors",
            "dull the colors",
            "muted colours",
            "tone down the colors",
        ],
    )
    out += _expand(
        "grayscale", ["black and white", "grayscale", "monochrome", "no color", "remove all color"]
    )
    out += _expand(
        "shift hue",
        [
            "shift the hue",
            "rotate the hue",
            "change the hue",
            "hue shift",
            "shift the colors around the wheel",
        ],
    )
    out += _expand(
        "another chair",
        [
            "another chair",
            "a different chair",
            "new chair",
            "next chair",
            "show me another chair",
            "different style",
            "new style",
            "change the chair",
        ],
    )
    out += _expand(
        "switch to faces",
        [
            "switch to faces",
            "show me a face",
            "faces",
            "go to faces",
            "face mode",
            "people",
            "portraits",
            "show me a person",
            "back to people",
        ],
    )
    return out


def _both() -> list[Exemplar]:
    out: list[Exemplar] = []
    out += _expand(
        "brighter",
        [
            "brighter",
            "make it brighter",
            "brighten the image",
            "more light",
            "lighten it up",
            "increase the brightness",
            "turn up the brightness",
            "lighter image",
            "more exposure",
            "it's too dark",
            "too dark",
            "not bright enough",
        ],
    )
    out += _expand(
        "darker",
        [
            "darker",
            "make it darker",
            "darken the image",
            "dim it",
            "less light",
            "decrease the brightness",
            "turn down the brightness",
            "dimmer",
            "less exposure",
            "it's too bright",
            "too bright",
            "too much light",
        ],
    )
    out += _expand(
        "undo",
        [
            "undo",
            "undo that",
            "go back",
            "undo the last step",
            "oops",
            "revert",
            "take it back",
            "cancel that",
            "that was wrong",
            "previous state",
            "back one step",
            "never mind",
            "undo last edit",
            "undo my last change",
            "revert the last edit",
            "I didn't like that",
        ],
    )
    out += _expand(
        "redo",
        [
            "redo",
            "redo that",
            "redo the last undo",
            "put it back",
            "bring it back",
            "forward again",
            "undo the undo",
            "reapply",
            "redo what I undid",
            "restore the undone change",
        ],
    )
    out += _expand(
        "reset",
        [
            "reset",
            "start over",
            "start again",
            "from scratch",
            "restart",
            "back to the beginning",
            "reset everything",
            "clear all changes",
            "go back to the start",
            "begin anew",
            "wipe everything",
            "clear everything",
            "start fresh",
            "undo everything",
        ],
    )
    out += _expand(
        "again",
        [
            "again",
            "do that again",
            "repeat",
            "once more",
            "one more time",
            "same again",
            "keep going",
            "repeat the last edit",
            "more",
            "even more",
            "further",
            "continue",
            "more of that",
            "same thing again",
            "apply it again",
            "one more",
        ],
    )
    out += _expand(
        "less",
        [
            "less",
            "a bit less",
            "too much",
            "not so much",
            "tone it down",
            "back off a little",
            "less of that",
            "that was too far",
            "overdone",
            "halfway back",
        ],
    )
    for n in (1, 2, 3, 5):
        out += _expand(
            f"goto {n}",
            [
                f"go back to step {n}",
                f"step {n}",
                f"back to {n}",
                f"return to step {n}",
                f"jump to step {n}",
                f"restore step {n}",
            ],
        )
    out += _expand(
        "save",
        [
            "save",
            "save the session",
            "save my work",
            "save progress",
            "keep this session",
            "store the session",
        ],
    )
    out += _expand(
        "export",
        [
            "export",
            "save the image",
            "export a png",
            "save the picture",
            "download the image",
            "write the image to a file",
            "export this image",
        ],
    )
    out += _expand(
        "export gif",
        [
            "export a gif",
            "make a gif",
            "animated gif",
            "gif of the history",
            "make an animation",
            "animate the steps",
            "save a gif",
            "gif please",
        ],
    )
    out += _expand(
        "contact sheet",
        [
            "contact sheet",
            "export a contact sheet",
            "sheet of all steps",
            "grid of all images",
            "overview of all the steps",
            "thumbnail sheet",
        ],
    )
    out += _expand(
        "help",
        [
            "help",
            "what can I do",
            "what can you do",
            "how does this work",
            "list the commands",
            "what commands are there",
            "I'm lost",
            "show me the options",
            "instructions",
            "how do I use this",
            "what can I say",
            "show me the commands",
            "I need help",
        ],
    )
    out += _expand(
        "history",
        [
            "history",
            "show the history",
            "what have I done",
            "list the steps",
            "show my steps",
            "previous steps",
            "list of changes",
            "show all turns",
            "what did I do",
            "list all my changes",
        ],
    )
    for gen, words in L.GENERATOR_SYNONYMS.items():
        for w in words[:4]:
            out += _expand(
                f"use {gen}",
                [f"use the {w}", f"switch to the {w}", f"render with the {w}", f"{w} generator"],
            )
    out += _expand(
        "halfway between this and the previous one",
        [
            "halfway between this one and the previous one",
            "blend with the previous one",
            "mix it with the last one",
            "average this with the previous image",
            "interpolate with the last image",
            "in between this and the last one",
        ],
    )
    out += _expand(
        "halfway between this and the first one",
        [
            "halfway between this one and the first one",
            "blend with the first one",
            "mix it with the original",
            "interpolate towards the first image",
            "halfway back to the start",
        ],
    )
    return out


def _numeric_templates(domain: str) -> list[Exemplar]:
    """'increase the X' / 'decrease the X' for every numeric attribute."""
    out: list[Exemplar] = []
    for a in get_schema(domain).attributes:
        if a.kind not in (DEGREES, FLOAT):
            continue
        for noun in _noun(a.name):
            out += _expand(
                f"increase {a.name}",
                [f"increase the {noun}", f"more {noun}", f"raise the {noun}", f"{noun} up"],
            )
            out += _expand(
                f"decrease {a.name}",
                [f"decrease the {noun}", f"less {noun}", f"reduce the {noun}", f"{noun} down"],
            )
    return out


def _record_templates(domain: str) -> list[Exemplar]:
    """Phrasings of every vocabulary record's words: a bool's names with add /
    remove, a category's value words with its names, a number's direction
    words; attributes with hand-written families above get these too."""
    from generators import vocabulary as V

    out: list[Exemplar] = []
    schema = get_schema(domain)
    for r in V.vocabulary(domain):
        if r.name not in schema or r.kind == "seed":
            continue
        if r.kind == BOOL:
            for w in r.names[:4]:
                out += _expand(
                    f"add {r.name}",
                    [f"add a {w}", f"put on a {w}", f"with a {w}", f"give it a {w}"],
                )
                out += _expand(
                    f"no {r.name}",
                    [f"remove the {w}", f"take off the {w}", f"without a {w}", f"no {w}"],
                )
        elif r.kind == CATEGORY:
            for w in r.value_words().values():
                if w in L.NUMBER_WORDS or w == "fourlegs":
                    continue
                noun = r.names[0]
                out += _expand(f"{r.name} {w}", [f"{w} {noun}", f"make the {noun} {w}"])
        else:
            for w in r.pos[:3]:
                out += _expand(f"increase {r.name}", [f"make it {w}", f"a bit {w}"])
            for w in r.neg[:3]:
                out += _expand(f"decrease {r.name}", [f"make it {w}", f"a bit {w}"])
    return out


def _bool_and_category_templates(domain: str) -> list[Exemplar]:
    out: list[Exemplar] = []
    for a in get_schema(domain).attributes:
        if a.kind == BOOL:
            out += _expand(
                f"toggle {a.name}", [f"toggle the {a.name}", f"switch the {a.name} on or off"]
            )
        elif a.kind == CATEGORY:
            for v in a.values:
                # "four legs", not "legs four" (a number word after a noun reads as a number)
                command = f"{v} {a.name}" if v in L.NUMBER_WORDS else f"{a.name} {v}"
                out.append(Exemplar(f"set {a.name.replace('_', ' ')} to {v}", command))
    return out


@functools.cache
def bank(domain: str) -> tuple[Exemplar, ...]:
    """Every exemplar of ``domain`` (its own commands and the shared ones)."""
    own = _faces() if domain == "faces" else _chairs()
    items = (
        own
        + _both()
        + _numeric_templates(domain)
        + _bool_and_category_templates(domain)
        + _record_templates(domain)
    )
    seen: dict[str, Exemplar] = {}
    for e in items:
        seen.setdefault(e.text.lower(), e)
    return tuple(seen.values())


def _register() -> None:
    from generators import vocabulary as V

    V.on_change(bank.cache_clear)


_register()


def bank_hash(domain: str, model: str) -> str:
    """A digest of the bank and the model id (the key of the embedding cache)."""
    h = hashlib.sha256(model.encode())
    for e in bank(domain):
        h.update(b"\0" + e.text.encode() + b"\1" + e.command.encode())
    return h.hexdigest()[:16]
