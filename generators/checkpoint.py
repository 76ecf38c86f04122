"""Checkpoints as ``config.json`` + ``model.safetensors`` (never pickle).

``save_pretrained`` writes both atomically; ``from_pretrained`` rebuilds the
model from the config and loads the weights, turning every way this can go
wrong (missing, truncated, wrong version, wrong shapes) into a ``WeightsError``
that says how to retrain.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from generators.errors import WeightsError
from generators.files import write_bytes_atomic

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"

if TYPE_CHECKING:
    from torch import nn

M = TypeVar("M", bound="nn.Module")


def save_pretrained(
    model,
    config,
    out: str | os.PathLike,
    *,
    model_name: str,
    code_version: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``out/config.json`` and ``out/model.safetensors``."""
    import torch
    from safetensors.torch import save

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = {
        "model": model_name,
        "code_version": code_version,
        "config": dataclasses.asdict(config),
        "dtype": "float32",
        "torch": torch.__version__,
        "extra": extra or {},
    }
    write_bytes_atomic(out / WEIGHTS_FILE, save(state, metadata={"model": model_name}))
    write_bytes_atomic(out / CONFIG_FILE, json.dumps(meta, indent=2).encode())
    return out


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    cfg = path / CONFIG_FILE
    try:
        return json.loads(cfg.read_text())
    except FileNotFoundError:
        raise WeightsError(f"no {CONFIG_FILE} in {path}") from None
    except (OSError, ValueError) as e:
        raise WeightsError(f"{cfg} is unreadable ({e})") from None


def from_pretrained(
    model_cls: type[M],
    config_cls,
    path: str | os.PathLike,
    *,
    model_name: str,
    code_version: int,
    retrain_hint: str,
    device: str = "cpu",
) -> M:
    """Build ``model_cls(config_cls(**config))`` and load its weights."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    how = f" Retrain with: {retrain_hint}"
    if not (path / WEIGHTS_FILE).exists() or not (path / CONFIG_FILE).exists():
        raise WeightsError(
            f"the {model_name} weights are missing: expected {CONFIG_FILE} and "
            f"{WEIGHTS_FILE} in {path}.{how}"
        )
    try:
        meta = read_config(path)
    except WeightsError as e:
        raise WeightsError(f"{e}.{how}") from None
    if meta.get("model") != model_name:
        raise WeightsError(f"{path} holds {meta.get('model')!r} weights, not {model_name}.{how}")
    if meta.get("code_version") != code_version:
        raise WeightsError(
            f"the {model_name} weights in {path} were made for code version "
            f"{meta.get('code_version')}, this holochat needs {code_version}.{how}"
        )
    try:
        fields = {f.name for f in dataclasses.fields(config_cls)}
        cfg = config_cls(**{k: v for k, v in meta["config"].items() if k in fields})
    except (KeyError, TypeError) as e:
        raise WeightsError(
            f"{path / CONFIG_FILE} has a config this code cannot read ({e}).{how}"
        ) from None
    try:
        state = load_file(str(path / WEIGHTS_FILE), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise WeightsError(
            f"the {model_name} weights in {path} are truncated or corrupt ({e}).{how}"
        ) from None
    model = model_cls(cfg)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    bad = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or bad:
        detail = "; ".join(
            x
            for x in (
                f"missing {missing[:3]}" if missing else "",
                f"unexpected {unexpected[:3]}" if unexpected else "",
                f"shape mismatch in {bad[:3]}" if bad else "",
            )
            if x
        )
        raise WeightsError(
            f"the {model_name} weights in {path} do not match its config ({detail}).{how}"
        )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})
    model.to(device)
    model.eval()
    return model


def record_eval(path: str | os.PathLike, result: dict[str, Any]) -> None:
    """Store an eval result in a weights folder's config.json (``extra.eval``),
    written atomically; the registry reads ``extra.eval.passes`` to decide
    whether learned weights may become a domain's default."""
    cfg_path = Path(path) / CONFIG_FILE
    meta = json.loads(cfg_path.read_text())
    meta.setdefault("extra", {})["eval"] = result
    write_bytes_atomic(cfg_path, (json.dumps(meta, indent=2) + "\n").encode())


def store_half(path: str | os.PathLike) -> None:
    """Rewrite a weights folder's float tensors as float16 (``dtype`` in its
    config says so; ``from_pretrained`` widens them again on load).  Lossless
    for weights that came as float16, such as a lease bundle that had to
    travel so."""
    import numpy as np
    from safetensors.numpy import load, save

    path = Path(path)
    blob = (path / WEIGHTS_FILE).read_bytes()
    header = json.loads(blob[8 : 8 + int.from_bytes(blob[:8], "little")])
    tensors = {
        k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in load(blob).items()
    }
    meta = json.loads((path / CONFIG_FILE).read_text())
    meta["dtype"] = "float16"
    write_bytes_atomic(path / WEIGHTS_FILE, save(tensors, metadata=header.get("__metadata__")))
    write_bytes_atomic(path / CONFIG_FILE, json.dumps(meta, indent=2).encode())
