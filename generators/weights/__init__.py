"""Shipped weights: one folder per model and domain (config.json + model.safetensors)."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent


def weights_path(model: str, domain: str) -> Path:
    return WEIGHTS_DIR / f"{model}-{domain}"


def has_weights(model: str, domain: str) -> bool:
    p = weights_path(model, domain)
    return (p / "config.json").exists() and (p / "model.safetensors").exists()
