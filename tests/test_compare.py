"""``holochat compare``: one row per generator, one column per turn."""

import numpy as np
from PIL import Image

from holochat.cli import main
from sessions.compare import compare_sheet


def test_compare_writes_one_row_per_generator_and_one_column_per_turn(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("add a hat\n# a comment\nblue background\n", encoding="utf-8")
    out = tmp_path / "sheet.png"
    rc = main(["compare", str(script), "--generators", "studio", "--seed", "3",
               "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert "1 generators × 3 steps" in capsys.readouterr().out
    sheet = np.asarray(Image.open(out))
    # the studio's start image sits in the first cell, at 2x
    from generators.schema import get_schema
    from generators.studio import render_face
    start = render_face(get_schema("faces").defaults(3)).repeat(2, 0).repeat(2, 1)
    found = any(np.array_equal(sheet[y:y + 128, x:x + 128], start)
                for y in range(0, 60) for x in range(80, 110))
    assert found


def test_compare_refuses_an_unknown_generator_and_a_missing_script(tmp_path, capsys):
    script = tmp_path / "s.txt"
    script.write_text("add a hat\n", encoding="utf-8")
    assert main(["compare", str(script), "--generators", "studio,nosuch",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "no generator nosuch" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none.txt"), "--out", str(tmp_path / "x.png")]) == 2
    assert "no script" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_the_sheet_frames_flagged_cells():
    img = np.zeros((64, 64, 3), np.uint8) + 128
    plain = compare_sheet([[img, img]], ["g"], ["start", "add a hat"])
    flagged = compare_sheet([[img, img]], ["g"], ["start", "add a hat"],
                            flags=[[False, True]])
    assert plain.shape == flagged.shape
    red = (flagged[..., 0] > 200) & (flagged[..., 1] < 40)
    assert red.any() and not ((plain[..., 0] > 200) & (plain[..., 1] < 40)).any()


def test_a_latent_edit_generator_runs_the_script_itself(tmp_path, capsys):
    """The dcgan ignores schema attributes: its row comes from its own run of
    the script (edits become latent moves), and its check reads the moved
    yes/no directions back (``dialogue.latent.verify_moves``)."""
    import json

    from generators import registry
    if "dcgan" not in registry.available("faces"):
        import pytest
        pytest.skip("no shipped dcgan weights")
    script = tmp_path / "s.txt"
    script.write_text("add a hat\nblue background\n", encoding="utf-8")
    out = tmp_path / "sheet.png"
    rc = main(["compare", str(script), "--generators", "studio,dcgan", "--seed", "3",
               "--out", str(out), "--json"])
    assert rc == 0, capsys.readouterr().err
    res = json.loads(capsys.readouterr().out)
    dc = res["verified"]["dcgan"]
    assert dc[0] is None
    assert set(dc[1]) == {"hat"} and dc[1]["hat"]["asked"] is True
    assert set(dc[2]) == {"background=blue"}
    assert set(res["verified"]["studio"][1]) == {"hat"}            # the studio's own check


def test_verify_moves_reads_the_moved_directions():
    from dialogue.latent import verify_moves
    from generators import registry
    from sessions.state import ImageState
    if "dcgan" not in registry.available("faces"):
        import pytest
        pytest.skip("no shipped dcgan weights")
    start = ImageState.new("faces", 3, generator="dcgan")
    moved = start.evolve(offsets={"hat": 1.0})
    gen = registry.get_generator("dcgan", "faces")
    v = verify_moves(start, moved, gen.render(moved))
    assert v is not None and set(v.checked) == {"hat"} and v.checked["hat"]["asked"] is True
    assert verify_moves(start, start, gen.render(start)) is None    # nothing moved
    studio = ImageState.new("faces", 3)
    assert verify_moves(studio, studio.evolve(offsets={"hat": 1.0}), gen.render(start)) is None
