"""Attribute directions in a DCGAN's latent space.

Sample ``z`` from N(0, I), render it, and let a judge read every attribute of
each render.  Then, for every *target* (each bool, each non-default category
value such as ``eyewear=sunglasses``, and each numeric attribute such as
``yaw``) estimate a unit vector in ``z`` space two ways:

- ``mean_diff``: the paper's vector arithmetic (Radford et al.): mean ``z`` of
  the samples that show the attribute minus the mean of those that do not
  (numeric targets: top quartile minus bottom quartile);
- ``interfacegan``: the normal of a linear model over ``z`` (Shen et al.,
  InterFaceGAN): L2-regularised logistic regression with balanced class
  weights for binary targets, ridge regression for numeric ones.

``projected``: the InterFaceGAN normals after *conditional projection*: each
normal loses its components along the normals of the other attributes,
``n − N (NᵀN)⁻¹ Nᵀ n`` (by least squares), and is renormalised, so moving
along it leaves the other attributes' linear scores where they were.  The
other values of the same attribute (glasses for sunglasses) and coupled
attributes (expression strength for an expression, hair colour for a hat,
which hides the hair) are not projected out: they are part of the edit.

Calibration, measured along each vector ``v`` over the samples:

- binary: the latent distance along ``v`` that moves the attribute's own
  linear score ``z·n`` (``n`` its InterFaceGAN normal, the classifier's
  boundary normal) by the gap between the groups,
  ``mean(z·n | positive) − mean(z·n | negative)``; that is the gap divided by
  ``v·n``.  Along ``n`` itself it is the gap; along the mean-difference
  vector it is the length of the paper's difference of mean latents; along a
  projected normal, which keeps only part of ``n`` (``v·n`` < 1), it is
  longer, by exactly what the projection took away;
- numeric: latent units per attribute unit (per degree, for angles), the
  inverse of the slope of the attribute over ``z·v`` (which already accounts
  for ``v·n``).

**Reach** (binary targets, ``calibrate_reach``): the group gap moves a
negative's own score to where the positives sit, but for a value of a
category it leaves the sample's current value as strong as before (both
logits end level: a blend, half brown and half gray hair), so the judge
often still reads the old value.  After the fit, each binary direction is
therefore measured on up to ``REACH_SAMPLES`` fitting negatives: moved by
1, 1.25, 1.5, 2, 2.5 and 3 times its gap along the used vector, read by the
judge; the smallest multiple that turns ``REACH`` of them (or, where none
does, the one that turns the most) becomes its ``reach``, and one
calibrated unit of the used vector is the gap times the reach.  The rates
are saved (``reach_rates``).  The fitting samples are not the eval's, so
``holochat eval dcgan`` still measures the edit on faces it was not
calibrated on.

A *calibrated unit* of a direction, the unit of the amounts in a state's
``offsets``, is that binary distance, or for numeric targets one schema step
(15° of yaw): ``scale(name)`` is its length in latent units, so a state renders
``z + Σ amount · scale(name) · v(name)``.

**Where** (issue #24): with a mapping network (``DCGANConfig.mapping``) the
directions live in the intermediate latent ``w`` (``meta["space"] == "w"``):
a state renders ``synthesis(to_w(z) + Σ amount · scale · v)``; without one,
in ``z`` as before.  ``estimate`` also reports a *probe* per binary target,
the balanced accuracy of a logistic regression fitted on 80 % of the samples
and scored on the rest, in ``z`` and (with a mapping network) in ``w``: how
linearly the attribute separates in each space.

**Whitening** (``whiten``, on by default in w): ``w`` is not isotropic
like ``z`` (the mapping network stretches some directions and squeezes
others), so the fit runs on the whitened ``u = Σ^(-1/2)(w − μ)`` (μ, Σ the
samples' mean and covariance) where the estimators' and calibrations'
assumptions hold, and each vector is mapped back to w (``Σ^(1/2) v``,
renormalised, its calibration scaled by the same length): a unit move in u is
one standard deviation of the samples along it, which keeps moves where the
generator has seen its latents.

**Extremes**: with the judge's probabilities at hand, the InterFaceGAN
normal of a binary target is fitted on the ``extremes`` fraction of each side
the judge is surest of (the read positives with the highest probability of
the target, the read negatives with the lowest), as InterFaceGAN fits its
boundaries on the top and bottom of the scores; the samples near the judge's
own boundary, where its reading is a coin toss, are left out.  The mean
difference and the calibration still use every sample.

Saved beside the DCGAN weights as ``directions.safetensors`` (the K×D vector
sets) and ``directions.json`` (names, kinds, calibration, method, sample
count, judge folder, space, probe).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generators.errors import WeightsError
from generators.schema import BOOL, CATEGORY, get_schema

VECTORS_FILE = "directions.safetensors"
META_FILE = "directions.json"
FORMAT = 1
SETS = ("mean_diff", "interfacegan", "projected")  # the vector sets saved
USED = "projected"  # the set a generator renders with
MIN_GROUP = 20  # fewest samples on each side of a binary target
RIDGE = 1.0  # ridge penalty of the numeric regressions (z is N(0, I))
LOGIT_L2 = 1e-2  # L2 penalty (per sample) of the logistic regressions
MIN_ALIGN = 0.1  # a binary direction must keep this much of its own normal (v·n)
REACH = 0.9  # fraction of the fitting negatives one calibrated binary unit should turn
REACH_GRID = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)  # multiples of the group gap tried, smallest first
REACH_SAMPLES = 64  # fitting negatives each binary direction's reach is measured on
EXTREMES = 0.5  # fraction of each side (by the judge's confidence) the normal is fitted on
PROBE_TEST = 0.2  # held-out fraction of the linear-separability probe
SPACES = ("z", "w")

# attributes that belong to one edit: not projected out of each other's
# directions, and not counted as "disturbed" when the other one moves
COUPLED: dict[str, frozenset[str]] = {
    "expression": frozenset({"expression_strength"}),
    "expression_strength": frozenset({"expression"}),
    "hat": frozenset({"hair_color"}),  # a hat hides the hair
    "hair_color": frozenset({"hat"}),
}


def retrain_hint(folder: str | os.PathLike) -> str:
    return f"holochat train directions --weights {folder}"


class DirectionsError(WeightsError):
    """Missing or corrupt direction files, or directions that cannot be fitted.
    The message says how to fit them again."""


def related(attr: str) -> frozenset[str]:
    """``attr`` and the attributes coupled to it."""
    return frozenset({attr}) | COUPLED.get(attr, frozenset())


# -- targets ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    name: str  # "hat", "eyewear=sunglasses", "yaw"
    attr: str  # schema attribute
    value: Any  # True for bools, the category value, None for numeric
    kind: str  # "binary" | "numeric"

    def positive(self, reading: Mapping[str, Any]) -> bool | None:
        """Whether a judge reading shows this target (None: not read)."""
        v = reading.get(self.attr)
        if v is None:
            return None
        return bool(v) if self.value is True else v == self.value


def targets(domain: str = "faces") -> list[Target]:
    """Every direction a domain asks for: bools, non-default category values,
    and non-wrapping numeric attributes."""
    out = []
    for a in get_schema(domain):
        if a.kind == BOOL:
            out.append(Target(a.name, a.name, True, "binary"))
        elif a.kind == CATEGORY:
            out += [
                Target(f"{a.name}={v}", a.name, v, "binary") for v in a.values if v != a.default
            ]
        elif a.numeric and not a.wraps and not (a.lo == -180 and a.hi == 180):
            out.append(Target(a.name, a.name, None, "numeric"))
    return out


def target_name(attr: str, value: Any = None) -> str:
    """The direction name of an attribute (numeric / bool) or of one of its values."""
    if value is None or value is True:
        return attr
    return f"{attr}={value}"


# -- estimators ---------------------------------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def mean_difference(z: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Unit vector mean(z | positive) − mean(z | negative); z N×D, positive N bool."""
    return _unit(z[positive].mean(0) - z[~positive].mean(0))


def logistic_normal(
    z: np.ndarray, positive: np.ndarray, l2: float = LOGIT_L2, iters: int = 50
) -> np.ndarray:
    """Unit normal of an L2-regularised logistic regression with balanced class
    weights, fitted by Newton's method (z N×D, positive N bool)."""
    return _unit(logistic_fit(z, positive, l2, iters)[: z.shape[1]])


def logistic_fit(
    z: np.ndarray, positive: np.ndarray, l2: float = LOGIT_L2, iters: int = 50
) -> np.ndarray:
    """The weights (D) and bias (last) of that logistic regression, D+1."""
    n, d = z.shape
    x = np.concatenate([z, np.ones((n, 1))], 1)  # N×(D+1), last column = bias
    y = positive.astype(np.float64)
    n_pos = max(1.0, y.sum())
    n_neg = max(1.0, n - y.sum())
    sw = np.where(positive, n / (2 * n_pos), n / (2 * n_neg))  # balanced weights, mean 1
    reg = np.full(d + 1, l2 * n)
    reg[-1] = 0.0  # the bias is not penalised
    w = np.zeros(d + 1)
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (sw * (p - y)) + reg * w
        h = (x * (sw * p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(h, grad)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


def balanced_accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean of the true-positive and true-negative rates."""
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    tpr = float((pred & truth).sum() / max(1, truth.sum()))
    tnr = float((~pred & ~truth).sum() / max(1, (~truth).sum()))
    return 0.5 * (tpr + tnr)


def probe(
    x: np.ndarray,
    readings: Sequence[Mapping[str, Any]],
    domain: str = "faces",
    *,
    seed: int = 0,
    test: float = PROBE_TEST,
    min_group: int = MIN_GROUP,
) -> dict[str, Any]:
    """Linear separability of every binary target in the latents ``x`` (N×D):
    a balanced logistic regression fitted on ``1 − test`` of the samples and
    scored (balanced accuracy) on the rest.  Returns ``{"mean": m, "targets":
    {name: accuracy}}``; targets with fewer than ``min_group`` samples on a side
    (or none held out) are left out."""
    x = np.asarray(x, np.float64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = max(1, int(round(test * len(x))))
    te, tr = order[:n_test], order[n_test:]
    accs: dict[str, float] = {}
    for t in targets(domain):
        if t.kind != "binary":
            continue
        lab = [t.positive(r) for r in readings]
        known = np.array([v is not None for v in lab])
        pos = np.array([bool(v) for v in lab])
        trk, tek = tr[known[tr]], te[known[te]]
        if (
            min(pos[trk].sum(), (~pos[trk]).sum()) < min_group
            or min(pos[tek].sum(), (~pos[tek]).sum()) < 1
        ):
            continue
        w = logistic_fit(x[trk], pos[trk])
        pred = x[tek] @ w[:-1] + w[-1] > 0
        accs[t.name] = balanced_accuracy(pred, pos[tek])
    return {"mean": float(np.mean(list(accs.values()))) if accs else None, "targets": accs}


def extremes_mask(
    score: np.ndarray, positive: np.ndarray, frac: float = EXTREMES, min_group: int = MIN_GROUP
) -> np.ndarray:
    """The samples a normal is fitted on: the ``frac`` of the positives with the
    highest ``score`` and of the negatives with the lowest (at least
    ``min_group`` of each side, or all of it), N bool."""
    keep = np.zeros(len(score), bool)
    for side, sign in ((positive, -1.0), (~positive, 1.0)):
        idx = np.flatnonzero(side)
        k = min(len(idx), max(min_group, int(np.ceil(frac * len(idx)))))
        keep[idx[np.argsort(sign * score[idx], kind="stable")[:k]]] = True
    return keep


def ridge_normal(z: np.ndarray, y: np.ndarray, lam: float = RIDGE) -> np.ndarray:
    """Unit coefficient vector of a ridge regression of y (N) on z (N×D)."""
    zc = z - z.mean(0)
    yc = y - y.mean()
    w = np.linalg.solve(zc.T @ zc + lam * np.eye(z.shape[1]), zc.T @ yc)
    return _unit(w)


def quartile_difference(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unit vector mean(z | top quartile of y) − mean(z | bottom quartile)."""
    lo, hi = np.quantile(y, [0.25, 0.75])
    top, bottom = y >= hi, y <= lo
    if lo == hi:  # ties: split at the median instead
        top, bottom = y > lo, y <= lo
    return _unit(z[top].mean(0) - z[bottom].mean(0))


def project_out(n: np.ndarray, others: np.ndarray) -> np.ndarray:
    """n − N (NᵀN)⁻¹ Nᵀ n for the rows of ``others`` (M×D) as N's columns,
    renormalised; least squares keeps it stable when N is near-singular."""
    if len(others) == 0:
        return _unit(n)
    nmat = others.T  # D×M
    coef, *_ = np.linalg.lstsq(nmat, n, rcond=None)  # M
    return _unit(n - nmat @ coef)


def binary_calibration(
    z: np.ndarray, positive: np.ndarray, v: np.ndarray, normal: np.ndarray | None = None
) -> float:
    """Latent distance along v that moves the score ``z·normal`` from the
    negative group's mean to the positive one's (``normal`` defaults to v).

    ``nan`` when v hardly moves that score (``v·normal`` < MIN_ALIGN).
    """
    n = v if normal is None else normal
    s = z @ n
    gap = float(s[positive].mean() - s[~positive].mean())
    align = float(v @ n)
    return gap / align if align >= MIN_ALIGN else float("nan")


def numeric_calibration(z: np.ndarray, y: np.ndarray, v: np.ndarray) -> float:
    """Latent units along v per attribute unit: 1 / slope of y over z·v."""
    s = z @ v
    var = float(np.var(s))
    slope = float(np.mean((s - s.mean()) * (y - y.mean()))) / var if var > 0 else 0.0
    return 1.0 / slope if slope > 0 else float("nan")


# -- the fitted set -----------------------------------------------------------------------------
@dataclass
class DirectionInfo:
    name: str
    attr: str
    value: Any
    kind: str  # "binary" | "numeric"
    calibration: dict[str, float]  # vector set -> distance, or latent units per unit
    step: float | None = None  # numeric: attribute units per calibrated unit
    unit: str = ""  # "°" for angles
    n_pos: int | None = None  # binary: samples read as showing it
    n_neg: int | None = None
    r2: float | None = None  # numeric: fit of the ridge regression
    reach: float = 1.0  # binary: multiple of the group gap one unit of the used vector covers
    reach_rates: dict[str, float] | None = None  # binary: multiple -> fitting negatives turned

    def scale(self, which: str = USED) -> float:
        """Latent units of one calibrated unit along the ``which`` vector."""
        c = self.calibration[which]
        if self.kind != "numeric":
            return c * (float(self.reach) if which == USED else 1.0)
        assert self.step is not None  # numeric directions carry their step
        return c * self.step


@dataclass
class Directions:
    domain: str
    z_dim: int
    infos: list[DirectionInfo]
    vectors: dict[str, np.ndarray]  # set -> K×D unit rows, in ``infos`` order
    method: str = "interfacegan"  # the set that was projected
    meta: dict[str, Any] = field(default_factory=dict)  # n_samples, seed, judge, skipped, ...

    def __post_init__(self) -> None:
        self._index = {d.name: i for i, d in enumerate(self.infos)}

    @property
    def space(self) -> str:
        """The latent space the vectors live in: "z", or "w" (after a mapping network)."""
        return str(self.meta.get("space", "z"))

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.infos]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __len__(self) -> int:
        return len(self.infos)

    def info(self, name: str) -> DirectionInfo:
        return self.infos[self._index[name]]

    def vector(self, name: str, which: str = USED) -> np.ndarray:
        """The unit vector (D) of a direction in one of the saved sets."""
        return self.vectors[which][self._index[name]]

    def scale(self, name: str, which: str = USED) -> float:
        return self.info(name).scale(which)

    def find(self, attr: str, value: Any = None) -> str | None:
        """The direction for an attribute (or one of its values), if fitted."""
        name = target_name(attr, value)
        return name if name in self._index else None

    def offset(
        self, offsets: Mapping[str, float], which: str = USED
    ) -> tuple[np.ndarray, list[str]]:
        """Σ amount · scale · v over the named offsets (D), and the names that
        are not directions of this set (ignored)."""
        total = np.zeros(self.z_dim)
        ignored = []
        for name, amount in offsets.items():
            i = self._index.get(name)
            if i is None:
                ignored.append(name)
                continue
            total += float(amount) * self.infos[i].scale(which) * self.vectors[which][i]
        return total, ignored

    def cosines(self, which: str = "interfacegan", against: str | None = None) -> np.ndarray:
        """K×K cosines between the ``which`` vectors and the ``against`` ones."""
        a = self.vectors[which]
        b = self.vectors[against or which]
        return a @ b.T

    def entanglement(self, which: str = "interfacegan", against: str = "interfacegan") -> float:
        """Mean |cos| between each direction of ``which`` and the ``against``
        directions of the *other*, uncoupled attributes (what moving along one
        does to the others' linear scores)."""
        c = np.abs(self.cosines(which, against))
        vals = [
            c[i, j]
            for i, a in enumerate(self.infos)
            for j, b in enumerate(self.infos)
            if i != j and b.attr not in related(a.attr)
        ]
        return float(np.mean(vals)) if vals else 0.0

    # -- files ---------------------------------------------------------------
    def save(self, folder: str | os.PathLike) -> Path:
        from safetensors.numpy import save

        from generators.files import write_bytes_atomic

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {k: np.ascontiguousarray(v, np.float32) for k, v in self.vectors.items()}
        write_bytes_atomic(
            folder / VECTORS_FILE,
            save(tensors, metadata={"count": str(len(self)), "format": str(FORMAT)}),
        )
        meta = {
            "format": FORMAT,
            "domain": self.domain,
            "z_dim": self.z_dim,
            "method": self.method,
            "used": USED,
            **self.meta,
            "directions": [_jsonable(asdict(d)) for d in self.infos],
        }
        write_bytes_atomic(folder / META_FILE, (json.dumps(meta, indent=2) + "\n").encode())
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Directions:
        """Read a folder's directions; DirectionsError (with the command that
        fits them again) when they are missing, cut off or do not match."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        folder = Path(folder)
        how = f" Fit them again with: {retrain_hint(folder)}"
        vpath, mpath = folder / VECTORS_FILE, folder / META_FILE
        if not vpath.exists() or not mpath.exists():
            raise DirectionsError(
                f"no attribute directions in {folder} (expected {META_FILE} "
                f"and {VECTORS_FILE}).{how}"
            )
        try:
            meta = json.loads(mpath.read_text(encoding="utf-8"))
            infos = [DirectionInfo(**d) for d in meta["directions"]]
            for d in infos:  # null (NaN) calibrations of unused sets
                d.calibration = {
                    k: float("nan") if v is None else float(v) for k, v in d.calibration.items()
                }
            z_dim = int(meta["z_dim"])
            domain = str(meta["domain"])
            get_schema(domain)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DirectionsError(f"{mpath} is unreadable or corrupt ({e}).{how}") from None
        if meta.get("format") != FORMAT:
            raise DirectionsError(
                f"{mpath} has format {meta.get('format')!r}; this code reads {FORMAT}.{how}"
            )
        try:
            vectors = {k: v.astype(np.float64) for k, v in load_file(str(vpath)).items()}
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise DirectionsError(f"{vpath} is truncated or corrupt ({e}).{how}") from None
        want = (len(infos), z_dim)
        bad = [k for k in SETS if k not in vectors or vectors[k].shape != want]
        if bad:
            raise DirectionsError(
                f"{vpath} does not match {META_FILE}: the vector sets "
                f"{', '.join(bad)} are missing or not {want[0]}×{want[1]}.{how}"
            )
        if not all(np.isfinite(v).all() for v in vectors.values()):
            raise DirectionsError(f"{vpath} holds non-finite numbers.{how}")
        rest = {
            k: v
            for k, v in meta.items()
            if k not in ("format", "domain", "z_dim", "method", "used", "directions")
        }
        return cls(domain, z_dim, infos, vectors, str(meta.get("method", "interfacegan")), rest)


def _jsonable(d: dict) -> dict:
    """NaN calibrations become null in the JSON file."""

    def fix(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v

    return {k: fix(v) for k, v in d.items()}


def has_directions(folder: str | os.PathLike) -> bool:
    folder = Path(folder)
    return (folder / VECTORS_FILE).exists() and (folder / META_FILE).exists()


# -- fitting ------------------------------------------------------------------------------------
def fit_directions(
    z: np.ndarray,
    readings: Sequence[Mapping[str, Any]],
    domain: str = "faces",
    *,
    min_group: int = MIN_GROUP,
    meta: dict | None = None,
    scores: Mapping[str, np.ndarray] | None = None,
    extremes: float = EXTREMES,
) -> Directions:
    """Directions from latents z (N×D; ``w`` for a generator with a mapping
    network) and one attribute reading per latent.

    ``scores`` (target name → the judge's probability of it, N) makes each
    binary normal fit on the ``extremes`` the judge is surest of
    (``extremes_mask``); without them, or with ``extremes`` = 1, on every
    sample.  Targets with fewer than ``min_group`` samples on either side (or
    a constant numeric reading) are left out and listed in ``meta["skipped"]``."""
    z = np.asarray(z, np.float64)
    if z.ndim != 2 or len(z) != len(readings):
        raise ValueError(f"need N×D latents and N readings, got {z.shape} and {len(readings)}")
    schema = get_schema(domain)
    infos: list[DirectionInfo] = []
    groups: list[tuple[np.ndarray, np.ndarray]] = []  # (known mask, label / value)
    md, ifg = [], []
    skipped: dict[str, str] = {}
    for t in targets(domain):
        if t.kind == "binary":
            read = [t.positive(r) for r in readings]
            known = np.array([v is not None for v in read])
            pos = np.array([bool(v) for v in read])
            n_pos, n_neg = int((pos & known).sum()), int((~pos & known).sum())
            if min(n_pos, n_neg) < min_group:
                skipped[t.name] = (
                    f"too few samples on one side ({n_pos} read as {t.name}, "
                    f"{n_neg} not; need {min_group} each)"
                )
                continue
            zk, pk = z[known], pos[known]
            md.append(mean_difference(zk, pk))
            sc = (scores or {}).get(t.name)
            if sc is not None and extremes < 1.0:
                sel = extremes_mask(np.asarray(sc, np.float64)[known], pk, extremes, min_group)
                ifg.append(logistic_normal(zk[sel], pk[sel]))
            else:
                ifg.append(logistic_normal(zk, pk))
            groups.append((known, pos))
            infos.append(
                DirectionInfo(t.name, t.attr, t.value, "binary", {}, n_pos=n_pos, n_neg=n_neg)
            )
        else:
            attr = schema.get(t.attr)
            vals = [r.get(t.attr) for r in readings]
            known = np.array([v is not None for v in vals])
            y = np.array([float(v) if v is not None else 0.0 for v in vals])
            if known.sum() < 2 * min_group or float(np.std(y[known])) == 0.0:
                skipped[t.name] = "the readings do not vary"
                continue
            zk, yk = z[known], y[known]
            md.append(quartile_difference(zk, yk))
            w = ridge_normal(zk, yk)
            ifg.append(w)
            pred = (zk - zk.mean(0)) @ w
            r = np.corrcoef(pred, yk)[0, 1] if np.std(pred) > 0 else 0.0
            groups.append((known, y))
            infos.append(
                DirectionInfo(
                    t.name,
                    t.attr,
                    None,
                    "numeric",
                    {},
                    step=float(attr.step or 1.0),
                    unit=attr.unit,
                    r2=float(r * r),
                )
            )
    if not infos:
        raise DirectionsError(
            "no direction could be fitted: every target was skipped ("
            + "; ".join(f"{k}: {v}" for k, v in list(skipped.items())[:3])
            + "). Use more samples or a trained judge."
        )
    vec_md, vec_ifg = np.stack(md), np.stack(ifg)  # K×D each
    proj = np.stack(
        [
            project_out(
                vec_ifg[i],
                vec_ifg[[j for j, b in enumerate(infos) if b.attr not in related(a.attr)]],
            )
            for i, a in enumerate(infos)
        ]
    )
    vectors = {"mean_diff": vec_md, "interfacegan": vec_ifg, "projected": proj}
    keep = []
    for i, (info, (known, lab)) in enumerate(zip(infos, groups)):
        for which, vs in vectors.items():
            if info.kind == "binary":
                c = binary_calibration(z[known], lab[known], vs[i], vec_ifg[i])
            else:
                c = numeric_calibration(z[known], lab[known], vs[i])
            info.calibration[which] = float(c) if math.isfinite(c) and c > 1e-6 else float("nan")
        if math.isfinite(info.calibration[USED]):
            keep.append(i)
        else:
            skipped[info.name] = "the projected direction does not move it"
    infos = [infos[i] for i in keep]
    vectors = {k: v[keep] for k, v in vectors.items()}
    m = {
        "n_samples": len(z),
        "skipped": skipped,
        "extremes": float(extremes) if scores else 1.0,
        **(meta or {}),
    }
    return Directions(domain, int(z.shape[1]), infos, vectors, "interfacegan", m)


def space_of(G, space: str = "auto") -> str:
    """ "w" for a generator with a mapping network (or when asked), else "z"."""
    if space == "auto":
        return "w" if getattr(getattr(G, "cfg", None), "mapping", 0) else "z"
    if space not in SPACES:
        raise ValueError(f"space must be 'z', 'w' or 'auto', got {space!r}")
    if space == "w" and not getattr(getattr(G, "cfg", None), "mapping", 0):
        raise ValueError(
            "space 'w' needs a DCGAN with a mapping network (train it with "
            "--mapping); without one w is z"
        )
    return space


def to_space(G, z: np.ndarray, space: str) -> np.ndarray:
    """Latents z (N×D) in ``space``: z itself, or w = G.to_w(z)."""
    if space == "z":
        return np.asarray(z)
    import torch

    with torch.inference_mode():
        dev = next(G.parameters()).device
        return G.to_w(torch.as_tensor(np.asarray(z, np.float32), device=dev)).float().cpu().numpy()


def render_space(G, x: np.ndarray, space: str, batch: int = 256) -> np.ndarray:
    """Renders (N×H×W×3 uint8) of latents in ``space`` (G in eval mode, restored)."""
    from generators.latent.arithmetic import render_z

    if space == "z":
        return render_z(G, x, batch)
    return render_z(_Synthesis(G), x, batch)


def _Synthesis(G):
    """G's synthesis network as a module (w → image) for ``render_z``."""
    import torch

    class Synthesis(torch.nn.Module):
        def __init__(self, g):
            super().__init__()
            self.g = g
            self.cfg = g.cfg

        def forward(self, w):
            return self.g.synthesis(w)

    return Synthesis(G)


def _probabilities(judge, outputs: list[dict]) -> dict[str, np.ndarray]:
    """Target name → the judge's probability of it, from its raw outputs."""
    import torch

    out: dict[str, list[np.ndarray]] = {}
    for res in outputs:
        for a in judge.codec.classes:
            p = torch.softmax(res[a.name].float(), 1).numpy()
            if a.kind == BOOL:
                out.setdefault(a.name, []).append(p[:, 1])
            else:
                for i, v in enumerate(a.values):
                    out.setdefault(target_name(a.name, v), []).append(p[:, i])
    return {k: np.concatenate(v) for k, v in out.items()}


def read_with_scores(judge, images: np.ndarray) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The judge's readings of images and, from the same forward passes, its
    probability of every binary target (name → N floats); {} for a judge that
    is a plain function or does not run its forward (no probabilities)."""
    import torch

    from generators.latent.arithmetic import _read

    codec = getattr(judge, "codec", None)
    if not isinstance(judge, torch.nn.Module) or codec is None:
        return _read(judge, images), {}
    seen: list[dict] = []
    names = {a.name for a in codec.classes}
    hook = judge.register_forward_hook(
        lambda m, i, o: seen.append({k: v.detach() for k, v in o.items() if k in names})
    )
    try:
        readings = _read(judge, images)
    finally:
        hook.remove()
    if sum(len(next(iter(o.values()))) for o in seen if o) != len(images):
        return readings, {}
    return readings, _probabilities(judge, seen)


def sample_readings(
    G,
    judge,
    n: int,
    seed: int = 0,
    batch: int = 256,
    on_progress: Callable[[int], None] | None = None,
    *,
    with_scores: bool = False,
    space: str = "z",
):
    """n latents from N(0, I) with ``seed`` (n×z_dim float32), rendered by G
    (eval mode) and read by the judge; ``on_progress(k)`` after each batch.

    Returns ``(z, readings)``; with ``with_scores`` ``(z, x, readings,
    scores)``, x the latents in ``space`` and scores the judge's
    probabilities (``read_with_scores``)."""
    import torch

    from generators.latent.arithmetic import _read

    z = torch.randn(int(n), G.cfg.z_dim, generator=torch.Generator().manual_seed(int(seed))).numpy()
    x = to_space(G, z, space)
    readings: list[dict] = []
    scores: dict[str, list[np.ndarray]] = {}
    for i in range(0, len(z), batch):
        images = render_space(G, x[i : i + batch], space, batch)
        if with_scores:
            got, sc = read_with_scores(judge, images)
            for k, v in sc.items():
                scores.setdefault(k, []).append(v)
        else:
            got = _read(judge, images)
        readings += got
        if on_progress is not None:
            on_progress(min(batch, len(z) - i))
    if not with_scores:
        return z, readings
    scores_n = {k: np.concatenate(v) for k, v in scores.items()}
    if any(len(v) != len(z) for v in scores_n.values()):
        scores_n = {}  # some batches without probabilities: use none
    return z, x, readings, scores_n


def whitening(x: np.ndarray, floor: float = 1e-4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(μ, Σ^(1/2), Σ^(-1/2)) of the samples x (N×D); eigenvalues below
    ``floor`` × the largest are raised to it (a nearly flat direction is not
    blown up)."""
    x = np.asarray(x, np.float64)
    mu = x.mean(0)
    lam, q = np.linalg.eigh(np.cov(x, rowvar=False))
    lam = np.maximum(lam, floor * max(float(lam.max()), 1e-12))
    return mu, (q * np.sqrt(lam)) @ q.T, (q / np.sqrt(lam)) @ q.T


def unwhiten(d: Directions, half: np.ndarray) -> Directions:
    """Directions fitted in whitened coordinates u, expressed in w: each
    vector becomes Σ^(1/2) v renormalised, and its calibration (latent units
    along it) grows by that length, so a move of one calibrated unit is the
    same move."""
    vectors = {}
    lengths = {}
    for which, vs in d.vectors.items():
        mapped = vs @ half  # rows: (Σ^½ v)ᵀ, Σ^½ symmetric
        k = np.linalg.norm(mapped, axis=1)
        lengths[which] = k
        vectors[which] = mapped / np.maximum(k, 1e-12)[:, None]
    for i, info in enumerate(d.infos):
        info.calibration = {w: c * float(lengths[w][i]) for w, c in info.calibration.items()}
    return Directions(d.domain, d.z_dim, d.infos, vectors, d.method, d.meta)


def calibrate_reach(
    d: Directions,
    G,
    judge,
    x: np.ndarray,
    readings: Sequence[Mapping[str, Any]],
    space: str,
    *,
    rate: float = REACH,
    grid: Sequence[float] = REACH_GRID,
    samples: int = REACH_SAMPLES,
) -> Directions:
    """Set each binary direction's ``reach`` (see the module's text): the
    smallest multiple in ``grid`` of its group gap at which a move of the
    first ``samples`` fitting negatives (latents ``x`` in ``space``, read as
    ``readings``) along the used vector turns ``rate`` of them as the judge
    reads them; else the multiple that turns the most (the smaller on a tie)."""
    from generators.latent.arithmetic import _read

    if not 0.0 < rate <= 1.0:
        raise ValueError(f"the reach rate must be in (0, 1], got {rate}")
    if not grid or any(not (m > 0) for m in grid):
        raise ValueError("the reach grid needs positive multiples")
    x = np.asarray(x, np.float64)
    for info in d.infos:
        if info.kind != "binary":
            continue
        t = Target(info.name, info.attr, info.value, info.kind)
        neg = [i for i, r in enumerate(readings) if t.positive(r) is False][: int(samples)]
        if not neg:
            continue
        step = info.calibration[USED] * d.vector(info.name, USED)
        rates: dict[str, float] = {}
        for m in sorted(float(g) for g in grid):
            after = _read(judge, render_space(G, x[neg] + m * step, space))
            rates[f"{m:g}"] = float(np.mean([bool(t.positive(r)) for r in after]))
            if rates[f"{m:g}"] >= rate:
                break
        # the loop stops at the first multiple that reaches ``rate``, which is then
        # the highest rate; else the first (smallest) of the highest
        info.reach = float(max(rates, key=rates.__getitem__))
        info.reach_rates = rates
    d.meta["reach"] = {"rate": float(rate), "samples": int(samples)}
    return d


def estimate(
    G,
    judge,
    *,
    n: int = 20000,
    seed: int = 0,
    judge_dir: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    space: str = "auto",
    extremes: float = EXTREMES,
    with_probe: bool = True,
    whiten: bool | None = None,
    reach: float | None = REACH,
) -> Directions:
    """Sample, render, label with the judge, and fit every direction in
    ``space`` ("auto": w when G has a mapping network); the probe's balanced
    accuracies in z (and w) go into ``meta["probe"]``.  ``reach`` (None: off)
    calibrates each binary direction's unit on the fitting samples
    (``calibrate_reach``)."""
    if n < 2 * MIN_GROUP:
        raise ValueError(f"fitting directions needs at least {2 * MIN_GROUP} samples, got {n}")
    if not 0.0 < extremes <= 1.0:
        raise ValueError(f"extremes must be in (0, 1], got {extremes}")
    space = space_of(G, space)
    z, x, readings, scores = sample_readings(
        G, judge, n, seed, on_progress=on_progress, with_scores=True, space=space
    )
    domain = getattr(getattr(judge, "cfg", None), "domain", "faces")
    meta: dict[str, Any] = {
        "seed": int(seed),
        "judge": str(judge_dir) if judge_dir else None,
        "space": space,
    }
    if with_probe:
        meta["probe"] = {"z": probe(z, readings, domain, seed=seed)}
        if getattr(G.cfg, "mapping", 0):
            w = x if space == "w" else to_space(G, z, "w")
            meta["probe"]["w"] = probe(w, readings, domain, seed=seed)
    whiten = space == "w" if whiten is None else bool(whiten)
    if not whiten:
        d = fit_directions(x, readings, domain, meta=meta, scores=scores, extremes=extremes)
    else:
        mu, half, inv_half = whitening(x)
        meta["whitened"] = True
        d = fit_directions(
            (x - mu) @ inv_half, readings, domain, meta=meta, scores=scores, extremes=extremes
        )
        d = unwhiten(d, half)
    if reach is not None:
        d = calibrate_reach(d, G, judge, x, readings, space, rate=reach)
    return d
