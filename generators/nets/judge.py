"""Judges: small CNNs that read every schema attribute back from a 64×64 image.

They are the measuring instrument for edits made by learned generators.  One
shared convolutional trunk feeds

- a classification head per category / bool attribute (logits),
- a regression head per numeric attribute: values scaled to [-1, 1]; wrapping
  angles (chair azimuth, hue) are regressed as (sin, cos) so 359° and 1° are
  neighbours,
- an identity-embedding head (unit vectors, trained with a supervised
  contrastive loss) so renders of one identity / style lie close together.

Only the network and the attribute encoding live here; training is in
``generators/training/judge.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from generators.schema import BOOL, CATEGORY, get_schema

ARCH_VERSION = 3  # 2: residual blocks per stage; 3: the pooled local branch
IGNORE = -100  # F.cross_entropy's default ignore_index


@dataclass(frozen=True)
class JudgeConfig:
    domain: str = "faces"
    image_size: int = 64
    width: int = 32  # channels of the first conv; doubles per stage
    stages: int = 4  # 64 → 4 px
    blocks: int = 1  # 3×3 convs per stage after its strided one (0: none)
    local_blocks: int = 1  # residual convs of the pooled 16×16 branch (0: no branch)
    expression_map: bool = False  # faces: a 1×1 conv on the local branch predicts where the
    # expression changed pixels (auxiliary training target)
    hidden: int = 256
    embed_dim: int = 64
    fine_blocks: int = 0  # faces: residual convs of a 32×32 branch for the eye and
    # mouth band (0: none, the version-3 judges as shipped)
    fine_width: int = 64  # its channels
    expr_width: int = 0  # faces: a full-resolution expression reader (``ExpressionReader``)
    # whose logits replace the trunk's expression logits (0: none, every judge before it)
    eyewear_width: int = 0  # faces: the same kind of reader for the eyewear (``eyewear_reader``;
    # 0: none, the trunk's eyewear head answers)


def _is_wrapping(attr) -> bool:
    return attr.wraps or (attr.kind == "degrees" and attr.lo == -180 and attr.hi == 180)


class AttributeCodec:
    """Maps attribute dicts to training targets and network outputs back to values."""

    def __init__(self, domain: str):
        self.schema = get_schema(domain)
        self.classes = [a for a in self.schema if a.kind in (CATEGORY, BOOL)]
        self.numeric = [a for a in self.schema if a.numeric]

    def n_classes(self, attr) -> int:
        return 2 if attr.kind == BOOL else len(attr.values)

    def reg_dim(self, attr) -> int:
        return 2 if _is_wrapping(attr) else 1

    def class_index(self, attr, value) -> int:
        """Class of a value; IGNORE (left out of the loss) where the image
        does not show the attribute (value None)."""
        if value is None:
            return IGNORE
        return int(bool(value)) if attr.kind == BOOL else attr.values.index(value)

    def encode(
        self, attrs: Sequence[Mapping[str, Any]], shown: bool = False
    ) -> dict[str, np.ndarray]:
        """Training targets: the attributes as the image shows them (``shown``:
        ``attrs`` are already ``studio.visible``)."""
        if not shown:
            from generators.studio import visible

            attrs = [visible(self.schema.domain, a) for a in attrs]
        if self.schema.domain == "faces":
            attrs = [
                dict(a, expression_strength=None) if a["expression"] == "neutral" else a
                for a in attrs
            ]
        out: dict[str, np.ndarray] = {}
        for a in self.classes:
            out[a.name] = np.array([self.class_index(a, d[a.name]) for d in attrs], np.int64)
        for a in self.numeric:
            # a number the image does not show (the strength of an expression
            # that reads neutral) is NaN: left out of the loss
            v = np.array(
                [np.nan if d[a.name] is None else float(d[a.name]) for d in attrs], np.float64
            )
            if _is_wrapping(a):
                r = np.radians(v)
                out[a.name] = np.stack([np.sin(r), np.cos(r)], 1).astype(np.float32)
            else:
                out[a.name] = ((v - a.lo) / (a.hi - a.lo) * 2 - 1)[:, None].astype(np.float32)
        return out

    def decode_numeric(self, attr, pred: np.ndarray) -> np.ndarray:
        if _is_wrapping(attr):
            deg = np.degrees(np.arctan2(pred[:, 0], pred[:, 1]))
            return deg % 360 if attr.lo == 0 else deg
        return (np.clip(pred[:, 0], -1, 1) + 1) / 2 * (attr.hi - attr.lo) + attr.lo

    def decode_class(self, attr, logits: np.ndarray) -> list:
        idx = logits.argmax(1)
        return [bool(i) for i in idx] if attr.kind == BOOL else [attr.values[i] for i in idx]


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.silu(x + self.body(x))


def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class ExpressionReader(nn.Module):
    """The expression (or, as the judge's ``eyewear_reader``, the eyewear) at
    full resolution (issue 29's visible-expression bar):
    stride-1 3×3 convolutions at 64×64 (``w`` channels, two), 32×32 (2w, two)
    and 16×16 (4w, two), max-pooled between, then the mean and the max over
    the image → one logit per expression.  A smile of a dozen pixels is one
    or two pixels of a strided trunk's 16×16 map; here it stays whole.  A 1×1
    convolution on the 16×16 map predicts where the expression changed pixels
    (``studio.expression_change_map``), an auxiliary training target.  The
    image is read twice, as it is and mirrored, and the logits averaged (a
    face's expression does not change in a mirror)."""

    def __init__(self, w: int, n_classes: int):
        super().__init__()
        self.at64 = nn.Sequential(*_conv_bn_relu(3, w), *_conv_bn_relu(w, w))
        self.at32 = nn.Sequential(
            nn.MaxPool2d(2), *_conv_bn_relu(w, 2 * w), *_conv_bn_relu(2 * w, 2 * w)
        )
        self.at16 = nn.Sequential(
            nn.MaxPool2d(2), *_conv_bn_relu(2 * w, 4 * w), *_conv_bn_relu(4 * w, 4 * w)
        )
        self.head = nn.Linear(8 * w, n_classes)
        self.map = nn.Conv2d(4 * w, 1, 1)

    def once(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits B×K, change-map logits B×16×16) of the images as they are."""
        h = self.at16(self.at32(self.at64(x)))
        return self.head(torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1)), self.map(h)[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits B×K, the mean of the image's and its mirror's."""
        both = self.once(torch.cat([x, x.flip(3)]))[0]
        return (both[: len(x)] + both[len(x) :]) / 2


class Judge(nn.Module):
    def __init__(self, cfg: JudgeConfig):
        super().__init__()
        self.cfg = cfg
        self.codec = AttributeCodec(cfg.domain)
        # a full-resolution stem (thin glasses rims are 1 px wide), then per
        # stage a strided conv and ``blocks`` residual 3×3 convs: 64 → 32 → 16 → 8 → 4
        # The trunk splits after the 16×16 stage: the deep half goes on to 4×4
        # and a position-aware FC (pose, light, identity); the local branch
        # stays at 16×16 and is max- and mean-pooled over the image, so a
        # detector of a few pixels (a smile, an open mouth, a rim) works
        # wherever the head turned it (a flattened 4×4 map memorised positions
        # and never learnt the expression).
        trunk: list[nn.Module] = [
            nn.Conv2d(3, cfg.width // 2, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cfg.width // 2),
            nn.SiLU(),
        ]
        deep: list[nn.Module] = []
        c_in = c_mid = cfg.width // 2
        for i in range(cfg.stages):
            c = cfg.width * 2**i
            layers = trunk if i < 2 else deep
            layers += [nn.Conv2d(c_in, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.SiLU()]
            layers += [_Residual(c) for _ in range(cfg.blocks)]
            c_in = c
            if i == 0:
                self._at32 = len(trunk)  # trunk[:_at32] gives the 32×32 stage
                c_32 = c
            if i < 2:
                c_mid = c
        self.trunk = nn.Sequential(*trunk)  # B×2w×16×16
        self.deep = nn.Sequential(*deep)  # B×C×4×4
        side = cfg.image_size // 2**cfg.stages
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c_in * side * side, cfg.hidden), nn.SiLU())
        feat = cfg.hidden
        if cfg.local_blocks:
            c_loc = c_mid * 2
            self.local = nn.Sequential(
                nn.Conv2d(c_mid, c_loc, 3, 1, 1, bias=False),
                nn.BatchNorm2d(c_loc),
                nn.SiLU(),
                *[_Residual(c_loc) for _ in range(cfg.local_blocks)],
            )
            feat += 2 * c_loc
            if cfg.expression_map:
                self.expr_map = nn.Conv2d(c_loc, 1, 1)
        if cfg.fine_blocks:
            # the eye and mouth band at 32×32: a mouth corner or a rim is one
            # or two pixels there, where the 16×16 branch sees it averaged away
            self.fine = nn.Sequential(
                nn.Conv2d(c_32, cfg.fine_width, 3, 1, 1, bias=False),
                nn.BatchNorm2d(cfg.fine_width),
                nn.SiLU(),
                *[_Residual(cfg.fine_width) for _ in range(cfg.fine_blocks)],
            )
            feat += 2 * cfg.fine_width
        self.cls_heads = nn.ModuleDict(
            {a.name: nn.Linear(feat, self.codec.n_classes(a)) for a in self.codec.classes}
        )
        self.reg_heads = nn.ModuleDict(
            {a.name: nn.Linear(feat, self.codec.reg_dim(a)) for a in self.codec.numeric}
        )
        self.embed = nn.Linear(feat, cfg.embed_dim)
        if cfg.expr_width:
            expression = next(a for a in self.codec.classes if a.name == "expression")
            self.expr = ExpressionReader(cfg.expr_width, self.codec.n_classes(expression))
        if cfg.eyewear_width:
            # whether the eyes show through the lenses is a few pixels at 64 px: a
            # strided trunk reads heavier rims or darker eyes as sunglasses
            eyewear = next(a for a in self.codec.classes if a.name == "eyewear")
            self.eyewear_reader = ExpressionReader(cfg.eyewear_width, self.codec.n_classes(eyewear))

    def _features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.cfg.fine_blocks:
            at32 = self.trunk[: self._at32](x)
            mid = self.trunk[self._at32 :](at32)
        else:
            mid = self.trunk(x)
        h = self.fc(self.deep(mid))  # B×hidden
        loc = None
        if self.cfg.local_blocks:
            loc = self.local(mid)
            h = torch.cat([h, loc.amax((2, 3)), loc.mean((2, 3))], 1)
        if self.cfg.fine_blocks:
            f = self.fine(at32)
            h = torch.cat([h, f.amax((2, 3)), f.mean((2, 3))], 1)
        return h, loc

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """B×feature_dim: what every head reads (the judge's features for FID)."""
        return self._features(x)[0]

    @property
    def feature_dim(self) -> int:
        return self.embed.in_features

    def forward(
        self, x: torch.Tensor, read_expression: bool = True, read_eyewear: bool = True
    ) -> dict[str, torch.Tensor]:
        """x: B×3×H×W in [-1, 1] → {attr: logits B×K or values B×D, "_embed": B×E unit}.
        ``read_expression=False`` leaves the expression reader out (the trunk's own
        expression head answers): for callers that do not ask about the expression
        and would rather not pay for it (the per-turn check); ``read_eyewear=False``
        the same for the eyewear reader."""
        h, loc = self._features(x)
        out = {k: m(h) for k, m in self.cls_heads.items()}
        out.update({k: m(h) for k, m in self.reg_heads.items()})
        out["_embed"] = nn.functional.normalize(self.embed(h), dim=1)
        if loc is not None and self.cfg.expression_map:
            out["_expression_map"] = self.expr_map(loc)[:, 0]  # B×16×16 logits
        if self.cfg.expr_width and read_expression:
            out["expression"] = self.expr(x)
        if self.cfg.eyewear_width and read_eyewear:
            out["eyewear"] = self.eyewear_reader(x)
        return out


def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """N×H×W×3 uint8 → N×3×H×W float in [-1, 1]."""
    t = torch.as_tensor(images)
    return t.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


@torch.inference_mode()
def read_attributes(
    judge: Judge, images: np.ndarray, batch: int = 256
) -> tuple[list[dict], np.ndarray]:
    """Every attribute the judge reads from each image, and the identity embeddings."""
    judge.eval()
    codec = judge.codec
    rows: list[dict] = [dict() for _ in range(len(images))]
    embeds = []
    for s in range(0, len(images), batch):
        out = judge(to_input(images[s : s + batch]))
        for a in codec.classes:
            for i, v in enumerate(codec.decode_class(a, out[a.name].numpy())):
                rows[s + i][a.name] = v
        for a in codec.numeric:
            for i, v in enumerate(codec.decode_numeric(a, out[a.name].numpy())):
                rows[s + i][a.name] = float(v)
        embeds.append(out["_embed"].numpy())
    return rows, np.concatenate(embeds) if embeds else np.zeros((0, judge.cfg.embed_dim))


def angle_error(attr, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.abs(a - b)
    if _is_wrapping(attr):
        d = np.minimum(d, 360 - d)
    return d
