"""Short replies for what the request reader recognises but does not edit:
conversation acts (greetings, thanks, "that's all", "looks good", a stray yes / no)
and requests outside the schema (age, hair length, make-up, objects, ...), which
name the nearest things that can be changed.  Both change nothing."""

from __future__ import annotations

import re

from generators.schema import get_schema

_CHAT = (
    (
        r"\b(?:bye|goodbye|see (?:you|ya)|that'?s (?:all|it|everything)"
        r"|(?:i'?m|we'?re|all) (?:done|finished)"
        r"|nothing else|that'?(?:ll| will) do|no more changes|signing off|done)\b",
        "Glad I could help. The session is saved as you go; type 'export' for a PNG or GIF.",
    ),
    (r"\b(?:thanks?|thank you|thx|ty|cheers|ta|appreciated)\b", "You're welcome."),
    (
        r"\b(?:hi|hello|hey|hiya|howdy|yo|morning|evening|greetings|how are you|what'?s up"
        r"|how'?s it going)\b",
        "Hello! Tell me what to change, for example 'add sunglasses' or 'turn left a bit'.",
    ),
    (
        r"\b(?:yes|no|ok|okay|sure|yep|nope|yeah|nah|alright|right|got it|k|mhm|hmm)\b",
        "OK. There is no open question; tell me what to change, or 'help' for ideas.",
    ),
)
PRAISE = "Glad you like it."
_PRAISE_WORDS = (
    r"\b(?:good|great|nice|perfect|awesome|love|lovely|beautiful|wonderful|amazing"
    r"|cool|brilliant|excellent|spot on|fantastic|well done|wow|sweet|neat|fine"
    r"|not bad|works|exactly|want(?:ed)?)\b"
)


def has_chat_word(text: str) -> bool:
    """Whether ``text`` has a word of a conversation act (a lone "please" has none)."""
    t = text.lower()
    return any(re.search(p, t) for p, _ in _CHAT) or bool(re.search(_PRAISE_WORDS, t))


def chat_reply(text: str) -> str:
    t = text.lower()
    for pat, reply in _CHAT:
        if re.search(pat, t):
            return reply
    return PRAISE


#: (pattern, what cannot be changed, faces' nearest, chairs' nearest)
_CANT = (
    (
        r"\b(?:old|older|young|younger|age|aged|ageing|aging|elderly|teen\w*|child|kid|baby"
        r"|grandma|grandpa|\d+ years)\b",
        "age",
        "the expression, gray hair, a beard",
        None,
    ),
    (
        r"\b(?:bangs|fringe|long|longer|short|shorter|curly|wavy|straight hair|bob|ponytail|bun"
        r"|bald|dreadlocks|braids?|haircut|buzz|hairstyle|length)\b",
        "hair length or style",
        "the hair colour (black, brown, blond, red, gray) or a hat",
        "the back height",
    ),
    (
        r"\b(?:make-?up|lipstick|mascara|eyeliner|eyeshadow|blush|rouge|foundation)\b",
        "make-up",
        "the skin tone (light, medium, dark) and the expression",
        None,
    ),
    (
        r"\beyes?\b|\beye colou?r\b|\bwink|\blips?\b|\bnose\b|\bears?\b|\bmouth\b|\btongue\b"
        r"|\bfreckles\b|\bwrinkles\b|\bscar\b|\bmole\b|\bdimples\b",
        "facial features",
        "the expression, glasses or sunglasses, a beard",
        None,
    ),
    (
        r"\b(?:fat|fatter|thin|thinner|muscular|taller|shorter|weight|slim)\b",
        "body shape",
        "the expression, the pose and the zoom",
        "the zoom and the back height",
    ),
    (
        r"\b(?:earrings?|necklace|scarf|tie|bow tie|piercing|tattoo|jewel\w*|mask|monocle|eye patch"
        r"|headband|crown|helmet|pirate|cowboy|suit|hoodie|shirt|jacket|braces)\b",
        "clothes and accessories beyond glasses, sunglasses and a plain hat",
        "glasses, sunglasses, a hat, a beard",
        None,
    ),
    (
        r"\b(?:purple|pink|orange|violet|teal|turquoise|magenta|beige|gold|silver|striped|floral"
        r"|pattern\w*|print)\b",
        "that colour or pattern",
        None,
        None,
    ),
    (
        r"\b(?:wood\w*|metal\w*|leather|plastic|velvet|fabric|glossy|transparent|padded|soft\w*"
        r"|comf\w*|antique|cheap\w*)\b",
        "the material",
        "the brightness",
        "the colour, saturation, hue and brightness",
    ),
    (
        r"\b(?:wheels|casters|cushion|pillow|footrest|headrest|recl\w*|fold|cup holders|seat"
        r"|three|five|legs thinner|curved|rocking|sofa|stool)\b",
        "that part of the chair",
        None,
        "the armrests, the legs (four or a pedestal) and the back height",
    ),
    (
        r"\b(?:cat|dog|parrot|balloon|tree|coffee|cup|table|lamp|book|rug|blanket|person|people"
        r"|beach|forest|room|second|another chair|flower)\b",
        "extra objects or scenery",
        "the background colour",
        "the colour and the view",
    ),
)


def _values(domain: str, attr: str) -> str:
    return ", ".join(get_schema(domain).get(attr).values)


def cant_reply(text: str, domain: str) -> str:
    t = text.lower()
    for pat, what, faces, chairs in _CANT:
        if re.search(pat, t):
            nearest = faces if domain == "faces" else chairs
            if what == "that colour or pattern":
                nearest = (
                    f"the hair colour ({_values('faces', 'hair_color')}) or the "
                    f"background ({_values('faces', 'background')})"
                    if domain == "faces"
                    else f"the colour ({_values('chairs', 'color')}) and the hue"
                )
            if nearest is None:
                break
            return f"I can't change {what}; the nearest I can do is {nearest}"
    names = [
        a.name.replace("_", " ")
        for a in get_schema(domain).attributes
        if a.name != get_schema(domain).seed_attribute
    ]
    return f"that is outside what I can change; I can change the {', '.join(names)}"
