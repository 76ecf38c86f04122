"""Measure a judge on held-out studio renders (identities / styles never seen
in training): accuracy per category / bool attribute, mean absolute error per
numeric attribute, and how tightly renders of one identity cluster."""

from __future__ import annotations

from typing import Any

import numpy as np

from generators.datasets import make_dataset, shown_attributes
from generators.nets.judge import Judge, angle_error, read_attributes

# acceptance thresholds of the judges (faces); reported beside the figures
THRESHOLDS = {"class_accuracy_min": 0.97, "yaw_mae_max": 4.0, "light_azimuth_mae_max": 8.0}


def identity_distances(embeds: np.ndarray, seeds: np.ndarray) -> tuple[float, float]:
    """Mean embedding distance between renders of the same and of different seeds."""
    d = np.linalg.norm(embeds[:, None] - embeds[None], axis=2)
    same = seeds[:, None] == seeds[None]
    off = ~np.eye(len(seeds), dtype=bool)
    return float(d[same & off].mean()), float(d[~same].mean())


# The per-turn check's bar (issue 29): every class attribute ≥ 0.95 on the
# faces where it is visible.  Visible is defined by the pixels a value changes
# (studio.visible's show rule: ≥ SHOW_MIN_PIXELS pixels against the same face
# with another value).  For the expression the boundary has a grey band on
# both sides: an expression is scored from strength 0.3 on where it shows
# (faint ones, shown below 0.3, are not scored), and a face that shows neutral
# is scored as neutral unless its expression, hidden under the show rule,
# still changes NEUTRAL_BAND_PX or more pixels (then neither reading is wrong:
# it is not scored either).  ``accuracy_visible_strict`` keeps the one-sided
# rule (every neutral-looking face scored) beside it.
VISIBLE_STRENGTH = 0.3
NEUTRAL_BAND_PX = 4
VISIBLE_BAR = 0.95
VISIBLE_RULE = (
    "expression: shown (>= 8 pixels changed against the neutral twin) and strength "
    ">= 0.3, or shown neutral with fewer than 4 pixels changed by a hidden "
    "expression; the faces between (faint shown expressions, neutral-looking ones "
    "whose expression still changes 4-7 pixels) are not scored. Other attributes: "
    "studio.visible's show rule"
)


def expression_visible(attributes: dict, shown: dict, hidden_px: int | None = None) -> bool:
    """Whether a face counts for the visible-expression accuracy.  ``hidden_px``:
    the pixels a hidden expression (shown neutral, asked otherwise) changes; None
    scores every neutral-looking face (the strict, one-sided rule)."""
    if shown["expression"] == "neutral":
        return hidden_px is None or hidden_px < NEUTRAL_BAND_PX
    return float(attributes["expression_strength"]) >= VISIBLE_STRENGTH


def accuracy_visible(
    codec,
    attributes: list[dict],
    rows: list[dict],
    shown: list[dict],
    hidden_px: list[int] | None = None,
) -> tuple[dict[str, float], dict[str, int]]:
    """Accuracy per class attribute on the faces where it is visible, and how
    many (``hidden_px`` per face: the grey band; None: the strict rule)."""
    acc, counts = {}, {}
    px = hidden_px if hidden_px is not None else [None] * len(rows)
    for a in codec.classes:
        hits = [
            r[a.name] == t[a.name]
            for at, r, t, h in zip(attributes, rows, shown, px)
            if t[a.name] is not None and (a.name != "expression" or expression_visible(at, t, h))
        ]
        acc[a.name] = float(np.mean(hits)) if hits else float("nan")
        counts[a.name] = len(hits)
    return acc, counts


def changed_pixels(ds) -> list[int]:
    """Per face, the pixels its asked expression changes against the same face
    made neutral (0 for a neutral face), at the studio's show-check size."""
    from generators.studio import SHOW_CHECK_SIZE, expression_change_map

    out = []
    for a, img in zip(ds.attributes, ds.images):
        if a.get("expression", "neutral") == "neutral":
            out.append(0)
            continue
        im = img if img.shape[0] == SHOW_CHECK_SIZE else None
        m = expression_change_map(a, im)
        out.append(int(round(float(m.sum()) * (SHOW_CHECK_SIZE // m.shape[0]) ** 2)))
    return out


PIXEL_BINS = ((8, 12), (12, 16), (16, 24), (24, 32), (32, 4097))


def confusion(attr, rows: list[dict], shown: list[dict]) -> dict[str, Any]:
    """Counts of (shown value, read value) over the images that show ``attr``."""
    values = [bool(v) for v in (False, True)] if attr.kind == "bool" else list(attr.values)
    m = np.zeros((len(values), len(values)), int)
    for r, t in zip(rows, shown):
        if t[attr.name] is not None:
            m[values.index(t[attr.name]), values.index(r[attr.name])] += 1
    return {"values": values, "rows_shown_cols_read": m.tolist()}


def by_changed_pixels(
    ds, rows: list[dict], shown: list[dict], px: list[int] | None = None
) -> dict[str, dict[str, float]]:
    """Accuracy on the visible expressions, binned by how many pixels each
    changed against the same face made neutral (the expression's size);
    ``px``: ``changed_pixels(ds)`` where already at hand."""
    px = changed_pixels(ds) if px is None else px
    hits: dict[str, list[bool]] = {f"{lo}-{hi - 1}": [] for lo, hi in PIXEL_BINS}
    for n, r, t in zip(px, rows, shown):
        if t["expression"] == "neutral":
            continue
        for lo, hi in PIXEL_BINS:
            if lo <= n < hi:
                hits[f"{lo}-{hi - 1}"].append(r["expression"] == t["expression"])
    return {
        k: {"n": len(v), "accuracy": float(np.mean(v)) if v else float("nan")}
        for k, v in hits.items()
    }


def evaluate_judge(judge: Judge, n_test: int = 2000, seed: int = 0) -> dict[str, Any]:
    domain = judge.cfg.domain
    ds = make_dataset(domain, n_test, seed=seed, split="test")
    rows, embeds = read_attributes(judge, ds.images)
    codec = judge.codec
    out: dict[str, Any] = {"domain": domain, "n_test": len(ds)}
    acc = {}
    shown = shown_attributes(ds)  # what the images show
    for a in codec.classes:
        told = [t[a.name] for t in shown]
        acc[a.name] = float(np.mean([r[a.name] == t for r, t in zip(rows, told) if t is not None]))
    out["confusion"] = {a.name: confusion(a, rows, shown) for a in codec.classes}
    px = changed_pixels(ds) if domain == "faces" else None  # one neutral twin per face
    if px is not None:
        out["expression_accuracy_by_changed_pixels"] = by_changed_pixels(ds, rows, shown, px)
    mae = {}
    for a in codec.numeric:
        # the strength of an expression that reads neutral is not in the image
        keep = [
            i
            for i, t in enumerate(shown)
            if not (a.name == "expression_strength" and t["expression"] == "neutral")
        ]
        truth = np.array([ds.attributes[i][a.name] for i in keep], float)
        pred = np.array([rows[i][a.name] for i in keep], float)
        mae[a.name] = float(angle_error(a, pred, truth).mean())
    out["accuracy"] = acc
    # the fraction of test images that show each attribute (the rest are not scored)
    out["shown_fraction"] = {
        a.name: float(np.mean([t[a.name] is not None for t in shown])) for a in codec.classes
    }
    out["mae"] = mae
    out["min_class_accuracy"] = min(acc.values()) if acc else None
    k = min(len(ds), 600)
    same, diff = identity_distances(embeds[:k], ds.seeds[:k])
    out["identity_same_distance"] = same
    out["identity_diff_distance"] = diff
    out["identity_ratio"] = same / diff if diff else None
    if domain == "faces":
        vis, counts = accuracy_visible(codec, ds.attributes, rows, shown, px)
        out["accuracy_visible"] = vis
        out["visible_counts"] = counts
        strict, strict_n = accuracy_visible(codec, ds.attributes, rows, shown)
        out["accuracy_visible_strict"] = strict
        out["visible_counts_strict"] = strict_n
        out["visible_rule"] = VISIBLE_RULE
        out["min_class_accuracy_visible"] = min(vis.values())
        out["passes_visible"] = bool(min(vis.values()) >= VISIBLE_BAR)
        out["yaw_mae"] = mae["yaw"]
        out["light_azimuth_mae"] = mae["light_azimuth"]
        out["thresholds"] = THRESHOLDS
        out["passes"] = bool(
            out["min_class_accuracy"] >= THRESHOLDS["class_accuracy_min"]
            and mae["yaw"] <= THRESHOLDS["yaw_mae_max"]
            and mae["light_azimuth"] <= THRESHOLDS["light_azimuth_mae_max"]
        )
    return out
