"""The deterministic grammar: the hand-written corpus (tests/data/commands.jsonl)
must be read exactly on every case it claims, and its vocabulary follows the schema."""

import json
import math
import pathlib

import pytest

from dialogue import grammar
from generators.schema import BOOL, CATEGORY, DEGREES, FLOAT, SCHEMAS
from sessions.ops import Adjust, Describe, Set, SwitchDomain, op_to_json

DATA = pathlib.Path(__file__).parent / "data"
CORPUS = [json.loads(line) for line in (DATA / "commands.jsonl").read_text("utf-8").splitlines()
          if line.strip()]
GRAMMAR_ROWS = [r for r in CORPUS if r["path"] == "grammar"]
PHENOMENA = {"eyewear", "hat", "beard", "expression", "hair", "skin", "background", "pose",
             "light", "brightness", "politeness", "compound", "chairs", "meta", "describe",
             "domain_mismatch", "empty", "typo", "paraphrase"}


def same(a, b) -> bool:
    """JSON equality with numeric tolerance 1e-9 (bools are not numbers)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return a == b


def test_corpus_size_and_coverage():
    assert len(CORPUS) >= 300
    assert {r["domain"] for r in CORPUS} == {"faces", "chairs"}
    assert sum(r["domain"] == "chairs" for r in CORPUS) >= 100
    assert {r["tag"] for r in CORPUS} >= PHENOMENA


def test_grammar_reads_every_case_it_claims():
    wrong = []
    for r in GRAMMAR_ROWS:
        ops = grammar.parse_ops(r["text"], r["domain"], r.get("attributes"))
        got = [op_to_json(o) for o in ops] if ops else None
        if not same(got, r["ops"]):
            wrong.append(f"{r['domain']}: {r['text']!r} -> {got}, expected {r['ops']}")
    assert not wrong, f"{len(wrong)}/{len(GRAMMAR_ROWS)} wrong:\n" + "\n".join(wrong)


def test_grammar_claims_nothing_it_should_not():
    """Typos, paraphrases, empty input and other domains' edits get no parse."""
    for r in CORPUS:
        if r["path"] in ("fallback", "empty", "unknown"):
            assert grammar.parse_ops(r["text"], r["domain"], r.get("attributes")) is None, r


@pytest.mark.parametrize("domain", sorted(SCHEMAS))
def test_vocabulary_follows_the_schema(domain):
    """Every attribute can be set by its raw name, with the schema's values and steps."""
    schema = SCHEMAS[domain]
    for a in schema.attributes:
        name = a.name
        if a.kind == CATEGORY:
            for v in a.values:
                phrase = f"set {name} to {v}" if v not in ("four",) else f"{v} legs"
                assert grammar.parse_ops(phrase, domain) == [Set(name, v)], phrase
        elif a.kind == BOOL:
            assert grammar.parse_ops(f"add {name}", domain) == [Set(name, True)]
            assert grammar.parse_ops(f"no {name}", domain) == [Set(name, False)]
        elif a.kind in (DEGREES, FLOAT):
            mid = (a.lo + a.hi) / 2
            assert grammar.parse_ops(f"set {name} to {mid}", domain) == [Set(name, mid)]
            assert grammar.parse_ops(f"increase {name}", domain) == [Adjust(name, a.step)]
            assert grammar.parse_ops(f"decrease {name} a bit", domain) == [Adjust(name, -a.step / 2)]
            assert grammar.parse_ops(f"reset the {name}", domain) == [Set(name, a.default)]


def test_smile_depends_on_the_current_expression():
    assert grammar.parse_ops("smile", "faces", {"expression": "neutral"}) == [Set("expression", "happy")]
    assert grammar.parse_ops("smile", "faces", {"expression": "happy"}) == [
        Adjust("expression_strength", 0.25)]
    assert grammar.parse_ops("smile more", "faces", {"expression": "sad"}) == [
        Set("expression", "happy")]


def test_skin_comparatives_step_from_the_current_tone():
    assert grammar.parse_ops("darker skin", "faces", {"skin_tone": "dark"}) == [Set("skin_tone", "dark")]
    assert grammar.parse_ops("paler skin", "faces", {"skin_tone": "medium"}) == [Set("skin_tone", "light")]


def test_describe_keeps_the_users_words_and_splits_nothing():
    ops = grammar.parse_ops("Draw a Smiling woman with red hair and glasses, please!", "faces")
    assert ops == [Describe({"expression": "happy", "hair_color": "red", "eyewear": "glasses"},
                            "a Smiling woman with red hair and glasses, please")]


def test_description_of_the_other_domain_switches_first():
    assert grammar.parse_ops("show me a chair", "faces") == [SwitchDomain("chairs")]
    ops = grammar.parse_ops("a red chair", "faces")
    assert ops == [SwitchDomain("chairs"), Describe({"color": "red"}, "a red chair")]


def test_black_and_white_is_not_a_compound():
    assert grammar.parse_ops("make it black and white", "chairs") == [Set("saturation", 0.0)]


def test_every_compound_piece_must_parse():
    assert grammar.parse_ops("add sunglasses and frobnicate", "faces") is None
    assert grammar.parse_ops("turn left then", "faces") == [Adjust("yaw", -15.0)]


def test_foreign_attribute_names_the_other_domain():
    assert grammar.foreign_attribute("add sunglasses", "chairs") == ("faces", "eyewear")
    assert grammar.foreign_attribute("add armrests", "faces") == ("chairs", "armrests")
    assert grammar.foreign_attribute("brighter", "chairs") is None


@pytest.mark.parametrize("text", ["1e309", "turn left 1e309 degrees", "set yaw to nan",
                                  "yaw to -0", "step -3", "goto 2.5", "step 99999999999999999999"])
def test_odd_numbers_never_crash(text):
    ops = grammar.parse_ops(text, "faces")
    assert ops is None or all(op_to_json(o) for o in ops)


def test_minus_zero_is_zero():
    (op,) = grammar.parse_ops("set yaw to -0", "faces")
    assert op == Set("yaw", 0.0) and math.copysign(1, op.value) == 1


def test_personal_dcgan_models_by_name():
    """'use dcgan:alice' picks the personal model, 'use the dcgan model' the shipped one."""
    from dialogue.parser import parse
    from dialogue.types import ParseContext
    ctx = ParseContext(domain="faces", attributes={}, generator="studio", pending=None)
    for text, name in (("use dcgan:alice", "dcgan:alice"), ("use my dcgan bob_2", "dcgan:bob_2"),
                       ("use the dcgan", "dcgan"), ("use the dcgan model", "dcgan"),
                       ("use the dcgan now", "dcgan")):
        r = parse(text, ctx)
        assert r.source == "grammar" and [o.to_json() for o in r.ops] == \
            [{"op": "switch_generator", "name": name}], text
