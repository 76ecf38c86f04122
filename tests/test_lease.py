"""The GPU lease path on the CPU: the smoke run of scripts/gpu-train.sh, the
bundle format, and `holochat weights import` refusing damaged and worse
bundles and installing a better one."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from generators.bundles import (MAX_FILE_BYTES, MAX_TOTAL_BYTES, BundleError, compare, pack, read_manifest,
                                unpack)
from generators.weights import weights_path

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict:
    return dict(os.environ, HOLOCHAT_CACHE_DIR=str(tmp_path / "cache"),
                HOLOCHAT_DATA_DIR=str(tmp_path / "data"), OMP_NUM_THREADS="1",
                PYTHON=sys.executable, TMPDIR=str(tmp_path))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.slow
def test_smoke_run_returns_bundles_within_the_lease_limits(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([str(ROOT / "scripts" / "gpu-train.sh"), "--smoke", "--out", str(out)],
                       env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert 1 < len(files) <= 8
    assert all(p.stat().st_size <= MAX_FILE_BYTES for p in files)
    assert sum(p.stat().st_size for p in files) <= MAX_TOTAL_BYTES
    summary = json.loads((out / "summary.json").read_text())
    from holochat.lease import default_jobs
    assert set(summary["jobs"]) == set(default_jobs())
    for name, job in summary["jobs"].items():
        assert job["exit"] == 0, (name, job["log_tail"])
        assert job["step"] and job["step"] >= 1
        manifest = read_manifest(out / job["bundle"])
        assert manifest["name"] == name and manifest["device"] == "cpu"
        target = unpack(out / job["bundle"], tmp_path / "unpacked" / name)
        assert json.loads((tmp_path / "unpacked" / name / "config.json").read_text())["model"] \
            == manifest["model"] == target["model"]


def test_lease_refuses_a_folder_that_is_not_empty_and_unknown_jobs(tmp_path):
    from holochat import lease
    (tmp_path / "x").write_text("old")
    with pytest.raises(RuntimeError, match="not empty"):
        lease.run(tmp_path, smoke=True)
    with pytest.raises(ValueError, match="unknown jobs"):
        lease.run(tmp_path / "new", smoke=True, only=["nope"])


# ---------------------------------------------------------------------------
# bundles


@pytest.fixture(scope="module")
def tiny_chairs(tmp_path_factory) -> Path:
    """A 3-step conv-deconv chairs checkpoint (far worse than the shipped one)."""
    from generators.datasets import make_dataset
    from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
    out = tmp_path_factory.mktemp("tiny") / "convdeconv-chairs"
    ds = make_dataset("chairs", 8, seed=0, workers=1)
    train_convdeconv(ConvDeconvTrainOptions(domain="chairs", steps=3, batch=4, out=str(out),
                                            progress=False, sample_every=100), dataset=ds)
    return out


def test_pack_unpack_round_trip_and_half_precision(tmp_path, tiny_chairs):
    b = pack(tiny_chairs, tmp_path / "a.tar", {"model": "convdeconv", "domain": "chairs"})
    m = unpack(b, tmp_path / "a")
    assert m["dtype"] == "float32"
    assert _digest(tmp_path / "a")["model.safetensors"] == \
        _digest(tiny_chairs)["model.safetensors"]
    import generators.bundles as B
    b2 = B.pack(tiny_chairs, tmp_path / "b.tar", {"model": "convdeconv", "domain": "chairs"},
                max_bytes=5 * 1024 * 1024)                     # the float32 weights don't fit
    with pytest.raises(BundleError, match="share"):
        B.pack(tiny_chairs, tmp_path / "c.tar", {"model": "convdeconv", "domain": "chairs"},
               max_bytes=1024 * 1024)
    assert not (tmp_path / "c.tar").exists()
    assert b2.stat().st_size < b.stat().st_size * 0.6
    m2 = B.unpack(b2, tmp_path / "b")
    assert m2["dtype"] == "float16"
    from safetensors.numpy import load_file
    x, y = load_file(str(tiny_chairs / "model.safetensors")), load_file(str(tmp_path / "b" /
                                                                          "model.safetensors"))
    assert set(x) == set(y)
    for k in x:
        assert y[k].dtype == x[k].dtype
        assert abs(y[k].astype("f8") - x[k]).max() <= 1e-3 * max(1.0, abs(x[k]).max())


def test_damaged_bundles_are_refused(tmp_path, tiny_chairs):
    b = pack(tiny_chairs, tmp_path / "a.tar", {"model": "convdeconv", "domain": "chairs"})
    cut = tmp_path / "cut.tar"
    cut.write_bytes(b.read_bytes()[: b.stat().st_size // 2])
    with pytest.raises(BundleError):
        unpack(cut, tmp_path / "x")
    with pytest.raises(BundleError, match="no bundle file"):
        read_manifest(tmp_path / "missing.tar")
    foreign = tmp_path / "foreign.tar"
    with tarfile.open(foreign, "w") as t:
        t.add(tiny_chairs / "config.json", arcname="config.json")
    with pytest.raises(BundleError):
        read_manifest(foreign)


def test_compare_needs_better_somewhere_and_worse_nowhere():
    old = {"psnr_test": 24.0, "mask_iou_test": 0.96, "psnr_extrapolated_elevation": 23.0}
    up = compare("convdeconv", "chairs", old, {**old, "psnr_test": 25.0})
    assert up.better and up.improved == ["psnr_test"]
    level = compare("convdeconv", "chairs", old, {**old, "psnr_test": 24.1})
    assert not level.better and "level" in level.reason
    mixed = compare("convdeconv", "chairs", old, {**old, "psnr_test": 26.0, "mask_iou_test": 0.9})
    assert not mixed.better and mixed.worse == ["mask_iou_test"]
    lower = compare("textgan", "faces", {"yaw_mae": 3.0}, {"yaw_mae": 2.0})
    assert "yaw_mae" in lower.improved
    assert not compare("nosuchmodel", "faces", {}, {"x": 1}).better
    nested = compare("pix2pix", "chairs", {"heldout": {"pix2pix": {"psnr": 20.0}},
                                           "perturbed": {"pix2pix": {"psnr": 19.0}}},
                     {"heldout": {"pix2pix": {"psnr": 21.0}}, "perturbed": {"pix2pix": {"psnr": 19.1}}})
    assert nested.better and nested.improved == ["heldout.pix2pix.psnr"]
    first = compare("pix2pix", "faces", None, {"heldout": {"pix2pix": {"psnr": 20.0}}})
    assert not first.better and "not measured" in first.reason


# ---------------------------------------------------------------------------
# holochat weights import


def _import(tmp_path, bundle, target, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "holochat", "weights", "import", str(bundle),
                           "--target", str(target), "--eval-args", "--n-test 40", *extra],
                          env=_env(tmp_path), capture_output=True, text=True, timeout=300,
                          cwd=str(ROOT))


def test_import_refuses_a_damaged_bundle_and_changes_nothing(tmp_path, tiny_chairs):
    import shutil
    target = tmp_path / "installed"
    shutil.copytree(tiny_chairs, target)
    before = _digest(target)
    b = pack(tiny_chairs, tmp_path / "a.tar", {"model": "convdeconv", "domain": "chairs"})
    cut = tmp_path / "cut.tar"
    cut.write_bytes(b.read_bytes()[:5000])
    r = _import(tmp_path, cut, target)
    assert r.returncode == 2
    assert "refused" in r.stderr and "Traceback" not in r.stderr
    assert _digest(target) == before


@pytest.mark.slow
def test_import_refuses_worse_and_installs_better(tmp_path, tiny_chairs):
    import shutil
    shipped = weights_path("convdeconv", "chairs")
    # worse: the 3-step weights against a copy of the shipped ones
    target = tmp_path / "installed"
    shutil.copytree(shipped, target)
    before = _digest(target)
    worse = pack(tiny_chairs, tmp_path / "worse.tar", {"model": "convdeconv", "domain": "chairs",
                                                       "step": 3})
    r = _import(tmp_path, worse, target)
    assert r.returncode == 1, r.stderr
    assert "Refused, nothing changed: worse on psnr_test" in r.stdout
    assert _digest(target) == before
    # better: the shipped weights against the 3-step ones
    target2 = tmp_path / "installed2"
    shutil.copytree(tiny_chairs, target2)
    better = pack(shipped, tmp_path / "better.tar", {"model": "convdeconv", "domain": "chairs",
                                                     "step": 5500, "device": "cpu"})
    r = _import(tmp_path, better, target2, "--json")
    assert r.returncode == 0, r.stderr
    verdict = json.loads(r.stdout.strip().splitlines()[-1])
    assert verdict["installed"] and "psnr_test" in verdict["reason"]
    assert _digest(target2)["model.safetensors"] == _digest(shipped)["model.safetensors"]
    cfg = json.loads((target2 / "config.json").read_text())
    assert cfg["extra"]["eval"]["psnr_test"] > 20
    assert cfg["extra"]["lease"]["step"] == 5500


def test_store_half_ships_float16_weights_that_load_as_before(tmp_path, tiny_chairs):
    import shutil

    import numpy as np
    from safetensors.numpy import load_file

    from generators.checkpoint import store_half
    from generators.convdeconv_gen import ConvDeconvGenerator
    d = tmp_path / "w"
    shutil.copytree(tiny_chairs, d)
    # weights that travelled as float16 (a bundle's) are exactly representable: lossless
    w = {k: v.astype(np.float16).astype(np.float32) for k, v in
         load_file(str(d / "model.safetensors")).items()}
    from safetensors.numpy import save_file
    save_file(w, str(d / "model.safetensors"), metadata={"model": "convdeconv"})
    before = ConvDeconvGenerator("chairs", d).render_batch([_chair_attrs()])
    size = (d / "model.safetensors").stat().st_size
    store_half(d)
    assert json.loads((d / "config.json").read_text())["dtype"] == "float16"
    assert (d / "model.safetensors").stat().st_size < size * 0.6
    assert all(v.dtype == np.float16 for v in load_file(str(d / "model.safetensors")).values())
    after = ConvDeconvGenerator("chairs", d).render_batch([_chair_attrs()])
    assert np.array_equal(before, after)


def _chair_attrs() -> dict:
    from generators.schema import get_schema
    return get_schema("chairs").defaults(seed=5)
