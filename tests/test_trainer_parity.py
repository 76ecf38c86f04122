"""The five trainers compute on the kernel what they computed before it
(issue 25): tiny seeded runs, recorded with the pre-kernel code in
tests/data/trainer_parity.json (scripts/trainer_parity.py), give the same
per-step losses and bit-identical saved weights."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("trainer_parity",
                                              ROOT / "scripts" / "trainer_parity.py")
assert spec and spec.loader
parity = importlib.util.module_from_spec(spec)
spec.loader.exec_module(parity)
BASE = json.loads((ROOT / "tests" / "data" / "trainer_parity.json").read_text())

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("case", sorted(BASE))
def test_the_kernel_trains_as_the_old_loops_did(case):
    res = parity.compare(BASE[case], parity.run_case(case))
    assert res["identical"] and res["max_loss_diff"] == 0.0 and not res["missing_terms"], res


def test_shipped_weights_load_and_render_as_before():
    """Every shipped weights folder, loaded by its loader (configs that still
    carry training settings included), renders as it did with the pre-kernel
    code (tests/data/shipped_renders.json, recorded with main's code)."""
    want = json.loads((ROOT / "tests" / "data" / "shipped_renders.json").read_text())
    assert parity.shipped_renders() == want
