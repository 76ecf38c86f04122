"""Studio datasets: train/test sets rendered by the procedural studio, cached on disk.

Splits are by held-out identities / styles: the training set draws its seeds
from ``[0, n_seeds)``, the test set from ``[TEST_SEED_BASE, TEST_SEED_BASE +
n_seeds)``, so no test identity or style is ever seen in training.

Chairs follow the chairs paper's elevation split: most styles are shown only at
elevations 10, 20 and 30; a minority (``chair_style_is_full_elevation``) at any
elevation in 0 … 50, so rendering elevation 40 for the others measures
extrapolation.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generators.files import atomic_write, cache_dir
from generators.schema import BOOL, CATEGORY, DEGREES, FLOAT, SEED, get_schema

DATASET_VERSION = 2
# bumped when a domain's studio renders change (faces 3: expressions drawn
# larger, so that they read at 64 px), so stale caches are never reused
STUDIO_VERSION = {"faces": 3, "chairs": 2}
TEST_SEED_BASE = 1_000_000
IMAGES_PER_SEED = 20
FULL_ELEVATION_FRACTION = 0.2
TRAIN_ELEVATIONS = (10.0, 20.0, 30.0)
FULL_ELEVATION_RANGE = (0.0, 50.0)


@dataclass
class StudioDataset:
    domain: str
    images: np.ndarray  # N×H×W×3 uint8
    masks: np.ndarray | None  # N×H×W bool (chairs), else None
    attributes: list[dict[str, Any]]  # schema names, JSON-ready values
    seeds: np.ndarray  # N int64: identity / style
    shown: list[dict[str, Any]] | None = None  # ``visible`` attributes, filled on demand
    features: np.ndarray | None = None  # N×H×W bool (faces): ``studio.feature_mask``

    def __len__(self) -> int:
        return len(self.images)


def chair_style_is_full_elevation(style: int) -> bool:
    """True for the minority of chair styles shown at every elevation 0…50."""
    h = hashlib.blake2b(int(style).to_bytes(8, "little", signed=True), digest_size=4)
    return int.from_bytes(h.digest(), "little") / 2**32 < FULL_ELEVATION_FRACTION


def n_seeds_for(n: int, per_seed: int = IMAGES_PER_SEED) -> int:
    return max(1, n // max(1, int(per_seed)))


def sample_attributes(domain: str, rng: np.random.Generator, seed_value: int) -> dict[str, Any]:
    """Uniform over every attribute's range / values; the seed attribute given."""
    schema = get_schema(domain)
    out: dict[str, Any] = {}
    for a in schema:
        if a.kind == SEED:
            out[a.name] = int(seed_value)
        elif a.kind in (DEGREES, FLOAT):
            out[a.name] = float(rng.uniform(a.lo, a.hi))
        elif a.kind == CATEGORY:
            out[a.name] = str(a.values[rng.integers(len(a.values))])
        elif a.kind == BOOL:
            out[a.name] = bool(rng.integers(2))
    if domain == "chairs":
        if chair_style_is_full_elevation(seed_value):
            out["elevation"] = float(rng.uniform(*FULL_ELEVATION_RANGE))
        else:
            out["elevation"] = float(TRAIN_ELEVATIONS[rng.integers(len(TRAIN_ELEVATIONS))])
    return out


def _plan(
    domain: str, n: int, seed: int, split: str, per_seed: int = IMAGES_PER_SEED
) -> list[dict[str, Any]]:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    base = 0 if split == "train" else TEST_SEED_BASE
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, 12345])
    pool = base + np.arange(n_seeds_for(n, per_seed))
    seeds = np.concatenate([pool, rng.choice(pool, size=max(0, n - len(pool)))])[:n]
    rng.shuffle(seeds)
    return [sample_attributes(domain, rng, int(s)) for s in seeds]


def _render_chunk(args: tuple[str, list[dict[str, Any]], int]):
    """Images and, per domain, chair silhouettes or face feature masks."""
    domain, attrs, size = args
    from generators.studio import render_chair, render_face

    imgs = np.empty((len(attrs), size, size, 3), np.uint8)
    masks = np.empty((len(attrs), size, size), bool)
    for i, a in enumerate(attrs):
        if domain == "chairs":
            imgs[i], masks[i] = render_chair(a, size, return_mask=True)
        else:
            imgs[i], masks[i] = render_face(a, size, return_features=True)
    return imgs, masks


def default_workers() -> int:
    """Render processes: ``HOLOCHAT_WORKERS`` (a lease shares the cores out
    between its trainers), else every core."""
    env = os.environ.get("HOLOCHAT_WORKERS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def _strided_map(fn, args_of, n: int, workers: int | None, serial_below: int) -> list:
    """``fn(args_of(s))`` over strided slices ``s`` of ``n`` items (slice i
    holds items i, i + k, …, so slow and fast items spread evenly), in worker
    processes when ``n`` ≥ ``serial_below``; [(slice, result)] to put back."""
    workers = workers if workers is not None else default_workers()
    if workers <= 1 or n < serial_below:
        return [(slice(None), fn(args_of(slice(None))))]
    k = workers * 4
    slices = [slice(i, None, k) for i in range(k)]
    with ProcessPoolExecutor(workers) as ex:
        return list(zip(slices, ex.map(fn, [args_of(sl) for sl in slices])))


def render_attributes(
    domain: str,
    attrs: list[dict[str, Any]],
    size: int = 64,
    workers: int | None = None,
    features: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Render a list of attribute dicts (in parallel for large lists): the
    images and the chairs' silhouettes (None for faces), or with ``features``
    the faces' feature masks."""
    parts = _strided_map(
        _render_chunk, lambda sl: (domain, attrs[sl], size), len(attrs), workers, 2000
    )
    imgs = np.empty((len(attrs), size, size, 3), np.uint8)
    masks = np.empty((len(attrs), size, size), bool)
    for sl, (im, m) in parts:
        imgs[sl] = im
        masks[sl] = m
    if domain == "chairs" or features:
        return imgs, masks
    return imgs, None


def _visible_chunk(args: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    from generators.studio import visible

    domain, attrs = args
    return [visible(domain, a) for a in attrs]


def visible_attributes(
    domain: str, attrs: list[dict[str, Any]], workers: int | None = None
) -> list[dict[str, Any]]:
    """``studio.visible`` of every attribute dict (in parallel for large lists)."""
    out: list[dict[str, Any]] = [{} for _ in attrs]
    for sl, part in _strided_map(
        _visible_chunk, lambda sl: (domain, attrs[sl]), len(attrs), workers, 1000
    ):
        out[sl] = part
    return out


def _map_chunk(args: tuple[list[dict[str, Any]], np.ndarray]) -> np.ndarray:
    from generators.studio import expression_change_map

    attrs, images = args
    return (
        np.stack([expression_change_map(a, im) for a, im in zip(attrs, images)])
        if attrs
        else np.zeros((0, 16, 16), np.float32)
    )


def expression_maps(ds: StudioDataset, workers: int | None = None) -> np.ndarray:
    """N×16×16: where each face's expression changed pixels (``studio.expression_change_map``),
    an auxiliary target that shows the judge where to look."""
    if ds.domain != "faces":
        raise ValueError("expression maps are a faces thing")
    out = np.zeros((len(ds), 16, 16), np.float32)
    for sl, part in _strided_map(
        _map_chunk, lambda sl: (ds.attributes[sl], ds.images[sl]), len(ds), workers, 1000
    ):
        out[sl] = part
    return out


def shown_attributes(ds: StudioDataset, workers: int | None = None) -> list[dict[str, Any]]:
    """What each image of ``ds`` shows (``studio.visible``), computed once."""
    if ds.shown is None or len(ds.shown) != len(ds):
        ds.shown = visible_attributes(ds.domain, ds.attributes, workers)
    return ds.shown


def make_dataset(
    domain: str,
    n: int,
    *,
    seed: int = 0,
    size: int = 64,
    split: str = "train",
    workers: int | None = None,
    per_seed: int = IMAGES_PER_SEED,
) -> StudioDataset:
    """``n`` renders of ``n // per_seed`` identities / styles (``per_seed``
    renders each: fewer renders of more identities generalise better)."""
    get_schema(domain)
    if n < 1:
        raise ValueError("a dataset needs at least one image")
    if per_seed < 1:
        raise ValueError("per_seed must be at least 1")
    attrs = _plan(domain, n, seed, split, per_seed)
    images, masks = render_attributes(domain, attrs, size, workers, features=True)
    seed_attr = get_schema(domain).seed_attribute
    seeds = np.array([a[seed_attr] for a in attrs], np.int64)
    if domain == "faces":  # the faces' masks are their feature masks
        return StudioDataset(domain, images, None, attrs, seeds, features=masks)
    return StudioDataset(domain, images, masks, attrs, seeds)


def _face_maps_chunk(args: tuple[str, list[dict[str, Any]], int, Any]) -> np.ndarray:
    from generators import studio

    name, attrs, size, dtype = args
    draw = getattr(studio, name)
    return (
        np.stack([draw(a, size) for a in attrs]).astype(dtype, copy=False)
        if attrs
        else np.zeros((0, size, size), dtype)
    )


def _face_maps(ds: StudioDataset, name: str, dtype: Any, workers: int | None) -> np.ndarray:
    """N×H×W: ``studio.<name>(attributes, size)`` of each face, rendered in
    worker processes (``name``: a per-pixel map of the render, e.g.
    ``feature_mask``)."""
    size = ds.images.shape[1]
    out = np.zeros((len(ds), size, size), dtype)
    for sl, part in _strided_map(
        _face_maps_chunk,
        lambda sl: (name, ds.attributes[sl], size, dtype),
        len(ds),
        workers,
        2000,
    ):
        out[sl] = part
    return out


def feature_masks(ds: StudioDataset, workers: int | None = None) -> np.ndarray:
    """N×H×W bool: each face's ``studio.feature_mask`` (eyes, brows, mouth,
    eyewear, the beard's edge), computed once (old caches lack them)."""
    if ds.domain != "faces":
        raise ValueError("feature masks are a faces thing")
    if ds.features is None or len(ds.features) != len(ds):
        ds.features = _face_maps(ds, "feature_mask", bool, workers)
    return ds.features


def part_maps(ds: StudioDataset, workers: int | None = None) -> np.ndarray:
    """N×H×W int8: each face's ``studio.feature_parts`` (which small feature
    each pixel shows; 0: none), rendered once per call (not cached: a run
    that wants them computes them at its start)."""
    if ds.domain != "faces":
        raise ValueError("part maps are a faces thing")
    return _face_maps(ds, "feature_parts", np.int8, workers)


def cached_dataset(
    domain: str,
    n: int,
    seed: int = 0,
    size: int = 64,
    split: str = "train",
    cache_dir_: str | os.PathLike | None = None,
    per_seed: int = IMAGES_PER_SEED,
    with_shown: bool = False,
    with_features: bool = False,
) -> StudioDataset:
    """``make_dataset`` cached as an .npz (built once, then loaded); with
    ``with_shown`` also what each image shows (``studio.visible``).  Faces
    keep their feature masks (``studio.feature_mask``) with the images; with
    ``with_features`` a cache written before them gets them added."""
    d = Path(cache_dir_) if cache_dir_ is not None else cache_dir()
    k = "" if per_seed == IMAGES_PER_SEED else f"-k{per_seed}"
    path = d / (
        f"studio-{domain}-{split}-n{n}{k}-s{seed}-{size}px-"
        f"v{DATASET_VERSION}.{STUDIO_VERSION[domain]}.npz"
    )
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                masks = z["masks"] if "masks" in z.files else None
                shown = (
                    json.loads(str(z["shown"]))
                    if "shown" in z.files and str(z["shown_version"]) == _shown_version()
                    else None
                )
                features = (
                    np.unpackbits(z["features"], axis=-1, count=size).astype(bool)
                    if "features" in z.files and str(z["features_version"]) == _features_version()
                    else None
                )
                ds = StudioDataset(
                    domain,
                    z["images"],
                    masks,
                    json.loads(str(z["attributes"])),
                    z["seeds"],
                    shown,
                    features,
                )
            changed = False
            if with_shown and ds.shown is None:
                shown_attributes(ds)
                changed = True
            if with_features and ds.features is None:
                feature_masks(ds)
                changed = True
            if changed:
                _save(ds, path)
            return ds
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # corrupt cache: rebuild
    ds = make_dataset(domain, n, seed=seed, size=size, split=split, per_seed=per_seed)
    if with_shown:
        shown_attributes(ds)
    d.mkdir(parents=True, exist_ok=True)
    _save(ds, path)
    return ds


def _features_version() -> str:
    from generators.studio.faces import FEATURES_VERSION

    return str(FEATURES_VERSION)


def _shown_version() -> str:
    from generators.studio import VISIBLE_VERSION

    return str(VISIBLE_VERSION)


def _save(ds: StudioDataset, path: Path) -> None:
    arrays = {
        "images": ds.images,
        "seeds": ds.seeds,
        "attributes": np.array(json.dumps(ds.attributes)),
    }
    if ds.masks is not None:
        arrays["masks"] = ds.masks
    if ds.shown is not None:
        arrays["shown"] = np.array(json.dumps(ds.shown))
        arrays["shown_version"] = np.array(_shown_version())
    if ds.features is not None:
        arrays["features"] = np.packbits(ds.features, axis=-1)
        arrays["features_version"] = np.array(_features_version())
    # a temporary file of its own, then a rename: a lease's jobs may render the same set at once
    atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]
