"""The one place that turns text into display text.

Everything the app shows that a person typed, or that came from a file
(inputs, replies that quote them, session names, attribute values, history
lines, notifications, palette entries), goes through :func:`literal` (a Rich
``Text``) or :func:`shown` (a plain string).  Neither ever interprets markup:
``[bold]`` shows as ``[bold]``.

What a terminal would act on instead of show is made visible, so a line
shows as typed and cannot change the screen around it:

- control characters (C0, DEL, C1: NUL, ESC of an ANSI sequence, BEL, …) are
  shown as their Unicode control pictures (``␀``, ``␛``) or ``\\x9b``;
- bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) are
  shown as ``\\u202e``, so they cannot reorder the rest of the screen; right-to-
  left letters themselves are kept;
- lone surrogates (which no terminal can encode) become U+FFFD;
- a newline is kept only where ``multiline=True``; elsewhere it shows as ``⏎``;
- text longer than :data:`MAX_SHOWN` characters is cut there, with a note
  saying how much more there was.
"""

from __future__ import annotations

import re

from rich.text import Text

MAX_SHOWN = 2000  # the manager keeps this much of a typed line, too

_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _picture(ch: str, multiline: bool) -> str:
    c = ord(ch)
    if ch == "\n":
        return "\n" if multiline else "⏎"
    if ch == "\t":
        return "    " if multiline else " "
    if c < 0x20:
        return chr(0x2400 + c)  # ␀ … ␟
    if c == 0x7F:
        return "␡"
    if c <= 0x9F:
        return f"\\x{c:02x}"
    if c in _BIDI:
        return f"\\u{c:04x}"
    return "\ufffd"  # a lone surrogate


def shown(text: object, *, multiline: bool = False, limit: int | None = MAX_SHOWN) -> str:
    """``text`` as a plain string that is safe to put on the screen literally."""
    s = text if isinstance(text, str) else str(text)
    extra = 0
    if limit is not None and len(s) > limit:
        s, extra = s[:limit], len(s) - limit
    if _UNSAFE.search(s):
        s = _UNSAFE.sub(lambda m: _picture(m.group(), multiline), s)
    if extra:
        s += f"… ({extra:,} more characters)"
    return s


def literal(
    text: object, style: str = "", *, multiline: bool = False, limit: int | None = MAX_SHOWN
) -> Text:
    """``text`` as a Rich ``Text`` shown exactly as typed, never as markup."""
    return Text(shown(text, multiline=multiline, limit=limit), style=style)


def join(*parts: tuple[object, str] | object) -> Text:
    """Assemble literal parts, each ``text`` or ``(text, style)``."""
    out = Text()
    for p in parts:
        if isinstance(p, tuple):
            out.append_text(literal(p[0], p[1], multiline=True))
        else:
            out.append_text(literal(p, multiline=True))
    return out
