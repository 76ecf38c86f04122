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

The 2-D transforms are applied by a fixed, differentiable output layer, as
in spatial-transformer networks: the decoder renders the object at zoom 1
and no shift, a colour layer applies hue rotation, saturation and brightness
to the foreground (chairs; brightness only for faces), and an affine warp
applies zoom and shift to the image and the mask.  The transform parameters
still enter through their own FC group, as in the paper, but the network does
not have to learn translation and colour algebra from data — on a CPU budget
that is the difference between a blurry and a sharp chair.

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

ARCH_VERSION = 2
CHAIR_BACKGROUND = 0.97      # the studio's chair background (grey level)
BRIGHTNESS_GAIN = 0.35       # studio: colour + 0.35 · brightness


@dataclass(frozen=True)
class ConvDeconvConfig:
    domain: str = "chairs"
    image_size: int = 64
    group_width: int = 128        # FC width of each input group
    shared: int = 512             # the two shared FC layers
    channels: tuple[int, ...] = (160, 80, 40, 20, 12)   # 4 → 8 → 16 → 32 → 64, head → 128
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


def _transform(domain: str, a: Mapping[str, Any]) -> list[float]:
    if domain == "chairs":
        return [float(a["zoom"]), float(a["shift_x"]), float(a["shift_y"]), float(a["hue"]),
                float(a["saturation"]), float(a["brightness"])]
    return [float(a["brightness"])]


def encode(domain: str, attrs: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
    """Attribute dicts → {group: B×D float tensor}, plus "_transform": the raw
    2-D transform parameters for the output layer."""
    rows = [GROUPS[domain](a) for a in attrs]
    out = {k: torch.tensor([r[k] for r in rows], dtype=torch.float32) for k in rows[0]}
    out["_transform"] = torch.tensor([_transform(domain, a) for a in attrs], dtype=torch.float32)
    return out


_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_FROM_YIQ = torch.linalg.inv(_TO_YIQ)


def colour_matrix(hue_deg: torch.Tensor, sat: torch.Tensor) -> torch.Tensor:
    """B×3×3 RGB matrices rotating hue (in YIQ) and scaling saturation."""
    h = torch.deg2rad(hue_deg)
    c, s_ = torch.cos(h) * sat, torch.sin(h) * sat
    rot = torch.zeros(len(h), 3, 3, device=h.device, dtype=h.dtype)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = c, -s_, s_, c
    return _FROM_YIQ.to(h) @ rot @ _TO_YIQ.to(h)


def apply_transforms(domain: str, rgb: torch.Tensor, mask_logits: torch.Tensor | None,
                     t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The fixed output layer: colour on the foreground, then zoom and shift."""
    if domain != "chairs":
        small = torch.nn.functional.avg_pool2d(rgb, 2)           # 128 → 64
        return (small + BRIGHTNESS_GAIN * t[:, 0, None, None, None]).clamp(0, 1), mask_logits
    zoom, sx, sy, hue, sat, bright = t.unbind(1)
    fg = torch.sigmoid(mask_logits)
    m = colour_matrix(hue, sat).to(rgb)
    coloured = torch.einsum("bij,bjhw->bihw", m, rgb) + BRIGHTNESS_GAIN * bright[:, None, None, None]
    img = fg * coloured.clamp(0, 1) + (1 - fg) * rgb
    # output pixel p samples the canonical image at (p - shift) / zoom (image coords, y up)
    theta = torch.zeros(len(t), 2, 3, device=rgb.device, dtype=rgb.dtype)
    theta[:, 0, 0] = 1 / zoom
    theta[:, 1, 1] = 1 / zoom
    theta[:, 0, 2] = -sx / zoom
    theta[:, 1, 2] = sy / zoom          # grid y runs downward
    b, c, h, w = img.shape
    grid = torch.nn.functional.affine_grid(theta, [b, c, h // 2, w // 2], align_corners=False)
    warped = torch.nn.functional.grid_sample(img - CHAIR_BACKGROUND, grid, align_corners=False,
                                             padding_mode="zeros") + CHAIR_BACKGROUND
    ml = torch.nn.functional.grid_sample(mask_logits, grid, align_corners=False,
                                         padding_mode="border")
    # outside the canonical frame there is only background: push the mask there to "no"
    inside = torch.nn.functional.grid_sample(torch.ones_like(mask_logits), grid,
                                             align_corners=False, padding_mode="zeros")
    ml = ml * inside - 20.0 * (1 - inside)
    return warped, ml


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
            for name, d in group_dims(cfg.domain).items() if not name.startswith("_")})
        c0 = cfg.channels[0]
        self.shared = nn.Sequential(
            nn.Linear(w * len(self.groups), cfg.shared), nn.LeakyReLU(0.2),
            nn.Linear(cfg.shared, c0 * 4 * 4), nn.LeakyReLU(0.2))
        ups: list[nn.Module] = []
        for c_in, c_out in zip(cfg.channels[:-1], cfg.channels[1:]):
            ups += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2),
                    nn.Conv2d(c_out, c_out, 3, 1, 1), nn.LeakyReLU(0.2)]
        self.up = nn.Sequential(*ups)                                 # B×C×64×64
        c_last = cfg.channels[-1]
        # the canonical view is drawn at twice the output size, so that the
        # zoom/shift warp (and its down-sampling to 64 px) stays sharp
        self.rgb = nn.ConvTranspose2d(c_last, 3, 4, 2, 1)             # B×3×128×128
        self.mask = nn.ConvTranspose2d(c_last, 1, 4, 2, 1) if cfg.mask else None

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """inputs: {group: B×D, "_transform": B×T} → (rgb B×3×64×64 in [0, 1],
        mask logits B×1×64×64 or None)."""
        h = torch.cat([m(inputs[k]) for k, m in self.groups.items()], 1)   # B×(w·G)
        h = self.shared(h).view(len(h), self.cfg.channels[0], 4, 4)         # B×C0×4×4
        h = self.up(h)
        rgb = torch.sigmoid(self.rgb(h))                                    # canonical view
        mask = self.mask(h) if self.mask is not None else None
        return apply_transforms(self.cfg.domain, rgb, mask, inputs["_transform"])


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
