"""Captions for studio states: several paraphrased English sentences per state.

Every attribute has at least five phrase templates in the training set and a
disjoint set of held-out templates reserved for tests of generalisation (a
text-conditioned generator is trained on ``TRAIN_TEMPLATES`` only).  Phrases
use synonyms (shades / sunglasses / dark glasses; spectacles / glasses; cap /
hat) and their order is shuffled.  The schema has no gender, so faces are
"a person", "someone", "a face".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

Phrase = Callable[[Mapping[str, Any]], str | None]


def _side(v: float, neg: str, pos: str, dead: float) -> str | None:
    if v < -dead:
        return neg
    if v > dead:
        return pos
    return None


# --- faces ---------------------------------------------------------------
# Each entry: attribute -> list of template functions returning a phrase (or
# None when the attribute is at a value not worth mentioning).


def _yaw_word(a):
    return _side(a["yaw"], "left", "right", 10)


def _pitch_word(a):
    return _side(a["pitch"], "down", "up", 8)


def _light_word(a):
    return _side(a["light_azimuth"], "left", "right", 20)


EXPR_WORDS = {
    "happy": ("smiling", "happy", "cheerful", "grinning", "beaming"),
    "sad": ("sad", "unhappy", "gloomy", "downcast", "sorrowful"),
    "angry": ("angry", "frowning", "cross", "furious", "scowling"),
    "surprised": ("surprised", "astonished", "amazed", "startled", "shocked"),
    "neutral": ("neutral", "calm", "expressionless", "relaxed", "straight-faced"),
}
EXPR_HELDOUT = {
    "happy": ("joyful", "delighted"),
    "sad": ("melancholy", "tearful"),
    "angry": ("irate", "annoyed"),
    "surprised": ("stunned", "open-mouthed"),
    "neutral": ("impassive", "composed"),
}

FACE_TRAIN: dict[str, list[Phrase]] = {
    "eyewear": [
        lambda a: {"sunglasses": "wearing sunglasses", "glasses": "wearing glasses"}.get(
            a["eyewear"]
        ),
        lambda a: {"sunglasses": "with shades", "glasses": "with spectacles"}.get(a["eyewear"]),
        lambda a: {"sunglasses": "in dark sunglasses", "glasses": "in clear glasses"}.get(
            a["eyewear"]
        ),
        lambda a: {"sunglasses": "with dark glasses", "glasses": "with specs"}.get(a["eyewear"]),
        lambda a: {"sunglasses": "sporting shades", "glasses": "wearing eyeglasses"}.get(
            a["eyewear"]
        ),
        lambda a: "without glasses" if a["eyewear"] == "none" else None,
    ],
    "hat": [
        lambda a: "wearing a hat" if a["hat"] else None,
        lambda a: "with a cap" if a["hat"] else None,
        lambda a: "in a hat" if a["hat"] else None,
        lambda a: "with a hat on" if a["hat"] else "bareheaded",
        lambda a: "wearing a cap" if a["hat"] else None,
    ],
    "beard": [
        lambda a: "with a beard" if a["beard"] else None,
        lambda a: "bearded" if a["beard"] else None,
        lambda a: "with facial hair" if a["beard"] else "clean-shaven",
        lambda a: "with stubble" if a["beard"] else None,
        lambda a: "with a full beard" if a["beard"] else "with no beard",
    ],
    "hair_color": [
        lambda a: f"with {a['hair_color']} hair",
        lambda a: f"{a['hair_color']}-haired",
        lambda a: f"whose hair is {a['hair_color']}",
        lambda a: f"with {a['hair_color']} colored hair",
        lambda a: {
            "red": "a redhead",
            "blond": "a blonde",
            "gray": "gray-haired",
            "black": "dark-haired",
            "brown": "brown-haired",
        }[a["hair_color"]],
    ],
    "skin_tone": [
        lambda a: f"with {a['skin_tone']} skin",
        lambda a: f"{a['skin_tone']}-skinned",
        lambda a: f"with a {a['skin_tone']} complexion",
        lambda a: f"whose skin is {a['skin_tone']}",
        lambda a: f"with {a['skin_tone']} skin tone",
    ],
    "expression": [
        lambda a: f"looking {EXPR_WORDS[a['expression']][0]}",
        lambda a: f"with a {EXPR_WORDS[a['expression']][1]} expression",
        lambda a: f"who looks {EXPR_WORDS[a['expression']][2]}",
        lambda a: f"{EXPR_WORDS[a['expression']][3]}",
        lambda a: f"with a {EXPR_WORDS[a['expression']][4]} face",
    ],
    "yaw": [
        lambda a: f"turned to the {w}" if (w := _yaw_word(a)) else "facing the camera",
        lambda a: f"looking {w}" if (w := _yaw_word(a)) else "looking straight ahead",
        lambda a: f"facing {w}" if (w := _yaw_word(a)) else "facing forward",
        lambda a: f"head turned {w}" if (w := _yaw_word(a)) else "in a frontal view",
        lambda a: (
            f"in profile toward the {w}" if (w := _yaw_word(a)) and abs(a["yaw"]) > 40 else None
        ),
    ],
    "pitch": [
        lambda a: f"looking {w}" if (w := _pitch_word(a)) else None,
        lambda a: f"head tilted {w}" if (w := _pitch_word(a)) else None,
        lambda a: f"chin {w}" if (w := _pitch_word(a)) else None,
        lambda a: (
            f"gazing {'upward' if w == 'up' else 'downward'}" if (w := _pitch_word(a)) else None
        ),
        lambda a: f"tilting the head {w}" if (w := _pitch_word(a)) else None,
    ],
    "light_azimuth": [
        lambda a: f"lit from the {w}" if (w := _light_word(a)) else "lit from the front",
        lambda a: f"with light coming from the {w}" if (w := _light_word(a)) else "evenly lit",
        lambda a: f"illuminated from the {w}" if (w := _light_word(a)) else "front lit",
        lambda a: f"with the light on the {w}" if (w := _light_word(a)) else None,
        lambda a: f"in {w} side lighting" if (w := _light_word(a)) else None,
    ],
    "light_elevation": [
        lambda a: (
            "lit from above"
            if a["light_elevation"] > 35
            else ("lit from below" if a["light_elevation"] < -5 else None)
        ),
        lambda a: (
            "with overhead light"
            if a["light_elevation"] > 35
            else ("with light from below" if a["light_elevation"] < -5 else None)
        ),
        lambda a: (
            "top lit"
            if a["light_elevation"] > 35
            else ("under lit" if a["light_elevation"] < -5 else None)
        ),
        lambda a: (
            "with a high light"
            if a["light_elevation"] > 35
            else ("with a low light" if a["light_elevation"] < -5 else None)
        ),
        lambda a: (
            "light from overhead"
            if a["light_elevation"] > 35
            else ("uplit" if a["light_elevation"] < -5 else None)
        ),
    ],
    "brightness": [
        lambda a: (
            "in a bright photo"
            if a["brightness"] > 0.3
            else ("in a dark photo" if a["brightness"] < -0.3 else None)
        ),
        lambda a: (
            "brightly exposed"
            if a["brightness"] > 0.3
            else ("dimly exposed" if a["brightness"] < -0.3 else None)
        ),
        lambda a: (
            "in bright light"
            if a["brightness"] > 0.3
            else ("in dim light" if a["brightness"] < -0.3 else None)
        ),
        lambda a: (
            "overexposed"
            if a["brightness"] > 0.3
            else ("underexposed" if a["brightness"] < -0.3 else None)
        ),
        lambda a: (
            "in a light image"
            if a["brightness"] > 0.3
            else ("in a dark image" if a["brightness"] < -0.3 else None)
        ),
    ],
    "background": [
        lambda a: f"on a {a['background']} background",
        lambda a: f"in front of a {a['background']} backdrop",
        lambda a: f"against a {a['background']} wall",
        lambda a: f"with a {a['background']} background",
        lambda a: f"before a plain {a['background']} backdrop",
    ],
}
FACE_HELDOUT: dict[str, list[Phrase]] = {
    "eyewear": [
        lambda a: {"sunglasses": "with tinted glasses", "glasses": "with reading glasses"}.get(
            a["eyewear"]
        ),
        lambda a: {
            "sunglasses": "behind black sunglasses",
            "glasses": "behind thin-rimmed glasses",
        }.get(a["eyewear"]),
    ],
    "hat": [
        lambda a: "with headwear" if a["hat"] else None,
        lambda a: "topped with a hat" if a["hat"] else None,
    ],
    "beard": [
        lambda a: "with whiskers" if a["beard"] else None,
        lambda a: "with a bushy beard" if a["beard"] else None,
    ],
    "hair_color": [
        lambda a: f"having {a['hair_color']} locks",
        lambda a: f"whose hair color is {a['hair_color']}",
    ],
    "skin_tone": [
        lambda a: f"of {a['skin_tone']} skin tone",
        lambda a: f"having {a['skin_tone']} skin",
    ],
    "expression": [
        lambda a: f"appearing {EXPR_HELDOUT[a['expression']][0]}",
        lambda a: f"seemingly {EXPR_HELDOUT[a['expression']][1]}",
    ],
    "yaw": [
        lambda a: f"glancing to the {w}" if (w := _yaw_word(a)) else "looking at the viewer",
        lambda a: f"with the head rotated {w}" if (w := _yaw_word(a)) else "head-on",
    ],
    "pitch": [lambda a: f"face pointing {w}" if (w := _pitch_word(a)) else None],
    "light_azimuth": [
        lambda a: f"with a lamp to the {w}" if (w := _light_word(a)) else "lit head-on",
        lambda a: f"the {w} side in light" if (w := _light_word(a)) else None,
    ],
    "light_elevation": [lambda a: "under a ceiling light" if a["light_elevation"] > 35 else None],
    "brightness": [
        lambda a: (
            "in a well-lit shot"
            if a["brightness"] > 0.3
            else ("in a murky shot" if a["brightness"] < -0.3 else None)
        )
    ],
    "background": [
        lambda a: f"posed on {a['background']}",
        lambda a: f"set against {a['background']}",
    ],
}

FACE_SUBJECTS_TRAIN = ("a person", "someone", "a face", "a portrait of a person", "a head")
FACE_SUBJECTS_HELDOUT = ("an individual", "a headshot of somebody")

# --- chairs ----------------------------------------------------------------


def _view(a):
    az = float(a["azimuth"]) % 360
    names = [
        "front",
        "front-right",
        "right side",
        "back-right",
        "back",
        "back-left",
        "left side",
        "front-left",
    ]
    return names[int(((az + 22.5) % 360) // 45)]


CHAIR_TRAIN: dict[str, list[Phrase]] = {
    "color": [
        lambda a: f"a {a['color']} chair",
        lambda a: f"painted {a['color']}",
        lambda a: f"in {a['color']}",
        lambda a: f"colored {a['color']}",
        lambda a: f"with a {a['color']} finish",
    ],
    "legs": [
        lambda a: "with four legs" if a["legs"] == "four" else "on a pedestal",
        lambda a: "on four legs" if a["legs"] == "four" else "with a pedestal base",
        lambda a: "four-legged" if a["legs"] == "four" else "with a single column base",
        lambda a: "standing on four legs" if a["legs"] == "four" else "on a central stand",
        lambda a: "with legs at the corners" if a["legs"] == "four" else "with a round base",
    ],
    "armrests": [
        lambda a: "with armrests" if a["armrests"] else "without armrests",
        lambda a: "with arms" if a["armrests"] else "armless",
        lambda a: "having armrests" if a["armrests"] else "with no arms",
        lambda a: "an armchair" if a["armrests"] else "a side chair",
        lambda a: "with arm supports" if a["armrests"] else None,
    ],
    "back_height": [
        lambda a: (
            "with a tall back"
            if a["back_height"] > 0.66
            else ("with a low back" if a["back_height"] < 0.33 else "with a medium back")
        ),
        lambda a: (
            "high-backed"
            if a["back_height"] > 0.66
            else ("low-backed" if a["back_height"] < 0.33 else None)
        ),
        lambda a: (
            "a tall backrest"
            if a["back_height"] > 0.66
            else ("a short backrest" if a["back_height"] < 0.33 else None)
        ),
        lambda a: (
            "whose back is high"
            if a["back_height"] > 0.66
            else ("whose back is low" if a["back_height"] < 0.33 else None)
        ),
        lambda a: (
            "with a high backrest"
            if a["back_height"] > 0.66
            else ("with a short back" if a["back_height"] < 0.33 else None)
        ),
    ],
    "azimuth": [
        lambda a: f"seen from the {_view(a)}",
        lambda a: f"in a {_view(a)} view",
        lambda a: f"viewed from the {_view(a)}",
        lambda a: f"shown from the {_view(a)}",
        lambda a: f"{_view(a)} view",
    ],
    "elevation": [
        lambda a: (
            "seen from above"
            if a["elevation"] > 35
            else ("at eye level" if a["elevation"] < 12 else None)
        ),
        lambda a: (
            "from a high angle"
            if a["elevation"] > 35
            else ("from a low angle" if a["elevation"] < 12 else None)
        ),
        lambda a: "looking down on it" if a["elevation"] > 35 else None,
        lambda a: "in a top-down view" if a["elevation"] > 45 else None,
        lambda a: "from slightly above" if 12 <= a["elevation"] <= 35 else None,
    ],
}
CHAIR_HELDOUT: dict[str, list[Phrase]] = {
    "color": [lambda a: f"a chair in a {a['color']} shade"],
    "legs": [lambda a: "resting on four feet" if a["legs"] == "four" else "on a swivel base"],
    "armrests": [lambda a: "with places to rest the arms" if a["armrests"] else "lacking arms"],
    "back_height": [lambda a: "with a lofty back" if a["back_height"] > 0.66 else None],
    "azimuth": [lambda a: f"photographed from the {_view(a)}"],
    "elevation": [lambda a: "from a bird's-eye angle" if a["elevation"] > 35 else None],
}


def _phrase(name: str, key: str, text: str) -> Phrase:
    """``text`` where attribute ``name`` is ``key`` ("true"/"false" for bools)."""

    def phrase(a: Mapping[str, Any]) -> str | None:
        v = a.get(name)
        hit = (
            (str(v).lower() == key)
            if not isinstance(v, bool)
            else (key == ("true" if v else "false"))
        )
        return text if hit else None

    return phrase


def _record_templates(domain: str, table: dict[str, list[Phrase]]) -> dict[str, list[Phrase]]:
    """Caption phrases of attributes with no hand-written templates, from their
    vocabulary record's ``[caption]`` (``"true"`` / ``"false"`` for bools, a
    value name for categories).  The hand-written templates above are kept as
    they are: the shipped text GAN was trained on their exact wording."""
    from generators import vocabulary as V

    out = dict(table)
    for r in V.vocabulary(domain):
        if r.name in out or not r.caption:
            continue
        phrases: list[Phrase] = []
        for key, texts in r.caption.items():
            phrases += [_phrase(r.name, key, text) for text in texts]
        out[r.name] = phrases
    return out


# frames of the vocabulary's extra words (``vocabulary_templates``): {w} is the word
_VOCAB_FRAMES = {
    "expression": ("with {a} expression", "looking {w}", "{w}"),
    "eyewear": ("wearing {w}", "with {w}"),
    "hair_color": ("with {w} hair",),
    "skin_tone": ("with {w} skin",),
}
_BOOL_FRAMES = {"hat": ("wearing {a}", "with {a}"), "beard": ("with {a}",)}
_MASS_NOUNS = ("stubble", "facial hair")
# words that carry no attribute ("an individual" holds "an" out of nothing)
_FUNCTION_WORDS = frozenset({"a", "an", "at", "the", "of", "to", "in", "on", "with", "is"})


def heldout_only_words(domain: str, n: int = 400) -> frozenset[str]:
    """The words of the held-out caption templates that no training template
    uses ("headwear", "whiskers", "joyful"; function words aside), read off
    the captions of ``n`` random states: a training caption must never contain
    one, or the held-out figure would measure memory instead of generalisation."""
    from generators.datasets import sample_attributes

    rng = np.random.default_rng(12345)
    held: set[str] = set()
    seen: set[str] = set()
    for i in range(n):
        a = sample_attributes(domain, rng, i)
        for heldout, into in ((True, held), (False, seen)):
            for c in captions(domain, a, rng, 4, heldout=heldout):
                into.update(_words(c))
    if domain == "faces":  # every held-out expression word, whether drawn or not
        held.update(w for words in EXPR_HELDOUT.values() for w in _words(" ".join(words)))
    return frozenset(held - seen - _FUNCTION_WORDS)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _article(w: str) -> str:
    return f"an {w}" if w[0] in "aeiou" else f"a {w}"


@functools.cache
def vocabulary_templates(domain: str) -> dict[str, list[Phrase]]:
    """More training phrases, one per word the vocabulary records know beyond
    the hand-written templates ("beanie", "goatee", "glad", "ginger"), so a
    text head meets every synonym the dialogue understands.  Words that occur
    only in the held-out templates are left out (``heldout_only_words``)."""
    from generators import vocabulary as V

    V.on_change(vocabulary_templates.cache_clear)  # records edited: build anew
    banned = heldout_only_words(domain)
    out: dict[str, list[Phrase]] = {}
    for r in V.vocabulary(domain).records:
        phrases: list[Phrase] = []
        if r.kind == "category" and r.name in _VOCAB_FRAMES:
            for value in r.values:
                for w in dict.fromkeys((value, *r.words.get(value, ()))):
                    if _words(w) & banned:
                        continue
                    frames = _VOCAB_FRAMES[r.name]
                    if r.name == "expression" and w in ("straight", "blank"):
                        frames = frames[:1]  # "looking straight" is a head turn
                    said = [f.format(w=w, a=_article(w)) for f in frames]
                    phrases += [_phrase(r.name, value, t) for t in said]
        elif r.kind == "bool" and r.name in _BOOL_FRAMES:
            for w in r.names:
                if w.endswith("s") or _words(w) & banned:
                    continue  # plurals ("hats") and held-out words
                if w.endswith("ed"):
                    said = [w]
                elif w in _MASS_NOUNS:
                    said = [f"with {w}"]
                else:
                    said = [f.format(a=_article(w)) for f in _BOOL_FRAMES[r.name]]
                phrases += [_phrase(r.name, "true", t) for t in said]
        if phrases:
            out[r.name] = phrases
    return out


TRAIN_TEMPLATES = {"faces": FACE_TRAIN, "chairs": CHAIR_TRAIN}
HELDOUT_TEMPLATES = {"faces": FACE_HELDOUT, "chairs": CHAIR_HELDOUT}
_SUBJECTS = {
    ("faces", False): FACE_SUBJECTS_TRAIN,
    ("faces", True): FACE_SUBJECTS_HELDOUT,
    ("chairs", False): (
        "a chair",
        "a seat",
        "a chair model",
        "a piece of furniture",
        "a piece of seating",
    ),
    ("chairs", True): ("a seating object",),
}


def captions(
    domain: str,
    attributes: Mapping[str, Any],
    rng: np.random.Generator | None = None,
    n: int = 1,
    heldout: bool = False,
    vocabulary: bool = False,
) -> list[str]:
    """``n`` captions of one state; each mentions every attribute worth saying,
    one random template per attribute, in shuffled order.  ``vocabulary``
    (training templates only) adds the phrases of ``vocabulary_templates``."""
    if domain not in TRAIN_TEMPLATES:
        raise KeyError(f"unknown domain {domain!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    table = (HELDOUT_TEMPLATES if heldout else TRAIN_TEMPLATES)[domain]
    if not heldout:
        table = _record_templates(domain, table)
        if vocabulary:
            extra = vocabulary_templates(domain)
            table = {k: list(v) + extra.get(k, []) for k, v in table.items()}
    subjects = _SUBJECTS[(domain, heldout)]
    out = []
    for _ in range(n):
        phrases = []
        for templates in table.values():
            order = rng.permutation(len(templates))
            for i in order:  # first template that speaks
                p = templates[i](attributes)
                if p:
                    phrases.append(p)
                    break
        rng.shuffle(phrases)
        subject = subjects[rng.integers(len(subjects))]
        if domain == "chairs" and phrases and phrases[0].startswith(("a ", "an ")):
            subject, phrases = phrases[0], phrases[1:]
        out.append(subject + (", " + ", ".join(phrases) if phrases else ""))
    return out


def caption(domain: str, attributes: Mapping[str, Any], text: str = "") -> str:
    """One deterministic caption for a state, with the user's free words appended."""
    c = captions(domain, attributes, np.random.default_rng(0), 1)[0]
    return f"{c}, {text.strip()}" if text and text.strip() else c
