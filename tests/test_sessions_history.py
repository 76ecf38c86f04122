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


def test_a_log_from_before_image_steps_keeps_its_numbering(tmp_path):
    """Records without "step" counted every turn as a step: "go back to step 3"
    in such a log still means the state after its third turn."""
    import json

    from dialogue.manager import DialogueManager
    from sessions.replay import replay
    m = DialogueManager("faces", 3, "studio", log_dir=tmp_path, session_name="old")
    m.start()
    m.turn("add a hat")
    m.turn("help")
    m.turn("smile")
    m.close()
    path = tmp_path / "old.jsonl"
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for r in recs:
        r.pop("step", None)
    # the old numbering: turn 3 (smile) was step 3; a goto logged then
    recs.append({**recs[-1], "turn": 4, "input": "go back to step 2",
                 "ops": [{"op": "goto", "step": 2}], "image_sha256": None})
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    res = replay(path)
    assert res.turns[-1].state.attributes["hat"]
    assert res.turns[-1].state.attributes["expression"] == "neutral"   # step 2 = after "help"
    again = DialogueManager.resume(path)
    assert again.state.attributes["expression"] == "neutral" and again.step == 4
