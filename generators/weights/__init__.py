"""Shipped weights: one folder per model and domain (config.json + model.safetensors)."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent


def weights_path(model: str, domain: str) -> Path:
    return WEIGHTS_DIR / f"{model}-{domain}"


def has_weights(model: str, domain: str) -> bool:
    p = weights_path(model, domain)
    return (p / "config.json").exists() and (p / "model.safetensors").exists()


def accepted(model: str, domain: str) -> bool:
    """Whether the shipped weights passed their acceptance eval (recorded in
    config.json as ``extra.eval.passes`` when they were shipped).  Only then may
    the model be a domain's default generator."""
    import json

    try:
        meta = json.loads((weights_path(model, domain) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(meta.get("extra", {}).get("eval", {}).get("passes", False))
