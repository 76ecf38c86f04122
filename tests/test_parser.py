"""The parse cascade without the embedding model: grammar results, other
domains' words, empty and long input, clarification answers, the CLI, and the
degraded path when the model cannot be loaded."""

import json

import pytest

from dialogue import fallback, reader
from dialogue.parser import parse
from dialogue.types import Clarification, ParseContext, ParseResult
from holochat.cli import main
from sessions.ops import Adjust, Set, Undo


def ctx(domain="faces", **kw):
    return ParseContext(domain=domain, **kw)


def test_grammar_result():
    r = parse("Add sunglasses and smile, then turn left a bit")
    assert isinstance(r, ParseResult)
    assert r.source == "grammar" and r.score is None and r.clarification is None
    assert r.ops == (Set("eyewear", "sunglasses"), Set("expression", "happy"), Adjust("yaw", -7.5))


def test_context_attributes_are_used():
    r = parse("smile", ctx(attributes={"expression": "happy"}))
    assert r.ops == (Adjust("expression_strength", 0.25),)


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "!!!", "please", "\x00\x07"])
def test_empty_input(text):
    r = parse(text)
    assert r.source == "empty" and r.ops == ()


def test_other_domains_words_say_what_to_do():
    r = parse("add sunglasses", ctx("chairs"))
    assert r.source == "unknown" and r.ops == ()
    assert r.message == "chairs don't have eyewear; switch to faces first"
    r = parse("add armrests", ctx("faces"))
    assert r.message == "faces don't have armrests; switch to chairs first"


def test_long_input_is_truncated_and_said_so():
    r = parse("turn left" + ";" * 600 + "and smile")
    assert r.source == "grammar" and r.ops == (Adjust("yaw", -15.0),)
    assert "first 500 characters" in r.message


PENDING = Clarification(question="Did you mean 'add sunglasses' or 'add glasses'?",
                        options=(("add sunglasses", (Set("eyewear", "sunglasses"),)),
                                 ("add glasses", (Set("eyewear", "glasses"),))))


@pytest.mark.parametrize("answer,picked", [
    ("yes", 0), ("Yes!", 0), ("the first one", 0), ("first", 0), ("1", 0),
    ("the second", 1), ("the second one", 1), ("2", 1), ("the other one", 1),
    ("sunglasses", 0), ("glasses", 1), ("add glasses", 1), ("I meant sunglasses", 0),
])
def test_answers_resolve_the_pending_question(answer, picked):
    r = parse(answer, ctx(pending=PENDING))
    assert r.source == "resolved"
    assert r.ops == PENDING.options[picked][1]
    assert r.matched == PENDING.options[picked][0]


@pytest.mark.parametrize("answer", ["no", "neither", "cancel"])
def test_declining_changes_nothing(answer):
    r = parse(answer, ctx(pending=PENDING))
    assert r.source == "unknown" and r.ops == ()


def test_anything_else_is_parsed_normally():
    r = parse("undo", ctx(pending=PENDING))
    assert r.source == "grammar" and r.ops == (Undo(),)
    r = parse("add a hat", ctx(pending=PENDING))
    assert r.ops == (Set("hat", True),)


def test_unloadable_model_degrades_to_unknown(monkeypatch, tmp_path):
    monkeypatch.setenv(fallback.ENV_MODEL, str(tmp_path / "no-such-model"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    fallback._reset_for_tests()
    reader._reset_for_tests()              # the request reader reads the same model
    try:
        r = parse("please make the person in the picture appear considerably more gleeful")
        assert r.source == "unknown" and r.ops == ()
        assert "could not be loaded" in r.message and fallback.ENV_MODEL in r.message
        assert fallback.warm_up() is False
        assert parse("undo").ops == (Undo(),)      # the grammar still works
    finally:
        fallback._reset_for_tests()
        reader._reset_for_tests()


def test_never_raises_on_non_strings():
    assert parse(None).source in ("empty", "unknown")    # type: ignore[arg-type]
    assert isinstance(parse(12345), ParseResult)          # type: ignore[arg-type]


def test_cli_json(capsys):
    assert main(["parse", "turn", "left", "a", "bit", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj == {"source": "grammar", "score": None,
                   "ops": [{"op": "adjust", "attr": "yaw", "delta": -7.5}],
                   "clarification": None, "message": None, "matched": None}


def test_cli_domain_and_text(capsys):
    assert main(["parse", "zoom in", "--domain", "chairs"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("grammar") and '"attr": "zoom"' in out
    assert main(["parse", "add sunglasses", "--domain", "chairs"]) == 0
    assert "switch to faces first" in capsys.readouterr().out
