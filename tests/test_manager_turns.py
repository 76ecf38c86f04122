"""The dialogue manager's turn loop against a tiny deterministic renderer:
render failures, parser failures, repeat/interpolate, exports, branches in the
log, resume."""

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from dialogue.manager import DialogueManager
from dialogue.parser import parse
from dialogue.types import ParseResult
from generators import registry
from generators.errors import GeneratorError
from sessions import ops as O
from sessions.log import load_log
from sessions.replay import replay


class Tiny:
    """An 8×8 image hashed from the state; refuses to draw hats when ``fragile``."""
    name = "tiny"
    fragile = False

    def __init__(self, domain):
        self.domain = domain

    def render(self, state):
        if self.fragile and state.attributes.get("hat"):
            raise GeneratorError("the tiny generator cannot draw hats")
        key = json.dumps([state.domain, dict(state.attributes), list(state.z), state.text])
        seed = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)


class Fragile(Tiny):
    name = "fragile"
    fragile = True


@pytest.fixture(autouse=True)
def tiny(monkeypatch):
    registry.names()                                  # the built-ins register first
    for cls in (Tiny, Fragile):
        monkeypatch.setitem(registry._REGISTRY, cls.name, registry.Entry(
            cls.name, ("faces", "chairs"), cls, lambda d: True))
    yield
    registry.clear_cache()


def _parser_with(extra):
    """The real parser, plus fixed readings for a few test phrases."""
    def p(text, ctx):
        if text not in extra:
            return parse(text, ctx)
        return ParseResult(tuple(extra[text]), "grammar" if extra[text] else "unknown")
    return p


def _mgr(tmp_path, generator="tiny", **kw):
    m = DialogueManager("faces", 5, generator, log_path=tmp_path / "s.jsonl", **kw)
    m.start()
    return m


def test_a_state_that_cannot_be_rendered_is_taken_back(tmp_path):
    m = _mgr(tmp_path, "fragile")
    m.turn("add sunglasses")
    before, img = m.state, m.image
    r = m.turn("add a hat and smile")
    assert r.kind == "error" and not r.changed and "cannot draw hats" in r.reply
    assert m.state == before and r.state == before and np.array_equal(r.image, img)
    assert r.ops == [] and r.turn == 2
    assert len(m.session.history.nodes) == 2        # no node for the state never shown
    assert m.turn("undo").state.attributes["eyewear"] == "none"
    assert m.turn("redo").state == before
    m.close()
    rec = load_log(tmp_path / "s.jsonl").records[2]
    assert rec["ops"] == [] and {o["op"] for o in rec["rejected_ops"]} == {"set"}
    res = replay(tmp_path / "s.jsonl")
    assert res.first_mismatch is None and len(res.turns) == 5
    resumed = DialogueManager.resume(tmp_path / "s.jsonl")
    assert resumed.state == m.state and not resumed.warnings


def test_a_parser_crash_is_a_reply_not_an_exception(tmp_path):
    def broken(text, ctx):
        raise RuntimeError("boom")
    m = _mgr(tmp_path, parser=broken)
    r = m.turn("add sunglasses")
    assert r.kind == "unknown" and not r.changed and "parser error" in r.reply
    assert load_log(tmp_path / "s.jsonl").records[-1]["input"] == "add sunglasses"


def test_more_with_nothing_to_repeat_says_so(tmp_path):
    m = _mgr(tmp_path)
    r = m.turn("again")
    assert not r.changed and "no edit yet to repeat" in r.reply
    m.turn("make the hair red")
    r = m.turn("more")
    assert not r.changed and "no more or less" in r.reply


def test_halfway_to_the_previous_image(tmp_path):
    m = _mgr(tmp_path)
    m.turn("turn left a lot")                                     # yaw -30
    m.turn("history")                                             # a turn that changes nothing
    r = m.turn("halfway between this one and the previous one")
    assert r.changed and r.state.attributes["yaw"] == -15
    r = m.turn("blend with step 0")
    assert r.state.attributes["yaw"] == -7.5


def test_history_lists_every_step_with_its_command(tmp_path):
    m = _mgr(tmp_path, parser=_parser_with({"qwzx vbnm": []}))
    for t in ["add a hat", "qwzx vbnm", "undo"]:
        m.turn(t)
    h = m.history()
    # the turn that changed nothing is logged, but it is no image step (#26)
    assert [(e.step, e.input, e.changed) for e in h] == [
        (0, "", False), (1, "add a hat", True), (2, "undo", True)]
    assert [e.current for e in h] == [False, False, True]
    r = m.turn("history")
    assert "1: add a hat" in r.reply and r.kind == "meta"


def test_branches_are_in_the_log_and_come_back_on_resume(tmp_path):
    m = _mgr(tmp_path)
    lines = ["add sunglasses", "add a hat", "add a beard", "undo", "undo",
             "make the hair red", "go back to step 3", "undo"]
    results = [m.turn(t) for t in lines]
    assert results[6].state == m.session.history.state_at(3)
    assert results[7].state.attributes["hair_color"] == "red"
    m.close()
    recs = load_log(tmp_path / "s.jsonl").records
    children: dict = {}
    for r in recs[1:]:
        if r["changed"]:
            children.setdefault(r["parent"], set()).add(r["node"])
    node = {r["turn"]: r["node"] for r in recs}
    assert children[node[1]] >= {node[2], node[6]}           # hat branch and red-hair branch
    assert recs[7]["parent"] == node[6] and recs[7]["state"] == recs[3]["state"]
    resumed = DialogueManager.resume("s", log_dir=tmp_path)
    assert resumed.session.history.branches() == m.session.history.branches() == 2
    assert resumed.turn("redo").state == m.session.history.state_at(7)
    assert load_log(tmp_path / "s.jsonl").records[-1]["turn"] == 9


def test_resuming_a_damaged_log_twice_never_mixes_files(tmp_path):
    m = _mgr(tmp_path)
    for t in ["add a hat", "turn left", "smile"]:
        m.turn(t)
    m.close()
    log = tmp_path / "s.jsonl"
    lines = log.read_text().splitlines()
    lines[2] = "{broken"
    log.write_text("\n".join(lines) + "\n")
    first = DialogueManager.resume(log)
    first.turn("add sunglasses")
    first.close()
    second = DialogueManager.resume(log)
    assert first.log_path.name == "s-recovered.jsonl"
    assert second.log_path.name == "s-recovered-2.jsonl"
    assert [r["turn"] for r in load_log(first.log_path).records] == [0, 1, 2]
    assert [r["turn"] for r in load_log(second.log_path).records] == [0, 1]


def test_resume_warns_when_the_logged_states_differ(tmp_path):
    m = _mgr(tmp_path)
    m.turn("add a hat")
    m.close()
    log = tmp_path / "s.jsonl"
    recs = [json.loads(x) for x in log.read_text().splitlines()]
    recs[1]["state"]["attributes"]["hat"] = False
    log.write_text("".join(json.dumps(r) + "\n" for r in recs))
    resumed = DialogueManager.resume(log)
    assert resumed.state.attributes["hat"] and "turn 1" in resumed.warnings[0]


def test_export_commands_write_into_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(tmp_path))
    m = DialogueManager("faces", 2, "tiny", session_name="s1")
    m.start()
    m.turn("add a hat")
    r = m.turn("export a gif")
    gif = tmp_path / "exports" / "s1-step-001.gif"            # exports make no image step
    assert str(gif) in r.reply and Image.open(gif).n_frames == 2     # start, add a hat
    m.turn("turn left")
    m.turn("export a contact sheet")
    sheet = Image.open(tmp_path / "exports" / "s1-step-002-sheet.png")
    assert sheet.size == (3 * (16 + 4) + 4, 16 + 24 + 8)               # start, hat, left
    r = m.turn("export")
    png = tmp_path / "exports" / "s1-step-002.png"
    assert str(png) in r.reply and not r.changed
    assert np.array_equal(np.asarray(Image.open(png).convert("RGB"))[::4, ::4], m.image)
    # a path from the dialogue never leaves the exports dir: refused, nothing written
    r = DialogueManager("faces", 2, "tiny", log=False, parser=_parser_with(
        {"export there": [O.Export("png", str(tmp_path / "elsewhere" / "x.png"))],
         "export as keep": [O.Export("png", "keep")]}))
    r.start()
    reply = r.turn("export there").reply
    assert "path separator" in reply and "Nothing was written" in reply
    assert not (tmp_path / "elsewhere").exists()
    assert "keep.png" in r.turn("export as keep").reply
    assert (tmp_path / "exports" / "keep.png").exists()
    import shutil
    shutil.rmtree(tmp_path / "exports")
    (tmp_path / "exports").write_text("a file where a folder should be")
    assert "Couldn't export to" in r.turn("export as keep").reply


def test_save_as_a_name_keeps_a_resumable_copy(tmp_path):
    m = _mgr(tmp_path, parser=_parser_with({"save as keep": [O.Save("keep")],
                                            "save as bad": [O.Save("../x")]}))
    m.turn("add a hat")
    r = m.turn("save as keep")
    copy = tmp_path / "keep.jsonl"
    assert "as 'keep'" in r.reply and not r.changed
    assert copy.read_bytes() == (tmp_path / "s.jsonl").read_bytes()
    assert "pick another name" in m.turn("save as keep").reply
    assert "can't be a session name" in m.turn("save as bad").reply
    m.turn("smile")
    assert len(load_log(copy).records) == 3                  # the copy is not appended to
    resumed = DialogueManager.resume("keep", log_dir=tmp_path)
    assert resumed.state.attributes["hat"] and resumed.step == 1    # saving is no image step
    assert "already written to" in m.turn("save").reply
