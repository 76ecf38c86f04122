"""The dialogue manager: replies, meta commands, clarification, hostile input."""

import pytest

from dialogue.manager import DialogueManager
from dialogue.types import Clarification, ParseResult
from sessions import ops as O

HOSTILE = ["", "   ", "\t\n", "x" * 10_000, "\x00\x07\x1b[31mred\x1b[0m", "😀🕶️🎩",
           "مرحبا بالعالم", "שלום", "$(rm -rf /)", "; DROP TABLE sessions; --", "1e309", "-0",
           "go back to step 1e309", "go back to step -1", "turn left 1e309 degrees",
           "set yaw to nan", "%s%s%n", "../../etc/passwd", "undo" * 500]


@pytest.fixture
def m(tmp_path):
    mgr = DialogueManager("faces", 3, log_path=tmp_path / "s.jsonl")
    mgr.start()
    return mgr


def test_replies_say_what_changed(m):
    r = m.turn("add sunglasses and smile, then turn left a bit")
    assert r.changed and r.kind == "edit"
    assert r.reply.startswith("Added sunglasses") and "7.5° to the left" in r.reply
    a = r.state.attributes
    assert a["eyewear"] == "sunglasses" and a["expression"] == "happy" and a["yaw"] == -7.5


def test_limits_are_explained(m):
    m.turn("face fully left")
    r = m.turn("turn left")
    assert not r.changed and "as far left as I can turn them" in r.reply


def test_noop_and_unknown_change_nothing(m):
    m.turn("add sunglasses")
    before = m.state
    r = m.turn("add sunglasses")
    assert not r.changed and "already wearing sunglasses" in r.reply
    r = m.turn("qwzx vbnm plokij")
    assert not r.changed and m.state == before and r.kind in ("unknown", "clarify")


def test_help_suggests_from_schema_and_state(m):
    r = m.turn("help")
    assert r.kind == "help" and "add sunglasses" in r.suggestions
    m.turn("add sunglasses")
    assert "take off the glasses" in m.turn("what can I do?").suggestions


def test_more_less_again(m):
    m.turn("turn left")
    assert m.turn("again").state.attributes["yaw"] == -30
    assert m.turn("less").state.attributes["yaw"] == -22.5


def test_clarification_round_trip(tmp_path):
    q = Clarification("Did you mean 'add sunglasses' or 'add glasses'?",
                      (("add sunglasses", (O.Set("eyewear", "sunglasses"),)),
                       ("add glasses", (O.Set("eyewear", "glasses"),))))
    seen = []

    def parser(text, ctx):
        seen.append(ctx.pending)
        if text == "put on the dark ones maybe":
            return ParseResult((), "clarify", 0.6, q)
        from dialogue.parser import parse
        return parse(text, ctx)

    mgr = DialogueManager("faces", 1, log=False, parser=parser)
    mgr.start()
    r = mgr.turn("put on the dark ones maybe")
    assert r.kind == "clarify" and not r.changed and "Did you mean" in r.reply
    r = mgr.turn("the second one")
    assert seen[-1] == q and r.changed and r.state.attributes["eyewear"] == "glasses"


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: ascii(t[:24]))
def test_hostile_input_gets_a_reply_and_changes_nothing_unless_read(m, text):
    before = m.state
    r = m.turn(text)
    assert isinstance(r.reply, str) and r.reply
    if not r.ops or all(op["op"] in ("undo", "redo", "goto", "help", "history") for op in r.ops):
        assert m.state == before or r.ops
    assert len(r.input) <= 2000


def test_switching_domain_and_generator(m):
    r = m.turn("switch to chairs")
    assert r.state.domain == "chairs" and r.image.shape == (64, 64, 3)
    r = m.turn("use the dcgan")
    assert r.state.generator != "dcgan" or "dcgan" in r.reply
    r = m.turn("use the studio renderer")
    assert r.state.generator == "studio"


def test_replay_turn_applies_logged_ops_without_reparsing(tmp_path):
    a = DialogueManager("faces", 9, log=False)
    a.start()
    recs = [a.turn(t) for t in ("add sunglasses", "turn left a lot", "another person", "export")]
    b = DialogueManager("faces", 9, log=False, parser=lambda t, c: 1 / 0)   # never called
    b.start()
    for r in recs:
        out = b.replay_turn(r.input, r.ops)
        assert out.state == r.state and out.image_sha256 == r.image_sha256
