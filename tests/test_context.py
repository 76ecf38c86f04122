"""The dialogue context (issue #22) and the counting of image steps (#26)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from dialogue.context import DialogueContext
from dialogue.manager import DialogueManager
from dialogue.resolve import Facts, resolve
from sessions.log import load_log
from sessions.state import ImageState


@pytest.fixture
def m(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(tmp_path))
    mgr = DialogueManager("faces", 5, "studio", log_dir=tmp_path, session_name="c")
    mgr.start()
    return mgr


def test_a_correction_is_one_turn_and_undo_goes_before_the_corrected_one(m, tmp_path):
    m.turn("add a hat")
    m.turn("add glasses")
    r = m.turn("no, sunglasses")
    assert r.state.attributes["eyewear"] == "sunglasses" and r.step == 3
    assert r.reply.startswith("Instead of 'add glasses':") and "sunglasses" in r.reply
    assert "corrects 'add glasses'" in r.record()["resolved"]
    m.turn("undo")
    assert m.state.attributes["eyewear"] == "none" and m.state.attributes["hat"]
    recs = load_log(tmp_path / "c.jsonl").records
    assert [x["input"] for x in recs[1:]] == ["add a hat", "add glasses", "no, sunglasses", "undo"]


def test_turns_that_change_nothing_are_logged_but_are_no_steps(m, tmp_path):
    m.turn("add a hat")
    for line in ("what is she wearing?", "help", "thanks", "make her look older", "history"):
        r = m.turn(line)
        assert not r.changed and r.step == 1
    r = m.turn("smile")
    assert (r.turn, r.step) == (7, 2)
    assert [(e.step, e.input) for e in m.history()] == [(0, ""), (1, "add a hat"), (2, "smile")]
    r = m.turn("go back to step 1")
    assert not m.state.attributes["expression"] == "happy" and m.state.attributes["hat"]
    assert "no step -1" in m.turn("go back to step -1").reply
    recs = load_log(tmp_path / "c.jsonl").records
    assert len(recs) == 10 and recs[-1]["step"] == 3 and recs[-1]["turn"] == 9


def test_the_context_survives_a_resume(m, tmp_path):
    m.turn("turn left")
    m.turn("what did you change?")
    m.close()
    again = DialogueManager.resume("c", log_dir=tmp_path)
    assert again.context.move_attr == "yaw" and again.turns == 2
    r = again.turn("even further")
    assert r.state.attributes["yaw"] == -30 and r.step == 2
    assert "continuing the last move" in r.resolved


def test_context_round_trips_through_json():
    ctx = DialogueContext(domain="chairs", last_input="turn it left", attr="azimuth",
                          move_attr="azimuth", move_delta=-30.0, move_is_last=True,
                          last_ops=({"op": "adjust", "attr": "azimuth", "delta": -30.0},),
                          last_step_before=0, last_step=1)
    assert DialogueContext.from_json(json.loads(json.dumps(ctx.to_json()))) == ctx
    assert DialogueContext.from_json({"bogus": 1, "domain": "faces"}) == DialogueContext()
    assert DialogueContext.from_json(None) == DialogueContext()


def test_questions_are_answered_not_guessed(m):
    m.turn("add sunglasses")
    r = m.turn("what did you change?")
    assert r.kind == "question" and not r.changed and "sunglasses" in r.reply
    assert "another person" not in r.reply and not r.suggestions
    r = m.turn("which way is he facing?")
    assert "straight at the camera" in r.reply


def test_save_as_checks_the_name(m, tmp_path):
    m.turn("add a hat")
    r = m.turn("save as My-Portrait_1")
    assert (tmp_path / "My-Portrait_1.jsonl").exists() and "Saved a copy" in r.reply
    for bad in ("save as ../evil", "save as a/b", "save as two words", "save as ..x"):
        r = m.turn(bad)
        assert "can't be a session name" in r.reply and not r.changed
    assert not (tmp_path.parent / "evil.jsonl").exists()


def test_the_jsonl_record_says_how_a_line_was_resolved(m):
    m.turn("look up")
    rec = m.turn("higher").record()
    assert rec["resolved"] == "'higher' → pitch +10°, continuing the last move"
    assert "resolved" not in m.turn("add a hat").record()


_WORDS = st.sampled_from("no , it them that higher further the other way not hair background "
                         "sorry i meant what which 30 degrees twice as much take off make blue "
                         "? ! left right and thanks hi profile around from above".split())


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORDS, max_size=8), st.sampled_from(["faces", "chairs"]))
def test_resolve_never_raises(words, domain):
    state = ImageState.new(domain, 1, "studio")
    ctx = DialogueContext(domain=domain, last_input="turn left", attr="background"
                          if domain == "faces" else "color", object=None,
                          move_attr="yaw" if domain == "faces" else "azimuth", move_delta=-15.0,
                          move_is_last=True, last_ops=({"op": "adjust", "attr": "yaw",
                                                        "delta": -15.0},),
                          last_step_before=0, last_step=0)
    facts = Facts(domain, dict(state.attributes), 0, 1, lambda n: state)
    res = resolve(" ".join(words), ctx, facts)
    assert res is None or res.ops or res.reply


def test_readme_promises_of_issue_26(m):
    m.turn("add glasses")
    r = m.turn("glasses off")
    assert r.state.attributes["eyewear"] == "none" and "Took off the glasses" in r.reply
    assert m.turn("fully left").state.attributes["yaw"] == -60
    r = m.turn("from above")                            # a face: its pitch
    assert r.state.attributes["pitch"] == -20 and "pitch" in r.record()["resolved"]
    assert m.turn("remove the beard").reply == "They don't have a beard."
    for line in ("go back two steps", "undo 3 times", "undo twice", "go back 2 steps"):
        r = m.turn(line)
        assert "goto" not in r.reply and "'" not in r.reply.split(":")[0]


def test_a_bare_amount_continues_the_last_move_or_asks_what(tmp_path):
    m = DialogueManager("chairs", 5, "studio", log=False)
    m.start()
    r = m.turn("30 degrees")
    assert not r.changed and "of what?" in r.reply
    m.turn("turn it left")
    assert m.turn("30 degrees").state.attributes["azimuth"] == 330


def test_clarifications_show_words_not_op_names_and_never_guess_destruction():
    from dialogue import clarify, parser
    assert clarify.label("goto 3") == "go back to step 3"
    assert clarify.label("hair_color red") == "red hair color"
    assert clarify.label("eyewear none") == "remove glasses"
    assert parser._destructive("another person") and parser._destructive("reset")
    assert not parser._destructive("add a hat")
    assert not parser._DESTRUCTIVE_WORDS.search("what did you change")
    assert parser._DESTRUCTIVE_WORDS.search("show me someone else")


def test_stray_yes_and_no_change_nothing(m):
    m.turn("add a hat")
    for line in ("yes", "no", "thanks!", "hello", "perfect, that's all for now, thanks"):
        r = m.turn(line)
        assert not r.changed and r.kind == "social" and r.state.attributes["hat"]


def test_replies_are_built_from_parts():
    from dialogue.replies import Reply
    r = Reply(changed=["turned them 15° to the left", "added a hat"],
              clamped=["They are already looking as far left as I can turn them."])
    assert r.text() == ("Turned them 15° to the left and added a hat. They are already "
                        "looking as far left as I can turn them.")
    r.read_as, r.instead_of = "turn left", "add glasses"
    assert r.text().startswith("(Read as 'turn left'.) Instead of 'add glasses': turned them")
    assert Reply().text() == "Nothing changed."
    assert Reply(notes=["The dcgan has no hats."]).text() == "The dcgan has no hats."
    assert Reply(whole="Which one?", errors=["I couldn't render the image."]).text() == \
        "Which one? I couldn't render the image."
