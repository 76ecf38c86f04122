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
