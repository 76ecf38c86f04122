"""`holochat run`, `holochat replay` and `holochat sessions`, in process, with
the studio renderer and the real parser."""

import io
import json
from pathlib import Path

import pytest

from holochat.cli import main


@pytest.fixture
def data(tmp_path, monkeypatch):
    d = tmp_path / "data"
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(d))
    return d


def _stdin(monkeypatch, text):
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_human_output_is_one_line_per_turn(data, monkeypatch, capsys):
    _stdin(monkeypatch, "turn left a bit\n# nothing\nadd a hat\n")
    assert main(["run", "-", "--generator", "studio"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1> turn left a bit  →  Turned them 7.5° to the left."
    assert out[1].startswith("2> add a hat  →  Put on a hat")
    assert out[2].startswith("session saved to ") and out[2].endswith(".jsonl")
    log = Path(out[2].removeprefix("session saved to "))
    assert log.parent == data / "sessions"


def test_jsonl_with_an_unwritable_data_dir_keeps_stdout_clean(tmp_path, monkeypatch, capsys):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(blocked))
    _stdin(monkeypatch, "smile\nadd armrests\n")         # faces have no armrests
    # every turn runs, but the session is not saved: exit 1 (docs/robustness.md)
    assert main(["run", "-", "--jsonl", "--generator", "studio"]) == 1
    cap = capsys.readouterr()
    recs = [json.loads(line) for line in cap.out.splitlines()]
    assert [r["turn"] for r in recs] == [1, 2] and recs[1]["changed"] is False
    assert recs[1]["reply"] and recs[1]["ops"] == []
    assert f"cannot write session log to {blocked}" in cap.err


def test_exit_codes(tmp_path, data, monkeypatch, capsys):
    blocked = tmp_path / "out"
    blocked.write_text("not a folder")
    _stdin(monkeypatch, "add a hat\n")
    assert main(["run", "-", "--generator", "studio", "--out", str(blocked)]) == 1
    assert "cannot write turn-000.png" in capsys.readouterr().err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café\n".encode("latin-1"))
    assert main(["run", str(bad)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err
    _stdin(monkeypatch, "add a hat\n")
    assert main(["run", "-", "--generator", "nosuch"]) == 3
    assert "unknown generator 'nosuch'" in capsys.readouterr().err


def test_replay_out_reparse_and_sessions_listing(tmp_path, data, monkeypatch, capsys):
    _stdin(monkeypatch, "add sunglasses\nanother person\nswitch to chairs\nmake it red\n")
    log = tmp_path / "s.jsonl"
    assert main(["run", "-", "--seed", "4", "--generator", "studio", "--log", str(log)]) == 0
    _stdin(monkeypatch, "turn left\n")
    assert main(["run", "-", "--generator", "studio"]) == 0
    capsys.readouterr()
    assert main(["replay", str(log), "--out", str(tmp_path / "frames")]) == 0
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [
        f"turn-{i:03d}.png" for i in range(5)]
    assert capsys.readouterr().out.splitlines()[3] == "  3  switch to chairs"
    assert main(["replay", str(log), "--reparse", "--verify"]) == 0
    assert "all 5 images match" in capsys.readouterr().out
    assert main(["replay", str(log), "--reparse"]) == 0       # each re-read turn, listed
    assert "  3  =  switch to chairs  →  " in capsys.readouterr().out
    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["turns"] for r in rows] == [1] and Path(rows[0]["path"]).parent == data / "sessions"
    assert main(["replay", rows[0]["name"], "--verify"]) == 0          # by name
    capsys.readouterr()
    assert main(["replay", "no-such-session"]) == 2
    assert "no session log at" in capsys.readouterr().err


def test_a_new_session_never_appends_to_another_sessions_log(tmp_path, data, monkeypatch,
                                                              capsys):
    log = tmp_path / "taken.jsonl"
    _stdin(monkeypatch, "add a hat\n")
    assert main(["run", "-", "--generator", "studio", "--log", str(log)]) == 0
    capsys.readouterr()
    before = log.read_bytes()
    _stdin(monkeypatch, "smile\n")
    # the run happens but is not saved: exit 1 (docs/robustness.md)
    assert main(["run", "-", "--jsonl", "--generator", "studio", "--log", str(log)]) == 1
    cap = capsys.readouterr()
    assert "already holds another session" in cap.err
    assert json.loads(cap.out)["changed"] is True          # the run still happens
    assert log.read_bytes() == before
