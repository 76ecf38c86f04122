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
  renders (generators/evaluation/fid.py).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from generators.latent.directions import USED, Directions, Target, related
from generators.schema import get_schema

THRESHOLDS = {"direction_success": 0.80, "direction_preservation": 0.90,
              "completion_gain_db": 3.0}


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


def direction_metrics(gen, judge, z: np.ndarray, base: list[dict], strength: float = 1.0,
                      on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Success / preservation of every direction of ``gen.directions`` from the
    sampled latents ``z`` (N×D) and the judge's readings of their renders."""
    dirs: Directions = gen.directions
    domain = dirs.domain
    per: dict[str, dict[str, Any]] = {}
    succ, pres = [], []
    for d in dirs.infos:
        t = _target(d)
        if d.kind == "binary":
            idx = [i for i, r in enumerate(base) if t.positive(r) is False]
        else:
            idx = list(range(len(base)))
        if not idx:
            per[d.name] = {"n": 0}
            continue
        moved = z[idx] + strength * dirs.scale(d.name) * dirs.vector(d.name, USED)   # k×D
        after = _read(judge, _render(gen, moved))
        same = total = 0
        for i, r in zip(idx, after):
            s, n = _preserved(base[i], r, related(d.attr), domain)
            same, total = same + s, total + n
        p = same / total if total else 1.0
        rec: dict[str, Any] = {"n": len(idx), "preservation": p}
        if d.kind == "binary":
            rec["success"] = float(np.mean([bool(t.positive(r)) for r in after]))
            succ.append(rec["success"])
        else:
            delta = np.array([float(r[d.attr]) - float(base[i][d.attr]) for i, r in zip(idx, after)])
            step = float(d.step or 1.0)
            rec["response_per_step"] = float(delta.mean() / step)     # 1.0 = exactly one step
            rec["right_sign"] = float(np.mean(delta > 0))
        pres.append(p)
        per[d.name] = rec
        if on_progress is not None:
            on_progress(1)
    return {"direction_success": float(np.mean(succ)) if succ else None,
            "direction_preservation": float(np.mean(pres)) if pres else None,
            "directions": per, "strength": strength}


def entanglement(dirs: Directions) -> dict[str, float]:
    return {"raw": dirs.entanglement("interfacegan", "interfacegan"),
            "projected": dirs.entanglement("projected", "interfacegan"),
            "projected_pairwise": dirs.entanglement("projected", "projected"),
            "mean_diff": dirs.entanglement("mean_diff", "mean_diff")}


def completion_metrics(gen, n: int, seed: int, **kw) -> dict[str, Any]:
    """Completion PSNR on held-out studio faces; nulls with a reason where the
    completion module is not available."""
    try:
        from generators.latent.completion import evaluate_completion
    except ImportError as e:
        return {"completion_psnr_masked": None, "completion_psnr_meanfill": None,
                "completion_note": f"completion is not available ({e})"}
    from generators.datasets import make_dataset
    size = gen.cfg.image_size
    images = make_dataset("faces", n, seed=seed + 7, size=size, split="test", workers=1).images
    res = evaluate_completion(gen.G, gen.D, images, n=n, seed=seed, **kw)
    out = {k: res[k] for k in ("completion_psnr_masked", "completion_psnr_meanfill")}
    out["completion_n"] = int(res.get("n", n))
    out["completion_gain_db"] = out["completion_psnr_masked"] - out["completion_psnr_meanfill"]
    return out


def passes(res: dict[str, Any]) -> bool:
    t = THRESHOLDS
    vals = [res.get("direction_success"), res.get("direction_preservation"),
            res.get("completion_gain_db")]
    if any(v is None for v in vals):
        return False
    return bool(vals[0] >= t["direction_success"] and vals[1] >= t["direction_preservation"]
                and vals[2] >= t["completion_gain_db"])


def evaluate_dcgan(gen, judge, *, n: int = 500, seed: int = 0, completion_n: int = 100,
                   completion_kw: dict | None = None, fid: bool = True,
                   sweep: Sequence[float] = (),
                   on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Every figure of ``holochat eval dcgan`` for a ``DCGANGenerator`` with
    directions and a faces judge (``completion_n=0`` leaves completion out)."""
    import torch
    if gen.directions is None:
        from generators.latent.directions import DirectionsError, retrain_hint
        raise DirectionsError(f"the DCGAN in {gen.path} has no attribute directions. Fit them "
                              f"with: {retrain_hint(gen.path)}")
    if n < 2:
        raise ValueError("the eval needs at least 2 samples")
    z = torch.randn(int(n), gen.cfg.z_dim, generator=torch.Generator().manual_seed(seed + 12345)
                    ).numpy().astype(np.float64)                 # not the fitting samples
    x = gen.to_space(z) if hasattr(gen, "to_space") else z      # w with a mapping network
    samples = _render(gen, x)
    base = _read(judge, samples)
    out: dict[str, Any] = {"n": int(n), "seed": int(seed), "space": getattr(gen, "space", "z")}
    out.update(direction_metrics(gen, judge, x, base, on_progress=on_progress))
    if sweep:           # the trade-off curve beside the fixed strength of the acceptance
        out["strength_sweep"] = []
        for s in sweep:
            m = direction_metrics(gen, judge, x, base, strength=float(s))
            out["strength_sweep"].append({k: m[k] for k in ("strength", "direction_success",
                                                             "direction_preservation")})
    out["direction_entanglement"] = entanglement(gen.directions)
    if completion_n > 0:
        out.update(completion_metrics(gen, completion_n, seed, **(completion_kw or {})))
    else:
        out.update({"completion_psnr_masked": None, "completion_psnr_meanfill": None,
                    "completion_note": "left out (completion_n = 0)"})
    if fid:
        from generators.datasets import make_dataset
        from generators.evaluation.fid import fid_judge
        size = gen.cfg.image_size
        real_a = make_dataset("faces", n, seed=seed, size=size, split="test", workers=1).images
        real_b = make_dataset("faces", n, seed=seed + 1, size=size, split="test", workers=1).images
        out.update(fid_judge(judge, samples, real_a, real_b))
    else:
        out.update({"fid_judge": None, "fid_judge_floor": None})
    out["thresholds"] = THRESHOLDS
    out["passes"] = passes(out)
    return out
