"""``holochat eval dcgan``: how well the DCGAN's attribute directions, image
completion and samples work, measured with the faces judge (issue #8).

- ``direction_success``: for each binary direction, the fraction of sampled
  faces the judge reads *without* the attribute that it reads *with* it after
  a move of 1.0 calibrated unit (fixed in advance); mean over directions.
- ``direction_preservation``: over the same moves (and +1 step of every
  numeric direction), the fraction of the other attributes whose reading did
  not change: categories and bools exactly, numbers within one schema step;
  the target's own attribute and the ones coupled to it (directions.COUPLED)
  are left out.
- ``direction_entanglement``: mean |cos| between each direction and the
  InterFaceGAN normals of the other attributes, ``raw`` (normal vs normal)
  and ``projected`` (the conditionally projected direction a state moves
  along vs the others' normals; ~0 by construction), with
  ``projected_pairwise`` (projected vs projected) and ``mean_diff`` beside.
- ``strength_sweep`` (``sweep=``, ``--sweep``): success and preservation at
  other strengths, the trade-off curve; the acceptance figures stay at 1.0.
- ``completion_psnr_masked`` / ``completion_psnr_meanfill``: completion of
  held-out studio faces against the mean-fill baseline
  (generators/latent/completion.py).
- ``fid_judge`` / ``fid_judge_floor``: Fréchet distance of judge features,
  samples vs held-out studio renders, and a second studio sample vs the same
  renders (generators/evaluation/fid.py); ``fid_judge_convdeconv`` the same
  figure for the shipped conv-deconv's renders of a third studio sample's
  attributes (the bar: at most twice it), all at the same sample size.
- ``attribute_coverage``: for every class attribute, how often the judge
  reads each value on the samples beside on held-out studio renders, and
  ``coverage_tv``, the mean total-variation distance between the two.

Every figure has its standard error beside it (``…_se``): binomial for the
rates, over samples for preservation, over (image, region) pairs for
completion, a bootstrap over the samples for ``fid_judge``.

Two presets (``FAST``, the default of ``holochat eval dcgan``, meant to finish
within 3 minutes on 2 CPU cores for the shipped widths; ``FULL``, ``--full``):
fewer samples, at most ``per_direction`` moved samples per direction, and a
smaller completion search.  The directions move latents in the generator's
direction space (w for a DCGAN with a mapping network).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import numpy as np

from generators.latent.directions import USED, Directions, Target, related
from generators.schema import BOOL, CATEGORY, get_schema

THRESHOLDS = {
    "direction_success": 0.80,
    "direction_preservation": 0.90,
    "completion_gain_db": 3.0,
    "fid_ratio_to_convdeconv": 2.0,
}


def _read(judge, images: np.ndarray) -> list[dict]:
    from generators.nets.judge import read_attributes

    return read_attributes(judge, images)[0]


def _target(d) -> Target:
    return Target(d.name, d.attr, d.value, d.kind)


def _preserved(before: dict, after: dict, skip: frozenset[str], domain: str) -> tuple[int, int]:
    """(unchanged, compared) over the attributes not in ``skip``."""
    same = total = 0
    for a in get_schema(domain):
        if a.name in skip or a.name not in before or a.kind == "seed":
            continue
        total += 1
        if a.numeric:
            same += abs(float(after[a.name]) - float(before[a.name])) <= float(a.step or 0.0)
        else:
            same += after[a.name] == before[a.name]
    return same, total


def _render(gen, x: np.ndarray) -> np.ndarray:
    """Renders of latents in the generator's direction space (z, or w)."""
    return gen.render_latent(x) if hasattr(gen, "render_latent") else gen.render_z(x)


class Preset(TypedDict):
    n: int
    per_direction: int | None
    completion_n: int
    completion_steps: int
    completion_restarts: int
    completion_pool: int
    fid_boot: int


FAST: Preset = {
    "n": 300,
    "per_direction": None,
    "completion_n": 24,
    "completion_steps": 200,
    "completion_restarts": 4,
    "completion_pool": 64,
    "fid_boot": 20,
}
FULL: Preset = {
    "n": 500,
    "per_direction": None,
    "completion_n": 100,
    "completion_steps": 200,
    "completion_restarts": 4,
    "completion_pool": 64,
    "fid_boot": 20,
}
COMPLETION_REGIONS = ("center", "left", "eyes")


def _mean_se(means: Sequence[float], ses: Sequence[float]) -> float | None:
    """Standard error of the mean of independent estimates with these errors."""
    if not means:
        return None
    return float(np.sqrt(np.sum(np.square(ses))) / len(means))


def direction_metrics(
    gen,
    judge,
    z: np.ndarray,
    base: list[dict],
    strength: float = 1.0,
    on_progress: Callable[[int], None] | None = None,
    per_direction: int | None = None,
) -> dict[str, Any]:
    """Success / preservation of every direction of ``gen.directions`` from the
    sampled latents ``z`` (N×D, in the direction space) and the judge's
    readings of their renders; at most ``per_direction`` moved samples each
    (the first ones; None: all)."""
    dirs: Directions = gen.directions
    domain = dirs.domain
    per: dict[str, dict[str, Any]] = {}
    succ, succ_se, pres, pres_se = [], [], [], []
    for d in dirs.infos:
        t = _target(d)
        if d.kind == "binary":
            idx = [i for i, r in enumerate(base) if t.positive(r) is False]
        else:
            idx = list(range(len(base)))
        if per_direction is not None:
            idx = idx[: int(per_direction)]
        if not idx:
            per[d.name] = {"n": 0}
            if on_progress is not None:
                on_progress(1)
            continue
        moved = z[idx] + strength * dirs.scale(d.name) * dirs.vector(d.name, USED)  # k×D
        after = _read(judge, _render(gen, moved))
        fr = []
        for i, r in zip(idx, after):
            s, n = _preserved(base[i], r, related(d.attr), domain)
            if n:
                fr.append(s / n)
        p = float(np.mean(fr)) if fr else 1.0
        p_se = float(np.std(fr, ddof=1) / np.sqrt(len(fr))) if len(fr) > 1 else 0.0
        rec: dict[str, Any] = {"n": len(idx), "preservation": p}
        if d.kind == "binary":
            hit = float(np.mean([bool(t.positive(r)) for r in after]))
            rec["success"] = hit
            succ.append(hit)
            succ_se.append(np.sqrt(hit * (1 - hit) / len(idx)))
        else:
            delta = np.array(
                [float(r[d.attr]) - float(base[i][d.attr]) for i, r in zip(idx, after)]
            )
            step = float(d.step or 1.0)
            rec["response_per_step"] = float(delta.mean() / step)  # 1.0 = exactly one step
            rec["right_sign"] = float(np.mean(delta > 0))
        pres.append(p)
        pres_se.append(p_se)
        per[d.name] = rec
        if on_progress is not None:
            on_progress(1)
    return {
        "direction_success": float(np.mean(succ)) if succ else None,
        "direction_success_se": _mean_se(succ, succ_se),
        "direction_preservation": float(np.mean(pres)) if pres else None,
        "direction_preservation_se": _mean_se(pres, pres_se),
        "directions": per,
        "strength": strength,
    }


def entanglement(dirs: Directions) -> dict[str, float]:
    return {
        "raw": dirs.entanglement("interfacegan", "interfacegan"),
        "projected": dirs.entanglement("projected", "interfacegan"),
        "projected_pairwise": dirs.entanglement("projected", "projected"),
        "mean_diff": dirs.entanglement("mean_diff", "mean_diff"),
    }


def completion_metrics(
    gen, n: int, seed: int, on_progress: Callable[[int], None] | None = None, **kw
) -> dict[str, Any]:
    """Completion PSNR on held-out studio faces; nulls with a reason where the
    completion module is not available."""
    try:
        from generators.latent.completion import evaluate_completion
    except ImportError as e:
        return {
            "completion_psnr_masked": None,
            "completion_psnr_meanfill": None,
            "completion_note": f"completion is not available ({e})",
        }
    from generators.datasets import make_dataset

    size = gen.cfg.image_size
    images = make_dataset("faces", n, seed=seed + 7, size=size, split="test", workers=1).images
    res = evaluate_completion(gen.G, gen.D, images, n=n, seed=seed, on_progress=on_progress, **kw)
    out = {
        k: res[k]
        for k in ("completion_psnr_masked", "completion_psnr_meanfill", "completion_gain_db_se")
    }
    out["completion_n"] = int(res.get("n", n))
    out["completion_settings"] = {
        k: res[k] for k in ("regions", "steps", "restarts", "pool", "space") if k in res
    }
    out["completion_gain_db"] = out["completion_psnr_masked"] - out["completion_psnr_meanfill"]
    return out


def attribute_coverage(
    samples: list[dict], studio: list[dict], domain: str = "faces"
) -> dict[str, Any]:
    """How often the judge reads each value of every class attribute on the
    samples and on studio renders (fractions, with the samples' binomial
    standard error), and the mean total-variation distance over attributes."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    tvs = []
    n = max(1, len(samples))
    for a in get_schema(domain):
        if a.kind not in (BOOL, CATEGORY):
            continue
        values = [True, False] if a.kind == BOOL else list(a.values)
        rows = {}
        tv = 0.0
        for v in values:
            p = float(np.mean([r.get(a.name) == v for r in samples])) if samples else 0.0
            q = float(np.mean([r.get(a.name) == v for r in studio])) if studio else 0.0
            rows[str(v).lower() if isinstance(v, bool) else str(v)] = {
                "samples": p,
                "samples_se": float(np.sqrt(p * (1 - p) / n)),
                "studio": q,
            }
            tv += abs(p - q)
        out[a.name] = rows
        tvs.append(0.5 * tv)
    return {"attribute_coverage": out, "coverage_tv": float(np.mean(tvs)) if tvs else None}


def fid_with_error(
    judge,
    samples: np.ndarray,
    real_a: np.ndarray,
    real_b: np.ndarray,
    boot: int = 20,
    seed: int = 0,
    extra: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """``fid_judge`` and ``fid_judge_floor`` (generators/evaluation/fid.py), the
    bootstrap standard error of ``fid_judge`` over the samples (``boot``
    resamples), and ``fid_judge_<name>`` for every image set in ``extra``."""
    from generators.evaluation.fid import frechet_distance, judge_features

    fa = judge_features(judge, real_a)
    fs = judge_features(judge, samples)
    out: dict[str, Any] = {
        "fid_judge": frechet_distance(fs, fa),
        "fid_judge_floor": frechet_distance(judge_features(judge, real_b), fa),
    }
    if boot > 1:
        rng = np.random.default_rng(seed)
        vals = [frechet_distance(fs[rng.integers(0, len(fs), len(fs))], fa) for _ in range(boot)]
        out["fid_judge_se"] = float(np.std(vals, ddof=1))
    for name, images in (extra or {}).items():
        out[f"fid_judge_{name}"] = frechet_distance(judge_features(judge, images), fa)
    return out


def convdeconv_renders(attributes: list[dict]) -> np.ndarray | None:
    """The shipped faces conv-deconv's renders of these attributes (None
    without its weights)."""
    try:
        from generators.convdeconv_gen import ConvDeconvGenerator
        from generators.evaluation.convdeconv import _predict

        gen = ConvDeconvGenerator("faces", None)
    except Exception:  # no weights in this build: the comparison is left out
        return None
    return _predict(gen, attributes)[0]


def passes(res: dict[str, Any]) -> bool:
    t = THRESHOLDS
    success, kept, gain = (
        res.get("direction_success"),
        res.get("direction_preservation"),
        res.get("completion_gain_db"),
    )
    if success is None or kept is None or gain is None:
        return False
    ratio = res.get("fid_ratio_to_convdeconv")  # checked where it was measured
    return bool(
        success >= t["direction_success"]
        and kept >= t["direction_preservation"]
        and gain >= t["completion_gain_db"]
        and (ratio is None or ratio <= t["fid_ratio_to_convdeconv"])
    )


def progress_total(gen, completion_n: int) -> int:
    """Units of ``on_progress`` an ``evaluate_dcgan`` run reports: one per
    direction, one per completed image and region, two for the samples and FID."""
    k = len(gen.directions) if gen.directions is not None else 0
    return k + int(completion_n) * len(COMPLETION_REGIONS) + 2


def evaluate_dcgan(
    gen,
    judge,
    *,
    n: int | None = None,
    seed: int = 0,
    completion_n: int | None = None,
    completion_kw: dict | None = None,
    fid: bool = True,
    sweep: Sequence[float] = (),
    full: bool = False,
    per_direction: int | None | str = "preset",
    convdeconv: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Every figure of ``holochat eval dcgan`` for a ``DCGANGenerator`` with
    directions and a faces judge (``completion_n=0`` leaves completion out).
    ``full`` picks the ``FULL`` preset instead of ``FAST``; explicit arguments
    override the preset."""
    import torch

    if gen.directions is None:
        from generators.latent.directions import DirectionsError, retrain_hint

        raise DirectionsError(
            f"the DCGAN in {gen.path} has no attribute directions. Fit them "
            f"with: {retrain_hint(gen.path)}"
        )
    preset = FULL if full else FAST
    n = preset["n"] if n is None else int(n)
    completion_n = preset["completion_n"] if completion_n is None else int(completion_n)
    per_dir = preset["per_direction"] if isinstance(per_direction, str) else per_direction
    if n < 2:
        raise ValueError("the eval needs at least 2 samples")
    tick = on_progress or (lambda k: None)
    z = (
        torch.randn(int(n), gen.cfg.z_dim, generator=torch.Generator().manual_seed(seed + 12345))
        .numpy()
        .astype(np.float64)
    )  # not the fitting samples
    x = gen.to_space(z) if hasattr(gen, "to_space") else z  # w with a mapping network
    samples = _render(gen, x)
    base = _read(judge, samples)
    tick(1)
    out: dict[str, Any] = {
        "preset": "full" if full else "fast",
        "n": int(n),
        "seed": int(seed),
        "per_direction": per_dir,
        "space": getattr(gen, "space", "z"),
    }
    out.update(
        direction_metrics(gen, judge, x, base, on_progress=on_progress, per_direction=per_dir)
    )
    if sweep:  # the trade-off curve beside the fixed strength of the acceptance
        out["strength_sweep"] = []
        for s in sweep:
            m = direction_metrics(gen, judge, x, base, strength=float(s), per_direction=per_dir)
            out["strength_sweep"].append(
                {
                    k: m[k]
                    for k in (
                        "strength",
                        "direction_success",
                        "direction_success_se",
                        "direction_preservation",
                        "direction_preservation_se",
                    )
                }
            )
    out["direction_entanglement"] = entanglement(gen.directions)
    probe = gen.directions.meta.get("probe")
    if probe:
        out["probe_balanced_accuracy"] = {s: probe[s]["mean"] for s in ("z", "w") if probe.get(s)}
    if completion_n > 0:
        kw = {
            "steps": preset["completion_steps"],
            "restarts": preset["completion_restarts"],
            "pool": preset["completion_pool"],
            "regions": COMPLETION_REGIONS,
            **(completion_kw or {}),
        }
        out.update(completion_metrics(gen, completion_n, seed, on_progress=on_progress, **kw))
    else:
        out.update(
            {
                "completion_psnr_masked": None,
                "completion_psnr_meanfill": None,
                "completion_note": "left out (completion_n = 0)",
            }
        )
    if fid:
        from generators.datasets import make_dataset

        size = gen.cfg.image_size
        real_a = make_dataset("faces", n, seed=seed, size=size, split="test", workers=1)
        real_b = make_dataset("faces", n, seed=seed + 1, size=size, split="test", workers=1).images
        extra = {}
        if convdeconv:
            attrs = make_dataset(
                "faces", n, seed=seed + 2, size=size, split="test", workers=1
            ).attributes
            cd = convdeconv_renders(attrs)
            if cd is not None:
                extra["convdeconv"] = cd
        out.update(
            fid_with_error(judge, samples, real_a.images, real_b, preset["fid_boot"], seed, extra)
        )
        if out.get("fid_judge_convdeconv"):
            out["fid_ratio_to_convdeconv"] = out["fid_judge"] / out["fid_judge_convdeconv"]
        out.update(attribute_coverage(base, _read(judge, real_a.images), gen.directions.domain))
    else:
        out.update({"fid_judge": None, "fid_judge_floor": None})
    tick(1)
    out["thresholds"] = THRESHOLDS
    out["passes"] = passes(out)
    return out
