"""Every command form README.md promises, as a table: each is typed (or run)
as written and the resulting state checked.

The app forms of the README's "Things to type" block and the subcommand
lines of its "What you can do" block are read from README.md itself, so a
form added there without a row here fails ``test_every_*_form_has_a_row``;
the forms promised in its prose are listed here, and
``test_prose_forms_are_in_the_readme`` checks each is still written there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from dialogue.manager import DialogueManager
from holochat.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(after: str) -> list[str]:
    """The lines of the first ``` block after the line containing ``after``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(after)
    body = text[text.index("```", start):]
    body = body[body.index("\n") + 1:]
    return body[:body.index("```")].splitlines()


def readme_app_forms() -> list[str]:
    """The phrases of the "Things to type" block: the left column split at
    " / ", and a parenthesised example on its own."""
    forms: list[str] = []
    for line in _block("Things to type"):
        left = re.split(r"\s{3,}", line.strip())[0]
        forms += [f.strip() for f in left.split(" / ") if f.strip()]
        m = re.search(r"\((make it [^)]*)\)", line)
        if m:
            forms.append(m.group(1))
    return forms


def readme_cli_lines() -> list[str]:
    """The command part of each line of the "What you can do" block."""
    return [re.split(r"\s{2,}", line.strip())[0] for line in _block("What you can do")
            if line.startswith("holochat")]


# -- the app forms: typed into a session -------------------------------------------------------------

@dataclass
class Form:
    text: str
    before: tuple[str, ...] = ()
    domain: str = "faces"
    state: dict[str, Any] = field(default_factory=dict)   # attributes after the line
    step: bool | None = None          # whether the line made a new image step
    kind: str | None = None
    reply: str | None = None          # a regex the reply must match
    ops: tuple[str, ...] | None = None   # the op tags logged for the line
    check: Callable[[DialogueManager, Any], None] | None = None
    generator: str = "studio"
    readme: str | None = None         # the README's words for it, when not the line itself


def _exported(kind: str):
    def check(m, r):
        path = Path(r.ops[0]["path"] or re.search(r" to (\S+)\.$", r.reply).group(1))
        assert path.is_file() and path.suffix == kind, (path, r.reply)
        assert "data" in path.parts[-3] or path.parent.name == "exports"
    return check


def _saved(name: str | None):
    def check(m, r):
        from sessions.log import load_log
        from sessions.paths import sessions_dir
        path = sessions_dir() / f"{name}.jsonl" if name else Path(
            re.search(r"(/\S+\.jsonl)", r.reply).group(1))
        assert path.is_file(), r.reply
        again = DialogueManager.resume(path)          # a resumable copy
        assert again.state.attributes == m.state.attributes
        assert len(load_log(path).records) >= 2
        again.close()
    return check


def _history(m, r):
    assert "Image steps so far" in r.reply and "add a hat" in r.reply


def _blend(ref: str):
    def check(m, r):
        assert r.ops[-1]["op"] == "interpolate" and r.ops[-1]["ref"] == ref
    return check


THINGS_TO_TYPE = [
    Form("add sunglasses and smile, then turn left a bit", step=True,
         state={"eyewear": "sunglasses", "expression": "happy", "yaw": -7.5}),
    Form("turn left", state={"yaw": -15.0}, step=True),
    Form("face left", state={"yaw": -45.0}, step=True),
    Form("look straight ahead", before=("turn left", "look up"), state={"yaw": 0.0, "pitch": 0.0}),
    Form("higher", before=("look up",), state={"pitch": 20.0}, step=True),
    Form("even higher", before=("look up", "higher"), state={"pitch": 30.0}),
    Form("and 10 more degrees", before=("turn left",), state={"yaw": -25.0}),
    # right after a move: that move the other way round, replacing it (docs/conversation.md)
    Form("the other way", before=("turn left", "turn left"), state={"yaw": 0.0},
         reply="^Instead of 'turn left': turned them 15° to the right"),
    Form("take them off", before=("add sunglasses",), state={"eyewear": "none"}),
    Form("change that to blue", before=("make the background red",),
         state={"background": "blue"}),
    Form("no, sunglasses", before=("add glasses",), state={"eyewear": "sunglasses"},
         reply="^Instead of 'add glasses': added sunglasses"),
    Form("sorry, I meant a hat", before=("add a beard",), state={"hat": True, "beard": False}),
    Form("what did you change?", before=("add glasses",), kind="question", step=False,
         reply="added glasses", state={"eyewear": "glasses"}),
    Form("which way is he facing?", before=("turn left",), kind="question", step=False,
         reply="left"),
    Form("I'm not a fan of those glasses", before=("add glasses",), state={"eyewear": "none"}),
    Form("could she wear some shades?", state={"eyewear": "sunglasses"}, step=True),
    Form("a bit brighter", state={"brightness": 0.1}),
    Form("turn right a lot", state={"yaw": 30.0}),
    Form("30 degrees", before=("turn right",), state={"yaw": 45.0}),
    Form("no glasses", before=("add glasses",), state={"eyewear": "none"}),
    Form("stop smiling", before=("smile",), state={"expression": "neutral"}),
    Form("don't want the hat", before=("add a hat",), state={"hat": False}),
    Form("light from the right", state={"light_azimuth": 90.0}),
    # a face has no view elevation: "from above" tilts the head (DESIGN.md: pitch)
    Form("from above", state={"pitch": -20.0}, step=True),
    Form("make the hair red", state={"hair_color": "red"}),
    Form("blue background", state={"background": "blue"}),
    Form("darker skin", state={"skin_tone": "dark"}),
    Form("another person", step=True, ops=("new_seed",)),
    Form("switch to chairs", step=True,
         check=lambda m, r: m.state.domain == "chairs" or pytest.fail(r.reply)),
    Form("use the studio renderer", before=("use the convdeconv",),
         check=lambda m, r: m.state.generator == "studio" or pytest.fail(r.reply)),
    Form("rotate the chair", domain="chairs", state={"azimuth": 60.0}, step=True),
    Form("view from higher up", domain="chairs", state={"elevation": 30.0}),
    Form("add armrests", domain="chairs", state={"armrests": True}),
    Form("pedestal base", domain="chairs", state={"legs": "pedestal"}),
    Form("zoom in", domain="chairs", state={"zoom": 1.15}),
    Form("a smiling woman with red hair and glasses", step=True, ops=("describe",),
         state={"expression": "happy", "hair_color": "red", "eyewear": "glasses"}),
    Form("again", before=("turn left",), state={"yaw": -30.0}),
    Form("more", before=("turn left",), state={"yaw": -30.0}),
    Form("less", before=("turn left", "turn left"), state={"yaw": -22.5}),
    Form("undo", before=("add a hat", "smile"), state={"hat": True, "expression": "neutral"}),
    Form("redo", before=("add a hat", "smile", "undo"), state={"expression": "happy"}),
    Form("go back to step 3", before=("add a hat", "smile", "add a beard", "turn left"),
         state={"hat": True, "expression": "happy", "beard": True, "yaw": 0.0}),
    Form("start over", before=("add a hat", "smile"), state={"hat": False, "expression": "neutral"}),
    Form("halfway between this one and the previous one", before=("turn left",),
         check=_blend("previous")),
    Form("make it halfway between this chair and the first one", domain="chairs",
         before=("add armrests",), check=_blend("first")),
    Form("use the dcgan", generator="studio",
         check=lambda m, r: m.state.generator == "dcgan" or pytest.fail(r.reply)),
    Form("repair the left half", before=("use the dcgan",), ops=("set_latent",), step=True),
    Form("fill in the masked region", before=("use the dcgan",), ops=("set_latent",), step=True),
    Form("export", step=False, check=_exported(".png")),
    Form("export a gif", before=("add a hat",), step=False, check=_exported(".gif")),
    Form("contact sheet", before=("add a hat",), step=False, check=_exported(".png")),
    Form("save", before=("add a hat",), step=False, check=_saved(None)),
    Form("history", before=("add a hat",), step=False, check=_history),
    Form("help", kind="help", step=False),
]

PROSE = [
    # Directions (README "Things to type", the paragraph after it)
    Form("fully left", state={"yaw": -60.0}),
    Form("turn left", before=("fully left",), step=False,
         reply="already looking as far left as I can turn them"),
    # How it reads what you type
    Form("honestly I'm not a fan of those glasses", before=("add glasses",),
         state={"eyewear": "none"}),
    Form("He wears dark sunglasses and has a short beard. He is grinning.", step=True,
         ops=("describe",), state={"eyewear": "sunglasses", "beard": True, "expression": "happy",
                                  "hat": False}),
    Form("add a cat", kind="unsupported", step=False, reply="nearest things I can do"),
    Form("make her look older", kind="unsupported", step=False, reply="nearest things"),
    Form("make it leather", domain="chairs", kind="unsupported", step=False,
         reply="nearest things", readme="chair materials"),
    Form("hello", step=False, readme="Greetings"), Form("thanks", step=False),
    Form("that's all", step=False),
    # What it remembers
    Form("further", before=("turn left",), state={"yaw": -30.0}),
    Form("twice as much", before=("turn left",), state={"yaw": -30.0}),
    Form("not so much", before=("turn left", "turn left"), state={"yaw": -22.5}),
    Form("remove it", before=("add a hat",), state={"hat": False}),
    Form("make it bigger", domain="chairs", before=("zoom in",), state={"zoom": 1.3}),
    Form("actually make those sunglasses", before=("add glasses",),
         state={"eyewear": "sunglasses"}, reply="^Instead of 'add glasses'"),
    Form("I meant right", before=("turn left",), state={"yaw": 15.0}),
    Form("not the hair, the background", before=("make the hair red",),
         state={"hair_color": "brown", "background": "red"}),
    Form("turn it around", domain="chairs", state={"azimuth": 210.0}),
    Form("from behind", domain="chairs", state={"azimuth": 180.0}),
    Form("straight on", domain="chairs", before=("rotate the chair",), state={"azimuth": 0.0}),
    Form("profile", domain="chairs", state={"azimuth": 90.0}),
    Form("what is she wearing?", before=("add sunglasses",), kind="question", step=False,
         reply="sunglasses"),
    Form("what can I change?", kind="question", step=False, reply="hair"),
    Form("how many steps so far?", before=("add a hat", "what can I change?"), step=False,
         reply="^1 image step so far"),
    # Image steps
    Form("go back two steps", before=("add a hat", "smile", "add a beard"),
         state={"hat": True, "expression": "neutral", "beard": False}),
    Form("undo twice", before=("add a hat", "smile", "add a beard"),
         state={"hat": True, "expression": "neutral", "beard": False}),
    Form("undo 3 times", before=("add a hat", "smile", "add a beard"),
         state={"hat": False, "expression": "neutral", "beard": False}),
    Form("go back to step -1", before=("add a hat",), step=False, state={"hat": True},
         reply="There is no step -1"),
    # Sessions: "save as NAME"
    Form("save as my-copy", before=("add a hat",), step=False, check=_saved("my-copy"),
         readme="save as NAME"),
    Form("save as ../escape", before=("add a hat",), step=False, readme="no `..`",
         reply="(?i)name", check=lambda m, r: not any(
             p.name.startswith("escape") for p in Path(m.log_path).parents[1].rglob("*"))
         or pytest.fail("a refused name wrote a file")),
]

_NEEDS_READER = {"I'm not a fan of those glasses", "could she wear some shades?",
                 "honestly I'm not a fan of those glasses",
                 "He wears dark sunglasses and has a short beard. He is grinning."}


def _needs(form: Form) -> None:
    from generators.weights import has_weights
    if "dcgan" in (form.text + " ".join(form.before)) and not has_weights("dcgan", "faces"):
        pytest.skip("no shipped dcgan weights")
    if form.text in _NEEDS_READER:
        from dialogue import reader
        if not reader.available():
            pytest.skip("the request reader is not available")


@pytest.fixture
def small(one_torch_thread):
    """One torch thread (the tiny dcgan repair search is set on each manager in
    ``_play``: 400 steps x 8 restarts is ~14 s a line, and what is tested here
    is that the line is read and applied)."""


def _play(form: Form, tmp_path) -> None:
    _needs(form)
    from dialogue import latent
    m = DialogueManager(form.domain, 3, form.generator)      # logs in the test's data dir
    m.verify = False                       # the judge's check is not what is tested here
    m.latent_options = latent.Options(completion={"steps": 4, "restarts": 2})
    m.start()
    try:
        for line in form.before:
            before = m.turn(line)
            assert before.kind not in ("unknown", "error", "clarify"), (line, before.reply)
        step = m.step
        r = m.turn(form.text)
        where = f"{form.text!r} after {list(form.before)}: {r.kind} {r.reply!r} {r.ops}"
        assert r.kind not in ("error", "clarify") and not r.reply.startswith("I didn't"), where
        if form.kind is not None:
            assert r.kind == form.kind, where
        else:
            assert r.kind != "unknown", where
        for attr, value in form.state.items():
            got = m.state.attributes[attr]
            if isinstance(value, float):
                assert got == pytest.approx(value), f"{attr}={got}; {where}"
            else:
                assert got == value, f"{attr}={got}; {where}"
        if form.step is not None:
            assert (m.step != step) == form.step, f"step {step} -> {m.step}; {where}"
        if form.reply is not None:
            assert re.search(form.reply, r.reply), where
        if form.ops is not None:
            assert tuple(o["op"] for o in r.ops) == form.ops, where
        if form.check is not None:
            form.check(m, r)
    finally:
        m.close()


@pytest.mark.parametrize("form", THINGS_TO_TYPE, ids=[f.text for f in THINGS_TO_TYPE])
def test_things_to_type(form, tmp_path, small):
    _play(form, tmp_path)


@pytest.mark.parametrize("form", PROSE, ids=[f.text for f in PROSE])
def test_forms_in_the_prose(form, tmp_path, small):
    _play(form, tmp_path)


def test_every_things_to_type_form_has_a_row():
    rows = {f.text for f in THINGS_TO_TYPE}
    missing = [f for f in readme_app_forms() if f not in rows]
    assert not missing, f"README forms without a row in THINGS_TO_TYPE: {missing}"
    assert len(readme_app_forms()) >= 50


def test_prose_forms_are_in_the_readme():
    text = README.read_text(encoding="utf-8").replace("\n", " ")
    text = re.sub(r"\s+", " ", text)
    absent = [f.text for f in PROSE if (f.readme or f.text) not in text]
    assert not absent, f"listed as README forms but not in README.md: {absent}"


def test_the_readme_transcript_holds(tmp_path):
    """The ``> line   reply`` example of "What it remembers", line by line."""
    from dialogue import reader
    if not reader.available():
        pytest.skip("the request reader is not available")
    rows = [re.split(r"\s{3,}", line[2:].strip()) for line in _block("are answered from the state")
            if line.startswith("> ")]
    assert len(rows) >= 6
    m = DialogueManager("faces", 3, "studio", log=False)
    m.verify = False
    m.start()
    for line, reply, *_ in rows:
        r = m.turn(line)
        shown = reply.rstrip("… ").rstrip()
        assert r.reply.startswith(shown), (line, r.reply, reply)
    m.close()


# -- the subcommands ----------------------------------------------------------------------------------

def _script(tmp_path, lines=("add sunglasses", "turn left a bit", "", "# a comment", "smile")):
    p = tmp_path / "script.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _run_jsonl(tmp_path, capsys, monkeypatch):
    out = tmp_path / "frames"
    assert main(["run", str(_script(tmp_path)), "--out", str(out), "--jsonl",
                 "--generator", "studio"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    # one record per command line: blank lines and comments get none (README)
    assert [r["input"] for r in recs] == ["add sunglasses", "turn left a bit", "smile"]
    assert recs[-1]["state"]["attributes"]["expression"] == "happy"
    assert recs[-1]["state"]["attributes"]["eyewear"] == "sunglasses"
    assert (out / "turn-000.png").is_file()
    from sessions.paths import sessions_dir
    return sorted(sessions_dir().glob("*.jsonl"))[-1]


def _cli_run(tmp_path, capsys, monkeypatch):
    _run_jsonl(tmp_path, capsys, monkeypatch)


def _cli_run_stdin(tmp_path, capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("add a hat\nturn left\n"))
    assert main(["run", "-", "--jsonl", "--generator", "studio"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert len(recs) == 2 and recs[-1]["state"]["attributes"]["hat"] is True


def _cli_replay(tmp_path, capsys, monkeypatch):
    log = _run_jsonl(tmp_path, capsys, monkeypatch)
    assert main(["replay", log.stem, "--verify", "--out", str(tmp_path / "replayed")]) == 0
    assert (tmp_path / "replayed").is_dir()
    capsys.readouterr()
    assert main(["replay", str(log), "--reparse"]) in (0, 1)
    assert "smile" in capsys.readouterr().out


def _cli_parse(tmp_path, capsys, monkeypatch):
    assert main(["parse", "add shades and smile", "--domain", "faces", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    ops = {(o.get("attr"), o.get("value")) for o in got["ops"]}
    assert ("eyewear", "sunglasses") in ops and ("expression", "happy") in ops


def _cli_sessions(tmp_path, capsys, monkeypatch):
    log = _run_jsonl(tmp_path, capsys, monkeypatch)
    assert main(["sessions"]) == 0
    assert log.stem in capsys.readouterr().out


def _cli_studio(tmp_path, capsys, monkeypatch):
    out = tmp_path / "sheet.png"
    assert main(["studio", "--domain", "faces", "--vary", "light_azimuth", "--out", str(out)]) == 0
    assert out.is_file() and out.stat().st_size > 0


def _cli_app(argv, domain, seed=None, name=None):
    def check(tmp_path, capsys, monkeypatch):
        from holochat.commands.app import plan
        spec = plan(build_parser().parse_args(argv))
        assert not isinstance(spec, str), spec
        assert spec.domain == domain and spec.seed == seed
        if name is not None:
            assert spec.session_name == name and name in (spec.greeting or "")
    return check


def _cli_sketch(tmp_path, capsys, monkeypatch):
    from generators.weights import has_weights
    if not has_weights("pix2pix", "faces"):
        pytest.skip("no shipped pix2pix weights")
    import numpy as np
    from PIL import Image
    drawing = np.full((64, 64), 255, np.uint8)
    drawing[16:48, 20] = drawing[16:48, 44] = drawing[16, 20:45] = drawing[47, 20:45] = 0
    Image.fromarray(drawing).save(tmp_path / "d.png")
    out = tmp_path / "o.png"
    assert main(["sketch", str(tmp_path / "d.png"), "--domain", "faces", "--out", str(out)]) == 0
    assert out.is_file()


def _parses(*argvs):
    """Forms too heavy to run here (training, a GPU lease, a benchmark): the
    arguments as the README writes them are accepted."""
    def check(tmp_path, capsys, monkeypatch):
        parser = build_parser()
        for argv in argvs:
            try:
                parser.parse_args(argv)
            except SystemExit as e:
                if e.code == 0 and "--help" in argv:      # the model's own usage
                    continue
                pytest.fail(f"holochat {' '.join(argv)}: refused ({e}) "
                            f"{capsys.readouterr().err}")
    return check


CLI: dict[str, Callable] = {
    "holochat": _cli_app([], "faces"),
    "holochat --domain chairs --seed 7": _cli_app(["--domain", "chairs", "--seed", "7"],
                                                  "chairs", 7),
    "holochat --session NAME": _cli_app(["--session", "newname"], "faces", name="newname"),
    "holochat run SCRIPT [--out DIR] [--jsonl]": _cli_run,
    "holochat run - (stdin)": _cli_run_stdin,
    "holochat replay SESSION [--verify] [--out DIR] [--reparse] [--ui]": _cli_replay,
    'holochat parse "add shades and smile" [--domain faces] [--json]': _cli_parse,
    "holochat sessions": _cli_sessions,
    "holochat studio --domain faces --vary light_azimuth --out sheet.png": _cli_studio,
    "holochat sketch DRAWING.png [--domain faces|chairs] --out OUT.png": _cli_sketch,
    "holochat compare SCRIPT --generators studio,convdeconv,textgan --out sheet.png": _parses(
        ["compare", "s.txt", "--generators", "studio,convdeconv,textgan", "--out", "sheet.png"]),
    "holochat train convdeconv|judge|dcgan|textgan|pix2pix [--recipe NAME] [--set K=V] ...": _parses(
        *[["train", m, "--help"] for m in ("convdeconv", "judge", "dcgan", "textgan", "pix2pix")],
        *[["train", m, "--show-recipe", "faces"]
          for m in ("convdeconv", "judge", "dcgan", "textgan", "pix2pix")]),
    "holochat train directions|reader ...": _parses(
        *[["train", m, "--help"] for m in ("directions", "reader")]),
    "holochat eval convdeconv|judge|dcgan|textgan|pix2pix|parser ... --json [--record, not parser]": _parses(
        *[["eval", m, "--json", "--record"] for m in
          ("convdeconv", "judge", "dcgan", "textgan", "pix2pix")], ["eval", "parser", "--json"]),
    "holochat lease --out DIR [--minutes 8.6] [--smoke]": _parses(
        ["lease", "--out", "d", "--minutes", "8.6", "--smoke"]),
    "holochat weights import BUNDLE.tar [--dry-run]": _parses(
        ["weights", "import", "b.tar", "--dry-run"]),
    "holochat dcgan complete IMAGE --region left|--mask M.png --out OUT.png [--sheet before_after.png]":
        _parses(["dcgan", "complete", "i.png", "--region", "left", "--out", "o.png",
                 "--sheet", "s.png"],
                ["dcgan", "complete", "i.png", "--mask", "m.png", "--out", "o.png"]),
    "holochat dcgan morph SESSION --from 2 --to 5 --gif morph.gif --sheet morph.png": _parses(
        ["dcgan", "morph", "s", "--from", "2", "--to", "5", "--gif", "m.gif", "--sheet", "m.png"]),
    "holochat dcgan arithmetic --out sunglasses.png": _parses(
        ["dcgan", "arithmetic", "--out", "s.png"]),
    "holochat bench [--json] [--quick]": _parses(["bench", "--json", "--quick"]),
}


@pytest.mark.parametrize("line", list(CLI), ids=list(CLI))
def test_cli_forms(line, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    CLI[line](tmp_path, capsys, monkeypatch)


def test_every_cli_line_has_a_row():
    rows = {re.sub(r"\s+", " ", k) for k in CLI}
    missing = [line for line in readme_cli_lines() if re.sub(r"\s+", " ", line) not in rows]
    assert not missing, f"README command lines without a row in CLI: {missing}"
