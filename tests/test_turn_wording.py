"""Answers that were wrong or surprising (issue 26, "Why"), each checked on a
real session: the reply and the state after it."""

from __future__ import annotations

import pytest

from dialogue.manager import DialogueManager


@pytest.fixture
def m():
    m = DialogueManager("faces", 3, "studio", log=False)
    m.verify = False
    m.start()
    yield m
    m.close()


def test_glasses_off_takes_them_off(m):
    m.turn("add glasses")
    r = m.turn("glasses off")
    assert m.state.attributes["eyewear"] == "none" and "already" not in r.reply


def test_nothing_to_take_off_is_said_in_plain_words(m):
    for line in ("remove the beard", "no beard", "take off the hat"):
        r = m.turn(line)
        assert "no a " not in r.reply and r.reply.startswith("They don't have a"), r.reply
        assert m.step == 0


@pytest.mark.parametrize("line", ["go back to step -1", "go back to step 99"])
def test_a_step_that_does_not_exist_changes_nothing(m, line):
    m.turn("add a hat")
    r = m.turn(line)
    assert r.reply.startswith("There is no step") and m.step == 1
    assert m.state.attributes["hat"] is True


@pytest.mark.parametrize("line", ["go back two steps", "go back 2 steps", "undo twice"])
def test_relative_moves_never_show_op_names(m, line):
    for text in ("add a hat", "smile", "add a beard"):
        m.turn(text)
    r = m.turn(line)
    assert "goto" not in r.reply and "'undo" not in r.reply
    assert m.state.attributes == {**m.state.attributes, "hat": True, "expression": "neutral",
                                  "beard": False}
    assert r.reply.startswith("Went back 2 steps")


def test_undo_with_nothing_left_is_said_once(m):
    assert m.turn("undo twice").reply == "Nothing to undo."
    m.turn("add a hat")
    r = m.turn("undo 3 times")
    assert r.reply == "Undid the last change: took off the hat. There was nothing more to undo."
    assert m.turn("redo twice").reply == "Redid it: put on a hat. There was nothing more to redo."


@pytest.mark.parametrize("line", ["change the pitch", "set the yaw"])
def test_a_number_attribute_without_a_number_is_no_error(m, line):
    """The grammar read 'change the pitch' as "pitch = None", and the turn failed
    with "pitch must be a number, got None"."""
    from dialogue import grammar
    assert grammar.parse_ops(line, "faces", {}) is None
    r = m.turn(line)
    assert "must be a number" not in r.reply and r.kind != "error" and m.step == 0


def test_what_did_you_change_is_answered_not_guessed(m):
    m.turn("add glasses")
    r = m.turn("what did you change?")
    assert r.kind == "question" and "another person" not in r.reply and m.step == 1


def test_no_op_turns_are_not_steps(m):
    m.turn("add a hat")
    for line in ("help", "history", "what is she wearing?", "thanks", "30 degrees"):
        m.turn(line)
    assert m.step == 1
    assert m.turn("history").reply.endswith("1: add a hat.")


def test_higher_after_a_left_turn_is_not_a_right_turn(m):
    """'higher' was read as "more yaw" about the yaw last mentioned, and
    turned the head right; now it is asked about, and after a tilt it goes on."""
    m.turn("turn left")
    r = m.turn("higher")
    assert m.state.attributes["yaw"] == -15.0 and "right" not in r.reply
    m.turn("look up")
    m.turn("higher")
    assert m.state.attributes["pitch"] == 20.0


@pytest.mark.parametrize("before, asks", [("make the hair red", "hair color to what?"),
                                          ("from above", "pitch how?"),
                                          ("add a hat", "'no hat' or 'add a hat'")])
def test_change_it_without_a_value_asks(m, before, asks):
    m.turn(before)
    state = dict(m.state.attributes)
    r = m.turn("change it")
    assert asks in r.reply and "Nothing changed" in r.reply
    assert dict(m.state.attributes) == state and m.step == 1
