"""The parser's vocabulary: synonyms keyed by schema names, phrase rewrites,
degree words, number words and the semantic constants of the grammar.

Attribute names, category values, ranges and steps come from
``generators.schema``; this module only adds the words people use for them.
Everything here is data; ``dialogue.grammar`` turns it into rules.

Semantic decisions (DESIGN.md "Conventions"; all directions are the viewer's):

faces
  - "turn / rotate left" is relative: Adjust(yaw, -step) = -15; "turn right" +15.
  - "face left" / "look left" are absolute: Set(yaw, -45) (``FACE_SIDE_YAW``);
    "face / look fully left" (all the way) = the range's end, Set(yaw, -60);
    "look slightly left" = Set(yaw, -22.5); "face 30 degrees left" = Set(yaw, -30).
  - "look up / down", "tilt the head up / down" are relative: Adjust(pitch, ±10).
  - "look straight ahead" / "face forward" / "look at the camera" =
    Set(yaw, 0) and Set(pitch, 0).
  - a face has no camera elevation: "from above" / "from below" tilt the head
    (Set(pitch, -20) / Set(pitch, 20)); "profile" = Set(yaw, ±60); "fully left"
    = Set(yaw, -60); a bare "left a bit" turns the head.
  - "light from the left / right / front" = Set(light_azimuth, -90 / 90 / 0);
    "light from above / below" = Set(light_elevation, 60 / -30) (the range's ends);
    "move the light left / up" = Adjust(light_azimuth, -30) / Adjust(light_elevation, +15).
  - "brighter" = Adjust(brightness, +0.2); "twice as bright" = two steps brighter
    (+0.4); "half as bright" = one step darker (-0.2).
  - "smile" / "look sad" set the expression; saying the expression it already has
    ("smile" while happy) raises expression_strength a step instead.  "smile more",
    "happier", "bigger smile" raise the strength when the expression is already
    that one, and set it otherwise.  "smile less" / "less sad" lower the strength.
    "stop smiling", "no frown", "neutral face" set neutral.
  - "darker skin" / "lighter skin" move skin_tone one place along light, medium,
    dark from its current value; "dark skin" sets it.
  - a bare colour ("make it blue") applies to the one attribute that has that
    value (blue → background); colours two attributes share ("red") need a noun.
chairs
  - azimuth 0 is the front view; "turn / rotate left" = Adjust(azimuth, -30);
    "rotate the chair" with no direction = Adjust(azimuth, +30).
  - "face left / right" = Set(azimuth, 270 / 90); "front view" / "face forward" =
    Set(azimuth, 0); "side view" = Set(azimuth, 90); "back view" = Set(azimuth, 180).
  - "view from higher up" = Adjust(elevation, +10); "from lower down" =
    Adjust(elevation, -10); "view it from above" / "from below" are absolute:
    Set(elevation, 40) / Set(elevation, 0); "turn it around" = Adjust(azimuth, 180);
    "profile" = Set(azimuth, 90); "eye level" =
    Set(elevation, 0); "top view" = Set(elevation, 60).
  - "zoom in" / "closer" / "bigger" = Adjust(zoom, +0.15); "move it left" =
    Adjust(shift_x, -0.1); "move it up" = Adjust(shift_y, +0.1); "center it" =
    Set(shift_x, 0) and Set(shift_y, 0).
  - "taller back" = Adjust(back_height, +0.25); "more saturated" =
    Adjust(saturation, +0.25); "black and white" / "grayscale" = Set(saturation, 0);
    "shift the hue" = Adjust(hue, +30), "shift the hue by 45 degrees" = +45.
both
  - "a bit / slightly / a little" = half a step; "a lot / much / way / very" = two
    steps; an explicit number is taken as given ("turn left 30 degrees" = -30,
    "brightness to 0.8" = Set(brightness, 0.8)).
  - "more" / "again" = Repeat(1.0); "less" = Repeat(-0.5); "a bit more" =
    Repeat(0.5); "much more" = Repeat(2.0); "a bit less" = Repeat(-0.25).
  - "reset the zoom" (any attribute) = Set(attribute, its default).
"""

from __future__ import annotations

# -- semantic constants ------------------------------------------------------
FACE_SIDE_YAW = 45.0  # "face left" = Set(yaw, -45)
CHAIR_FROM_ABOVE = 40.0  # "view it from above" = Set(elevation, 40)
CHAIR_FACE_AZIMUTH = {"left": 270.0, "right": 90.0, "front": 0.0, "side": 90.0, "back": 180.0}
LIGHT_AZIMUTH_FROM = {"left": -90.0, "right": 90.0, "front": 0.0}
HALF, TWO = 0.5, 2.0  # degree factors
REPEAT_MORE, REPEAT_LESS = 1.0, -0.5

# -- attribute words, keyed by schema names ------------------------------------
# Attribute and value words come from the vocabulary records
# (generators/vocabulary/<domain>.toml); these two tables are views of them,
# refreshed in place when records are added (``vocabulary.extended``).
#: nouns that name an attribute (the canonical token is the schema name)
ATTRIBUTE_SYNONYMS: dict[str, tuple[str, ...]] = {}
#: words for category values, keyed by (attribute, value); the value itself is
#: always a word for it too
VALUE_SYNONYMS: dict[tuple[str, str], tuple[str, ...]] = {}


def _load_words() -> None:
    from generators import vocabulary as V

    ATTRIBUTE_SYNONYMS.clear()
    VALUE_SYNONYMS.clear()
    for _, r in V.all_records():
        if r.kind == "seed":
            continue
        ATTRIBUTE_SYNONYMS.setdefault(r.name, r.names)
        for value, words in r.words.items():
            VALUE_SYNONYMS.setdefault((r.name, value), words)


def _register() -> None:
    from generators import vocabulary as V

    _load_words()
    V.on_change(_load_words)


_register()

#: general colour words (for colours of categories without a specific entry)
COLOR_WORDS: dict[str, str] = {"grey": "gray", "blonde": "blond"}

#: comparatives over ordered categories
SKIN_ORDER = ("light", "medium", "dark")

# -- phrase rewrites ----------------------------------------------------------
#: politeness and hedges, dropped anywhere
POLITENESS: tuple[str, ...] = (
    "could you please",
    "can you please",
    "would you please",
    "will you please",
    "could you",
    "can you",
    "would you",
    "will you",
    "would you mind",
    "please",
    "pls",
    "plz",
    "kindly",
    "i would like you to",
    "i would like to",
    "i would like",
    "i want you to",
    "i want to",
    "i want",
    "i wanna",
    "i need",
    "i would love",
    "id like",
    "let us",
    "lets",
    "go ahead and",
    "try to",
    "try and",
    "just",
    "maybe",
    "perhaps",
    "now",
    "thanks",
    "thank you",
    "ok",
    "okay",
    "hey",
    "hi",
    "for me",
    "i think",
    "instead",
    "also",
    "as well",
    "actually",
    "right now",
    "should be",
    "should have",
    "should",
    "show me",
    "let me see",
    "go on",
    "yes and",
    "hmm",
    "hmmm",
    "um",
    "umm",
    "uh",
    "erm",
    "can she",
    "could she",
    "can he",
    "could he",
    "can they",
    "could they",
)

#: multi-word and single-word rewrites to canonical tokens (applied longest
#: first, on word boundaries).  Canonical tokens: verbs (add, remove, make, turn,
#: look, face, tilt, move, zoom, light, set, increase, decrease, toggle, smile,
#: frown), "no" (negation), directions (left, right, up, down, ahead, above,
#: below, in, out), degree markers (~half, ~two, ~full) and schema names.
REWRITES: dict[str, str] = {
    # (phrases that belong to one attribute are in its vocabulary record,
    # generators/vocabulary/<domain>.toml, under "phrases")
    # degrees
    "a little bit": "~half",
    "a little": "~half",
    "a bit": "~half",
    "a tad": "~half",
    "a touch": "~half",
    "slightly": "~half",
    "somewhat": "~half",
    "a smidge": "~half",
    "little": "~half",
    "bit": "~half",
    "gently": "~half",
    "marginally": "~half",
    "a lot": "~two",
    "a great deal": "~two",
    "lots": "~two",
    "much": "~two",
    "way": "~two",
    "very": "~two",
    "really": "~two",
    "far": "~two",
    "significantly": "~two",
    "considerably": "~two",
    "a ton": "~two",
    "twice as": "~two",
    "way more": "~two more",
    "all the way": "~full",
    "fully": "~full",
    "completely": "~full",
    "as far as possible": "~full",
    "totally": "~full",
    "entirely": "~full",
    "half as bright": "darker",
    # negation
    "do not want": "no",
    "dont want": "no",
    "does not want": "no",
    "no longer want": "no",
    "do not need": "no",
    "do not": "no",
    "dont": "no",
    "without": "no",
    "not": "no",
    "no more": "no",
    "stop": "no",
    "never": "no",
    # removal / addition
    "take off": "remove",
    "taking off": "remove",
    "take away": "remove",
    "get rid of": "remove",
    "lose": "remove",
    "drop": "remove",
    "ditch": "remove",
    "delete": "remove",
    "removing": "remove",
    "strip": "remove",
    "takeoff": "remove",
    "put on": "add",
    "putting on": "add",
    "give": "add",
    "wear": "add",
    "wearing": "add",
    "with": "add",
    "grow": "add",
    "include": "add",
    "put": "add",
    "add on": "add",
    "adding": "add",
    "off": "",
    "on": "",
    # make / change
    "change": "make",
    "paint": "make",
    "color it": "make",
    "colour it": "make",
    "dye": "make",
    "turn into": "make",
    "recolor": "make",
    "recolour": "make",
    "switch over to": "switch to",
    "change to": "switch to",
    "move to": "switch to",
    "go to faces": "switch to faces",
    "go to chairs": "switch to chairs",
    # movement verbs
    "rotate": "turn",
    "spin": "turn",
    "swivel": "turn",
    "rotated": "turn",
    "turning": "turn",
    "pivot": "turn",
    "looking": "look",
    "gaze": "look",
    "glance": "look",
    "facing": "face",
    "shift": "move",
    "slide": "move",
    "nudge": "move",
    "moving": "move",
    "pan": "move",
    "tip": "tilt",
    "tilted": "tilt",
    "tilting": "tilt",
    "nod": "tilt",
    # directions
    "to the left": "left",
    "towards the left": "left",
    "toward the left": "left",
    "to left": "left",
    "leftwards": "left",
    "leftward": "left",
    "the left": "left",
    "to the right": "right",
    "towards the right": "right",
    "toward the right": "right",
    "to right": "right",
    "rightwards": "right",
    "rightward": "right",
    "the right": "right",
    "upwards": "up",
    "upward": "up",
    "downwards": "down",
    "downward": "down",
    "straight ahead": "ahead",
    "straight on": "ahead",
    "forwards": "ahead",
    "forward": "ahead",
    "at the camera": "ahead",
    "at camera": "ahead",
    "into the camera": "ahead",
    "the camera": "camera",
    "at me": "ahead",
    "at the viewer": "ahead",
    "the viewer": "ahead",
    "front on": "ahead",
    "frontal": "ahead",
    "straight": "ahead",
    "from the front": "from front",
    "the front": "front",
    "overhead": "above",
    "from the top": "from above",
    "from top": "from above",
    "beneath": "below",
    "underneath": "below",
    "from the bottom": "from below",
    "from the side": "from side",
    "higher up": "higher",
    "lower down": "lower",
    # lighting
    "lighting": "light",
    "lamp": "light",
    "light source": "light",
    "illumination": "light",
    "illuminate": "light",
    "lit": "light",
    "key light": "light",
    "the light": "light",
    # expression
    "stronger": "more",
    "weaker": "less",
    "subtler": "less",
    "softer": "less",
    "intensify": "more",
    "tone down": "less",
    "more intense": "more",
    "less intense": "less",
    # chairs
    "taller": "higher",
    "tall": "higher",
    "high": "higher",
    "shorter": "lower",
    "short": "lower",
    "low": "lower",
    "raise": "higher",
    "lift": "higher",
    "center": "centre",
    "middle": "centre",
    "centered": "centre",
    "centred": "centre",
    "front view": "view front",
    "side view": "view side",
    "back view": "view back",
    "rear view": "view back",
    "from behind": "view back",
    "top view": "view top",
    "from above": "from above",
    "eye level": "view level",
    "bird's eye view": "view top",
    "birds eye view": "view top",
    # subjects (optional words in commands)
    "woman": "person",
    "man": "person",
    "guy": "person",
    "girl": "person",
    "boy": "person",
    "lady": "person",
    "gentleman": "person",
    "someone": "person",
    "somebody": "person",
    "people": "faces",
    "persons": "faces",
    "portraits": "faces",
    "portrait": "faces",
    "face mode": "faces",
    "chair mode": "chairs",
    "head": "person",
    "her head": "person",
    "his head": "person",
    "the face": "person",
    "her face": "person",
    "his face": "person",
    "their face": "person",
    "image": "picture",
    "photo": "picture",
    "pic": "picture",
    "render": "picture",
    "scene": "picture",
    "everything": "picture",
    "whole thing": "picture",
    "stool": "chair",
    "seat": "chair",
    # meta
    "undo that": "undo",
    "undo it": "undo",
    "undo last": "undo",
    "undo the last change": "undo",
    "take that back": "undo",
    "take back": "undo",
    "oops": "undo",
    "revert": "undo",
    "go back to": "goto",
    "back to": "goto",
    "go back": "undo",
    "step back": "undo",
    "redo that": "redo",
    "redo it": "redo",
    "start over": "reset",
    "start again": "reset",
    "start from scratch": "reset",
    "from scratch": "reset",
    "begin again": "reset",
    "restart": "reset",
    "put it back how it was": "undo",
    "put it back the way it was": "undo",
    "back how it was": "undo",
    "back the way it was": "undo",
    "change it back": "undo",
    "make it like it was": "undo",
    "as it was before": "undo",
    "the very beginning": "step 0",
    "the beginning": "step 0",
    "the start": "step 0",
    "the original": "step 0",
    "the original one": "step 0",
    "the first image": "step 0",
    "undo both": "undo 2 times",
    "undo them both": "undo 2 times",
    "undo both of them": "undo 2 times",
    "undo both of those": "undo 2 times",
    "undo both changes": "undo 2 times",
    "undo those two": "undo 2 times",
    "go back one step": "undo",
    "back one step": "undo",
    "step back once": "undo",
    "twice": "2 times",
    "thrice": "3 times",
    "two times": "2 times",
    "three times": "3 times",
    "do that again": "again",
    "do it again": "again",
    "do again": "again",
    "one more time": "again",
    "once more": "again",
    "same again": "again",
    "repeat that": "again",
    "repeat": "again",
    "keep going": "again",
    "go to": "goto",
    "jump to": "goto",
    "return to": "goto",
    "restore": "goto",
    "someone else": "another person",
    "somebody else": "another person",
    "different": "another",
    "new": "another",
    "other": "another",
    "next": "another",
    "reroll": "another",
    "re roll": "another",
    "contact sheet": "sheet",
    "contact-sheet": "sheet",
    "animated gif": "gif",
    "animation": "gif",
    "save the image": "export",
    "save image": "export",
    "save the picture": "export",
    "save picture": "export",
    "save png": "export png",
    "what can i do": "help",
    "what can you do": "help",
    "how does this work": "help",
    "what commands": "help",
    "help me": "help",
    "commands": "help",
    "show history": "history",
    "show the history": "history",
    "what have i done": "history",
    "list history": "history",
    "previous one": "previous",
    "last one": "previous",
    "the previous": "previous",
    "the first": "first",
    "first one": "first",
}

#: words with no meaning of their own in a command (dropped after rewrites)
FILLER: frozenset[str] = frozenset(
    """
the a an some her his him its it their them she he they this that these those
be is are was of one ones i me us so pair whole
""".split()
)

#: filler words that only count as filler next to a number ("30 degrees")
UNITS: dict[str, float] = {
    "degrees": 1.0,
    "degree": 1.0,
    "deg": 1.0,
    "degs": 1.0,
    "percent": 0.01,
    "%": 0.01,
}

NUMBER_WORDS: dict[str, float] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "one hundred": 100,
    "one hundred eighty": 180,
    "one hundred and eighty": 180,
}

#: generator names and what people call them
GENERATOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "studio": (
        "studio",
        "studio renderer",
        "procedural renderer",
        "procedural",
        "ground truth renderer",
        "renderer studio",
    ),
    "convdeconv": (
        "convdeconv",
        "conv deconv",
        "conv-deconv",
        "convdeconv network",
        "deconv",
        "deconvfaces",
        "conv net",
        "convnet",
    ),
    "textgan": (
        "textgan",
        "text gan",
        "text-gan",
        "text to image",
        "gan cls",
        "gan-cls",
        "text conditioned gan",
    ),
    "dcgan": ("dcgan", "dc gan", "dc-gan", "plain gan", "unconditional gan"),
}

#: nouns that make a sentence a description ("a smiling woman with ...")
SUBJECT_NOUNS: dict[str, tuple[str, ...]] = {
    "faces": (
        "woman",
        "man",
        "person",
        "face",
        "guy",
        "girl",
        "boy",
        "lady",
        "gentleman",
        "child",
        "kid",
        "teenager",
        "someone",
        "fellow",
        "dude",
        "portrait",
        "women",
        "men",
    ),
    "chairs": ("chair", "armchair", "stool", "seat", "office chair", "dining chair"),
}

#: leading words of a description ("show me a ...", "draw a ...")
DESCRIBE_LEADS: tuple[str, ...] = (
    "show me",
    "draw me",
    "draw",
    "make me",
    "make",
    "give me",
    "generate",
    "create",
    "render",
    "paint me",
    "paint",
    "picture",
    "imagine",
    "i want",
    "i would like",
    "now",
    "how about",
    "let us see",
    "lets see",
    "can i have",
    "can i see",
    "i'd like",
    "id like",
)
