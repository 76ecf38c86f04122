"""Every way a command can go wrong: a table of cases run in process, each
checked for its exit code, its message, no traceback or class name, nothing
written outside the data dir and no existing file changed."""

import errno
import hashlib
import json
import re
from pathlib import Path

import pytest

from holochat.cli import main

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")
MB = 2**20


def _write(p: Path, data: bytes | str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def _sparse(p: Path, size: int) -> Path:
    with open(p, "wb") as f:
        f.truncate(size)
    return p


def _log_record(**kw) -> str:
    from sessions.state import ImageState
    rec = {"v": 1, "turn": 0, "input": "", "ops": [], "reply": "start", "changed": False,
           "state": ImageState.new("faces", 1, "studio").to_json(), "image_sha256": None,
           "start_seed": 1}
    rec.update(kw)
    return json.dumps(rec) + "\n"


def _newer(p: Path) -> Path:
    return _write(p, _log_record() + _log_record(turn=1, v=99, input="from the future"))


def break_weights(monkeypatch, tmp_path):
    import shutil

    import generators.weights as W
    from generators import registry
    src = W.weights_path("convdeconv", "faces")
    dst = tmp_path / "weights" / src.name
    shutil.copytree(src, dst)
    data = (dst / "model.safetensors").read_bytes()
    (dst / "model.safetensors").write_bytes(data[: len(data) // 3])
    monkeypatch.setattr(W, "WEIGHTS_DIR", dst.parent)
    monkeypatch.setattr(registry, "_CACHE", {})


def full_disk_after(monkeypatch, n_ok: int):
    """Session-log appends fail with ENOSPC after ``n_ok`` records."""
    from sessions.log import SessionLog

    class Full:
        def __init__(self, f):
            self.f = f

        def write(self, s):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

    orig = SessionLog.append
    calls = {"n": 0}

    def append(self, rec):
        calls["n"] += 1
        if calls["n"] > n_ok and not isinstance(self._f, Full):
            self._f = Full(self._f)
        return orig(self, rec)
    monkeypatch.setattr(SessionLog, "append", append)


def read_only_fs(monkeypatch):
    """Opening the session log for writing fails as on a read-only file system."""
    import builtins

    import sessions.log as L

    def fake_open(path, mode="r", *a, **k):
        if any(c in mode for c in "aw+"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return builtins.open(path, mode, *a, **k)
    monkeypatch.setattr(L, "open", fake_open, raising=False)


def internal_bug(monkeypatch):
    import dialogue.manager as M

    def boom(*a, **k):
        raise ValueError("a bug nobody expected")
    monkeypatch.setattr(M.DialogueManager, "start", boom)


SCRIPT = "add sunglasses\nturn left\nsmile\nadd a hat\n"

# (id, files to make {name: bytes | callable(path)}, argv, setup, exit code, message)
CASES = [
    ("run-empty", {"s.txt": b""}, ["run", "s.txt"], None, 2, "holds no commands"),
    ("run-comments-only", {"s.txt": b"# hi\n\n   \n"}, ["run", "s.txt"], None, 2,
     "holds no commands"),
    ("run-binary", {"s.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" + bytes(range(256))},
     ["run", "s.txt"], None, 2, "binary data"),
    ("run-huge", {"s.txt": lambda p: _sparse(p, 50 * MB)}, ["run", "s.txt"], None, 2,
     "a script is at most"),
    ("run-directory", {"d/keep": b""}, ["run", "d"], None, 2, "is a directory"),
    ("run-missing", {}, ["run", "nope.txt"], None, 2, "no script at"),
    ("run-latin1", {"s.txt": "café\n".encode("latin-1")}, ["run", "s.txt"], None, 2,
     "is not UTF-8 text"),
    ("run-unknown-generator", {"s.txt": SCRIPT}, ["run", "s.txt", "--generator", "nosuch"],
     None, 3, "unknown generator 'nosuch'"),
    ("run-damaged-weights", {"s.txt": SCRIPT}, ["run", "s.txt", "--generator", "convdeconv"],
     break_weights, 3, "truncated or corrupt"),
    ("run-unwritable-data-dir", {"s.txt": SCRIPT, "blocker": b""},
     ["run", "s.txt", "--generator", "studio"], "blocked", 1, "this session will not be saved"),
    ("run-read-only-data-dir", {"s.txt": SCRIPT}, ["run", "s.txt", "--generator", "studio"],
     lambda mp, tp: read_only_fs(mp), 1, "the file system is read-only"),
    ("run-full-disk", {"s.txt": SCRIPT}, ["run", "s.txt", "--generator", "studio",
                                          "--log", "DATA/sessions/full.jsonl"],
     lambda mp, tp: full_disk_after(mp, 3), 1, "the disk is full"),
    ("run-internal-bug", {"s.txt": SCRIPT}, ["run", "s.txt", "--generator", "studio"],
     lambda mp, tp: internal_bug(mp), 70, "an internal error happened"),
    ("replay-empty", {"l.jsonl": b""}, ["replay", "l.jsonl"], None, 2, "is empty"),
    ("replay-binary", {"l.jsonl": bytes(range(256)) * 4}, ["replay", "l.jsonl"], None, 2,
     "binary data"),
    ("replay-huge-binary", {"l.jsonl": lambda p: _sparse(p, 50 * MB)}, ["replay", "l.jsonl"],
     None, 2, "binary data"),
    ("replay-huge-line", {"l.jsonl": b"x" * (50 * MB)}, ["replay", "l.jsonl"], None, 2,
     "not a session log"),
    ("replay-not-a-log", {"l.jsonl": b"hello\nworld\n"}, ["replay", "l.jsonl"], None, 2,
     "not a session log"),
    ("replay-directory", {"d.jsonl/keep": b""}, ["replay", "d.jsonl"], None, 2,
     "is a directory"),
    ("replay-missing", {}, ["replay", "no-such-session"], None, 2, "holochat sessions"),
    ("replay-newer-format", {"l.jsonl": _newer}, ["replay", "l.jsonl"], None, 2,
     "newer holochat"),
    ("app-bad-name", {}, ["--session", "my session!"], None, 2, "cannot be used as a name"),
    ("app-long-name", {}, ["--session", "x" * 300], None, 2, "longer than 64"),
    ("app-dotdot-path", {}, ["--session", "../../etc/passwd"], None, 2,
     "no session log at"),
    ("app-directory", {"d.jsonl/keep": b""}, ["--session", "d.jsonl"], None, 2,
     "it is a directory"),
    ("app-newer-format", {"l.jsonl": _newer}, ["--session", "l.jsonl"], None, 2,
     "newer holochat"),
    ("app-binary-log", {"l.jsonl": bytes(range(256))}, ["--session", "l.jsonl"], None, 2,
     "binary data"),
    ("app-unknown-generator", {}, ["--generator", "nosuch"], None, 3, "no generator 'nosuch'"),
    ("app-no-terminal", {}, ["--session", "fresh-one"], None, 2, "needs a terminal"),
]


def _snapshot(root: Path, skip: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and skip not in p.parents:
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(MB), b""):
                    h.update(chunk)
            out[str(p.relative_to(root))] = h.hexdigest()
    return out


@pytest.mark.parametrize("name, files, argv, setup, code, message", CASES,
                         ids=[c[0] for c in CASES])
def test_cli_fault(name, files, argv, setup, code, message, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    data = tmp_path / "data"
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(data))
    monkeypatch.delenv("HOLOCHAT_DEBUG", raising=False)
    monkeypatch.chdir(work)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    for rel, content in files.items():
        p = work / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(p)
        else:
            _write(p, content)
    if setup == "blocked":
        monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(work / "blocker" / "data"))
    elif setup is not None:
        setup(monkeypatch, tmp_path)
    argv = [a.replace("DATA", str(data)) for a in argv]
    before = _snapshot(tmp_path, data)
    got = main(argv)
    out, err = capsys.readouterr()
    assert got == code, (out, err)
    assert message in err, err
    assert not CLASS_NAME.search(out + err), out + err
    assert _snapshot(tmp_path, data) == before          # nothing outside the data dir
    if name == "run-full-disk":                          # every turn before the failure kept
        from dialogue.manager import DialogueManager
        from sessions.log import load_log
        log = data / "sessions" / "full.jsonl"
        assert [r["turn"] for r in load_log(log).records] == [0, 1, 2]
        assert "saved session stops at step 2" in err
        m = DialogueManager.resume(log)
        assert m.step == 2 and m.state.attributes["eyewear"] == "sunglasses"
        m.close()


def test_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOLOCHAT_DATA_DIR", str(tmp_path / "data"))
    script = _write(tmp_path / "s.txt", SCRIPT)
    internal_bug(monkeypatch)
    assert main(["--debug", "run", str(script), "--generator", "studio"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("holochat run: an internal error happened (a bug nobody expected)")
    assert "Traceback" in err and "ValueError" in err


def test_os_errors_in_words():
    from generators.errors import os_problem
    assert os_problem(OSError(errno.EROFS, "x", "/d")) .startswith(
        "the file system is read-only (/d). Set HOLOCHAT_DATA_DIR")
    assert "permission denied" in os_problem(PermissionError(errno.EACCES, "x", "/d"))
    assert "disk is full" in os_problem(OSError(errno.ENOSPC, "x"))
