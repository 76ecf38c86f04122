"""Per-turn verification (dialogue/verify.py): the faces judge reads a turn's
changes back; a change that does not show is said in the reply and recorded."""

import json

import pytest

from dialogue.manager import DialogueManager
from dialogue.verify import Verifier, changed_attributes, note_for
from generators import registry
from generators.registry import Entry
from generators.studio import render_face


class _NoSmile:
    """A faces generator that ignores the expression (always draws neutral)."""
    name = "nosmile"

    def __init__(self, domain):
        self.domain = domain

    def render(self, state):
        return render_face(dict(state.attributes, expression="neutral"), int(state.size))


@pytest.fixture
def nosmile(monkeypatch):
    registry._ensure_builtin()
    monkeypatch.setitem(registry._REGISTRY, "nosmile",
                        Entry("nosmile", ("faces",), _NoSmile, lambda d: True, "test"))
    yield "nosmile"
    registry.clear_cache()


def _log_records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_generator_that_ignores_the_smile_is_called_out(nosmile, tmp_path):
    m = DialogueManager("faces", seed=3, generator=nosmile, log_dir=tmp_path, session_name="s")
    m.start()
    smile = m.turn("make her smile")
    assert "The smile barely shows with this generator. 'use the studio' shows it clearly." \
        in smile.reply
    rec = smile.record()["verified"]["expression"]
    assert rec["asked"] == "happy" and rec["read"] == "neutral" and rec["confirmed"] is False
    hat = m.turn("add a hat")                     # what it does draw reads back
    assert hat.record()["verified"]["hat"] == {"asked": True, "read": True, "confirmed": True}
    assert "barely" not in hat.reply
    m.close()
    logged = _log_records(tmp_path / "s.jsonl")
    assert logged[1]["verified"]["expression"]["confirmed"] is False
    assert logged[2]["verified"]["hat"]["confirmed"] is True


def test_the_studio_shows_every_edit_of_the_six_edit_script(tmp_path):
    m = DialogueManager("faces", seed=3, generator="studio", log=False)
    m.start()
    for text in ("add sunglasses", "make her smile", "turn left", "add a hat", "blond hair",
                 "blue background"):
        r = m.turn(text)
        assert r.verified and all(v["confirmed"] is not False for v in r.verified.values()), \
            (text, r.verified)
        assert "barely" not in r.reply
    # a turn that changes nothing checkable carries no record of it
    assert m.turn("history").verified is None


def test_chairs_are_not_checked():
    m = DialogueManager("chairs", seed=1, generator="studio", log=False)
    m.start()
    r = m.turn("make it red")
    assert "verified" not in r.record()


def test_what_changed_and_how_the_reply_names_it():
    a = {"expression": "neutral", "hat": False, "yaw": 0.0, "eyewear": "sunglasses"}
    b = dict(a, expression="happy", yaw=-15.0, eyewear="none")
    assert changed_attributes(a, b) == ["expression", "eyewear", "yaw"]
    assert note_for([("eyewear", "sunglasses", "none")], "textgan") == \
        "The sunglasses barely show with this generator. 'use the studio' shows them clearly."
    assert note_for([("eyewear", "none", "sunglasses"), ("hat", True, False)], "convdeconv") == \
        ("Taking off the sunglasses and the hat barely show with this generator. "
         "'use the studio' shows them clearly.")
    assert note_for([], "textgan") is None


def _hat_hides_hair():
    """A hair colour change the studio does not show (hat on, dark light)."""
    from generators.datasets import _plan
    from generators.studio import visible
    for a in _plan("faces", 400, 9, "test"):
        a = dict(a, hat=True, brightness=-1.0, light_elevation=-40.0)
        b = dict(a, hair_color="red" if a["hair_color"] != "red" else "blond")
        if visible("faces", b)["hair_color"] is None:
            return a, b
    raise AssertionError("no face with hidden hair found")


def test_a_change_the_studio_itself_hides_is_not_reported(monkeypatch):
    before, after = _hat_hides_hair()
    v = Verifier()
    blind = {k: {x: (1.0 if x == before[k] else 0.0) for x in vals} for k, vals in {
        "hair_color": ["black", "brown", "blond", "red", "gray"]}.items()}
    monkeypatch.setattr(v, "read", lambda img, expression=True, eyewear=True: (blind, float(before["yaw"])))
    res = v.check(before, after, render_face(after), "textgan")
    assert res.checked["hair_color"]["hidden"] is True
    assert res.checked["hair_color"]["confirmed"] is None and res.note is None
    # the same miss on a face that shows its hair is reported
    shown_before = dict(before, hat=False, brightness=0.0, light_elevation=20.0)
    shown_after = dict(shown_before, hair_color=after["hair_color"])
    blind = {"hair_color": {x: (1.0 if x == before["hair_color"] else 0.0)
                            for x in ["black", "brown", "blond", "red", "gray"]}}
    res = v.check(shown_before, shown_after, render_face(shown_after), "textgan")
    assert res.checked["hair_color"]["confirmed"] is False
    assert res.note.startswith(f"The {after['hair_color']} hair barely shows")
