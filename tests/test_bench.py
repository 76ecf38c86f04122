"""``holochat bench``: the quick run's JSON has every key, each a number or null
with a reason; helpers compute what they say."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from holochat import bench

ROOT = Path(__file__).resolve().parents[1]

REQUIRED = ("turn_ms_p50", "turn_ms_p95", "parse_grammar_ms_p50", "parse_fallback_ms_p50",
            "reader_ms_p50", "reader_load_s",
            "apply_log_ms_p50", "render_ms_p50", "cold_run_s", "app_ready_s",
            "replay_turns_per_s", "train_images_per_s", "train_speedup_vs_reference",
            "verify_ms_p50", "device")
PER_NAME = ("render_ms_p50", "train_images_per_s")


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


@pytest.mark.slow
def test_quick_bench_json_has_every_key_with_a_number_or_a_reason(tmp_path):
    r = subprocess.run([sys.executable, "-m", "holochat", "bench", "--quick", "--json",
                        "--results-dir", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    written = sorted(tmp_path.glob("bench-*-cpu-quick.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["device"] == "cpu"
    assert result["device"] == "cpu"
    for key in ("cpu", "cores", "torch", "python", "device_name"):
        assert result["machine"][key], key
    reasons = result["null_reasons"]
    for key in REQUIRED[:-1]:
        assert key in result, key
        v = result[key]
        if key in PER_NAME and v is not None:
            assert v, key
            for name, x in v.items():
                assert _number(x) or (x is None and reasons.get(f"{key}.{name}")), (key, name)
        else:
            assert _number(v) or (v is None and reasons.get(key)), (key, v)
    # what is always here regardless of the other parts: parse, render, training
    assert _number(result["parse_grammar_ms_p50"])
    assert _number(result["render_ms_p50"]["studio"])
    assert _number(result["train_images_per_s"]["dcgan"])
    assert _number(result["train_speedup_vs_reference"])
    assert result["mfu"] is None and "CUDA" in reasons["mfu"]
    assert set(result["acceptance"]) == {"turn_ms_p50", "cold_run_s", "replay_turns_per_s",
                                         "verify_ms_p50"}


def test_percentiles():
    p50, p95 = bench.percentiles([float(i) for i in range(1, 101)])
    assert p50 == pytest.approx(50.5) and p95 == pytest.approx(95.05)


def test_peak_flops_by_gpu_name():
    assert bench.peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert bench.peak_flops("NVIDIA H100 PCIe") == 756e12
    assert bench.peak_flops("NVIDIA H200") == 989e12
    assert bench.peak_flops("NVIDIA A100-SXM4-40GB") == 312e12
    assert bench.peak_flops("Some Future GPU") is None


def _result(**kw):
    base = {"device": "cpu", "quick": True, "time": "2026-01-02T03:04:05+00:00",
            "machine": {"device_name": "cpu x", "cores": 2, "torch": "2", "python": "3.11"}}
    base.update(kw)
    return base


def test_acceptance_checks_limits_and_leaves_unmeasured_undecided():
    acc = bench.acceptance(_result(turn_ms_p50=9.0, cold_run_s=7.5, replay_turns_per_s=None))
    assert acc["turn_ms_p50"]["pass"] is True
    assert acc["cold_run_s"]["pass"] is False and acc["cold_run_s"]["limit"] == "<= 6.0"
    assert acc["replay_turns_per_s"]["pass"] is None
    cuda = bench.acceptance(_result(device="cuda", train_speedup_vs_reference=2.4))
    assert cuda == {"train_speedup_vs_reference": {"value": 2.4, "limit": ">= 2.0", "pass": True}}


def test_unavailable_sections_record_null_with_reason(monkeypatch, tmp_path):
    def missing(s):
        raise bench.Unavailable("not built yet")

    def broken(s):
        raise KeyError("boom")
    monkeypatch.setattr(bench, "SECTIONS", {"a": (missing, ("x", "y")), "b": (broken, ("z",)),
                                            "c": (lambda s: {"values": {"w": 1.0}}, ("w",))})
    res = bench.run(bench.Settings(quick=True, tmp=tmp_path))
    assert res["x"] is None and res["y"] is None and res["null_reasons"]["x"] == "not built yet"
    assert res["z"] is None and "KeyError" in res["null_reasons"]["z"]
    assert res["w"] == 1.0 and "w" not in res["null_reasons"]
    path = bench.write(res, tmp_path / "out")
    assert path.name.startswith("bench-") and path.name.endswith("-cpu-quick.json")
    assert json.loads(path.read_text())["w"] == 1.0


def test_table_shows_values_and_dashes():
    text = bench.table(_result(turn_ms_p50=4.25, turn_ms_p95=9.0, render_ms_p50={"studio": 7.5},
                               train_speedup_vs_reference=None))
    assert "| turn (grammar path, p50 / p95) | 4.25 ms / 9 ms |" in text
    assert "studio 7.5 ms" in text
    assert "| DCGAN trainer ÷ reference loop | — |" in text
