"""Conv-deconv generator (Dosovitskiy et al., "Learning to Generate Chairs with
Convolutional Networks"; the faces variant follows zo7/deconvfaces).

Each input group passes through two FC layers; the group codes are
concatenated, pass two more FC layers into a shared code, which is reshaped
and up-convolved into albedo, shading and a foreground mask (see below).

Style / identity input: the studio derives an object's geometry from its
integer seed, so a learned per-seed embedding could never render a seed unseen
in training.  We condition on the *style parameters* the seed stands for
(``style_params`` / ``identity_params``: proportions, feature placement), so
held-out styles render, and styles can be interpolated and extrapolated in a
continuous space — the property the chairs paper shows for its embeddings.

Output layer (architecture version 3).  The decoder does not paint final
pixels; it paints an intrinsic decomposition that a fixed, differentiable
layer composes, as in spatial-transformer and intrinsic-image networks:

* ``albedo`` (3 channels) × ``shade`` (1 channel): a Lambertian object is its
  surface colour times its shading, so lighting lives in one channel that the
  light/view inputs drive, apart from colour;
* chairs: a learned ``tint`` per colour category multiplies the albedo (the
  category's colour is one learned vector, not something eight layers of
  up-convolutions must re-derive at every pixel; measured on the v2 weights,
  correcting only the mean foreground colour gained 1.8 dB);
* a foreground ``mask`` composites the object over a learned background
  colour (one for chairs, one per ``background`` category for faces).  Edges
  are then as sharp as the mask logits, instead of a blur between object and
  background colours;
* chairs: hue rotation, saturation and brightness act on the foreground, and
  zoom/shift warp the foreground and mask logits before compositing.  The
  transform parameters still enter through their own FC group, as in the
  paper, but the network does not learn translation and colour algebra.
  Faces: brightness is added to the whole image, as the studio does.

Chairs are drawn canonically at 128 px so that the zoom/shift warp stays
sharp; faces need no warp and are drawn at 64 px directly.

Only the network and the input encoding live here; the loop is in
``generators/training/convdeconv.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from generators.blend import category_weights, shape_params
from generators.schema import get_schema
from generators.studio.chairs import style_params
from generators.studio.faces import FEATURE_PARTS, identity_params

ARCH_VERSION = 3
BRIGHTNESS_GAIN = 0.35  # studio: colour + 0.35 · brightness


@dataclass(frozen=True)
class ConvDeconvConfig:
    domain: str = "chairs"
    image_size: int = 64
    group_width: int = 128  # FC width of each input group
    shared: int = 512  # the two shared FC layers
    channels: tuple[int, ...] = (160, 80, 40, 20, 12)  # 4 → 8 → 16 → 32 → 64, head → 128
    mask: bool = True  # chairs: the mask is supervised and reported (always predicted)
    # faces: width of the refinement stage (``Refiner``) on the composed image (0: none,
    # every checkpoint before it)
    refine: int = 0
    # faces: a parts layer (``PartsLayer``) paints the small features as classes
    # with a colour each (False: none, every checkpoint before it)
    parts: bool = False
    # faces: dilated 3×3 convolutions (dilation 1, 2, 4, ...) whose output adds to the
    # parts layer's logits, so a class can take the shape of a thin arc around where
    # the features put it (0: none, every checkpoint before it)
    parts_context: int = 0

    def __post_init__(self):
        object.__setattr__(self, "channels", tuple(self.channels))
        if self.refine < 0 or (self.refine and self.domain != "faces"):
            raise ValueError("refine: a width ≥ 0, and only for faces")
        if self.parts and self.domain != "faces":
            raise ValueError("parts: only for faces")
        if self.parts_context < 0 or (self.parts_context and not self.parts):
            raise ValueError("parts_context: a number of layers ≥ 0, with parts=true")


def _onehot(
    domain: str, a: Mapping[str, Any], name: str, off: Mapping[str, float] | None
) -> list[float]:
    """One-hot of a category, or its blend weights (generators/blend.py)."""
    return [float(w) for w in category_weights(domain, a, name, off)]


def _sc(deg: float) -> list[float]:
    r = np.radians(float(deg))
    return [float(np.sin(r)), float(np.cos(r))]


# The two domains' input groups: name -> function(attributes) -> list of floats
def _chair_groups(
    a: Mapping[str, Any], off: Mapping[str, float] | None = None
) -> dict[str, list[float]]:
    p = shape_params("chairs", a, off)
    return {
        "style": list((p - _CHAIR_P_MEAN) / _CHAIR_P_STD)
        + [float(a["back_height"]) * 2 - 1, 1.0 if a["armrests"] else -1.0]
        + _onehot("chairs", a, "legs", off),
        "view": _sc(a["azimuth"]) + _sc(a["elevation"]) + [float(a["elevation"]) / 30 - 1],
        "transform": [float(a["zoom"]) - 1, float(a["shift_x"]) * 2, float(a["shift_y"]) * 2]
        + _sc(a["hue"])
        + [float(a["saturation"]) - 1, float(a["brightness"])]
        + _onehot("chairs", a, "color", off),
    }


def _face_groups(
    a: Mapping[str, Any], off: Mapping[str, float] | None = None
) -> dict[str, list[float]]:
    p = shape_params("faces", a, off)
    return {
        "identity": list((p - _FACE_P_MEAN) / _FACE_P_STD)
        + _onehot("faces", a, "hair_color", off)
        + _onehot("faces", a, "skin_tone", off)
        + _onehot("faces", a, "background", off)
        + _onehot("faces", a, "eyewear", off)
        + [1.0 if a["hat"] else -1.0, 1.0 if a["beard"] else -1.0],
        "expression": _onehot("faces", a, "expression", off)
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
        return [
            float(a["zoom"]),
            float(a["shift_x"]),
            float(a["shift_y"]),
            float(a["hue"]),
            float(a["saturation"]),
            float(a["brightness"]),
        ]
    return [float(a["brightness"])]


def _palette_attr(domain: str) -> str:
    """The categorical attribute that picks a learned colour vector: the
    chair's colour (a tint), or the face's background."""
    return "color" if domain == "chairs" else "background"


def encode(
    domain: str,
    attrs: Sequence[Mapping[str, Any]],
    offsets: Sequence[Mapping[str, float] | None] | None = None,
) -> dict[str, torch.Tensor]:
    """Attribute dicts (and each state's offsets, for identity / style and
    category blends) → {group: B×D float tensor}, plus "_transform" (the raw
    2-D transform parameters for the output layer) and "_palette" (B×K
    weights of the palette category: one-hot unless blended)."""
    offs = list(offsets) if offsets is not None else [None] * len(attrs)
    rows = [GROUPS[domain](a, o) for a, o in zip(attrs, offs)]
    out = {k: torch.tensor([r[k] for r in rows], dtype=torch.float32) for k in rows[0]}
    out["_transform"] = torch.tensor([_transform(domain, a) for a in attrs], dtype=torch.float32)
    out["_palette"] = torch.tensor(
        np.stack(
            [category_weights(domain, a, _palette_attr(domain), o) for a, o in zip(attrs, offs)]
        ),
        dtype=torch.float32,
    )
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


def compose(
    domain: str, fg: torch.Tensor, mask_logits: torch.Tensor, bg: torch.Tensor, t: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed output layer.  fg: B×3×H×W foreground colour (canonical
    view), mask_logits: B×1×H×W, bg: B×3 background colour, t: the raw
    transform parameters.  Returns (image B×3×64×64 in [0, 1], mask logits
    B×1×64×64)."""
    bgc = bg[:, :, None, None]
    if domain != "chairs":
        m = torch.sigmoid(mask_logits)
        img = m * fg + (1 - m) * bgc + BRIGHTNESS_GAIN * t[:, 0, None, None, None]
        return img.clamp(0, 1), mask_logits
    zoom, sx, sy, hue, sat, bright = t.unbind(1)
    cm = colour_matrix(hue, sat).to(fg)
    coloured = (
        torch.einsum("bij,bjhw->bihw", cm, fg) + BRIGHTNESS_GAIN * bright[:, None, None, None]
    ).clamp(0, 1)
    # output pixel p samples the canonical image at (p - shift) / zoom (image coords, y up)
    theta = torch.zeros(len(t), 2, 3, device=fg.device, dtype=fg.dtype)
    theta[:, 0, 0] = 1 / zoom
    theta[:, 1, 1] = 1 / zoom
    theta[:, 0, 2] = -sx / zoom
    theta[:, 1, 2] = sy / zoom  # grid y runs downward
    b, _, h, w = fg.shape
    grid = torch.nn.functional.affine_grid(theta, [b, 1, h // 2, w // 2], align_corners=False)
    fg64 = torch.nn.functional.grid_sample(
        coloured, grid, align_corners=False, padding_mode="border"
    )
    ml = torch.nn.functional.grid_sample(
        mask_logits, grid, align_corners=False, padding_mode="border"
    )
    # outside the canonical frame there is only background: push the mask there to "no"
    inside = torch.nn.functional.grid_sample(
        torch.ones_like(mask_logits), grid, align_corners=False, padding_mode="zeros"
    )
    ml = ml * inside - 20.0 * (1 - inside)
    m = torch.sigmoid(ml)
    return m * fg64 + (1 - m) * bgc, ml


def paint_faces(out: torch.Tensor, bg: torch.Tensor, bright: torch.Tensor) -> torch.Tensor:
    """A generator's 5 painted channels (B×5×H×W: albedo 3, shade 1, mask logit
    1, all raw) composited over the background colour ``bg`` (B×3, in [0, 1])
    with brightness ``bright`` (B×1): the face image in [-1, 1], like tanh.
    The "compose" output of the text GAN and the DCGAN."""
    albedo, shade = torch.sigmoid(out[:, :3]), 1.2 * torch.sigmoid(out[:, 3:4])
    img, _ = compose("faces", albedo * shade, out[:, 4:5], bg, bright)  # [0, 1]
    return img * 2 - 1


def group_dims(domain: str) -> dict[str, int]:
    example = get_schema(domain).defaults(0)
    return {k: len(v) for k, v in GROUPS[domain](example).items()}


def _zero(*modules: nn.Module) -> nn.Module:
    """Zero every weight and bias of ``modules`` (a stage that starts at zero adds
    nothing until it learns); returns the last one."""
    for m in modules:
        for q in m.parameters():
            nn.init.zeros_(q)
    return modules[-1]


class Refiner(nn.Module):
    """A residual stage at full resolution on the composed face: four 3×3
    convolutions (``w`` channels) read the image and the decoder's last
    64×64 feature map and add a correction to the image.  The up-convolutions
    draw a thin feature (a mouth line, a rim, a brow) spread over its
    neighbours; the correction puts it back where it belongs, as a
    deblurring network would.  The feature map is normalised per image and
    channel first (the decoder's activations run into the thousands).  Its
    last layer starts at zero, so a decoder with a fresh refiner draws exactly
    what it drew without one."""

    def __init__(self, c_features: int, w: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(c_features)
        self.net = nn.Sequential(
            nn.Conv2d(3 + c_features, w, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, w, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, w, 3, 1, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 3, 3, 1, 1),
        )
        _zero(self.net[-1])

    def forward(self, rgb: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """rgb B×3×64×64 in [0, 1], features B×C×64×64 → the refined image."""
        f = self.norm(features.float()).to(rgb)
        return (rgb + self.net(torch.cat([rgb, f], 1))).clamp(0, 1)


N_PARTS = len(FEATURE_PARTS)
PARTS_CONTEXT_WIDTH = 32  # channels of the parts layer's context branch


class PartsLayer(nn.Module):
    """The small features (eye whites, pupils, brows, the mouth, teeth,
    lenses, rims; ``studio.FEATURE_PARTS``) painted as classes, as the studio
    paints them: each pixel's softmax over "none" and the parts mixes the
    decoder's albedo with one flat colour per part, predicted per image from
    the input code (a brow takes the hair's colour, a mouth the expression's).

    Regressed colours blur a two-pixel brow or mouth line into its skin
    wherever the decoder is unsure of it by a pixel; a class trained with
    cross-entropy on the studio's part map (``datasets.part_maps``) stays a
    class, so the feature keeps its full colour and only its edge softens.
    Its painting enters through a gate that starts at zero (as in ReZero), so a
    fresh layer paints nothing and the decoder below draws exactly what it drew,
    while the cross-entropy trains the classes from the first step with no
    high "none" logit to climb over (docs/faces.md 11.2)."""

    def __init__(self, c_features: int, c_code: int, context: int = 0):
        super().__init__()
        # the decoder's activations run into the thousands: normalised per image and
        # channel first, as the refinement stage does, so that Adam's first steps on a
        # zero layer move its logits by little
        self.norm = nn.InstanceNorm2d(c_features)
        self.logits = nn.Conv2d(c_features, N_PARTS + 1, 3, 1, 1)
        self.colour = nn.Linear(c_code, N_PARTS * 3)
        _zero(self.logits, self.colour)
        self.gate = nn.Parameter(torch.zeros(()))
        # the context branch: a receptive field of 2^(context+1) + 1 pixels, so the
        # logits of a brow or a mouth line can follow its shape, not only the blob
        # where the features place it; its last convolution starts at zero, so a
        # decoder given one classifies exactly as it did
        self.context: nn.Sequential | None = None
        if context:
            layers: list[nn.Module] = []
            c = c_features
            for i in range(context):
                layers += [nn.Conv2d(c, PARTS_CONTEXT_WIDTH, 3, 1, 2**i, 2**i), nn.SiLU()]
                c = PARTS_CONTEXT_WIDTH
            out = _zero(nn.Conv2d(c, N_PARTS + 1, 3, 1, 1))
            self.context = nn.Sequential(*layers, out)

    @torch.no_grad()
    def init_colours(self, images: torch.Tensor, parts: torch.Tensor) -> None:
        """Data-dependent start of the part colours (as ``init_from_data`` starts
        the backgrounds): each part's mean pixel colour in the training renders
        (images N×H×W×3 uint8, parts N×H×W part indices), divided by a typical
        shading of 0.85, since the layer paints albedo that the shade multiplies."""
        px = images.reshape(-1, 3).float().div(255)
        idx = parts.reshape(-1).long()
        bias = self.colour.bias.view(N_PARTS, 3)
        for k in range(1, N_PARTS + 1):
            sel = px[idx == k]
            if len(sel):
                c = (sel.mean(0) / 0.85).clamp(0.02, 0.98)
                bias[k - 1] = torch.log(c / (1 - c)).to(bias)

    def forward(
        self, albedo: torch.Tensor, features: torch.Tensor, code: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """albedo B×3×H×W, features B×C×H×W, code B×D → (albedo with the parts
        painted in, part logits B×(1 + N_PARTS)×H×W)."""
        h = self.norm(features.float()).to(features)
        logits = self.logits(h)
        if self.context is not None:
            logits = logits + self.context(h)
        p = torch.softmax(logits.float(), 1).to(albedo)
        colour = torch.sigmoid(self.colour(code)).view(len(code), N_PARTS, 3)
        painted = torch.einsum("bkhw,bkc->bchw", p[:, 1:], colour.to(albedo))
        return albedo + self.gate * (painted - p[:, 1:].sum(1, keepdim=True) * albedo), logits


class ConvDeconv(nn.Module):
    def __init__(self, cfg: ConvDeconvConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.group_width
        self.groups = nn.ModuleDict(
            {
                name: nn.Sequential(
                    nn.Linear(d, w), nn.LeakyReLU(0.2), nn.Linear(w, w), nn.LeakyReLU(0.2)
                )
                for name, d in group_dims(cfg.domain).items()
                if not name.startswith("_")
            }
        )
        c0 = cfg.channels[0]
        self.shared = nn.Sequential(
            nn.Linear(w * len(self.groups), cfg.shared),
            nn.LeakyReLU(0.2),
            nn.Linear(cfg.shared, c0 * 4 * 4),
            nn.LeakyReLU(0.2),
        )
        ups: list[nn.Module] = []
        for c_in, c_out in zip(cfg.channels[:-1], cfg.channels[1:]):
            ups += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1),
                nn.LeakyReLU(0.2),
                nn.Conv2d(c_out, c_out, 3, 1, 1),
                nn.LeakyReLU(0.2),
            ]
        self.up = nn.Sequential(*ups)  # B×C×64×64
        c_last = cfg.channels[-1]
        # albedo (3) + shade (1) + mask (1); chairs: drawn at 128 px for the warp
        self.head = (
            nn.ConvTranspose2d(c_last, 5, 4, 2, 1)
            if cfg.domain == "chairs"
            else nn.Conv2d(c_last, 5, 3, 1, 1)
        )
        n_pal = len(get_schema(cfg.domain).get(_palette_attr(cfg.domain)).values)
        # chairs: a multiplicative tint per colour, one background; faces: a
        # background colour per category.  Stored as logits of sigmoid(·)·2 / sigmoid(·).
        self.tint = nn.Parameter(torch.zeros(n_pal, 3)) if cfg.domain == "chairs" else None
        self.background = nn.Parameter(torch.zeros(1 if cfg.domain == "chairs" else n_pal, 3))
        self.refine = Refiner(c_last, cfg.refine) if cfg.refine else None
        self.parts = (
            PartsLayer(c_last, w * len(self.groups), cfg.parts_context) if cfg.parts else None
        )

    @torch.no_grad()
    def init_from_data(self, images: torch.Tensor, palette: torch.Tensor) -> None:
        """Data-dependent initialisation of the background colours (as one
        initialises an output bias to the data mean): the median corner colour
        of the training images of each palette category.  images: N×H×W×3
        uint8, palette: N×K category weights (one-hot)."""
        corners = torch.cat(
            [images[:, :3, :3], images[:, :3, -3:], images[:, -3:, :3], images[:, -3:, -3:]], 1
        ).reshape(len(images), -1, 3)
        colour = corners.float().div(255).median(1).values  # N×3
        for k in range(len(self.background)):
            sel = colour if len(self.background) == 1 else colour[palette.argmax(1) == k]
            if len(sel):
                c = sel.median(0).values.clamp(0.02, 0.98)
                self.background[k] = torch.log(c / (1 - c)).to(self.background)

    def forward(
        self, inputs: Mapping[str, torch.Tensor], part_logits: list | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """inputs: {group: B×D, "_transform": B×T, "_palette": B} → (rgb
        B×3×64×64 in [0, 1], mask logits B×1×64×64).  ``part_logits``, a list,
        receives the parts layer's logits (training's cross-entropy)."""
        code = torch.cat([m(inputs[k]) for k, m in self.groups.items()], 1)  # B×(w·G)
        h = self.shared(code).view(len(code), self.cfg.channels[0], 4, 4)  # B×C0×4×4
        features = self.up(h)
        out = self.head(features)
        albedo = torch.sigmoid(out[:, :3])
        if self.parts is not None:
            albedo, logits = self.parts(albedo, features, code)
            if part_logits is not None:
                part_logits.append(logits)
        shade = 1.2 * torch.sigmoid(out[:, 3:4])
        mask_logits = out[:, 4:5]
        pal = inputs["_palette"]  # B×K weights
        if self.tint is not None:
            albedo = albedo * 2 * (pal @ torch.sigmoid(self.tint))[:, :, None, None]
            bg = torch.sigmoid(self.background).expand(len(pal), 3)
        else:
            bg = pal @ torch.sigmoid(self.background)
        rgb, ml = compose(self.cfg.domain, albedo * shade, mask_logits, bg, inputs["_transform"])
        if self.refine is not None:
            rgb = self.refine(rgb, features)
        return rgb, ml


# The settings that decide a decoder's shape.  A network that holds a faces
# decoder (the text GAN, the latent GAN) mirrors them in its own config, and a
# decoder it loads must match each of them
DECODER_FIELDS = ("group_width", "shared", "channels", "refine", "parts", "parts_context")


def decoder_differences(have: ConvDeconvConfig, want: ConvDeconvConfig) -> list[tuple[str, Any]]:
    """(field, ``have``'s value) for each of ``DECODER_FIELDS`` where the two differ."""
    return [(f, getattr(have, f)) for f in DECODER_FIELDS if getattr(have, f) != getattr(want, f)]


def setting_text(value: Any) -> str:
    """A config value as ``--set KEY=VALUE`` takes it (true, [160,80,40], 16)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)


def can_widen(small: ConvDeconvConfig, big: ConvDeconvConfig) -> bool:
    """Whether ``big`` is ``small`` with some up-convolution stages wider (the
    first, fed by the FC layers, kept)."""
    from dataclasses import replace

    return (
        len(small.channels) == len(big.channels)
        and small.channels[0] == big.channels[0]
        and all(a <= b for a, b in zip(small.channels, big.channels))
        and replace(small, channels=big.channels) == big
    )


@torch.no_grad()
def widen_into(small: ConvDeconv, big: ConvDeconv) -> None:
    """Load ``small``'s weights into ``big`` (``can_widen``), function-preserving
    as in Net2Net's zero variant: each weight is copied into the leading block of
    ``big``'s; the added channels keep ``big``'s fresh weights on their inputs,
    so they compute something and can learn, and get zero weights on their way
    out, so ``big`` draws exactly what ``small`` drew until training moves them."""
    weights = small.state_dict()
    for name, module in big.named_modules():
        for pname, param in module.named_parameters(recurse=False):
            key = f"{name}.{pname}" if name else pname
            if key not in weights:
                continue
            w = weights[key]
            if w.shape == param.shape:
                param.copy_(w)
                continue
            param[tuple(slice(0, n) for n in w.shape)] = w
            if pname == "weight" and param.dim() > 1:
                # the input-channel axis: ConvTranspose2d keeps it first
                dim = 0 if isinstance(module, nn.ConvTranspose2d) else 1
                if w.shape[dim] < param.shape[dim]:
                    idx = [slice(None)] * param.dim()
                    idx[dim] = slice(w.shape[dim], None)
                    param[tuple(idx)] = 0


def loss_fn(
    rgb: torch.Tensor,
    mask_logits: torch.Tensor | None,
    target: torch.Tensor,
    target_mask: torch.Tensor | None,
    mask_weight: float = 0.5,
) -> tuple[torch.Tensor, dict]:
    """Image reconstruction (MSE) + λ · mask (binary cross-entropy)."""
    rec = nn.functional.mse_loss(rgb, target)
    parts = {"rec": rec}
    total = rec
    if mask_logits is not None and target_mask is not None:
        m = nn.functional.binary_cross_entropy_with_logits(mask_logits, target_mask)
        parts["mask"] = m
        total = total + mask_weight * m
    return total, parts
