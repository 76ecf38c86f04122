"""Weight bundles: one file that carries a trained model between machines.

A lent GPU machine returns at most 8 files of at most 16 MiB each, so every
model it trains comes home as one uncompressed tar (``NAME.tar``)::

    bundle.json          what it is: model, domain, the weights folder it
                         would replace, steps, device, seconds, images/s, the
                         exact training arguments, and the weights' dtype
    config.json          the checkpoint's own config (unchanged)
    model.safetensors    its weights: float32, or float16 when float32 would
                         not fit the file limit (then widened back on unpack)
    sample.png           the last sample sheet, when there is one

``pack`` writes one, ``unpack`` checks and extracts one into a folder that
``from_pretrained`` loads; a damaged, truncated or foreign file raises
``BundleError`` with a message that says what is wrong.  Deciding whether a
bundle is *better* than the shipped weights (``compare``) is a pure function
of two eval results and the model's acceptance figures (``FIGURES``).
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUNDLE_VERSION = 1
MAX_FILE_BYTES = 16 * 1024 * 1024  # the lease's limit on one returned file
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # ... and on all of them together
MANIFEST = "bundle.json"
MEMBERS = ("config.json", "model.safetensors")
OPTIONAL = ("sample.png", "directions.json", "directions.safetensors")


class BundleError(ValueError):
    """A bundle that cannot be used; the message says why."""


# ---------------------------------------------------------------------------
# the acceptance figures each model is compared on
#
# (figure, +1 when higher is better / -1 when lower is, tolerance): a change
# smaller than the tolerance counts as equal (evaluation noise at the fast
# eval's sample size).  A bundle is better when it beats the shipped weights
# beyond tolerance on at least one figure and is worse beyond tolerance on none.


@dataclass(frozen=True)
class Figure:
    key: str
    sign: int  # +1: higher is better; -1: lower is better
    tol: float  # absolute tolerance
    relative: bool = False  # tol is a fraction of the shipped value


FIGURES: dict[str, tuple[Figure, ...]] = {
    "textgan": (
        Figure("attr_accuracy", 1, 0.01),
        Figure("edit_success", 1, 0.02),
        Figure("preservation", 1, 0.01),
        Figure("identity_ratio", -1, 0.01),
        Figure("yaw_mae", -1, 0.3),
        Figure("heldout_caption_accuracy", 1, 0.02),
    ),
    "convdeconv-faces": (
        Figure("psnr_test", 1, 0.2),
        Figure("expression_contrast_in_region_min", 1, 0.02),
    ),
    "convdeconv-chairs": (
        Figure("psnr_test", 1, 0.2),
        Figure("mask_iou_test", 1, 0.005),
        Figure("psnr_extrapolated_elevation", 1, 0.2),
    ),
    "judge": (
        Figure("min_class_accuracy_visible", 1, 0.005),
        Figure("min_class_accuracy", 1, 0.005),
        Figure("yaw_mae", -1, 0.1),
        Figure("light_azimuth_mae", -1, 0.2),
    ),
    "dcgan": (
        Figure("direction_success", 1, 0.03),
        Figure("direction_preservation", 1, 0.02),
        Figure("completion_gain_db", 1, 0.3),
        Figure("fid_judge", -1, 0.05, True),
    ),
    "pix2pix-faces": (
        Figure("heldout.pix2pix.psnr", 1, 0.2),
        Figure("perturbed.pix2pix.psnr", 1, 0.2),
        Figure("heldout.pix2pix.attr_drawn", 1, 0.01),
        Figure("perturbed.pix2pix.attr_drawn", 1, 0.01),
    ),
    "pix2pix-chairs": (
        Figure("heldout.pix2pix.psnr", 1, 0.2),
        Figure("perturbed.pix2pix.psnr", 1, 0.2),
    ),
}


def figures_for(model: str, domain: str) -> tuple[Figure, ...]:
    return FIGURES.get(f"{model}-{domain}") or FIGURES.get(model) or ()


@dataclass
class Verdict:
    better: bool
    improved: list[str]
    worse: list[str]
    rows: list[dict[str, Any]]  # figure, shipped, bundle, verdict
    reason: str


def _get(d: dict | None, key: str):
    """``d[key]``, where a dotted key reads nested results ("heldout.pix2pix.psnr")."""
    for part in key.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(part)
    return d


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def compare(model: str, domain: str, shipped: dict | None, new: dict) -> Verdict:
    """Is ``new`` (an eval result) better than ``shipped`` on the model's
    acceptance figures?  No shipped weights: better when it measured at all."""
    figs = figures_for(model, domain)
    if not figs:
        return Verdict(
            False,
            [],
            [],
            [],
            f"no acceptance figures are defined for {model} "
            f"({domain}); install it by hand if you mean to",
        )
    rows, improved, worse = [], [], []
    for f in figs:
        a, b = _num(_get(shipped, f.key)), _num(_get(new, f.key))
        if b is None:
            rows.append({"figure": f.key, "shipped": a, "bundle": None, "verdict": "missing"})
            worse.append(f"{f.key} (not measured)")
            continue
        if a is None:
            rows.append({"figure": f.key, "shipped": None, "bundle": b, "verdict": "new"})
            improved.append(f.key)
            continue
        tol = f.tol * abs(a) if f.relative else f.tol
        d = (b - a) * f.sign
        verdict = "better" if d > tol else "worse" if d < -tol else "level"
        rows.append({"figure": f.key, "shipped": a, "bundle": b, "verdict": verdict})
        if verdict == "better":
            improved.append(f.key)
        elif verdict == "worse":
            worse.append(f.key)
    if worse:
        reason = "worse on " + ", ".join(worse)
    elif not improved:
        reason = "level with the shipped weights on every acceptance figure"
    else:
        reason = (
            "better on "
            + ", ".join(improved)
            + (", level on the rest" if len(improved) < len(figs) else "")
        )
    return Verdict(bool(improved) and not worse, improved, worse, rows, reason)


# ---------------------------------------------------------------------------
# pack / unpack


def _to_half_if_needed(weights: bytes, max_bytes: int) -> tuple[bytes, str]:
    """The weights file as is, or with every float32 tensor as float16 when
    the float32 file would not fit ``max_bytes``."""
    if len(weights) + 64 * 1024 <= max_bytes:
        return weights, "float32"
    import numpy as np
    from safetensors.numpy import load, save

    t = load(weights)
    meta = _safetensors_metadata(weights)
    half = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in t.items()}
    return save(half, metadata=meta or None), "float16"


def _safetensors_metadata(blob: bytes) -> dict[str, str]:
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    return dict(header.get("__metadata__") or {})


def pack(
    weights_dir: str | Path,
    out_file: str | Path,
    info: dict[str, Any],
    max_bytes: int | None = None,
) -> Path:
    """Write ``out_file`` (a .tar) from a checkpoint folder; ``info`` must name
    ``model`` and ``domain`` and may carry steps, device, args, timings.
    ``max_bytes`` (at most the lease's file limit): the weights travel in
    float16 when float32 would not fit it (a lease of seven models shares
    64 MiB)."""
    max_bytes = min(max_bytes or MAX_FILE_BYTES, MAX_FILE_BYTES)
    weights_dir, out_file = Path(weights_dir), Path(out_file)
    for m in MEMBERS:
        if not (weights_dir / m).is_file():
            raise BundleError(f"{weights_dir} has no {m}: nothing to bundle")
    blob, dtype = _to_half_if_needed((weights_dir / "model.safetensors").read_bytes(), max_bytes)
    files = {"config.json": (weights_dir / "config.json").read_bytes(), "model.safetensors": blob}
    for name in OPTIONAL[1:]:
        if (weights_dir / name).is_file():
            files[name] = (weights_dir / name).read_bytes()
    samples = (
        sorted((weights_dir / "samples").glob("*.png"))
        if (weights_dir / "samples").is_dir()
        else sorted(weights_dir.glob("*.png"))
    )
    if samples and sum(map(len, files.values())) + samples[-1].stat().st_size < max_bytes - 2**16:
        files["sample.png"] = samples[-1].read_bytes()
    manifest = {"bundle_version": BUNDLE_VERSION, "dtype": dtype, **info, "files": sorted(files)}
    for k in ("model", "domain"):
        if not manifest.get(k):
            raise BundleError(f"bundle info must name the {k}")
    files = {MANIFEST: json.dumps(manifest, indent=1).encode(), **files}
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_suffix(out_file.suffix + ".tmp")
    with tarfile.open(tmp, "w") as tar:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 0
            tar.addfile(ti, io.BytesIO(data))
    tmp.replace(out_file)
    if out_file.stat().st_size > max_bytes:
        size = out_file.stat().st_size
        out_file.unlink()
        raise BundleError(
            f"{out_file.name} would be {size} bytes, over its {max_bytes} byte "
            "share of what a lease returns"
        )
    return out_file


def read_manifest(bundle: str | Path) -> dict[str, Any]:
    bundle = Path(bundle)
    if not bundle.is_file():
        raise BundleError(f"no bundle file at {bundle}")
    try:
        with tarfile.open(bundle, "r:") as tar:
            f = tar.extractfile(MANIFEST)
            if f is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(f.read())
    except (tarfile.TarError, KeyError, OSError, json.JSONDecodeError, EOFError) as e:
        raise BundleError(
            f"{bundle} is not a readable weights bundle ({type(e).__name__}: "
            f"{str(e)[:120]}); it may be damaged or cut off"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("bundle_version") != BUNDLE_VERSION:
        raise BundleError(
            f"{bundle}: unknown bundle version "
            f"{manifest.get('bundle_version') if isinstance(manifest, dict) else '?'}"
        )
    return manifest


def unpack(bundle: str | Path, target: str | Path) -> dict[str, Any]:
    """Check ``bundle`` and extract it into ``target`` (config.json +
    float32 model.safetensors + extras); returns the manifest."""
    import numpy as np
    from safetensors.numpy import load, save

    manifest = read_manifest(bundle)
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(bundle, "r:") as tar:
            names = set(tar.getnames())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                raise BundleError(f"{bundle} lacks {', '.join(missing)}")
            for name in MEMBERS + OPTIONAL:
                if name not in names:
                    continue
                f = tar.extractfile(name)
                if f is None:
                    raise BundleError(f"{bundle}: {name} is not a file")
                data = f.read()
                if name == "model.safetensors":
                    try:
                        tensors = load(data)
                    except Exception as e:
                        raise BundleError(
                            f"{bundle}: the weights do not read "
                            f"({str(e)[:120]}); the bundle is damaged"
                        ) from None
                    if manifest.get("dtype") == "float16":
                        tensors = {
                            k: v.astype(np.float32) if v.dtype == np.float16 else v
                            for k, v in tensors.items()
                        }
                        data = save(tensors, metadata=_safetensors_metadata(data) or None)
                elif name == "config.json":
                    try:
                        json.loads(data)
                    except json.JSONDecodeError:
                        raise BundleError(f"{bundle}: config.json is not JSON") from None
                (target / name).write_bytes(data)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise BundleError(
            f"{bundle} is damaged or cut off ({type(e).__name__}: {str(e)[:120]})"
        ) from None
    return manifest
