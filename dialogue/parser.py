"""The parse cascade: text → ``ParseResult``.

1. an answer to the open clarifying question ("yes", "the second", "sunglasses");
2. the deterministic grammar (``dialogue.grammar``);
3. a command that reads as another domain's edit → "unknown" with a hint;
4. the fallback: spelling corrected against the grammar's vocabulary, then the learned
   request reader (``dialogue.reader_step``: chat, out-of-schema replies, edits and
   descriptions above its threshold, a question about the thing in doubt below it), then
   the nearest exemplar by sentence embedding, accepted above a calibrated threshold;
5. below it (above a floor) a clarifying question offering the two best readings;
   below the floor, "unknown".

``parse`` never raises for any input string and returns ops only when it read some.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

from dialogue import clarify, grammar, lexicon as L, reader_step
from dialogue.types import ParseContext, ParseResult
from generators.schema import SCHEMAS
from sessions.ops import Op

#: accept the nearest exemplar at or above this cosine similarity ...
ACCEPT = 0.75
#: ... when the runner-up reading is at least this much behind (else ask)
MARGIN = 0.04
#: below this similarity nothing is offered ("unknown")
FLOOR = 0.50
#: spelling correction: similarity a word needs to a vocabulary word
SPELL_CUTOFF = 0.75

_NEGATIONS = frozenset({"no", "remove"})
#: opposite cues: a reading that says one side while the text says the other is dropped
_OPPOSITES = (
    ({"left"}, {"right"}),
    (
        {"up", "higher", "above", "more", "increase", "in", "brighter"},
        {"down", "lower", "below", "less", "decrease", "out", "darker"},
    ),
)


def parse(text: Any, context: ParseContext | None = None) -> ParseResult:
    """Read ``text`` in ``context``; never raises."""
    try:
        return _parse(text if isinstance(text, str) else str(text), context or ParseContext())
    except Exception:  # a bug must not cost the user their session
        return ParseResult(
            ops=(), source="unknown", message="an internal parser error happened; nothing changed"
        )


def _parse(text: str, ctx: ParseContext) -> ParseResult:
    domain = ctx.domain if ctx.domain in SCHEMAS else "faces"
    attrs = dict(ctx.attributes or {})
    cleaned = grammar.clean(text)
    if not re.search(r"\w", cleaned):
        return ParseResult(ops=(), source="empty", message="nothing to do")
    note = None
    if len(cleaned) > grammar.MAX_CHARS:
        note = f"only the first {grammar.MAX_CHARS} characters were read"
        text = cleaned[: grammar.MAX_CHARS]

    if ctx.pending is not None:
        pick = clarify.answer(text, ctx.pending)
        if pick == clarify.DECLINED:
            return ParseResult(ops=(), source="unknown", message="okay, nothing changed")
        if pick is not None:
            label, chosen = ctx.pending.options[pick]
            return ParseResult(ops=tuple(chosen), source="resolved", matched=label)

    ops = grammar.parse_ops(text, domain, attrs)
    if ops and reader_step.empty_describe(ops):  # the request reader fills it in
        return reader_step.read(text, domain, attrs, note, describe=ops[-1]) or ParseResult(
            ops=(), source="unknown", message=reader_step.NOTHING_DESCRIBED
        )
    if ops and reader_step.doubtful(ops, cleaned):  # the request reader reads it again
        read = reader_step.read(text, domain, attrs, note)
        if read is not None:
            return read
    if ops:
        return ParseResult(ops=tuple(ops), source="grammar", message=note)
    if not grammar.tokens(cleaned[: grammar.MAX_CHARS]):
        chat = reader_step.read(text, domain, attrs, note, chat_only=True)  # "hi", "ok"
        return chat or ParseResult(ops=(), source="empty", message="nothing to do")

    foreign = grammar.foreign_attribute(text, domain)
    if foreign is not None:
        other, attr = foreign
        return ParseResult(
            ops=(), source="unknown", message=f"{domain} don't have {attr}; switch to {other} first"
        )

    corrected = _spell_corrected(text, domain, attrs)
    if corrected is not None:
        fixed, fixed_ops, score = corrected
        return ParseResult(
            ops=tuple(fixed_ops), source="fallback", score=score, matched=fixed, message=note
        )
    seen: list[str] = []  # the learned request reader
    read = reader_step.read(text, domain, attrs, note, seen=seen)
    if read is not None:
        return read
    return _embedding_fallback(
        text, domain, attrs, note, sure=not (seen and seen[0] in ("edit", "describe"))
    )


# -- spelling -------------------------------------------------------------------------
@functools.cache
def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    for phrase, canon in grammar.rewrite_table().items():
        words.update(phrase.split())
        words.update(canon.split())
    for schema in SCHEMAS.values():
        for a in schema.attributes:
            words.update(a.name.split("_"))
            words.update(v for v in a.values)
    for (_, _), syns in L.VALUE_SYNONYMS.items():
        for s in syns:
            words.update(s.split())
    words.update(L.FILLER)
    words.update(L.UNITS)
    return tuple(sorted(w for w in words if w.isalpha()))


def _register() -> None:
    from generators import vocabulary as V

    V.on_change(_vocabulary.cache_clear)


_register()


def _spell_corrected(text: str, domain: str, attrs) -> tuple[str, list[Op], float] | None:
    """Replace unknown words by their nearest vocabulary word; a grammar parse of
    the result is a fallback reading with score = the weakest correction's ratio."""
    vocab = _vocabulary()
    known = set(vocab)
    words = re.findall(r"[a-z]+|[^a-z]+", grammar.clean(text))
    score = 1.0
    changed = False
    out = []
    for w in words:
        if w.isalpha() and len(w) >= 4 and w not in known and not reader_step.a_word(w):
            best = difflib.get_close_matches(w, vocab, n=1, cutoff=SPELL_CUTOFF)
            if not best:
                return None
            score = min(score, difflib.SequenceMatcher(None, w, best[0]).ratio())
            out.append(best[0])
            changed = True
        else:
            out.append(w)
    if not changed:
        return None
    fixed = "".join(out)
    ops = grammar.parse_ops(fixed, domain, attrs)
    return (fixed, ops, round(score, 4)) if ops else None


# -- embeddings -------------------------------------------------------------------------
def _modifiers(text: str) -> str:
    """Degree words and a number with its unit, as grammar text ("~half", "30 degrees")."""
    toks = grammar.tokens(grammar.clean(text))
    mods = [t for t in toks if t in ("~half", "~two", "~full")]
    nums = [t for t in toks if t.startswith("#")]
    if len(nums) == 1:
        mods.append(f"{float(nums[0][1:]):g}")
    return " ".join(mods)


def _reading(command: str, text: str, domain: str, attrs) -> list[Op] | None:
    """The ops of a canonical command, with the user's degree words applied."""
    mods = _modifiers(text)
    if mods:
        ops = grammar.parse_ops(f"{command} {mods}", domain, attrs)
        if ops:
            return ops
    return grammar.parse_ops(command, domain, attrs)


def _contradicts(said: set[str], reading: set[str]) -> bool:
    """The text names one side of a direction or polarity and the reading the other."""
    for a, b in _OPPOSITES:
        if (said & a and not said & b and reading & b and not reading & a) or (
            said & b and not said & a and reading & a and not reading & b
        ):
            return True
    return False


# -- convo: readings that discard work are offered only when the words ask ----
_DESTRUCTIVE_WORDS = re.compile(
    r"\b(?:another|new|different|else|other|someone|somebody|reset"
    r"|restart|scratch|start over|start again|switch|swap|replace"
    r"|identity|next|reroll)\b"
)
_OTHER_DOMAIN = {
    "faces": r"\b(?:chairs?|furniture|seats?)\b",
    "chairs": r"\b(?:faces?|person|people|portraits?|man|woman)\b",
}


def _destructive(command: str) -> bool:
    return bool(re.match(r"(?:another|reset|switch to|start over)\b", command))


def _embedding_fallback(
    text: str, domain: str, attrs, note: str | None, sure: bool = True
) -> ParseResult:
    """``sure=False``: the reader read an edit it could not settle, so a confident
    embedding match (blind to polarity) is asked about instead of applied."""
    from dialogue import fallback

    try:
        cands = fallback.nearest(text, domain, k=6)
    except fallback.EmbeddingUnavailable as e:
        return ParseResult(
            ops=(), source="unknown", message=f"I couldn't read that as a command, and {e}"
        )
    said = set(grammar.tokens(grammar.clean(text)))
    readings: list[tuple[str, tuple[Op, ...], float, str]] = []
    asked_destructive = bool(
        _DESTRUCTIVE_WORDS.search(grammar.clean(text))
        or re.search(_OTHER_DOMAIN[domain], grammar.clean(text))
    )
    for c in cands:
        if _contradicts(said, set(grammar.tokens(c.command))):
            continue
        if not asked_destructive and _destructive(c.command):
            continue  # never guess "another person" / "start over" (convo)
        read = _reading(c.command, text, domain, attrs)
        if not read:
            continue
        key = tuple(read)
        if any(r[1] == key for r in readings):
            continue
        readings.append((c.command, key, c.score, c.matched))
    if not readings or readings[0][2] < FLOOR:
        best = readings[0][2] if readings else None
        return ParseResult(
            ops=(),
            source="unknown",
            score=best,
            message="I didn't understand that; try 'help' for what I can do",
        )
    label, ops, score, matched = readings[0]
    runner_up = readings[1][2] if len(readings) > 1 else 0.0
    negated = bool(_NEGATIONS & said) and not (_NEGATIONS & set(grammar.tokens(label)))
    if (
        score >= ACCEPT
        and score - runner_up >= MARGIN
        and not negated
        and (sure or not any(o.edits for o in ops))
    ):
        return ParseResult(
            ops=ops, source="fallback", score=round(score, 4), matched=matched, message=note
        )
    question = clarify.make([(r[0], r[1]) for r in readings[:2]])
    if question is None:
        return ParseResult(
            ops=(),
            source="unknown",
            score=round(score, 4),
            message="I didn't understand that; try 'help' for what I can do",
        )
    return ParseResult(
        ops=(),
        source="clarify",
        score=round(score, 4),
        clarification=question,
        matched=matched,
        message=note,
    )
