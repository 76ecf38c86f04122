"""Sessions: state/op JSON, pure apply, history tree, crash-safe log, replay, scripts."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sessions import ops as O
from sessions.apply import apply, interpolate
from sessions.log import LogError, LogWriteError, SessionLog, load_log
from sessions.session import Session
from sessions.state import ImageState

ROOT = Path(__file__).resolve().parents[1]

FACE_LINES = ["add sunglasses", "turn left a bit", "smile", "more", "light from the right",
              "add a hat", "undo", "undo", "make the hair red", "go back to step 2",
              "another person", "a bit brighter", "look up", "add a beard", "less",
              "redo", "take off the glasses", "blue background", "turn right a lot", "again",
              "start over", "look sad", "light from above", "darker skin", "history"]
CHAIR_LINES = ["switch to chairs", "rotate the chair", "view from higher up", "add armrests",
               "pedestal base", "make it red", "zoom in", "move it left", "taller back",
               "undo", "another chair", "turn it left a lot", "more saturated", "zoom out",
               "go back to step 30", "redo", "make it blue", "view from much higher up",
               "shift the hue by 30 degrees", "move it up", "four legs", "again", "less",
               "remove the armrests", "start over"]
SCRIPT = "\n".join(["# a 50-turn script over both domains"] + FACE_LINES + CHAIR_LINES) + "\n"


def _run(args, **kw):
    env = dict(os.environ, **kw.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "holochat", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env, **kw)


# ---- values ------------------------------------------------------------------
def test_state_and_op_json_round_trip():
    s = ImageState.new("chairs", 11).set_attributes(azimuth=123.25, armrests=True).evolve(
        offsets={"sunglasses": 0.5}, text="a comfy chair")
    back = ImageState.from_json(json.loads(json.dumps(s.to_json())))
    assert back == s and back.z == s.z
    for op in [O.Set("eyewear", "glasses"), O.Adjust("yaw", -7.5), O.Toggle("hat"),
               O.LatentMove("smile", 1.0), O.NewSeed(5), O.Describe({"hat": True}, "x"),
               O.SwitchDomain("chairs", 3), O.SwitchGenerator("studio"), O.Interpolate("first", .5),
               O.Undo(), O.Redo(), O.Goto(3), O.Reset(), O.Repeat(-0.5), O.Save("n"),
               O.Export("gif", "/tmp/x.gif", 2), O.Help(), O.ShowHistory()]:
        assert O.op_from_json(json.loads(json.dumps(op.to_json()))) == op
    with pytest.raises(O.OpError):
        O.op_from_json({"op": "explode"})
    # older logs wrote help's retired topic field; they still load
    assert O.op_from_json({"op": "help", "topic": None}) == O.Help()
    assert O.Help().to_json() == {"op": "help"}
    with pytest.raises(O.OpError):
        O.op_from_json({"op": "undo", "topic": None})
    with pytest.raises(ValueError):
        ImageState.from_json({"domain": "faces", "attributes": {}})


def test_apply_is_pure_and_reports_clamps_and_noops():
    s = ImageState.new("faces", 1)
    s2, eff = apply(s, O.Adjust("yaw", -100))
    assert s.attributes["yaw"] == 0 and s2.attributes["yaw"] == -60
    assert eff.clamps and eff.clamps[0].limit == "min"
    s3, eff = apply(s2, O.Adjust("yaw", -15))
    assert s3 == s2 and not eff.changed and eff.clamps
    s4, eff = apply(s, O.Set("eyewear", "none"))
    assert s4 == s and eff.noop
    s5, eff = apply(s, O.Set("sunglasses", True))
    assert s5 == s and "valid attributes" in eff.error
    s6, eff = apply(s, O.Adjust("yaw", float("inf")))
    assert s6 == s and eff.error


def test_interpolate_halfway_and_wrapping():
    a = ImageState.new("chairs", 1).set_attributes(azimuth=350.0, zoom=1.0)
    b = ImageState.new("chairs", 2).set_attributes(azimuth=30.0, zoom=2.0)
    m = interpolate(a, b, 0.5)
    assert m.attributes["azimuth"] == 10.0 and m.attributes["zoom"] == 1.5
    assert np.allclose(m.z, (np.array(a.z) + np.array(b.z)) / 2)


# ---- history ---------------------------------------------------------------------
def test_branching_keeps_both_branches():
    s = Session(ImageState.new("faces", 4))
    s.play([O.Set("eyewear", "glasses")])       # 1
    s.play([O.Set("hat", True)])                # 2
    s.play([O.Set("beard", True)])              # 3
    s.play([O.Undo()])                          # 4: no beard
    s.play([O.Undo()])                          # 5: no hat
    assert not s.state.attributes["hat"]
    s.play([O.Set("hair_color", "red")])        # 6: new branch
    assert s.history.branches() == 2
    s.play([O.Goto(3)])                         # 7: back onto the old branch
    a = s.state.attributes
    assert a["beard"] and a["hat"] and a["hair_color"] == "brown"
    s.play([O.Undo()])                          # 8: undo the goto
    assert s.state.attributes["hair_color"] == "red"
    assert s.history.state_at(6) == s.state
    s.play([O.Reset()])
    assert s.state == s.history.state_at(0)
    assert s.step == 9


def test_new_seed_is_resolved_deterministically():
    a, b = Session(ImageState.new("faces", 4)), Session(ImageState.new("faces", 4))
    oa, ob = a.play([O.NewSeed()]), b.play([O.NewSeed()])
    assert oa.ops == ob.ops and oa.ops[0].seed is not None and a.state == b.state


# ---- log ---------------------------------------------------------------------------
def _write_log(path, n=4):
    log = SessionLog(path)
    for i in range(n):
        log.append({"turn": i, "input": f"t{i}", "ops": [], "state": {}})
    log.close()


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path):
    p = tmp_path / "s.jsonl"
    _write_log(p)
    with open(p, "a") as f:
        f.write('{"v": 1, "turn": 4, "inp')
    loaded = load_log(p)
    assert len(loaded.records) == 4 and "cut off" in loaded.warnings[0]
    # appending after a crash starts on a fresh line and loses nothing
    log = SessionLog(p)
    log.append({"turn": 4, "input": "again"})
    log.close()
    with pytest.raises(LogError, match="line 5"):
        load_log(p)                      # the cut-off line is now in the middle: named
    try:
        load_log(p)
    except LogError as e:
        assert len(e.records) == 4


def test_corrupt_middle_line_names_file_and_line(tmp_path):
    p = tmp_path / "s.jsonl"
    _write_log(p)
    lines = p.read_text().splitlines()
    lines[2] = "{not json"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogError) as e:
        load_log(p)
    assert str(p) in str(e.value) and "line 3" in str(e.value)
    assert [r["turn"] for r in e.value.records] == [0, 1]


def test_future_version_is_refused(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps({"v": 99, "turn": 0}) + "\n")
    with pytest.raises(LogError, match="newer holochat"):
        load_log(p)


def test_unwritable_data_dir(tmp_path):
    blocked = tmp_path / "ro"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(LogWriteError, match="cannot write session log"):
        SessionLog(blocked / "sessions" / "x.jsonl")
    r = _run(["run", "-", "--jsonl"], input="add sunglasses\n",
             env={"HOLOCHAT_DATA_DIR": str(blocked)})
    assert r.returncode == 1, r.stderr          # ran, but not saved (docs/robustness.md)
    assert "cannot write session log" in r.stderr
    assert json.loads(r.stdout.splitlines()[0])["changed"] is True


def test_missing_script_is_a_clear_error(tmp_path):
    r = _run(["run", str(tmp_path / "nope.txt")])
    assert r.returncode == 2 and "no script at" in r.stderr


# ---- scripts and replay --------------------------------------------------------------
def test_run_jsonl_from_stdin_prints_only_records(tmp_path):
    r = _run(["run", "-", "--jsonl", "--seed", "3", "--out", str(tmp_path / "o")],
             input="# comment\nadd sunglasses\n\nturn left  # inline comment\n")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["turn"] for x in recs] == [1, 2]
    assert set(recs[0]) == {"turn", "step", "input", "ops", "reply", "changed", "state", "image",
                            "image_sha256", "ms", "verified"}      # faces turns are read back
    assert recs[0]["verified"]["eyewear"]["asked"] == "sunglasses"
    assert recs[1]["input"] == "turn left" and recs[1]["state"]["attributes"]["yaw"] == -15
    assert set(recs[0]["ms"]) == {"parse", "render"}
    assert Path(recs[1]["image"]).name == "turn-002.png" and (tmp_path / "o/turn-000.png").exists()


def test_fifty_turn_replay_is_deterministic_and_verified(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text(SCRIPT)
    hashes = []
    for k in range(2):
        r = _run(["run", str(script), "--jsonl", "--seed", "7", "--generator", "studio",
                  "--log", str(tmp_path / f"{k}.jsonl")])
        assert r.returncode == 0, r.stderr
        recs = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(recs) == 50
        hashes.append([x["image_sha256"] for x in recs])
    assert hashes[0] == hashes[1]
    assert any(x["state"]["domain"] == "chairs" for x in recs)
    ok = _run(["replay", str(tmp_path / "0.jsonl"), "--verify"])
    assert ok.returncode == 0 and "all 51 images match" in ok.stdout, ok.stderr
    lines = (tmp_path / "0.jsonl").read_text().splitlines()
    rec = json.loads(lines[17])
    rec["image_sha256"] = "0" * 64
    lines[17] = json.dumps(rec)
    (tmp_path / "0.jsonl").write_text("\n".join(lines) + "\n")
    bad = _run(["replay", str(tmp_path / "0.jsonl"), "--verify"])
    assert bad.returncode == 1 and "turn 17 differs" in bad.stderr


def test_sigkill_mid_run_loses_no_completed_turn(tmp_path):
    log = tmp_path / "k.jsonl"
    script = tmp_path / "long.txt"
    script.write_text("turn left a bit\nturn right a bit\n" * 500)
    p = subprocess.Popen([sys.executable, "-m", "holochat", "run", str(script), "--jsonl",
                          "--generator", "studio", "--log", str(log)],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True)
    printed = []
    for line in p.stdout:
        printed.append(json.loads(line))
        if len(printed) >= 25:
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    loaded = load_log(log)
    logged = {r["turn"]: r["image_sha256"] for r in loaded.records}
    assert all(logged[r["turn"]] == r["image_sha256"] for r in printed)   # every completed turn
    assert len(logged) < 1001                                              # killed mid-run
    from dialogue.manager import DialogueManager
    m = DialogueManager.resume(log)
    n = m.step
    assert m.state == ImageState.from_json(loaded.records[-1]["state"])
    r = m.turn("add a hat")
    assert r.turn == n + 1 and r.state.attributes["hat"]
    assert load_log(log).records[-1]["turn"] == n + 1


def test_resume_recovers_from_a_corrupt_middle_line(tmp_path):
    from dialogue.manager import DialogueManager
    log = tmp_path / "c.jsonl"
    m = DialogueManager("faces", 1, log_path=log)
    m.start()
    for t in ["add sunglasses", "turn left", "add a hat", "smile"]:
        m.turn(t)
    m.close()
    lines = log.read_text().splitlines()
    lines[3] = lines[3][:20]
    log.write_text("\n".join(lines) + "\n")
    m2 = DialogueManager.resume(log)
    assert m2.step == 2 and m2.state.attributes["yaw"] == -15
    assert m2.log_path.name == "c-recovered.jsonl" and "line 4" in m2.warnings[0]
    assert log.read_text().splitlines()[3] == lines[3]     # the damaged file is left alone
