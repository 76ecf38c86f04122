"""Loaders for real image data in the formats users have.

- Extended Yale B: ``yaleBNN/yaleBNN_P00A+000E+00.pgm`` — pose index, light
  azimuth and elevation from the name; ambient images (``..._Ambient.pgm``)
  are skipped.
- RaFD: ``Rafd090_01_Caucasian_female_angry_frontal.jpg`` — camera angle,
  identity, emotion; only frontal-gaze images are kept.
- Any folder of images, with an optional attributes CSV (a ``file`` column
  plus schema attribute columns).

Every loader returns a ``LoadedDataset`` of uint8 images resized to a square
``size`` and partial attribute dicts, or raises ``DatasetError`` with a message
that names the folder and what is wrong.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generators.schema import InvalidValueError, UnknownAttributeError, get_schema

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".pgm", ".ppm", ".webp", ".tif", ".tiff"}


class DatasetError(ValueError):
    """A folder or file that cannot be loaded as a dataset."""


@dataclass
class LoadedDataset:
    images: np.ndarray  # N×size×size×3 uint8
    attributes: list[dict[str, Any]] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


def _load_image(path: Path, size: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as src:
            im = src.convert("RGB")
            w, h = im.size
            s = min(w, h)  # centre crop to a square
            im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
            im = im.resize((size, size), Image.Resampling.BICUBIC)
            return np.asarray(im, np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DatasetError(f"cannot read image {path}: {e}") from None


def _require_dir(root: str | Path) -> Path:
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"dataset folder {root} does not exist")
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    return root


def _finish(root: Path, items: list[tuple[Path, dict]], size: int, what: str) -> LoadedDataset:
    if not items:
        raise DatasetError(f"no {what} found in {root}")
    images, attrs, paths, bad = [], [], [], []
    for p, a in items:
        try:
            images.append(_load_image(p, size))
        except DatasetError:
            bad.append(p)
            continue
        attrs.append(a)
        paths.append(p)
    if not images:
        raise DatasetError(
            f"none of the {len(items)} {what} in {root} could be read (first: {bad[0]})"
        )
    return LoadedDataset(np.stack(images), attrs, paths)


_YALE = re.compile(r"^yaleB(\d+)_P(\d+)A([+-]\d+)E([+-]\d+)\.pgm$", re.IGNORECASE)


def load_yale_b(root: str | Path, size: int = 64) -> LoadedDataset:
    """Extended Yale B: identity from the subject number, ``pose`` index,
    ``light_azimuth`` and ``light_elevation`` in degrees from the file name."""
    root = _require_dir(root)
    items = []
    for p in sorted(root.rglob("*.pgm")):
        m = _YALE.match(p.name)
        if not m:  # ambient and stray files
            continue
        subject, pose, az, el = (int(g) for g in m.groups())
        items.append(
            (
                p,
                {
                    "identity": subject,
                    "pose": pose,
                    "light_azimuth": float(az),
                    "light_elevation": float(el),
                },
            )
        )
    return _finish(root, items, size, "Extended Yale B images (yaleBNN_PxxA±aaaE±ee.pgm)")


_RAFD = re.compile(
    r"^Rafd(\d{3})_(\d+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z]+)\.(jpe?g|png)$",
    re.IGNORECASE,
)
# RaFD emotions onto the schema's expressions (others kept as rafd_emotion only)
_RAFD_EXPR = {
    "happy": "happy",
    "sad": "sad",
    "angry": "angry",
    "surprised": "surprised",
    "neutral": "neutral",
}


def load_rafd(root: str | Path, size: int = 64) -> LoadedDataset:
    """RaFD: camera angle (000…180, 90 = frontal camera) as ``yaw`` = angle − 90,
    identity, emotion; only frontal-gaze images are kept."""
    root = _require_dir(root)
    items = []
    for p in sorted(root.rglob("*")):
        m = _RAFD.match(p.name)
        if not m:
            continue
        angle, ident, _ethn, _sex, emotion, gaze, _ = m.groups()
        if gaze.lower() != "frontal":
            continue
        a: dict[str, Any] = {
            "identity": int(ident),
            "camera_angle": int(angle),
            "yaw": float(np.clip(int(angle) - 90, -60, 60)),
            "rafd_emotion": emotion.lower(),
        }
        if emotion.lower() in _RAFD_EXPR:
            a["expression"] = _RAFD_EXPR[emotion.lower()]
        items.append((p, a))
    return _finish(
        root, items, size, "frontal-gaze RaFD images (RafdAAA_II_eth_sex_emotion_frontal.jpg)"
    )


def _read_csv(path: Path, domain: str) -> dict[str, dict[str, Any]]:
    schema = get_schema(domain)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"cannot read attributes CSV {path}: {e}") from None
    if not rows or "file" not in (rows[0].keys() if rows else ()):
        raise DatasetError(
            f"attributes CSV {path} needs a header with a 'file' column "
            "and schema attribute columns"
        )
    out = {}
    for i, row in enumerate(rows, start=2):
        if None in row:
            raise DatasetError(f"{path}, line {i}: more fields than the header has")
        attrs: dict[str, Any] = {}
        for k, v in row.items():
            if k == "file" or v in ("", None):
                continue
            try:
                attr = schema.get(k)
            except UnknownAttributeError as e:
                raise DatasetError(f"{path}: column {e}") from None
            raw: Any = v
            if attr.numeric or attr.kind == "seed":
                try:
                    raw = float(v)
                except ValueError:
                    raise DatasetError(
                        f"{path}, line {i}: {k} must be a number, got {v!r}"
                    ) from None
            try:
                attrs[k], _ = attr.coerce(raw)
            except InvalidValueError as e:
                raise DatasetError(f"{path}, line {i}: {e}") from None
        out[row["file"]] = attrs
    return out


def load_image_folder(
    root: str | Path, size: int = 64, csv_path: str | Path | None = None, domain: str = "faces"
) -> LoadedDataset:
    """Every image under ``root``; attributes from ``csv_path`` (or
    ``root/attributes.csv`` when present), keyed by path relative to ``root``."""
    root = _require_dir(root)
    if csv_path is None and (root / "attributes.csv").exists():
        csv_path = root / "attributes.csv"
    table = _read_csv(Path(csv_path), domain) if csv_path is not None else {}
    items = [
        (p, dict(table.get(p.relative_to(root).as_posix(), table.get(p.name, {}))))
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    ]
    return _finish(root, items, size, f"images ({', '.join(sorted(IMAGE_SUFFIXES))})")


__all__ = ["DatasetError", "LoadedDataset", "load_image_folder", "load_rafd", "load_yale_b"]
