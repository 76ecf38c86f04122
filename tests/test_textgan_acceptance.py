"""The checks of issue 29 in ``holochat eval textgan``: the generator against the
studio on the same states, and the row-wise high-frequency energy."""

import numpy as np

from generators.datasets import make_dataset
from generators.evaluation.textgan import acceptance_checks, row_hf_energy


def test_stripes_raise_and_blur_lowers_the_row_energy():
    imgs = make_dataset("faces", 6, seed=2, workers=1).images
    base = row_hf_energy(imgs)
    striped = imgs.astype(int)
    striped[:, :, ::2] += 20                         # a vertical stripe every other column
    assert row_hf_energy(np.clip(striped, 0, 255).astype(np.uint8)) > 1.5 * base
    blurred = ((imgs[:, :, :-1].astype(int) + imgs[:, :, 1:]) // 2).astype(np.uint8)
    assert row_hf_energy(blurred) < base
    assert row_hf_energy(np.full((2, 8, 8, 3), 90, np.uint8)) == 0.0


def _res(attr, edits, **kw):
    return {"attr_accuracy": float(np.mean(list(attr.values()))),
            "attr_accuracy_per_attribute": attr, "edit_success": float(np.mean(list(edits.values()))),
            "edit_success_per_attribute": edits, "preservation": 0.97, "identity_ratio": 0.2,
            "yaw_mae": 2.0, "hf_energy_rows": 30.0, **kw}


def test_each_attribute_and_edit_is_held_to_the_studio_within_005():
    studio = _res({"expression": 0.80, "hat": 1.0}, {"expression": 0.85, "hat": 1.0})
    good = _res({"expression": 0.99, "hat": 0.99}, {"expression": 0.96, "hat": 1.0},
                heldout_caption_accuracy=0.9, hf_energy_rows=35.0)
    checks = acceptance_checks(good, studio)
    assert all(c["passes"] for c in checks.values()), checks
    bad = _res({"expression": 0.74, "hat": 1.0}, {"expression": 0.79, "hat": 1.0},
               heldout_caption_accuracy=0.9, hf_energy_rows=15.0)
    checks = acceptance_checks(bad, studio)
    failed = {k for k, c in checks.items() if not c["passes"]}
    assert {"attr:expression", "edit:expression", "hf_energy_ratio", "attr_accuracy",
            "edit_success"} <= failed
    assert "attr:hat" not in failed and checks["hf_energy_ratio"]["value"] == 0.5
