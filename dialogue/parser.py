"""The parse cascade: text → ``ParseResult``.

1. an answer to the open clarifying question ("yes", "the second", "sunglasses");
2. the deterministic grammar (``dialogue.grammar``);
3. a command that reads as another domain's edit → "unknown" with a hint;
4. the fallback: spelling corrected against the grammar's vocabulary, then the
   nearest exemplar by sentence embedding, accepted above a calibrated threshold;
5. below it (above a floor) a clarifying question offering the two best readings;
   below the floor, "unknown".

``parse`` never raises for any input string and returns ops only when it read some.
"""

from __future__ import annotations

import difflib
import functools
import re
import statistics
import time
from typing import Any, Callable, Sequence

from dialogue import clarify, grammar
from dialogue import lexicon as L
from dialogue.types import ParseContext, ParseResult
from generators.schema import SCHEMAS
from sessions.ops import Op, Set

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
_OPPOSITES = ({"left"}, {"right"}), ({"up", "higher", "above", "more", "increase", "in",
                                      "brighter"},
                                     {"down", "lower", "below", "less", "decrease", "out",
                                      "darker"})


def parse(text: Any, context: ParseContext | None = None) -> ParseResult:
    """Read ``text`` in ``context``; never raises."""
    try:
        return _parse(text if isinstance(text, str) else str(text), context or ParseContext())
    except Exception as e:  # a bug must not cost the user their session
        return ParseResult(ops=(), source="unknown",
                           message=f"internal parser error ({type(e).__name__}); nothing changed")


def _parse(text: str, ctx: ParseContext) -> ParseResult:
    domain = ctx.domain if ctx.domain in SCHEMAS else "faces"
    attrs = dict(ctx.attributes or {})
    cleaned = grammar.clean(text)
    if not re.search(r"\w", cleaned):
        return ParseResult(ops=(), source="empty", message="nothing to do")
    note = None
    if len(cleaned) > grammar.MAX_CHARS:
        note = f"only the first {grammar.MAX_CHARS} characters were read"
        text = cleaned[:grammar.MAX_CHARS]

    if ctx.pending is not None:
        pick = clarify.answer(text, ctx.pending)
        if pick == clarify.DECLINED:
            return ParseResult(ops=(), source="unknown", message="okay, nothing changed")
        if pick is not None:
            label, ops = ctx.pending.options[pick]
            return ParseResult(ops=tuple(ops), source="resolved", matched=label)

    ops = grammar.parse_ops(text, domain, attrs)
    if ops and _empty_describe(ops):                       # reader: see _read below
        return _read(text, domain, attrs, note, describe=ops[-1]) or ParseResult(
            ops=(), source="unknown", message=_NOTHING_DESCRIBED)
    if ops and _doubtful(ops, cleaned):                    # reader: see _read below
        read = _read(text, domain, attrs, note)
        if read is not None:
            return read
    if ops:
        return ParseResult(ops=tuple(ops), source="grammar", message=note)
    if not grammar.tokens(cleaned[:grammar.MAX_CHARS]):
        chat = _read(text, domain, attrs, note, chat_only=True)   # "hi", "thanks!", "ok"
        return chat or ParseResult(ops=(), source="empty", message="nothing to do")

    foreign = grammar.foreign_attribute(text, domain)
    if foreign is not None:
        other, attr = foreign
        return ParseResult(ops=(), source="unknown",
                           message=f"{domain} don't have {attr}; switch to {other} first")

    corrected = _spell_corrected(text, domain, attrs)
    if corrected is not None:
        fixed, ops, score = corrected
        return ParseResult(ops=tuple(ops), source="fallback", score=score, matched=fixed,
                           message=note)
    seen: list[str] = []
    read = _read(text, domain, attrs, note, seen=seen)
    if read is not None:
        return read
    return _embedding_fallback(text, domain, attrs, note,
                               sure=not (seen and seen[0] in ("edit", "describe")))


# -- the learned request reader (dialogue.reader) -----------------------------------------
_NOTHING_DESCRIBED = ("I read that as a description, but it names nothing I can change; "
                      "try e.g. 'a smiling woman with red hair and glasses'")


def _doubtful(ops, cleaned: str) -> bool:
    """A grammar parse the reader should read again: two ops on one attribute ("not
    sunglasses, regular glasses"), or "off" read as putting something on ("hat off")."""
    attrs = [getattr(o, "attr", None) for o in ops if getattr(o, "attr", None)]
    if len(attrs) != len(set(attrs)):
        return True
    return bool(re.search(r"\boff\b", cleaned)) and any(
        getattr(o, "value", None) is True or (getattr(o, "attr", None) == "eyewear"
                                              and getattr(o, "value", None) != "none")
        for o in ops)


def _empty_describe(ops) -> bool:
    from sessions.ops import Describe
    return isinstance(ops[-1], Describe) and not ops[-1].attributes


def _respelled(text: str) -> str:
    """``text`` with misspelt words (unknown to the vocabulary and to the encoder's
    word list) replaced by their nearest vocabulary word ("put a hta on her" → "put a
    hat on her"; "eyes" is a word and stays)."""
    from dialogue import reader
    vocab = _vocabulary()
    known = set(vocab) | {w for p in L.POLITENESS for w in p.split()}
    out = []
    for w in re.findall(r"[a-z]+|[^a-z]+", grammar.clean(text)):
        if w.isalpha() and len(w) >= 3 and w not in known and not reader.known_word(w):
            best = difflib.get_close_matches(w, vocab, n=1,
                                             cutoff=SPELL_CUTOFF if len(w) > 3 else 0.6)
            w = best[0] if best else w
        out.append(w)
    return "".join(out)


def _read(text: str, domain: str, attrs, note: str | None,
          describe=None, chat_only: bool = False,
          seen: list[str] | None = None) -> ParseResult | None:
    """The reader's reading of ``text``: ops above its threshold, a one-option question
    about the thing in doubt below it, a short reply for chat and out-of-schema requests;
    None when the reader is unavailable or reads "none of these" (the fallback goes on).
    ``describe``: the grammar's attribute-less Describe, to fill with what the reader finds."""
    from dialogue import reader, reader_replies
    try:
        r = reader.read(text, domain)
    except Exception:          # no model or weights: the older fallback goes on
        return None
    if r.act == "cant" and not chat_only:               # maybe a typo: read it respelled
        fixed = _respelled(text)
        if fixed != grammar.clean(text):
            r2 = reader.read(fixed, domain)
            if r2.act in ("edit", "describe") and r2.confidence >= reader.ACCEPT:
                r = r2
    if seen is not None:
        seen.append(r.act)
    if r.act == "chat" and not reader_replies.has_chat_word(text):
        return None                                      # a lone "please" is no chat
    if r.act in ("chat", "cant") and r.act_p >= reader.ACCEPT and describe is None:
        msg = (reader_replies.chat_reply(text) if r.act == "chat"
               else reader_replies.cant_reply(text, domain))
        return ParseResult(ops=(), source=r.act, score=round(r.act_p, 4), message=msg)
    if chat_only:
        return None
    if describe is not None and r.act == "edit":
        import dataclasses
        r = dataclasses.replace(r, act="describe")
    ops = reader.ops_of(r, domain, attrs, text)
    if not ops and r.act == "edit" and describe is None:
        alt = reader.alternative_ops(r, domain, attrs)   # read as what is already there:
        if alt:                                          # ask about the other value
            return ParseResult(ops=(), source="clarify", score=round(r.confidence, 4),
                               clarification=clarify.ask(clarify.label_of(alt, domain),
                                                         tuple(alt)), message=note)
    if not ops and r.act == "edit" and describe is None and reader.already(r, attrs):
        return ParseResult(ops=(), source="unknown", score=round(r.confidence, 4),
                           message=f"nothing to change: {reader.already(r, attrs)}")
    if not ops:
        return None
    if describe is not None:
        ops = [describe.__class__(ops[0].attributes, describe.text)]
    puts_on = [o for o in ops if getattr(o, "value", None) is True or (
        getattr(o, "attr", None) == "eyewear" and getattr(o, "value", None) != "none")]
    if puts_on and reader.GOING.search(grammar.clean(text)):   # "those glasses should go"
        off = tuple(Set(o.attr, "none" if o.attr == "eyewear" else False) for o in puts_on)
        return ParseResult(ops=(), source="clarify", score=round(r.confidence, 4),
                           clarification=clarify.ask(clarify.label_of(off, domain), off),
                           message=note)
    if r.confidence >= reader.ACCEPT:
        return ParseResult(ops=tuple(ops), source="reader", score=round(r.confidence, 4),
                           message=note)
    question = clarify.ask(clarify.label_of(ops, domain), tuple(ops))
    return ParseResult(ops=(), source="clarify", score=round(r.confidence, 4),
                       clarification=question, message=note)


# -- spelling -------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
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
        if w.isalpha() and len(w) >= 4 and w not in known:
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
        if (said & a and not said & b and reading & b and not reading & a) or \
                (said & b and not said & a and reading & a and not reading & b):
            return True
    return False


def _embedding_fallback(text: str, domain: str, attrs, note: str | None,
                        sure: bool = True) -> ParseResult:
    """``sure=False``: the reader read an edit it could not settle, so a confident
    embedding match (blind to polarity) is asked about instead of applied."""
    from dialogue import fallback
    try:
        cands = fallback.nearest(text, domain, k=6)
    except fallback.EmbeddingUnavailable as e:
        return ParseResult(ops=(), source="unknown",
                           message=f"I couldn't read that as a command, and {e}")
    said = set(grammar.tokens(grammar.clean(text)))
    readings: list[tuple[str, tuple[Op, ...], float, str]] = []
    for c in cands:
        if _contradicts(said, set(grammar.tokens(c.command))):
            continue
        ops = _reading(c.command, text, domain, attrs)
        if not ops:
            continue
        key = tuple(ops)
        if any(r[1] == key for r in readings):
            continue
        readings.append((c.command, key, c.score, c.matched))
    if not readings or readings[0][2] < FLOOR:
        best = readings[0][2] if readings else None
        return ParseResult(ops=(), source="unknown", score=best,
                           message="I didn't understand that; try 'help' for what I can do")
    label, ops, score, matched = readings[0]
    runner_up = readings[1][2] if len(readings) > 1 else 0.0
    negated = bool(_NEGATIONS & said) and not (
        _NEGATIONS & set(grammar.tokens(label)))
    if score >= ACCEPT and score - runner_up >= MARGIN and not negated and \
            (sure or not any(o.edits for o in ops)):
        return ParseResult(ops=ops, source="fallback", score=round(score, 4), matched=matched,
                           message=note)
    question = clarify.make([(r[0], r[1]) for r in readings[:2]])
    if question is None:
        return ParseResult(ops=(), source="unknown", score=round(score, 4),
                           message="I didn't understand that; try 'help' for what I can do")
    return ParseResult(ops=(), source="clarify", score=round(score, 4), clarification=question,
                       matched=matched, message=note)


# -- speed --------------------------------------------------------------------------------
GRAMMAR_SAMPLES = ("add sunglasses", "turn left a bit", "make the background blue",
                   "add sunglasses and smile, then turn left a bit", "undo",
                   "go back to step 3", "look straight ahead", "a smiling woman with red hair")
FALLBACK_SAMPLES = ("could you give her some shades", "the hat has to go",
                    "show me from a higher viewpoint", "I'd like a gloomier look",
                    "bring back what I undid", "let me see a different face")


def benchmark(repeats: int = 50, fallback: bool = True,
              clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """p50 latency in ms of the grammar path and (model loaded) the fallback path."""
    def p50(samples: Sequence[str], n: int) -> float:
        times = []
        for _ in range(n):
            for s in samples:
                t0 = clock()
                parse(s)
                times.append((clock() - t0) * 1000)
        return statistics.median(times)

    for s in GRAMMAR_SAMPLES:          # warm the lazily built rules
        parse(s)
    out = {"grammar_p50_ms": p50(GRAMMAR_SAMPLES, repeats)}
    if fallback:
        from dialogue import fallback as fb
        if fb.warm_up():
            for s in FALLBACK_SAMPLES:
                parse(s)
            out["fallback_p50_ms"] = p50(FALLBACK_SAMPLES, max(1, repeats // 5))
    return out
