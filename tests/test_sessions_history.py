"""The history tree: taking a turn back, redo pointers, steps."""

from sessions import ops as O
from sessions.session import Session
from sessions.state import ImageState


def test_revert_turn_restores_the_tree_and_makes_no_step():
    s = Session(ImageState.new("faces", 4))
    s.play([O.Set("eyewear", "glasses")])                # 1: node 1
    s.play([O.Set("hat", True)])                         # 2: node 2
    s.play([O.Undo()])                                   # 3: back on node 1, redo → 2
    before = s.state
    out = s.play([O.Set("beard", True), O.Undo(), O.Set("hair_color", "red")])
    assert out.changed and len(s.history.nodes) == 5
    assert s.revert_turn() == 3                         # a turn that changed nothing: no step
    h = s.history
    assert s.state == before and s.step == 3 and h.state_at(3) == before
    assert sorted(h.nodes) == [0, 1, 2] and h.nodes[1].children == [2]
    s.play([O.Redo()])                                   # redo still goes to the hat
    assert s.state.attributes["hat"] and not s.state.attributes["beard"]
    s.play([O.Set("beard", True)])                       # ids continue without a gap
    assert s.history.cursor == 3 and s.history.current.parent == 2


def test_revert_turn_restores_what_again_repeats():
    s = Session(ImageState.new("faces", 4))
    s.play([O.Adjust("yaw", -15)])
    s.play([O.Adjust("pitch", 10)])
    s.revert_turn()
    s.play([O.Repeat()])
    assert s.state.attributes["yaw"] == -30 and s.state.attributes["pitch"] == 0


def test_goto_a_missing_step_changes_nothing():
    s = Session(ImageState.new("chairs", 1))
    out = s.play([O.Goto(7)])
    assert not out.changed and out.meta == [("goto_missing", (7, 0))]
    out = s.play([O.Goto(True)])
    assert not out.changed and s.step == 0              # turns that change nothing make no step


def test_another_person_changes_only_identity_and_z():
    s = Session(ImageState.new("faces", 4))
    s.play([O.Set("eyewear", "sunglasses"), O.LatentMove("smile", 1.0), O.Adjust("yaw", -15)])
    before = s.state
    out = s.play([O.NewSeed()])
    after = s.state
    assert out.ops[0].seed is not None and after.attributes["identity"] == out.ops[0].seed
    assert after.z != before.z and after.offsets == before.offsets
    assert {k for k in after.attributes if after.attributes[k] != before.attributes[k]} == {
        "identity"}
