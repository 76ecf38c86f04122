"""A latent GAN on the conv-deconv faces decoder (Achlioptas et al. 2018's
l-GAN): the DCGAN's synthesis network when ``DCGANConfig.synthesis ==
"convdeconv"``.

The generator is z → mapping network → w → ``CodeHead`` → the decoder's input
code → the conv-deconv faces decoder (``generators/nets/convdeconv.py``,
pretrained by reconstruction and frozen) → image.  The head is one linear
layer from w to the raw parameters of every input group, each made valid the
way the studio's own codes are:

* categories (hair colour, skin tone, background, eyewear, expression): a
  softmax over their logits, so a code is a blend of values as
  ``generators/blend.py`` makes them;
* booleans (hat, beard): tanh, in the studio's ±1;
* numbers (pose, light, brightness, expression strength, identity shape):
  ``mid + half · tanh(a)`` over the schema's range (shape: linear), and the
  angles enter as the same sin / cos / scaled values ``convdeconv.encode``
  computes.

Because every attribute's logit is a linear function of w, an attribute
direction in w exists by construction; what the GAN learns is the joint
distribution of the codes (which attribute values, how often, together).
The discriminator of that stage (``CodeDiscriminator``) is an MLP on the code
vector with minibatch standard deviation; the training is in
``generators/training/latent_gan.py``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from generators.nets.convdeconv import (
    ConvDeconv,
    ConvDeconvConfig,
    decoder_differences,
    group_dims,
    setting_text,
)

#: the categories of the faces code, in ``convdeconv._face_groups``'s order, and
#: their number of values
CATEGORIES = (("hair_color", 5), ("skin_tone", 3), ("background", 6), ("eyewear", 3))
EXPRESSIONS = 5
#: numeric attributes: (name, lo, hi) from the faces schema
NUMBERS = (
    ("expression_strength", 0.0, 1.0),
    ("light_azimuth", -90.0, 90.0),
    ("light_elevation", -30.0, 60.0),
    ("brightness", -1.0, 1.0),
    ("yaw", -60.0, 60.0),
    ("pitch", -30.0, 30.0),
)
N_SHAPE = group_dims("faces")["identity"] - sum(k for _, k in CATEGORIES) - 2  # shape params
CODE_DIM = sum(group_dims("faces").values())  # 48: identity, expression, light, pose


def _sc(deg: torch.Tensor) -> list[torch.Tensor]:
    r = torch.deg2rad(deg)
    return [torch.sin(r), torch.cos(r)]


class CodeHead(nn.Module):
    """w (B×w_dim) → the faces decoder's inputs (``convdeconv.encode``'s layout)."""

    def __init__(self, w_dim: int):
        super().__init__()
        self.sizes = [N_SHAPE] + [k for _, k in CATEGORIES] + [1, 1, EXPRESSIONS, len(NUMBERS)]
        self.linear = nn.Linear(w_dim, sum(self.sizes))
        nn.init.normal_(self.linear.weight, 0.0, 1.0 / w_dim**0.5)
        nn.init.zeros_(self.linear.bias)

    def vertex_distance(self, w: torch.Tensor, height: float = 6.0) -> torch.Tensor:
        """Per sample (B), the mean square distance of the category logits (each
        category's, centred) from the vertex of their own value, ``height`` ×
        (one-hot − 1/K) (softmax 0.99 for six values at 6), and of the boolean
        pre-activations from ± ``height`` / 2 (tanh 0.995 at 3).  The trainer's
        ``code_reg`` penalises it: the GAN sees only the saturated softmax /
        tanh, so without it the logits spread unseen behind the saturation;
        with it each value is a tight cluster in w, which is what a calibrated
        move between values needs."""
        parts = self.linear(w.flatten(1).float()).split(self.sizes, 1)
        logits = [*parts[1 : 1 + len(CATEGORIES)], parts[3 + len(CATEGORIES)]]
        sq = []
        for p in logits:
            c = p - p.mean(1, keepdim=True)
            k = p.shape[1]
            onehot = nn.functional.one_hot(p.argmax(1), k).to(p)
            sq.append((c - height * (onehot - 1.0 / k)).pow(2))
        for a in parts[1 + len(CATEGORIES) : 3 + len(CATEGORIES)]:  # hat, beard
            sq.append((a - height / 2 * torch.sign(a.detach())).pow(2))
        return torch.cat(sq, 1).mean(1)

    def forward(self, w: torch.Tensor) -> dict[str, torch.Tensor]:
        parts = self.linear(w.flatten(1).float()).split(self.sizes, 1)
        shape, cats = parts[0], [p.softmax(1) for p in parts[1 : 1 + len(CATEGORIES)]]
        hat, beard, expr_logits, nums = parts[1 + len(CATEGORIES) :]
        num = {
            name: (lo + hi) / 2 + (hi - lo) / 2 * torch.tanh(nums[:, i])
            for i, (name, lo, hi) in enumerate(NUMBERS)
        }
        cols = lambda xs: torch.stack(xs, 1)  # noqa: E731
        identity = torch.cat([shape, *cats, torch.tanh(hat), torch.tanh(beard)], 1)
        expression = torch.cat(
            [expr_logits.softmax(1), (num["expression_strength"] * 2 - 1)[:, None]], 1
        )
        light = cols([*_sc(num["light_azimuth"]), *_sc(num["light_elevation"]), num["brightness"]])
        pose = cols([*_sc(num["yaw"]), *_sc(num["pitch"]), num["yaw"] / 60, num["pitch"] / 30])
        return {
            "identity": identity,
            "expression": expression,
            "light": light,
            "pose": pose,
            "_transform": num["brightness"][:, None],
            "_palette": cats[2],  # the background's weights
        }


def code_vector(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The groups of a decoder input, concatenated (B×CODE_DIM): what the code
    discriminator reads."""
    return torch.cat([inputs[k] for k in ("identity", "expression", "light", "pose")], 1)


class CodeSynthesis(nn.Module):
    """w → code → the conv-deconv faces decoder → image B×3×64×64 in [-1, 1]."""

    def __init__(self, w_dim: int, decoder: ConvDeconvConfig):
        super().__init__()
        self.head = CodeHead(w_dim)
        self.decoder = ConvDeconv(decoder)
        self.decoder.requires_grad_(False)  # pretrained by reconstruction, frozen

    def codes(self, w: torch.Tensor) -> torch.Tensor:
        return code_vector(self.head(w))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        rgb, _ = self.decoder(self.head(w))
        return rgb * 2 - 1


class CodeDiscriminator(nn.Module):
    """code B×CODE_DIM → real/fake logit B: an MLP (LeakyReLU 0.2) with the
    minibatch standard deviation of its hidden features (over groups of
    ``mbstd_group``) appended before the last layer.  ``reads_codes``: the
    completion search feeds it decoder codes, not images."""

    reads_codes = True

    def __init__(self, hidden: int, mbstd_group: int = 4):
        super().__init__()
        self.group = mbstd_group
        self.trunk = nn.Sequential(
            nn.Linear(CODE_DIM, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
        )
        self.out = nn.Linear(hidden + (1 if mbstd_group else 0), 1)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h = self.trunk(code.float())
        if self.group:
            n = len(h)
            g = min(self.group, n)
            while n % g:
                g -= 1
            y = h.reshape(g, -1, h.shape[1])
            y = (y - y.mean(0)).pow(2).mean(0).add(1e-8).sqrt().mean(1)  # B/g
            h = torch.cat([h, y.repeat(g)[:, None]], 1)
        return self.out(h).flatten()


# DCGANConfig's name for each decoder setting it mirrors (it takes no refinement stage)
LATENT_DECODER_SETTINGS = {
    "group_width": "decoder_width",
    "shared": "decoder_shared",
    "channels": "decoder_channels",
    "parts": "decoder_parts",
    "parts_context": "decoder_parts_context",
}


def decoder_config(cfg: Any) -> ConvDeconvConfig:
    """The faces decoder's config from a ``DCGANConfig``."""
    return ConvDeconvConfig(
        domain="faces",
        image_size=64,
        group_width=cfg.decoder_width,
        shared=cfg.decoder_shared,
        channels=tuple(cfg.decoder_channels),
        mask=False,
        parts=cfg.decoder_parts,
        parts_context=cfg.decoder_parts_context,
    )


def load_decoder(synthesis: CodeSynthesis, path=None) -> None:
    """Copy the shipped conv-deconv faces weights (or those in ``path``) into
    the synthesis network's decoder."""
    from generators.checkpoint import from_pretrained
    from generators.nets.convdeconv import ARCH_VERSION
    from generators.weights import weights_path

    model = from_pretrained(
        ConvDeconv,
        ConvDeconvConfig,
        path or weights_path("convdeconv", "faces"),
        model_name="convdeconv",
        code_version=ARCH_VERSION,
        retrain_hint="holochat train convdeconv --recipe faces",
    )
    for field, theirs in decoder_differences(model.cfg, synthesis.decoder.cfg):
        name = LATENT_DECODER_SETTINGS.get(field)
        hint = f"--set {name}={setting_text(theirs)}" if name else "a decoder without it"
        raise ValueError(
            f"{path or 'the shipped faces conv-deconv'} holds a decoder with {field} {theirs}; "
            f"the latent GAN needs {hint}"
        )
    synthesis.decoder.load_state_dict(model.state_dict())
