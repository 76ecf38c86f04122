"""Fuzzing: every input gets a result and nothing raises; ops come only with a
reading (grammar, fallback or a resolved question)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogue import fallback
from dialogue.parser import parse
from dialogue.types import Clarification, ParseContext, ParseResult
from sessions.ops import Op, Redo, Set, Undo, op_from_json, op_to_json

HOSTILE = [
    "", " ", "\t\n\r", "x" * 10_000, "add sunglasses " * 800, "\x00\x01\x02\x1b[31mred\x1b[0m",
    "\u202eadd sunglasses", "🙂🙂🙂", "add 🕶️ please", "أضف نظارات شمسية", "שלום עולם",
    "добавь очки", "眼鏡をかけて", "'; DROP TABLE sessions; --", "$(rm -rf /)", "`reboot`",
    "&& cat /etc/passwd", "<script>alert(1)</script>", "%s%s%s%n", "{{7*7}}", "${jndi:ldap://x}",
    "1e309", "-1e309", "turn left 1e309 degrees", "set yaw to 1e309", "-0", "set yaw to -0",
    "step -1", "goto 1e9", "step 99999999999999999999999", "NaN", "set brightness to nan",
    "inf", "0x1F", "\ufeffundo", "\u200b\u200b", "und\u00ado", "ＡＤＤ　ＳＵＮＧＬＡＳＳＥＳ",
    "and and and", ", , ,", "then then", ";;;;", "a", "an", "a a a a", "the the the",
    "a woman " * 300, "make", "turn", "no", "yes", "the second one", "halfway between",
    "\\", "\"", "'", "..", "-", "+", "~half", "#30", "°", "%",
]

CLAR = Clarification(question="Did you mean 'undo' or 'redo'?",
                     options=(("undo", (Undo(),)), ("redo", (Redo(),))))


@pytest.fixture(scope="module", autouse=True)
def model():
    import torch
    torch.set_num_threads(1)
    fallback.warm_up()
    yield


def check(result, text):
    assert isinstance(result, ParseResult), text
    assert result.source in ("grammar", "fallback", "clarify", "resolved", "unknown", "empty",
                             "reader", "chat", "cant")
    assert isinstance(result.ops, tuple)
    if result.ops:
        assert result.source in ("grammar", "fallback", "resolved", "reader"), (text, result)
        for op in result.ops:
            assert isinstance(op, Op)
            assert op_from_json(op_to_json(op)) == op
    else:
        assert result.source in ("clarify", "unknown", "empty", "chat", "cant"), (text, result)
    if result.source == "clarify":
        assert result.clarification is not None and result.clarification.options
    if result.source in ("unknown", "empty", "chat", "cant"):
        assert result.message


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("domain", ["faces", "chairs"])
def test_hostile_strings(text, domain):
    check(parse(text, ParseContext(domain=domain)), text)
    check(parse(text, ParseContext(domain=domain, pending=CLAR)), text)


def test_long_input_reads_only_a_prefix():
    r = parse("x" * 10_000)
    assert "first 500 characters" in (r.message or "") or r.source in ("unknown", "clarify")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text(text):
    check(parse(text), text)


WORDS = ["add", "remove", "no", "turn", "left", "right", "up", "a bit", "a lot", "and", ",",
         "then", "30", "degrees", "to", "-0.5", "1e309", "sunglasses", "hat", "smile",
         "hair", "red", "background", "chair", "zoom", "in", "step", "3", "undo", "more",
         "less", "a", "woman", "with", "please", "light", "from", "the", "black", "white"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=10), st.sampled_from(["faces", "chairs"]),
       st.fixed_dictionaries({}, optional={"expression": st.sampled_from(
           ["neutral", "happy", "sad"]), "skin_tone": st.sampled_from(["light", "dark"])}))
def test_random_commands(words, domain, attrs):
    text = " ".join(words)
    check(parse(text, ParseContext(domain=domain, attributes=attrs)), text)


def test_grammar_ops_are_valid_for_the_domain():
    from generators.schema import get_schema
    for text in ("add sunglasses", "turn left a lot", "set yaw to 99", "zoom in"):
        for domain in ("faces", "chairs"):
            for op in parse(text, ParseContext(domain=domain)).ops:
                if isinstance(op, Set):
                    get_schema(domain).coerce(op.attr, op.value)
