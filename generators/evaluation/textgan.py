"""Measure the GAN-CLS face generator with a judge (``generators/nets/judge.py``).

Every figure compares what the judge reads in a generated image with what the
studio would show for the same state (``generators.studio.visible``: weak
expressions read as neutral, hair under a full hat reads as nothing):

- ``attr_accuracy``: mean over the categorical / bool attributes of the
  fraction of random states (held-out identities) the judge reads right;
- ``yaw_mae``: mean absolute yaw error (degrees) on the same states;
- ``edit_success``: random single edits (set a category, toggle a bool, turn
  the head or move the light by one or two steps), each applied to a random
  state with the same identity and z: the fraction where the judge sees the
  target attribute move as asked (the new category; a numeric change of the
  asked sign and at least half the asked size);
- ``preservation``: on the same edits, the fraction of the other categorical /
  bool attributes the judge still reads unchanged (an attribute whose visible
  value the edit itself changes, such as hair hidden by a new hat, is left out);
- ``identity_ratio``: mean judge identity-embedding distance between the
  images before and after an edit, over the mean distance between images of
  different identities (0: the edit kept the person; 1: a stranger);
- ``heldout_caption_accuracy``: ``attr_accuracy`` when the conditioning
  sentences come from the held-out caption templates (never seen in training);
- ``fid_judge``: Fréchet distance of judge features, generated images vs
  held-out studio renders, with ``fid_judge_floor`` the same figure for a
  second studio sample (what a perfect generator would score).

Base states of edits have expression strength ≥ 0.5, so that an expression
edit is visible at all (below 0.2 the studio itself draws a neutral face).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from generators.datasets import TEST_SEED_BASE, make_dataset, sample_attributes
from generators.schema import BOOL, CATEGORY, FACES

THRESHOLDS = {"attr_accuracy_min": 0.90, "yaw_mae_max": 8.0, "edit_success_min": 0.90,
              "preservation_min": 0.95, "identity_ratio_max": 0.35,
              "heldout_caption_accuracy_min": 0.85}
CLASS_ATTRS = tuple(a.name for a in FACES.of_kind(CATEGORY, BOOL))
# edits: (attribute, kind); numeric edits move by 1 or 2 schema steps
EDIT_KINDS = (("expression", "set"), ("eyewear", "set"), ("hair_color", "set"),
              ("skin_tone", "set"), ("background", "set"), ("hat", "toggle"),
              ("beard", "toggle"), ("yaw", "move"), ("light_azimuth", "move"))
Z_SEED_BASE = 7_000_000


def random_states(n: int, seed: int = 0, min_strength: float = 0.0
                  ) -> tuple[list[dict], np.ndarray]:
    """``n`` random face states of held-out identities and their z (N×Z_DIM)."""
    from generators.protocol import Z_DIM
    rng = np.random.default_rng([seed, 4242])
    attrs = []
    for _ in range(n):
        a = sample_attributes("faces", rng, TEST_SEED_BASE + int(rng.integers(1_000_000)))
        if min_strength:
            a["expression_strength"] = float(rng.uniform(min_strength, 1.0))
        attrs.append(a)
    return attrs, rng.standard_normal((n, Z_DIM)).astype(np.float32)


def random_edit(a: dict, rng: np.random.Generator) -> tuple[str, dict, float]:
    """One random single edit of state ``a``: (target attribute, new
    attributes, asked numeric change or 0).  Never an edit whose target the
    image cannot show (hair colour under a full hat, rims in the dark)."""
    from generators.studio import visible
    while True:
        name, kind = EDIT_KINDS[rng.integers(len(EDIT_KINDS))]
        attr = FACES.get(name)
        if kind in ("set", "toggle"):
            value = (not a[name] if kind == "toggle"
                     else str(rng.choice([v for v in attr.values if v != a[name]])))
            new = dict(a, **{name: value})
            if visible("faces", new)[name] is None:
                continue
            return name, new, 0.0
        delta = float(attr.step) * float(rng.choice([1, 2])) * float(rng.choice([-1, 1]))
        if not attr.lo <= a[name] + delta <= attr.hi:
            delta = -delta            # turn the other way rather than hit the limit
        return name, dict(a, **{name: float(a[name]) + delta}), delta


def _render(gen, attrs: Sequence[dict], z: np.ndarray, captions: Sequence[str] | None = None,
            batch: int = 250) -> np.ndarray:
    parts = []
    for s in range(0, len(attrs), batch):
        parts.append(gen.render_batch(attrs[s:s + batch], z[s:s + batch],
                                      captions=None if captions is None else captions[s:s + batch]))
    return np.concatenate(parts)


def _accuracy(rows: Sequence[dict], attrs: Sequence[dict]) -> dict[str, float]:
    from generators.studio import visible
    shown = [visible("faces", a) for a in attrs]
    out = {}
    for name in CLASS_ATTRS:
        hits = [r[name] == s[name] for r, s in zip(rows, shown) if s[name] is not None]
        out[name] = float(np.mean(hits)) if hits else float("nan")
    return out


def _angle_mae(rows, attrs, name) -> float:
    return float(np.mean([abs(r[name] - a[name]) for r, a in zip(rows, attrs)]))


class AttributeRenderer:
    """``render_batch`` over a function of attribute dicts alone (the studio,
    conv-deconv), so the judge's figures of the text GAN can be taken for any
    face renderer: z and captions are ignored."""

    def __init__(self, render_attrs):
        self.render_attrs = render_attrs

    def render_batch(self, attrs_list, z=None, captions=None, **_):
        return self.render_attrs([dict(a) for a in attrs_list])


def studio_renderer() -> AttributeRenderer:
    """The studio itself: the ceiling of every judged figure."""
    from generators.datasets import render_attributes
    return AttributeRenderer(lambda attrs: render_attributes("faces", attrs, workers=1)[0])


def evaluate_textgan(gen, judge, n: int = 1000, n_edits: int | None = None, seed: int = 0,
                     fid: bool = True, captions: bool = True) -> dict[str, Any]:
    """Every metric of the module docstring (plus per-attribute detail);
    ``fid=False`` leaves out the Fréchet distance (and its studio renders),
    ``captions=False`` the held-out caption figure (renderers without text)."""
    from generators.nets.judge import read_attributes
    from generators.studio import visible
    from generators.studio.captions import captions as make_captions
    n_edits = n_edits if n_edits is not None else max(1, n // 2)
    out: dict[str, Any] = {"n": n, "n_edits": n_edits}

    # attribute accuracy and pose on random states
    attrs, z = random_states(n, seed)
    images = _render(gen, attrs, z)
    rows, _ = read_attributes(judge, images)
    per_attr = _accuracy(rows, attrs)
    out["attr_accuracy"] = float(np.nanmean(list(per_attr.values())))
    out["attr_accuracy_per_attribute"] = per_attr
    out["yaw_mae"] = _angle_mae(rows, attrs, "yaw")
    out["pitch_mae"] = _angle_mae(rows, attrs, "pitch")
    out["light_azimuth_mae"] = _angle_mae(rows, attrs, "light_azimuth")

    # held-out caption templates
    if captions:
        rng = np.random.default_rng([seed, 99])
        held = [make_captions("faces", a, rng, 1, heldout=True)[0] for a in attrs]
        rows_h, _ = read_attributes(judge, _render(gen, attrs, z, held))
        per_attr_h = _accuracy(rows_h, attrs)
        out["heldout_caption_accuracy"] = float(np.nanmean(list(per_attr_h.values())))
        out["heldout_caption_accuracy_per_attribute"] = per_attr_h

    # single edits: success, preservation, identity
    base, zb = random_states(n_edits, seed + 1, min_strength=0.5)
    rng = np.random.default_rng([seed, 7])
    edits = [random_edit(a, rng) for a in base]
    after = [e[1] for e in edits]
    rows_b, emb_b = read_attributes(judge, _render(gen, base, zb))
    rows_a, emb_a = read_attributes(judge, _render(gen, after, zb))
    success, kept, by_attr = [], [], {}
    for (name, new, delta), a0, rb, ra in zip(edits, base, rows_b, rows_a):
        if delta:
            moved = ra[name] - rb[name]
            ok = bool(np.sign(moved) == np.sign(delta) and abs(moved) >= 0.5 * abs(delta))
        else:
            ok = bool(ra[name] == visible("faces", new)[name])
        success.append(ok)
        by_attr.setdefault(name, []).append(ok)
        v0, v1 = visible("faces", a0), visible("faces", new)
        for other in CLASS_ATTRS:
            if other == name or v0[other] is None or v0[other] != v1[other]:
                continue
            kept.append(rb[other] == ra[other])
    out["edit_success"] = float(np.mean(success))
    out["edit_success_per_attribute"] = {k: float(np.mean(v)) for k, v in by_attr.items()}
    out["preservation"] = float(np.mean(kept)) if kept else float("nan")
    d_edit = float(np.linalg.norm(emb_b - emb_a, axis=1).mean())
    ids = np.array([a["identity"] for a in base])
    k = min(len(ids), 500)
    d = np.linalg.norm(emb_b[:k, None] - emb_b[None, :k], axis=2)
    diff = ids[:k, None] != ids[None, :k]
    d_diff = float(d[diff].mean()) if diff.any() else float("nan")
    out["identity_edit_distance"] = d_edit
    out["identity_diff_distance"] = d_diff
    out["identity_ratio"] = d_edit / d_diff if d_diff and d_diff == d_diff else float("nan")

    if fid:
        out.update(_fid(judge, images, n, seed))
    out["thresholds"] = THRESHOLDS
    if captions:
        out["passes"] = passes(out)
    return out


def _fid(judge, images: np.ndarray, n: int, seed: int) -> dict[str, float]:
    """Fréchet distance of judge features against held-out studio renders, and
    the same figure between two studio samples (the floor)."""
    from generators.evaluation.fid import fid_judge
    out: dict[str, float] = {}
    real_a = make_dataset("faces", n, seed=seed, split="test", workers=1).images
    real_b = make_dataset("faces", n, seed=seed + 1, split="test", workers=1).images
    res = fid_judge(judge, images, real_a, real_b)
    if isinstance(res, dict):
        out.update({k if k.startswith("fid") else f"fid_{k}": v for k, v in res.items()})
    else:
        fid_gen, fid_floor = res if isinstance(res, tuple) else (res, None)
        out["fid_judge"] = float(fid_gen)
        if fid_floor is not None:
            out["fid_judge_floor"] = float(fid_floor)
    return out


def passes(res: dict[str, Any]) -> bool:
    """The acceptance criteria of the shipped weights (issue #7)."""
    t = THRESHOLDS
    try:
        return bool(res["attr_accuracy"] >= t["attr_accuracy_min"]
                    and res["yaw_mae"] <= t["yaw_mae_max"]
                    and res["edit_success"] >= t["edit_success_min"]
                    and res["preservation"] >= t["preservation_min"]
                    and res["identity_ratio"] <= t["identity_ratio_max"]
                    and res["heldout_caption_accuracy"] >= t["heldout_caption_accuracy_min"])
    except (KeyError, TypeError):
        return False


# what the edit sheet does to each identity, cumulatively
SHEET_EDITS: tuple[tuple[str, dict], ...] = (
    ("start", {}), ("sunglasses", {"eyewear": "sunglasses"}),
    ("smile", {"expression": "happy", "expression_strength": 0.8}),
    ("turn left", {"yaw": -30.0}), ("hat", {"hat": True}), ("beard", {"beard": True}),
    ("blond", {"hair_color": "blond"}), ("light from the left", {"light_azimuth": -60.0}),
    ("turn right", {"yaw": 30.0}), ("no sunglasses", {"eyewear": "none"}),
)


def edit_sheet(gen, path, seed: int = 0, identities: int = 4) -> list[str]:
    """One held-out identity per row through the edits of ``SHEET_EDITS``
    (each on top of the previous ones, z fixed), for a person to look at.
    Returns the column labels."""
    from generators.files import save_png
    from generators.studio.sheets import grid
    rng = np.random.default_rng([seed, 11])
    images = []
    for k in range(identities):
        a = FACES.defaults(TEST_SEED_BASE + seed * 100 + k)
        a.update(hair_color=str(rng.choice(["black", "brown", "red", "gray"])),
                 skin_tone=str(rng.choice(FACES.get("skin_tone").values)))
        row = []
        for _, change in SHEET_EDITS:
            a = dict(a, **change)
            row.append(a)
        z = np.repeat(rng.standard_normal((1, gen.cfg.z_dim)).astype(np.float32), len(row), 0)
        images += list(gen.render_batch(row, z))
    save_png(grid(images, len(SHEET_EDITS)), path, 2)
    return [label for label, _ in SHEET_EDITS]
