"""Conv-deconv generator (Dosovitskiy et al., "Learning to Generate Chairs with
Convolutional Networks"; the faces variant follows zo7/deconvfaces).

Each input group passes through two FC layers; the group codes are
concatenated, pass two more FC layers into a shared code, which is reshaped
and up-convolved into an RGB stream and, for chairs, a foreground-mask stream.

Style / identity input: the studio derives an object's geometry from its
integer seed, so a learned per-seed embedding could never render a seed unseen
in training.  We condition on the *style parameters* the seed stands for
(``style_params`` / ``identity_params``: proportions, feature placement), so
held-out styles render, and styles can be interpolated and extrapolated in a
continuous space — the property the chairs paper shows for its embeddings.

Only the network and the input encoding live here; the loop is in
``generators/training/convdeconv.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from generators.schema import get_schema
from generators.studio.chairs import style_params
from generators.studio.faces import identity_params

ARCH_VERSION = 1


@dataclass(frozen=True)
class ConvDeconvConfig:
    domain: str = "chairs"
    image_size: int = 64
    group_width: int = 128        # FC width of each input group
    shared: int = 512             # the two shared FC layers
    channels: tuple[int, ...] = (160, 80, 40, 20)    # 4 → 8 → 16 → 32 → 64
    mask: bool = True             # chairs: predict a foreground mask too

    def __post_init__(self):
        object.__setattr__(self, "channels", tuple(self.channels))


def _onehot(values: Sequence[str], v: str) -> list[float]:
    return [1.0 if v == x else 0.0 for x in values]


def _sc(deg: float) -> list[float]:
    r = np.radians(float(deg))
    return [float(np.sin(r)), float(np.cos(r))]


# The two domains' input groups: name -> function(attributes) -> list of floats
def _chair_groups(a: Mapping[str, Any]) -> dict[str, list[float]]:
    s = get_schema("chairs")
    p = style_params(int(a["style"]))
    return {
        "style": list((p - _CHAIR_P_MEAN) / _CHAIR_P_STD) + [float(a["back_height"]) * 2 - 1,
                                                           1.0 if a["armrests"] else -1.0]
                 + _onehot(s.get("legs").values, a["legs"]),
        "view": _sc(a["azimuth"]) + _sc(a["elevation"]) + [float(a["elevation"]) / 30 - 1],
        "transform": [float(a["zoom"]) - 1, float(a["shift_x"]) * 2, float(a["shift_y"]) * 2]
                     + _sc(a["hue"]) + [float(a["saturation"]) - 1, float(a["brightness"])]
                     + _onehot(s.get("color").values, a["color"]),
    }


def _face_groups(a: Mapping[str, Any]) -> dict[str, list[float]]:
    s = get_schema("faces")
    p = identity_params(int(a["identity"]))
    return {
        "identity": list((p - _FACE_P_MEAN) / _FACE_P_STD)
                    + _onehot(s.get("hair_color").values, a["hair_color"])
                    + _onehot(s.get("skin_tone").values, a["skin_tone"])
                    + _onehot(s.get("background").values, a["background"])
                    + _onehot(s.get("eyewear").values, a["eyewear"])
                    + [1.0 if a["hat"] else -1.0, 1.0 if a["beard"] else -1.0],
        "expression": _onehot(s.get("expression").values, a["expression"])
                      + [float(a["expression_strength"]) * 2 - 1],
        "light": _sc(a["light_azimuth"]) + _sc(a["light_elevation"]) + [float(a["brightness"])],
        "pose": _sc(a["yaw"]) + _sc(a["pitch"]) + [float(a["yaw"]) / 60, float(a["pitch"]) / 30],
    }


def _param_stats(fn) -> tuple[np.ndarray, np.ndarray]:
    p = np.stack([fn(i) for i in range(512)])
    return p.mean(0), p.std(0) + 1e-6


_CHAIR_P_MEAN, _CHAIR_P_STD = _param_stats(style_params)
_FACE_P_MEAN, _FACE_P_STD = _param_stats(identity_params)
GROUPS = {"chairs": _chair_groups, "faces": _face_groups}


def encode(domain: str, attrs: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
    """Attribute dicts → {group: B×D float tensor}."""
    rows = [GROUPS[domain](a) for a in attrs]
    return {k: torch.tensor([r[k] for r in rows], dtype=torch.float32) for k in rows[0]}


def group_dims(domain: str) -> dict[str, int]:
    example = get_schema(domain).defaults(0)
    return {k: len(v) for k, v in GROUPS[domain](example).items()}


class ConvDeconv(nn.Module):
    def __init__(self, cfg: ConvDeconvConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.group_width
        self.groups = nn.ModuleDict({
            name: nn.Sequential(nn.Linear(d, w), nn.LeakyReLU(0.2), nn.Linear(w, w), nn.LeakyReLU(0.2))
            for name, d in group_dims(cfg.domain).items()})
        c0 = cfg.channels[0]
        self.shared = nn.Sequential(
            nn.Linear(w * len(self.groups), cfg.shared), nn.LeakyReLU(0.2),
            nn.Linear(cfg.shared, c0 * 4 * 4), nn.LeakyReLU(0.2))
        ups: list[nn.Module] = []
        for c_in, c_out in zip(cfg.channels[:-1], cfg.channels[1:]):
            ups += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2),
                    nn.Conv2d(c_out, c_out, 3, 1, 1), nn.LeakyReLU(0.2)]
        self.up = nn.Sequential(*ups)                                 # B×C×32×32
        c_last = cfg.channels[-1]
        self.rgb = nn.ConvTranspose2d(c_last, 3, 4, 2, 1)             # B×3×64×64
        self.mask = nn.ConvTranspose2d(c_last, 1, 4, 2, 1) if cfg.mask else None

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """inputs: {group: B×D} → (rgb B×3×64×64 in [0, 1], mask logits B×1×64×64 or None)."""
        h = torch.cat([m(inputs[k]) for k, m in self.groups.items()], 1)   # B×(w·G)
        h = self.shared(h).view(len(h), self.cfg.channels[0], 4, 4)         # B×C0×4×4
        h = self.up(h)
        rgb = torch.sigmoid(self.rgb(h))
        mask = self.mask(h) if self.mask is not None else None
        return rgb, mask


def loss_fn(rgb: torch.Tensor, mask_logits: torch.Tensor | None, target: torch.Tensor,
            target_mask: torch.Tensor | None, mask_weight: float = 0.5) -> tuple[torch.Tensor, dict]:
    """Image reconstruction (MSE) + λ · mask (binary cross-entropy)."""
    rec = nn.functional.mse_loss(rgb, target)
    parts = {"rec": rec}
    total = rec
    if mask_logits is not None and target_mask is not None:
        m = nn.functional.binary_cross_entropy_with_logits(mask_logits, target_mask)
        parts["mask"] = m
        total = total + mask_weight * m
    return total, parts
