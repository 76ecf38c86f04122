"""GAN-CLS (Reed et al. 2016, "Generative Adversarial Text to Image
Synthesis"): a DCGAN-style generator and matching-aware discriminator at 64×64,
conditioned on a caption's sentence embedding.

Conditioning of the generator (B = batch):

* the caption embedding (all-MiniLM-L6-v2, B×384) compressed by FC + leaky
  ReLU to B×cond_dim, as in the paper;
* the continuous geometry as numbers beside the text (as deconvfaces does):
  yaw, pitch, light azimuth and light elevation as sin/cos, brightness and
  expression strength (``encode_geometry``, B×10).  Captions only say
  "turned to the left", so a number is the only way to ask for 37°;
* the identity's face-shape parameters (``identity_params``, B×12, blends of
  ``mix:`` offsets included) when ``use_identity_params`` is on.  Why: a studio
  identity is an integer seed whose face geometry the studio derives from the
  seed.  ``z`` is a random vector that the sessions layer keeps through edits,
  but nothing in the training data ties a z to an identity's geometry, so z
  alone cannot carry a studio identity that edits must preserve; given the
  shape parameters the network renders the same face under every edit, and
  held-out identities too (the conv-deconv generator makes the same choice);
* ``z`` (B×z_dim): whatever variation is left.

The discriminator is the paper's matching-aware one: convolutions down to
B×8d×4×4, the compressed text (and geometry / identity numbers) replicated
over the 4×4 grid and joined to the features, a 1×1 convolution, then one
logit per image.  Trained on (real, right text), (real, wrong text) and
(fake, right text); training is in ``generators/training/textgan.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from generators.nets.convdeconv import paint_faces
from generators.nets.dcgan import init_weights, seeded
from generators.protocol import Z_DIM

ARCH_VERSION = 2  # bump when a change makes saved weights unloadable
#                           2: the caption statistics (text_mean, text_scale) are buffers
GEOMETRY_DIM = 10  # see encode_geometry
IDENTITY_DIM = 12  # len(identity_params(...))
OUTPUTS = ("tanh", "compose")
DECODERS = ("dcgan", "convdeconv")
BRIGHTNESS_INDEX = 8  # encode_geometry's brightness column


#: training settings that configs held before issue 25 (now in the trainer's settings);
#: a checkpoint that records them still loads
TRAINING_KEYS = ("lr", "beta1", "beta2")


@dataclass(frozen=True)
class TextGANConfig:
    z_dim: int = Z_DIM  # latent length (states carry Z_DIM numbers)
    embed_dim: int = 384  # sentence-embedding length
    cond_dim: int = 128  # compressed text
    geometry_dim: int = GEOMETRY_DIM
    identity_dim: int = IDENTITY_DIM
    # Explicit design choice (see the module docstring): condition G and D on
    # the identity's face-shape parameters, because z alone cannot carry a
    # studio identity through edits.  Off: a plain GAN-CLS on text + geometry.
    use_identity_params: bool = True
    use_geometry: bool = True  # pose / light / brightness / strength as numbers
    # Width of two fully connected layers between the joined input and the
    # first up-convolution (0: none, the paper's generator).  Why: the first
    # layer of the paper's G is linear in its input, and which pixels a
    # caption's words change depends on combinations (hair under a hat, a
    # beard on dark skin); the conv-deconv generator has such a trunk.
    trunk: int = 0
    # An auxiliary classifier on the discriminator's image features (AC-GAN,
    # Odena et al. 2017): one softmax per categorical / bool attribute,
    # trained on real images; G is trained to make its images classified as
    # the attributes its caption states (``aux_weight`` in the trainer).
    aux_classifier: bool = False
    # G's output layer.  "tanh": the paper's, three channels through tanh.
    # "compose": the conv-deconv faces layer (generators/nets/convdeconv.py,
    # ``compose``): G paints albedo × shading and a mask, the mask composites
    # the face over a background colour read from the compressed text, and
    # brightness (a geometry number) is added to the whole image as the studio
    # does.  Why: a face is its surface colour times its lighting, and the
    # backgrounds are flat; the up-convolutions then spend their capacity on
    # the face, not on re-deriving colour and light at every pixel.
    output: str = "tanh"
    # A 3×3 convolution (+ batch norm, ReLU) after each of G's hidden
    # up-convolutions, as the conv-deconv decoder has: one more layer of
    # depth at every resolution for placing small features (eyes, lenses).
    refine: bool = False
    # G's body.  "dcgan": the paper's up-convolutions from (z, compressed
    # sentence embedding, numbers).  "convdeconv" (issue 29): a learned text
    # head reads the caption's token features (``phrase_tokens``: embed_dim
    # is then 2 × 384) into one probability vector
    # per categorical / bool attribute (``TextHead``), and the faces decoder of
    # the conv-deconv generator (generators/nets/convdeconv.py, initialised
    # from its shipped weights, then fine-tuned in the GAN-CLS game) draws the
    # face from those probabilities and the geometry / identity numbers; z is
    # not used (the decoder is deterministic; a state's z is kept for the
    # protocol).  D then reads the attribute code in place of the sentence.
    decoder: str = "dcgan"
    head_dim: int = 64  # the text head's key / value width
    # the decoder gets the head's most likely class of each attribute as a
    # one-hot code (what it was trained on), not the softmax blend
    hard_code: bool = True
    decoder_group_width: int = 128  # the conv-deconv decoder's sizes (ConvDeconvConfig)
    decoder_shared: int = 512
    decoder_channels: tuple[int, ...] = (160, 80, 40, 20, 12)
    decoder_refine: int = 0  # the decoder's refinement stage (ConvDeconvConfig.refine)
    decoder_parts: bool = False  # the decoder's parts layer (ConvDeconvConfig.parts)
    decoder_parts_context: int = 0  # and its context branch (ConvDeconvConfig.parts_context)
    ngf: int = 64  # generator width at the last hidden layer
    ndf: int = 64  # discriminator width at the first layer
    image_size: int = 64
    channels: int = 3
    init_std: float = 0.02  # N(0, std) weight init

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder_channels", tuple(self.decoder_channels))
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, got {self.decoder!r}")
        if self.decoder == "convdeconv" and not (self.use_geometry and self.use_identity_params):
            raise ValueError("decoder 'convdeconv' needs use_geometry and use_identity_params")
        if self.decoder == "convdeconv" and self.image_size != 64:
            raise ValueError("decoder 'convdeconv' draws 64×64 faces")
        n = self.image_size
        if n < 16 or n & (n - 1):
            raise ValueError(f"image_size must be a power of two ≥ 16, got {n}")
        for name in ("z_dim", "embed_dim", "cond_dim", "ngf", "ndf", "channels"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.trunk < 0:
            raise ValueError(f"trunk must be 0 (none) or positive, got {self.trunk}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        if self.use_geometry and self.geometry_dim != GEOMETRY_DIM:
            raise ValueError(f"geometry_dim is {GEOMETRY_DIM} (see encode_geometry)")
        if self.use_identity_params and self.identity_dim != IDENTITY_DIM:
            raise ValueError(f"identity_dim is {IDENTITY_DIM} (identity_params)")

    @property
    def n_up(self) -> int:
        return int(math.log2(self.image_size)) - 2  # 4 at 64×64

    @property
    def tokens(self) -> bool:
        """Whether G reads token embeddings (B×T×embed_dim, zero rows are
        padding) rather than one sentence embedding (B×embed_dim)."""
        return self.decoder == "convdeconv"

    @property
    def extra_dim(self) -> int:
        """Numbers joined beside the compressed text."""
        return (self.geometry_dim if self.use_geometry else 0) + (
            self.identity_dim if self.use_identity_params else 0
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TextGANConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k not in TRAINING_KEYS}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown TextGAN config keys: {', '.join(unknown)}")
        return cls(**d)


# ---------------------------------------------------------------------------
# inputs beside the text


def _sc(deg: float) -> list[float]:
    r = math.radians(float(deg))
    return [math.sin(r), math.cos(r)]


def encode_geometry(attrs: Sequence[Mapping[str, Any]]) -> torch.Tensor:
    """Face attribute dicts → B×10 float: sin/cos of yaw, pitch, light azimuth
    and light elevation, brightness (−1…1), expression strength (0…1 → −1…1)."""
    rows = [
        _sc(a["yaw"])
        + _sc(a["pitch"])
        + _sc(a["light_azimuth"])
        + _sc(a["light_elevation"])
        + [float(a["brightness"]), float(a["expression_strength"]) * 2 - 1]
        for a in attrs
    ]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), GEOMETRY_DIM)


def _param_stats() -> tuple[np.ndarray, np.ndarray]:
    from generators.studio.faces import identity_params

    p = np.stack([identity_params(i) for i in range(512)])
    return p.mean(0), p.std(0) + 1e-6


_P_MEAN, _P_STD = _param_stats()


def encode_identity(
    attrs: Sequence[Mapping[str, Any]], offsets: Sequence[Mapping[str, float] | None] | None = None
) -> torch.Tensor:
    """Face attribute dicts (and their states' offsets: ``mix:`` identity
    blends) → B×12 standardised face-shape parameters."""
    from generators.blend import shape_params

    offs = list(offsets) if offsets is not None else [None] * len(attrs)
    rows = [(shape_params("faces", a, o) - _P_MEAN) / _P_STD for a, o in zip(attrs, offs)]
    return torch.tensor(np.array(rows, np.float32)).reshape(len(rows), IDENTITY_DIM)


def encode_extra(
    cfg: TextGANConfig,
    attrs: Sequence[Mapping[str, Any]],
    offsets: Sequence[Mapping[str, float] | None] | None = None,
) -> torch.Tensor:
    """B×cfg.extra_dim: the numbers this config joins beside the text."""
    parts = []
    if cfg.use_geometry:
        parts.append(encode_geometry(attrs))
    if cfg.use_identity_params:
        parts.append(encode_identity(attrs, offsets))
    return torch.cat(parts, 1) if parts else torch.zeros(len(attrs), 0)


def class_names() -> tuple[str, ...]:
    """The faces categorical / bool attributes, in ``class_sizes`` order."""
    from generators.schema import BOOL, CATEGORY, get_schema

    return tuple(c.name for c in get_schema("faces").of_kind(CATEGORY, BOOL))


def class_sizes() -> tuple[int, ...]:
    """Number of classes of each faces categorical / bool attribute, in the
    order of ``generators.training.textgan.category_codes``."""
    from generators.schema import BOOL, CATEGORY, get_schema

    return tuple(
        2 if c.kind == BOOL else len(c.values) for c in get_schema("faces").of_kind(CATEGORY, BOOL)
    )


# ---------------------------------------------------------------------------
# the networks


class TextCompressor(nn.Module):
    """B×embed_dim caption embedding → B×cond_dim (FC + leaky ReLU), after
    centring on the training captions' mean embedding and one global scale.

    Why: unit-length MiniLM embeddings of captions that differ in one word
    ("dark skin" / "light skin") are nearly parallel; the shared part
    dominates and what tells the faces apart is a few hundredths of the
    vector.  Standardising (buffers set once from the caption table,
    ``set_text_stats``, saved with the weights) makes that part the input.
    One scale for all dimensions, not one each, so that a rare direction of
    an unseen caption is not blown up."""

    text_mean: torch.Tensor  # buffers
    text_scale: torch.Tensor

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.embed_dim, cfg.cond_dim)
        self.act = nn.LeakyReLU(0.2)
        self.register_buffer("text_mean", torch.zeros(cfg.embed_dim))
        self.register_buffer("text_scale", torch.ones(()))

    def set_text_stats(self, embeddings: torch.Tensor) -> None:
        """Mean and global standard deviation of K×embed_dim caption embeddings."""
        e = embeddings.detach().float()
        mean = e.mean(0)
        self.text_mean.copy_(mean)
        self.text_scale.copy_((e - mean).pow(2).mean().sqrt().clamp_min(1e-6))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc((e - self.text_mean) / self.text_scale))


class TextHead(nn.Module):
    """The learned text head of the "convdeconv" generator: B×T×embed_dim token
    features (``generators.text.embedding.phrase_tokens``: each token's MiniLM
    embedding joined with its phrase's sentence embedding, embed_dim 768; zero
    rows: padding) → one logit vector per faces categorical / bool attribute
    (``class_sizes``).

    Keys and values are a width-3 convolution over the tokens, so each token's
    key and value see its neighbours ("without glasses", "no beard" read apart
    from "with glasses" even where the encoder's context would not); each
    attribute has its own query and attends over the tokens and one learned
    "not mentioned" slot (a caption that says nothing of glasses means none),
    then a small MLP gives its logits.  Trained with the attribute labels
    (cross-entropy) on the training caption templates only."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.sizes = class_sizes()
        a, d = len(self.sizes), cfg.head_dim
        self.key = nn.Conv1d(cfg.embed_dim, d, 3, 1, 1)
        self.value = nn.Conv1d(cfg.embed_dim, d, 3, 1, 1)
        self.query = nn.Parameter(torch.randn(a, d) / math.sqrt(d))
        self.null_score = nn.Parameter(torch.zeros(a))
        self.null_value = nn.Parameter(torch.zeros(a, d))
        self.out = nn.ModuleList(
            nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, k)) for k in self.sizes
        )

    def forward(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        tokens = tokens.float()
        pad = tokens.abs().sum(-1) == 0  # B×T
        h = tokens.transpose(1, 2)  # B×E×T
        k = self.key(h).transpose(1, 2)  # B×T×d
        v = self.value(h).transpose(1, 2)  # B×T×d
        d = k.shape[-1]
        score = torch.einsum("ad,btd->bat", self.query, k) / math.sqrt(d)  # B×A×T
        score = score.masked_fill(pad[:, None, :], float("-inf"))
        null = self.null_score[None, :, None].expand(len(k), -1, 1)  # B×A×1
        w = torch.softmax(torch.cat([null, score], 2), 2)  # B×A×(1+T)
        pooled = w[:, :, :1] * self.null_value[None] + torch.einsum(
            "bat,btd->bad", w[:, :, 1:], v
        )  # B×A×d
        return [m(pooled[:, i]) for i, m in enumerate(self.out)]

    def probabilities(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        return [torch.softmax(lg, 1) for lg in self(tokens)]


def one_hot_codes(cats: torch.Tensor) -> list[torch.Tensor]:
    """N×A integer class codes → one B×K one-hot float per attribute."""
    return [nn.functional.one_hot(cats[:, i], k).float() for i, k in enumerate(class_sizes())]


def decoder_inputs(probs: Sequence[torch.Tensor], extra: torch.Tensor) -> dict[str, torch.Tensor]:
    """The conv-deconv faces decoder's input groups (``convdeconv.encode``)
    from attribute probabilities (one B×K per ``class_names`` entry: one-hot
    or the text head's softmax) and the geometry + identity numbers
    (``encode_extra``: B×22).  A bool's probability p of True enters as
    2p − 1, as ``convdeconv`` writes ±1."""
    p = dict(zip(class_names(), probs))
    g, ident = extra[:, :GEOMETRY_DIM], extra[:, GEOMETRY_DIM : GEOMETRY_DIM + IDENTITY_DIM]
    yaw = torch.rad2deg(torch.atan2(g[:, 0], g[:, 1]))
    pitch = torch.rad2deg(torch.atan2(g[:, 2], g[:, 3]))

    def sign(name: str) -> torch.Tensor:
        return p[name][:, 1:2] * 2 - 1

    return {
        "identity": torch.cat(
            [
                ident,
                p["hair_color"],
                p["skin_tone"],
                p["background"],
                p["eyewear"],
                sign("hat"),
                sign("beard"),
            ],
            1,
        ),
        "expression": torch.cat([p["expression"], g[:, 9:10]], 1),
        "light": g[:, 4:9],
        "pose": torch.cat([g[:, 0:4], (yaw / 60)[:, None], (pitch / 30)[:, None]], 1),
        "_transform": g[:, BRIGHTNESS_INDEX : BRIGHTNESS_INDEX + 1],
        "_palette": p["background"],
    }


class DecoderGenerator(nn.Module):
    """The "convdeconv" generator: (z, token embeddings B×T×embed_dim, extra
    B×22) → image B×3×64×64 in [-1, 1].  ``probs`` (one B×K per attribute)
    replaces the text head's reading (training feeds the true attributes)."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        from generators.nets.convdeconv import ConvDeconv, ConvDeconvConfig

        self.cfg = cfg
        self.head = TextHead(cfg)
        self.decoder = ConvDeconv(
            ConvDeconvConfig(
                domain="faces",
                image_size=64,
                group_width=cfg.decoder_group_width,
                shared=cfg.decoder_shared,
                channels=cfg.decoder_channels,
                mask=False,
                refine=cfg.decoder_refine,
                parts=cfg.decoder_parts,
                parts_context=cfg.decoder_parts_context,
            )
        )

    def forward(
        self,
        z: torch.Tensor,
        emb: torch.Tensor,
        extra: torch.Tensor,
        probs: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if probs is None:
            probs = self.head.probabilities(emb)
            if self.cfg.hard_code:
                probs = [nn.functional.one_hot(p.argmax(1), p.shape[1]).to(p) for p in probs]
        rgb, _ = self.decoder(decoder_inputs(probs, extra.float()))
        return rgb * 2 - 1


def code_dim() -> int:
    return sum(class_sizes())


class TextGenerator(nn.Module):
    """(z B×z_dim, text embedding B×embed_dim, extra B×extra_dim) → image
    B×C×S×S in [-1, 1]."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.cfg = cfg
        self.text = TextCompressor(cfg)
        c_in = cfg.z_dim + cfg.cond_dim + cfg.extra_dim
        self.trunk: nn.Module = nn.Identity()
        if cfg.trunk:
            self.trunk = nn.Sequential(
                nn.Linear(c_in, cfg.trunk),
                nn.ReLU(True),
                nn.Linear(cfg.trunk, cfg.trunk),
                nn.ReLU(True),
            )
            c_in = cfg.trunk
        mult = 2 ** (cfg.n_up - 1)  # 8 at 64×64

        def refine(c: int) -> list[nn.Module]:
            return (
                [nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
                if cfg.refine
                else []
            )

        layers: list[nn.Module] = [
            nn.ConvTranspose2d(c_in, cfg.ngf * mult, 4, 1, 0, bias=False),  # B×8g×4×4
            nn.BatchNorm2d(cfg.ngf * mult),
            nn.ReLU(True),
            *refine(cfg.ngf * mult),
        ]
        for _ in range(cfg.n_up - 1):  # 4→8→16→32
            layers += [
                nn.ConvTranspose2d(cfg.ngf * mult, cfg.ngf * mult // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cfg.ngf * mult // 2),
                nn.ReLU(True),
                *refine(cfg.ngf * mult // 2),
            ]
            mult //= 2
        if cfg.output == "compose":  # albedo 3, shade 1, mask 1
            if cfg.channels != 3:
                raise ValueError("output 'compose' paints RGB: channels must be 3")
            layers.append(nn.ConvTranspose2d(cfg.ngf, 5, 4, 2, 1))  # B×5×S×S
            self.background = nn.Linear(cfg.cond_dim, 3)  # colour from the text
        else:
            layers += [
                nn.ConvTranspose2d(cfg.ngf, cfg.channels, 4, 2, 1, bias=False),  # B×C×S×S
                nn.Tanh(),
            ]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        text = self.text(emb)  # B×cond
        h = torch.cat([z.flatten(1), text, extra], 1)  # B×(z+cond+extra)
        h = self.trunk(h)  # B×trunk (or unchanged)
        out = self.main(h[:, :, None, None])  # B×C×S×S (or B×5×S×S)
        if self.cfg.output == "tanh":
            return out
        bg = torch.sigmoid(self.background(text))  # B×3
        bright = (
            extra[:, BRIGHTNESS_INDEX : BRIGHTNESS_INDEX + 1]
            if self.cfg.use_geometry
            else torch.zeros(len(out), 1, device=out.device, dtype=out.dtype)
        )
        return paint_faces(out, bg, bright)  # [-1, 1], like tanh


class TextDiscriminator(nn.Module):
    """(image B×C×S×S, text embedding B×embed_dim, extra B×extra_dim) →
    match logit B: real image that matches its condition (high) or not."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.cfg = cfg
        # "convdeconv": D's condition is the attribute code (one-hot per
        # attribute, concatenated), which the text head reads from the caption
        self.text: nn.Module = (
            nn.Sequential(nn.Linear(code_dim(), cfg.cond_dim), nn.LeakyReLU(0.2))
            if cfg.tokens
            else TextCompressor(cfg)
        )
        layers: list[nn.Module] = [
            nn.Conv2d(cfg.channels, cfg.ndf, 4, 2, 1, bias=False),  # B×d×S/2
            nn.LeakyReLU(0.2, inplace=True),
        ]
        mult = 1
        for _ in range(cfg.n_up - 1):  # 32→16→8→4
            layers += [
                nn.Conv2d(cfg.ndf * mult, cfg.ndf * mult * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(cfg.ndf * mult * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            mult *= 2
        self.features = nn.Sequential(*layers)  # B×8d×4×4
        c = cfg.ndf * mult
        self.joint = nn.Sequential(  # after joining the text
            nn.Conv2d(c + cfg.cond_dim + cfg.extra_dim, c, 1, 1, 0, bias=False),
            nn.BatchNorm2d(c),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c, 1, 4, 1, 0, bias=False),
        )  # B×1×1×1
        self.sizes = class_sizes() if cfg.aux_classifier else ()
        self.aux = nn.Linear(c * 4 * 4, sum(self.sizes)) if cfg.aux_classifier else None

    def forward(self, x: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        return self.score(x, emb, extra)[0]

    def score(
        self, x: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(match logit B, auxiliary class logits: one B×K per attribute, or
        [] without the auxiliary classifier)."""
        h = self.features(x)  # B×8d×4×4
        cond = torch.cat([self.text(emb), extra], 1)  # B×(cond+extra)
        cond = cond[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])  # replicated 4×4
        logit = self.joint(torch.cat([h, cond.to(h.dtype)], 1)).flatten()  # B
        if self.aux is None:
            return logit, []
        return logit, list(self.aux(h.flatten(1)).split(self.sizes, 1))  # A × (B×K)


class TextGAN(nn.Module):
    """The (generator, discriminator) pair, saved and loaded as one checkpoint."""

    def __init__(self, cfg: TextGANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator: nn.Module = (
            DecoderGenerator(cfg) if cfg.decoder == "convdeconv" else TextGenerator(cfg)
        )
        self.discriminator = TextDiscriminator(cfg)
        init_weights(self.discriminator if cfg.tokens else self, cfg.init_std)

    def set_text_stats(self, embeddings: torch.Tensor) -> None:
        """Standardise the caption input of both networks by these embeddings'
        statistics (the training captions; see ``TextCompressor``).  Nothing
        to set for the "convdeconv" generator (its head reads tokens)."""
        if isinstance(self.generator, TextGenerator):
            self.generator.text.set_text_stats(embeddings)
        if isinstance(self.discriminator.text, TextCompressor):
            self.discriminator.text.set_text_stats(embeddings)

    def forward(self, z: torch.Tensor, emb: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        return self.generator(z, emb, extra)


def build(cfg: TextGANConfig, seed: int | None = None) -> TextGAN:
    """A freshly initialised pair; ``seed`` makes the init reproducible without
    touching the global random state."""
    return seeded(lambda: TextGAN(cfg), seed)
