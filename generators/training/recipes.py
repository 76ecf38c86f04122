"""Recipes: the settings that make a model, one TOML file per shipped model.

``generators/recipes/MODEL-NAME.toml`` (shipped with the package) holds

    model = "convdeconv"       # the trainer
    shipped = "cpu"            # the setting that made generators/weights/MODEL-NAME
    [base]                     # every setting's common values
    [cpu]                      # a run on the CPU (what the machine here can do)
    [gpu]                      # a run on one GPU (what a lease runs)
    [smoke]                    # a few tiny steps on the CPU (CI)

Keys are the field names of the model's architecture config and of its
training settings (a key sets each that has it); what a recipe leaves out
keeps the dataclass default.  ``resolve`` merges base, the setting and
``--set key=value`` overrides (TOML values; ``a.b=v`` sets one entry of a
table), and the trainer records the recipe's name and the resolved values
in the checkpoint's config.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECIPE_DIR = Path(__file__).resolve().parent.parent / "recipes"
#: the models that train on the kernel: name -> trainer module (each registers a tiny
#: run with ``kernel.tiny`` and names its settings' classes in ``RECIPE_CLASSES``)
MODELS: dict[str, str] = {
    "convdeconv": "generators.training.convdeconv",
    "judge": "generators.training.judge",
    "dcgan": "generators.training.dcgan",
    "textgan": "generators.training.textgan",
    "pix2pix": "generators.training.pix2pix",
}
SETTINGS = ("cpu", "gpu", "smoke")
#: settings of one invocation, not of the recipe: never recorded, never carried to a resume
RUNTIME = ("progress", "echo", "resume", "out", "time_limit_s")


class RecipeError(ValueError):
    """A recipe that does not exist, or a setting it cannot take; the
    message says which and what there is."""


@dataclass(frozen=True)
class Resolved:
    model: str
    name: str  # e.g. "faces"
    setting: str  # cpu, gpu or smoke
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}:{self.setting}"


def names(model: str) -> list[str]:
    """The recipes of ``model`` (file ``MODEL-NAME.toml`` → ``NAME``)."""
    out = []
    for p in sorted(RECIPE_DIR.glob(f"{model}-*.toml")):
        if _read(p).get("model") == model:
            out.append(p.stem[len(model) + 1 :])
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise RecipeError(f"cannot read the recipe {path}: {e}") from None


def load(model: str, name: str) -> dict[str, Any]:
    """The recipe file ``model-name.toml`` as a dict."""
    path = RECIPE_DIR / f"{model}-{name}.toml"
    known = names(model)
    if name not in known:
        raise RecipeError(f"no {model} recipe {name!r}; there are: {', '.join(known) or 'none'}")
    return _read(path)


def default_name(model: str) -> str:
    known = names(model)
    if not known:
        raise RecipeError(f"{model} has no recipes")
    return "faces" if "faces" in known else known[0]


def parse_value(text: str) -> Any:
    """A TOML value (``3``, ``1e-3``, ``true``, ``"x"``, ``[1, 2]``), else the
    text itself as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise RecipeError(f"--set wants KEY=VALUE, got {item!r}")
    return key, parse_value(value.strip())


def recorded(folder: str | Path) -> Resolved | None:
    """The recipe a checkpoint folder records (None where it records none)."""
    import json

    try:
        meta = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
        rec = meta["extra"]["recipe"]
        name, _, setting = rec["name"].partition(":")
        values = {k: v for k, v in rec["values"].items() if k not in RUNTIME}
        return Resolved(meta["model"], name, setting, values)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def resolve(
    model: str,
    spec: str | None = None,
    *,
    device: str | None = None,
    sets: list[str] | tuple[str, ...] = (),
    base: Resolved | None = None,
    **overrides: Any,
) -> Resolved:
    """``spec`` is ``NAME`` or ``NAME:SETTING``; without a setting, ``device``
    picks it (cuda: gpu, else cpu), and without a device, a GPU here picks
    gpu.  Then ``--set`` items and ``overrides`` (those not None).  With
    ``base`` (a resumed checkpoint's recorded recipe) its values stand in for
    the file's, and ``spec`` must name the same recipe if it names one."""
    if base is not None:
        name = (spec or base.name).partition(":")[0]
        if name != base.name:
            raise RecipeError(
                f"the checkpoint was trained with the {model} recipe "
                f"{base.label}, not {spec}; resume without --recipe"
            )
        return _override(
            Resolved(model, base.name, base.setting, dict(base.values)), device, sets, overrides
        )
    name, _, setting = (spec or default_name(model)).partition(":")
    data = load(model, name)
    if not setting:
        if device is None:
            import torch

            setting = "gpu" if torch.cuda.is_available() else "cpu"
        else:
            setting = "gpu" if device.startswith("cuda") else "cpu"
    if setting not in SETTINGS:
        raise RecipeError(f"a recipe's setting is one of {', '.join(SETTINGS)}, not {setting!r}")
    if setting not in data:
        raise RecipeError(f"the {model} recipe {name!r} has no [{setting}] setting")
    values: dict[str, Any] = {**data.get("base", {}), **data[setting]}
    return _override(Resolved(model, name, setting, values), device, sets, overrides)


def _override(
    r: Resolved, device: str | None, sets: list[str] | tuple[str, ...], overrides: dict[str, Any]
) -> Resolved:
    values = r.values
    for item in sets:
        key, value = parse_set(item)
        head, dot, sub = key.partition(".")
        if dot:
            table = values.get(head)
            values[head] = {**(table if isinstance(table, dict) else {}), sub: value}
        else:
            values[key] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    if device is not None:
        values["device"] = device
    check(values)
    return r


POSITIVE = {
    "lr",
    "gan_lr",
    "lr_d",
    "batch",
    "n_train",
    "n_images",
    "identities_per_batch",
    "per_identity",
    "images_per_identity",
    "images_per_seed",
    "variants",
    "width",
    "captions_per_image",
    "workers",
    "ngf",
    "ndf",
    "r1_every",
    "fine_width",
}
NON_NEGATIVE = {
    "r1_gamma",
    "perceptual",
    "ema",
    "expression_map",
    "trunk",
    "warmup",
    "fine_blocks",
    "blocks",
    "local_blocks",
    "mapping",
    "mbstd_group",
    "seed",
}


def check(values: dict[str, Any]) -> None:
    """The checks every recipe value gets: numbers finite, counts, rates and
    weights in range, the schedule's steps inside the run."""
    import math

    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if not math.isfinite(v):
            raise RecipeError(f"{k} must be a finite number, got {v}")
        if k in POSITIVE and not v > 0:
            raise RecipeError(f"{k} must be positive, got {v}")
        if (k in NON_NEGATIVE or k.endswith("_weight")) and v < 0:
            raise RecipeError(f"{k} must be 0 or more, got {v}")
    steps = values.get("steps")
    if isinstance(steps, int):
        d = values.get("decay_from")
        if isinstance(d, int) and not 0 <= d < steps:
            raise RecipeError(f"decay_from must lie in 0…{steps - 1} (before steps), got {d}")
        w = values.get("warmup")
        if isinstance(w, int) and w > steps:
            raise RecipeError(f"warmup must lie in 0…{steps} (the steps), got {w}")


def split(values: dict[str, Any], *classes: type) -> list[dict[str, Any]]:
    """The values each dataclass of ``classes`` has a field for (a key may go
    to several); a key none has is an error that lists the known ones."""
    fields = [{f.name for f in dataclasses.fields(c)} for c in classes]
    unknown = sorted(k for k in values if not any(k in f for f in fields))
    if unknown:
        known = sorted(set().union(*fields))
        raise RecipeError(
            f"unknown setting{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; known: {', '.join(known)}"
        )
    return [{k: v for k, v in values.items() if k in f} for f in fields]


def build(values: dict[str, Any], *classes: type) -> list[Any]:
    """One instance of each class from the values (its defaults elsewhere);
    a value of the wrong kind is a RecipeError."""
    out = []
    for cls, kw in zip(classes, split(values, *classes)):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for k, v in kw.items():
            if isinstance(v, list) and "tuple" in str(fields[k].type):
                kw[k] = tuple(v)
            elif v == "" and fields[k].default is None:  # TOML has no null
                kw[k] = None
        try:
            out.append(cls(**kw))
        except (TypeError, ValueError, RuntimeError) as e:  # TrainingError too
            raise RecipeError(str(e)) from None
    return out


def build_for(model: str, r: Resolved) -> list[Any]:
    """The instances of ``model``'s recipe classes (its trainer module's
    ``RECIPE_CLASSES``) for ``r``; the fields they share must agree."""
    import importlib

    insts = build(r.values, *importlib.import_module(MODELS[model]).RECIPE_CLASSES)
    seen: dict[str, Any] = {}
    for inst in insts:
        for k, v in dataclasses.asdict(inst).items():
            if k in seen and seen[k] != v:
                raise RecipeError(f"{k}: {v!r} here, {seen[k]!r} in the other settings")
            seen.setdefault(k, v)
    return insts


def train(r: Resolved) -> Any:
    """Train as ``r`` says: its model's ``train_settings(*instances, recipe)``;
    returns the kernel trainer."""
    import importlib

    insts = build_for(r.model, r)
    return importlib.import_module(MODELS[r.model]).train_settings(*insts, recipe=record(r))


def record(r: Resolved) -> dict[str, Any]:
    """What a checkpoint's config records of the recipe."""
    return {"name": r.label, "values": {k: v for k, v in r.values.items() if k not in RUNTIME[:2]}}


def show(r: Resolved, *instances: Any) -> str:
    """The resolved settings as TOML lines (every field, defaults included)."""
    lines = [
        f"# holochat train {r.model} --recipe {r.label} ({RECIPE_DIR / f'{r.model}-{r.name}.toml'})"
    ]
    seen: set[str] = set()
    for inst in instances:
        lines.append(f"# {type(inst).__name__}")
        for k, v in dataclasses.asdict(inst).items():
            if k in seen:
                continue
            seen.add(k)
            lines.append(f"{k} = {_toml(v)}")
    return "\n".join(lines)


def _toml(v: Any) -> str:
    if v is None:
        return '""  # none'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + "}"
    return repr(v)
