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

from collections.abc import Sequence
from typing import Any

import numpy as np

from generators.datasets import TEST_SEED_BASE, make_dataset, sample_attributes
from generators.schema import BOOL, CATEGORY, FACES

THRESHOLDS = {
    "attr_accuracy_min": 0.90,
    "yaw_mae_max": 8.0,
    "edit_success_min": 0.90,
    "preservation_min": 0.95,
    "identity_ratio_max": 0.35,
    "heldout_caption_accuracy_min": 0.85,
}
CLASS_ATTRS = tuple(a.name for a in FACES.of_kind(CATEGORY, BOOL))
# edits: (attribute, kind); numeric edits move by 1 or 2 schema steps
EDIT_KINDS = (
    ("expression", "set"),
    ("eyewear", "set"),
    ("hair_color", "set"),
    ("skin_tone", "set"),
    ("background", "set"),
    ("hat", "toggle"),
    ("beard", "toggle"),
    ("yaw", "move"),
    ("light_azimuth", "move"),
)


def random_states(
    n: int, seed: int = 0, min_strength: float = 0.0
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
    while True:
        name, kind = EDIT_KINDS[rng.integers(len(EDIT_KINDS))]
        attr = FACES.get(name)
        if kind in ("set", "toggle"):
            value = (
                not a[name]
                if kind == "toggle"
                else str(rng.choice([v for v in attr.values if v != a[name]]))
            )
            new = dict(a, **{name: value})
            if _visible(new)[name] is None:
                continue
            return name, new, 0.0
        delta = attr.step_size * float(rng.choice([1, 2])) * float(rng.choice([-1, 1]))
        lo, hi = attr.bounds
        if not lo <= a[name] + delta <= hi:
            delta = -delta  # turn the other way rather than hit the limit
        return name, dict(a, **{name: float(a[name]) + delta}), delta


def _render(
    gen,
    attrs: Sequence[dict],
    z: np.ndarray,
    captions: Sequence[str] | None = None,
    batch: int = 250,
) -> np.ndarray:
    parts = []
    for s in range(0, len(attrs), batch):
        parts.append(
            gen.render_batch(
                attrs[s : s + batch],
                z[s : s + batch],
                captions=None if captions is None else captions[s : s + batch],
            )
        )
    return np.concatenate(parts)


_SHOWN: dict[tuple, dict] = {}


def _visible(a: dict) -> dict:
    """``studio.visible`` of a face state, memoised (the generator and the
    studio are judged on the same states; each costs a few renders)."""
    key = tuple(sorted(a.items()))
    hit = _SHOWN.get(key)
    if hit is None:
        from generators.studio import visible

        if len(_SHOWN) > 20000:
            _SHOWN.clear()
        hit = _SHOWN[key] = visible("faces", a)
    return hit


def _accuracy(rows: Sequence[dict], attrs: Sequence[dict]) -> dict[str, float]:
    shown = [_visible(a) for a in attrs]
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


def evaluate_textgan(
    gen,
    judge,
    n: int = 1000,
    n_edits: int | None = None,
    seed: int = 0,
    fid: bool = True,
    captions: bool = True,
) -> dict[str, Any]:
    """Every metric of the module docstring (plus per-attribute detail);
    ``fid=False`` leaves out the Fréchet distance (and its studio renders),
    ``captions=False`` the held-out caption figure (renderers without text)."""
    from generators.nets.judge import read_attributes
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
    success: list[bool] = []
    kept: list[bool] = []
    by_attr: dict[str, list[bool]] = {}
    for (name, new, delta), a0, rb, ra in zip(edits, base, rows_b, rows_a):
        if delta:
            moved = ra[name] - rb[name]
            ok = bool(np.sign(moved) == np.sign(delta) and abs(moved) >= 0.5 * abs(delta))
        else:
            ok = bool(ra[name] == _visible(new)[name])
        success.append(ok)
        by_attr.setdefault(name, []).append(ok)
        v0, v1 = _visible(a0), _visible(new)
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

    out["hf_energy_rows"] = row_hf_energy(images)
    if fid:
        out.update(_fid(judge, images, n, seed))
    out["thresholds"] = THRESHOLDS
    if captions:
        out["passes"] = passes(out)
    return out


def text_head_accuracy(gen, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """How well a "convdeconv" text GAN's learned text head reads the
    categorical / bool attributes from the caption alone (no image, no judge):
    on the training templates' deterministic caption (what a chat state is
    rendered from) and on the held-out templates, for ``n`` random states of
    held-out identities.  Against the true attributes, per attribute and the
    mean."""
    import torch

    from generators.nets.textgan import class_names
    from generators.studio.captions import captions as make_captions
    from generators.training.textgan import category_codes

    attrs, _ = random_states(n, seed)
    rng = np.random.default_rng([seed, 99])
    sets = {
        "train_templates": [gen.condition_text(a) for a in attrs],
        "heldout_templates": [make_captions("faces", a, rng, 1, heldout=True)[0] for a in attrs],
    }
    truth = torch.from_numpy(category_codes(attrs))
    out: dict[str, Any] = {"n": n}
    for name, texts in sets.items():
        with torch.inference_mode():
            logits = gen.model.head(torch.from_numpy(np.asarray(gen.embedder(texts), np.float32)))
        per = {
            k: float((lg.argmax(1) == truth[:, i]).float().mean())
            for i, (k, lg) in enumerate(zip(class_names(), logits))
        }
        out[name] = float(np.mean(list(per.values())))
        out[f"{name}_per_attribute"] = per
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


def row_hf_energy(images: np.ndarray) -> float:
    """Row-wise high-frequency energy: per image row (luminance, mean
    removed), the power of the horizontal frequencies above half the Nyquist
    frequency, averaged over rows and images (per pixel, in (1/255)² units).
    Vertical stripes raise it; blur lowers it."""
    y = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
    y = y - y.mean(axis=2, keepdims=True)
    w = y.shape[2]
    spec = np.abs(np.fft.rfft(y, axis=2)) ** 2 / w  # N×H×(W/2+1)
    k = np.fft.rfftfreq(w)  # cycles per pixel, 0…0.5
    return float(spec[..., k > 0.25].sum(axis=2).mean() / w * 255.0**2)


# the bars of issue 29, the generator against the studio on the same states
ACCEPTANCE = {
    "attr_accuracy_min": 0.95,
    "per_attribute_within": 0.05,
    "edit_success_min": 0.95,
    "per_edit_within": 0.05,
    "preservation_min": 0.95,
    "identity_ratio_max": 0.25,
    "yaw_mae_max": 4.0,
    "heldout_caption_accuracy_min": 0.85,
    "hf_ratio_within": 1.5,
}


def acceptance_checks(gen: dict[str, Any], studio: dict[str, Any]) -> dict[str, dict]:
    """Each bar of issue 29: {check: {"value", "bar", "passes"}}.  Per
    attribute and per edit, the generator's figure must lie within 0.05 of the
    studio's own under the same judge (or above it); the row-wise
    high-frequency energy within 1.5× of the studio's either way (stripes
    raise it, blur lowers it)."""
    t = ACCEPTANCE
    out: dict[str, dict] = {}

    def add(name, value, bar, ok):
        out[name] = {"value": value, "bar": bar, "passes": bool(ok)}

    add(
        "attr_accuracy",
        gen["attr_accuracy"],
        f">= {t['attr_accuracy_min']}",
        gen["attr_accuracy"] >= t["attr_accuracy_min"],
    )
    for k, v in gen["attr_accuracy_per_attribute"].items():
        ref = studio["attr_accuracy_per_attribute"][k]
        add(
            f"attr:{k}",
            v,
            f">= studio {ref:.3f} - {t['per_attribute_within']}",
            v >= ref - t["per_attribute_within"],
        )
    add(
        "edit_success",
        gen["edit_success"],
        f">= {t['edit_success_min']}",
        gen["edit_success"] >= t["edit_success_min"],
    )
    for k, v in gen["edit_success_per_attribute"].items():
        ref = studio["edit_success_per_attribute"].get(k, float("nan"))
        add(
            f"edit:{k}",
            v,
            f">= studio {ref:.3f} - {t['per_edit_within']}",
            v >= ref - t["per_edit_within"],
        )
    add(
        "preservation",
        gen["preservation"],
        f">= {t['preservation_min']}",
        gen["preservation"] >= t["preservation_min"],
    )
    add(
        "identity_ratio",
        gen["identity_ratio"],
        f"<= {t['identity_ratio_max']}",
        gen["identity_ratio"] <= t["identity_ratio_max"],
    )
    add("yaw_mae", gen["yaw_mae"], f"<= {t['yaw_mae_max']}", gen["yaw_mae"] <= t["yaw_mae_max"])
    if "heldout_caption_accuracy" in gen:
        add(
            "heldout_caption_accuracy",
            gen["heldout_caption_accuracy"],
            f">= {t['heldout_caption_accuracy_min']}",
            gen["heldout_caption_accuracy"] >= t["heldout_caption_accuracy_min"],
        )
    ratio = gen["hf_energy_rows"] / max(studio["hf_energy_rows"], 1e-12)
    add(
        "hf_energy_ratio",
        ratio,
        f"within {t['hf_ratio_within']}x of the studio",
        1 / t["hf_ratio_within"] <= ratio <= t["hf_ratio_within"],
    )
    return out


def evaluate_against_studio(
    gen, judge, n: int = 400, seed: int = 0, fid: bool = True, captions: bool = True
) -> dict[str, Any]:
    """``evaluate_textgan`` of the generator and of the studio on the same
    states and edits under the same judge, side by side, with the checks of
    issue 29 (``passes``: every one of them)."""
    res = evaluate_textgan(gen, judge, n=n, seed=seed, fid=fid, captions=captions)
    studio = evaluate_textgan(studio_renderer(), judge, n=n, seed=seed, fid=False, captions=False)
    res["studio"] = {
        k: studio[k]
        for k in (
            "attr_accuracy",
            "attr_accuracy_per_attribute",
            "yaw_mae",
            "edit_success",
            "edit_success_per_attribute",
            "preservation",
            "identity_ratio",
            "hf_energy_rows",
        )
    }
    res["checks"] = acceptance_checks(res, studio)
    res["acceptance"] = ACCEPTANCE
    res["passes"] = all(c["passes"] for c in res["checks"].values()) and captions
    return res


def format_side_by_side(res: dict[str, Any]) -> str:
    """The generator's figures beside the studio's, and each check, as text."""
    st = res["studio"]
    lines = [f"{'figure':34s} {'generator':>10s} {'studio':>10s}  check"]

    def row(name, g, s, check=None):
        c = res["checks"].get(check or name)
        mark = "" if c is None else ("pass" if c["passes"] else "MISS") + f" ({c['bar']})"
        sv = "" if s is None else f"{s:10.3f}"
        lines.append(f"{name:34s} {g:10.3f} {sv:>10s}  {mark}")

    row("attr_accuracy", res["attr_accuracy"], st["attr_accuracy"])
    for k, v in res["attr_accuracy_per_attribute"].items():
        row(f"  {k}", v, st["attr_accuracy_per_attribute"][k], f"attr:{k}")
    row("edit_success", res["edit_success"], st["edit_success"])
    for k, v in res["edit_success_per_attribute"].items():
        row(f"  edit {k}", v, st["edit_success_per_attribute"].get(k), f"edit:{k}")
    row("preservation", res["preservation"], st["preservation"])
    row("identity_ratio", res["identity_ratio"], st["identity_ratio"])
    row("yaw_mae", res["yaw_mae"], st["yaw_mae"])
    if "heldout_caption_accuracy" in res:
        row("heldout_caption_accuracy", res["heldout_caption_accuracy"], None)
    row("hf_energy_rows", res["hf_energy_rows"], st["hf_energy_rows"], "hf_energy_ratio")
    if "fid_judge" in res:
        lines.append(
            f"{'fid_judge (floor)':34s} {res['fid_judge']:10.1f} "
            f"{res.get('fid_judge_floor', float('nan')):10.1f}"
        )
    lines.append(f"passes: {res['passes']}")
    return "\n".join(lines)


def passes(res: dict[str, Any]) -> bool:
    """The acceptance criteria of the shipped weights (issue #7)."""
    t = THRESHOLDS
    try:
        return bool(
            res["attr_accuracy"] >= t["attr_accuracy_min"]
            and res["yaw_mae"] <= t["yaw_mae_max"]
            and res["edit_success"] >= t["edit_success_min"]
            and res["preservation"] >= t["preservation_min"]
            and res["identity_ratio"] <= t["identity_ratio_max"]
            and res["heldout_caption_accuracy"] >= t["heldout_caption_accuracy_min"]
        )
    except (KeyError, TypeError):
        return False


# what the edit sheet does to each identity, cumulatively
SHEET_EDITS: tuple[tuple[str, dict], ...] = (
    ("start", {}),
    ("sunglasses", {"eyewear": "sunglasses"}),
    ("smile", {"expression": "happy", "expression_strength": 0.8}),
    ("turn left", {"yaw": -30.0}),
    ("hat", {"hat": True}),
    ("beard", {"beard": True}),
    ("blond", {"hair_color": "blond"}),
    ("light from the left", {"light_azimuth": -60.0}),
    ("turn right", {"yaw": 30.0}),
    ("no sunglasses", {"eyewear": "none"}),
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
        a.update(
            hair_color=str(rng.choice(["black", "brown", "red", "gray"])),
            skin_tone=str(rng.choice(FACES.get("skin_tone").values)),
        )
        row = []
        for _, change in SHEET_EDITS:
            a = dict(a, **change)
            row.append(a)
        z = np.repeat(rng.standard_normal((1, gen.cfg.z_dim)).astype(np.float32), len(row), 0)
        images += list(gen.render_batch(row, z))
    save_png(grid(images, len(SHEET_EDITS)), path, 2)
    return [label for label, _ in SHEET_EDITS]
