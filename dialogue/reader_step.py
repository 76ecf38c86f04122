"""The learned request reader's step in the parse cascade (``dialogue.parser``).

``read`` turns the reader's reading (``dialogue.reader``) of a line into a
``ParseResult``: ops above its threshold, one question about the thing in doubt below
it, a short reply for conversation acts and for requests outside the schema, or None
(the reader is unavailable or reads "none of these": the embedding fallback goes on).
The parser calls it after the grammar and the spelling correction, for a grammar
description that named no attribute, and for a doubtful grammar parse.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

from dialogue import clarify, grammar, lexicon as L
from dialogue.types import ParseResult
from sessions.ops import Describe, Set, Toggle

NOTHING_DESCRIBED = (
    "I read that as a description, but it names nothing I can change; "
    "try e.g. 'a smiling woman with red hair and glasses'"
)


def a_word(word: str) -> bool:
    """Whether ``word`` is a whole word of the encoder's word list ("hate", "subtle"): not
    a misspelling to correct toward the vocabulary ("hat", "subtler").  False when the
    word list cannot be loaded."""
    from dialogue import reader

    try:
        return reader.known_word(word)
    except Exception:
        return False


_SO_ADJ = re.compile(r"\b(?:so|that|as|too)\s+(?!much\b)[a-z]+")


def doubtful(ops, cleaned: str) -> bool:
    """A grammar parse the reader should read again: two ops on one attribute ("not
    sunglasses, regular glasses"), "off" read as putting something on ("hat off"), or
    a negated expression with a degree ("don't look so angry": less angry)."""
    attrs = [getattr(o, "attr", None) for o in ops if getattr(o, "attr", None)]
    if len(attrs) != len(set(attrs)):
        return True
    if _SO_ADJ.search(cleaned) and any(
        getattr(o, "attr", None) == "expression" and getattr(o, "value", None) == "neutral"
        for o in ops
    ):
        return True  # "don't look so angry": less angry, not neutral
    return bool(re.search(r"\boff\b", cleaned)) and any(
        getattr(o, "value", None) is True
        or (getattr(o, "attr", None) == "eyewear" and getattr(o, "value", None) != "none")
        for o in ops
    )


def empty_describe(ops) -> bool:
    return isinstance(ops[-1], Describe) and not ops[-1].attributes


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (a swap of two letters is one edit: "hta" -> "hat")."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _domain_words(domain: str) -> frozenset[str]:
    from dialogue import reader_corpus as C

    words: set[str] = set()
    for s in C.slots(domain):
        words |= C._ground_words(domain, s.attr)
    for (d, _), groups in C.NUMERIC_WORDS.items():
        if d == domain:
            for phrases in groups.values():
                for p in phrases:
                    words.update(p.split())
    return frozenset(words)


def _closest(word: str, vocab, domain: str | None) -> str | None:
    """The vocabulary word ``word`` most likely misspells: fewest edits (a swap counts
    one), then a word of the domain ("blak" -> "black" for a chair, not "blank"), then
    difflib's similarity."""
    from dialogue.parser import SPELL_CUTOFF

    cands = difflib.get_close_matches(
        word, vocab, n=6, cutoff=SPELL_CUTOFF if len(word) > 3 else 0.6
    )
    if not cands:
        return None
    near = _domain_words(domain) if domain else frozenset()
    return min(
        cands,
        key=lambda c: (
            _edits(word, c),
            c not in near,
            -difflib.SequenceMatcher(None, word, c).ratio(),
        ),
    )


def _respelled(text: str, domain: str | None = None) -> str:
    """``text`` with misspelt words (unknown to the vocabulary and to the encoder's
    word list) replaced by their nearest vocabulary word ("put a hta on her" → "put a
    hat on her"; "eyes" is a word and stays)."""
    from dialogue.parser import _vocabulary

    vocab = _vocabulary()
    known = set(vocab) | {w for p in L.POLITENESS for w in p.split()}
    out = []
    for w in re.findall(r"[a-z]+|[^a-z]+", grammar.clean(text)):
        if w.isalpha() and len(w) >= 3 and w not in known and not a_word(w):
            w = _closest(w, vocab, domain) or w
        out.append(w)
    return "".join(out)


# where a line's request follows a complaint or a remark: "she looks too grumpy,
# cheer her up a little", "it's too dark; brighten it"
_CLAUSES = re.compile(r"[,;]| so | but ")


def last_clause_agrees(text: str, domain: str, attrs, ops) -> bool:
    """Whether the grammar reads the line's last clause alone as exactly ``ops``.

    The reader reads the whole line; below its threshold it would ask.  When the
    request is the last clause and the deterministic grammar, reading that clause
    alone, finds the same edits, two independent readings agree, and the line is
    taken without asking."""
    parts = [p.strip() for p in _CLAUSES.split(grammar.clean(text)) if p.strip()]
    if len(parts) < 2 or not ops:
        return False
    last = grammar.parse_ops(parts[-1], domain, attrs)
    return bool(last) and not doubtful(last, parts[-1]) and tuple(last or ()) == tuple(ops)


def read(
    text: str,
    domain: str,
    attrs,
    note: str | None,
    describe=None,
    chat_only: bool = False,
    seen: list[str] | None = None,
) -> ParseResult | None:
    """The reader's reading of ``text``: ops above its threshold, a one-option question
    about the thing in doubt below it, a short reply for chat and out-of-schema requests;
    None when the reader is unavailable or reads "none of these" (the fallback goes on).
    ``describe``: the grammar's attribute-less Describe, to fill with what the reader finds."""
    from dialogue import reader, reader_replies

    try:
        r = reader.read(text, domain)
    except Exception:  # no model or weights: the older fallback goes on
        return None
    unsure = r.act in ("cant", "other") or (
        r.act == "chat" and not reader_replies.has_chat_word(text)
    )
    if unsure and not chat_only:  # maybe a typo: read it respelled
        fixed = _respelled(text, domain)
        if fixed != grammar.clean(text):
            ops = grammar.parse_ops(fixed, domain, attrs) if describe is None else None
            if (
                ops
                and all(o.edits for o in ops)
                and not doubtful(ops, fixed)
                and not empty_describe(ops)
            ):
                return ParseResult(
                    ops=tuple(ops), source="fallback", score=None, matched=fixed, message=note
                )
            r2 = reader.read(fixed, domain)
            if r2.act in ("edit", "describe") and r2.confidence >= reader.ACCEPT:
                r = r2
    r = reader.polarity(reader.ground(r, domain, text), domain, text)
    if seen is not None:
        seen.append(r.act)
    if r.act == "chat" and not reader_replies.has_chat_word(text):
        return None  # a lone "please" is no chat
    if r.act in ("chat", "cant") and r.act_p >= reader.ACCEPT and describe is None:
        msg = (
            reader_replies.chat_reply(text)
            if r.act == "chat"
            else reader_replies.cant_reply(text, domain)
        )
        return ParseResult(ops=(), source=r.act, score=round(r.act_p, 4), message=msg)
    if chat_only:
        return None
    if describe is not None and r.act == "edit":
        r = dataclasses.replace(r, act="describe")
    ops = reader.ops_of(r, domain, attrs, text)
    if not ops and r.act == "edit" and describe is None:
        alt = reader.alternative_ops(r, domain, attrs, text)  # read as what is shown:
        if alt:  # ask about the other value
            return ParseResult(
                ops=(),
                source="clarify",
                score=round(r.confidence, 4),
                clarification=clarify.ask(clarify.label_of(alt, domain), tuple(alt)),
                message=note,
            )
    if not ops and r.act == "edit" and describe is None and reader.already(r, attrs):
        return ParseResult(
            ops=(),
            source="unknown",
            score=round(r.confidence, 4),
            message=f"nothing to change: {reader.already(r, attrs)}",
        )
    if not ops:
        return None
    if describe is not None:
        found = ops[0]
        assert isinstance(found, Describe)  # ops_of reads a "describe" act so
        ops = [Describe(found.attributes, describe.text)]
    puts_on = [
        o
        for o in ops
        if getattr(o, "value", None) is True
        or (getattr(o, "attr", None) == "eyewear" and getattr(o, "value", None) != "none")
    ]
    if puts_on and reader.GOING.search(grammar.clean(text)):  # "those glasses should go"
        off = tuple(
            Set(o.attr, "none" if o.attr == "eyewear" else False)
            for o in puts_on
            if isinstance(o, (Set, Toggle))
        )
        return ParseResult(
            ops=(),
            source="clarify",
            score=round(r.confidence, 4),
            clarification=clarify.ask(clarify.label_of(off, domain), off),
            message=note,
        )
    if r.confidence >= reader.ACCEPT or last_clause_agrees(text, domain, attrs, ops):
        return ParseResult(
            ops=tuple(ops), source="reader", score=round(r.confidence, 4), message=note
        )
    question = clarify.ask(clarify.label_of(ops, domain), tuple(ops))
    return ParseResult(
        ops=(), source="clarify", score=round(r.confidence, 4), clarification=question, message=note
    )
