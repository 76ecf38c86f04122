"""Training of the conv-deconv generators (network in ``nets/convdeconv.py``)
on the training kernel (``kernel.py``).

Data: studio renders of training styles/identities (``cached_dataset``), with
inputs encoded once into tensors and kept on the training device.
Deterministic for a seed (batch order and init), resumable exactly; sample
sheets (studio truth above the network) every ``sample_every`` steps.

Faces, against blur (``losses.py``, docs/faces.md): the reconstruction loss
weights the studio's feature pixels (eyes, brows, mouth, rims, lenses, the
beard's edge) by ``1 + feature_weight``; optionally a perceptual term on the
faces judge's features (``perceptual``) and an EMA of the weights for
sampling (``ema``: the checkpoint's model.safetensors holds the average, the
training state the raw weights).

With ``time_limit_s`` the cosine schedule runs on whichever is further
along, the steps or the time, so a run stopped by the clock ends at a low
learning rate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from generators.nets.convdeconv import ARCH_VERSION, ConvDeconv, ConvDeconvConfig, encode
from generators.training import kernel
from generators.training.kernel import Losses, Sheet, TrainingError
from generators.training.losses import (
    ReaderMatch,
    feature_weights,
    gradient_difference,
    ns_fake,
    ns_real,
    weighted_rec,
)

__all__ = ["ConvDeconvTrainOptions", "ConvDeconvTrainer", "TrainingError", "train_convdeconv"]


@dataclass
class ConvDeconvTrainOptions(kernel.Loop):
    domain: str = "chairs"
    steps: int = 6000
    batch: int = 64
    lr: float = 1e-3
    n_train: int = 20000
    log_every: int = 100
    mask_weight: float = 0.5
    init: str | None = None  # start from these weights (fresh optimizer, step 0)
    feature_weight: float = 8.0  # faces: feature pixels weigh 1 + this (0: plain MSE)
    perceptual: float = 0.0  # faces: weight of the judge-feature term (0: none)
    perceptual_judge: str | None = None  # its judge (default: the shipped faces judge)
    ema: float = 0.0  # decay of the sampling EMA (0: none)
    # faces: attribute pairs (``attribute_pairs``): the same face neutral and
    # with an expression (or without and with eyewear); the loss matches the
    # generator's change between the two to the studio's (``pair_loss``).  0: off
    pairs: int = 0
    pair_weight: float = 1.0
    pair_attributes: str = "expression"  # comma-separated: expression, eyewear
    # relative weights of the pairs' expressions, e.g. "sad=2,angry=2" (unnamed
    # ones weigh 1; empty: uniform, the draws of the runs before the option)
    pair_expression_weights: str = ""
    grad_weight: float = 0.0  # faces: weight of the gradient difference loss (0: none)
    # train the refinement stage alone (the config's ``refine`` > 0): the decoder
    # below it is frozen and stays bit-identical
    refine_only: bool = False
    # faces: weight of a PatchGAN adversarial term on top of the pixel losses, as in
    # pix2pix (0: none); its discriminator's width and learning rate
    adv_weight: float = 0.0
    adv_ndf: int = 32
    adv_lr: float = 2e-4
    # faces with a parts layer (the config's ``parts``): weight of its
    # cross-entropy on the studio's part maps, weighted per pixel as the
    # reconstruction is (feature pixels by 1 + feature_weight)
    parts_weight: float = 1.0
    parts_lr_mul: float = 10.0  # the parts layer learns at this × lr (it starts from zero)
    # faces: weight of the expression-read term (``losses.ReaderMatch``: a judge's
    # expression logits read the generated face as they read the studio's; 0: none),
    # the judge it uses (required), which of its expression heads ("reader": the
    # full-resolution reader; "trunk": the head on its strided trunk; never the
    # network that will measure the result) and how many of each batch's faces it reads
    reader_weight: float = 0.0
    reader_judge: str | None = None
    reader_head: str = "reader"
    reader_batch: int = 32

    def __post_init__(self) -> None:
        super().__post_init__()
        parse_expression_weights(self.pair_expression_weights)  # a bad one: before the data
        if self.reader_weight > 0 and not self.reader_judge:
            raise ValueError(
                "reader_weight needs --set reader_judge=DIR (and reader_head=reader or "
                "trunk): a judge's expression head that will not measure the result"
            )
        if self.reader_weight > 0 and self.domain != "faces":
            raise ValueError("reader_weight: the expression reader is for faces")
        if self.reader_head not in ReaderMatch.HEADS:  # before the data, not after
            raise ValueError(
                f"reader_head must be {' or '.join(ReaderMatch.HEADS)}, not {self.reader_head!r}"
            )


def _lr(step: int, total: int, base: float, frac: float | None = None) -> float:
    """Linear warm-up over the first 2 %, then cosine to 0; ``frac`` (the
    time-limited runs' progress, 0…1) overrides ``step / total`` once it is
    further along."""
    warm = max(1, total // 50)
    if frac is None or frac <= step / total:
        if step < warm:
            return base * (step + 1) / warm
        return base * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))
    if frac < 0.02:
        return base * max(frac / 0.02, (step + 1) / warm)
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))


PAIR_ATTRIBUTES = ("expression", "eyewear")
PAIR_EXPRESSIONS = ("happy", "sad", "angry", "surprised")


def attribute_pairs(
    n: int,
    seed: int,
    identities: int,
    attributes: tuple[str, ...] = ("expression",),
    size: int = 64,
    expression_weights: dict[str, float] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], np.ndarray, np.ndarray]:
    """``n`` training faces twice, the two differing in one attribute drawn
    from ``attributes`` (everything else, pose and light included, the
    same): neutral and a random expression at strength 0.5–1, or no eyewear
    and glasses or sunglasses.  Identities are the first ``identities``
    training ones (those the training set draws from).  ``expression_weights``
    (``parse_expression_weights``) draws some expressions more often than
    others; None draws them uniformly.  Returns (plain attributes, changed
    attributes, their studio renders N×H×W×3 uint8)."""
    from generators.datasets import render_attributes, sample_attributes

    unknown = sorted(set(attributes) - set(PAIR_ATTRIBUTES))
    if unknown or not attributes:
        raise ValueError(
            f"pair attributes are some of {', '.join(PAIR_ATTRIBUTES)}; got {list(attributes)}"
        )
    p_expr = None
    if expression_weights:
        w = np.array([expression_weights.get(e, 1.0) for e in PAIR_EXPRESSIONS], float)
        p_expr = w / w.sum()
    rng = np.random.default_rng([seed, 29])
    a0: list[dict[str, Any]] = []
    a1: list[dict[str, Any]] = []
    for _ in range(n):
        a = sample_attributes("faces", rng, int(rng.integers(identities)))
        which = attributes[int(rng.integers(len(attributes)))]
        if which == "expression":
            a0.append(dict(a, expression="neutral"))
            k = (
                int(rng.integers(len(PAIR_EXPRESSIONS)))
                if p_expr is None
                else int(rng.choice(len(PAIR_EXPRESSIONS), p=p_expr))
            )
            a1.append(
                dict(
                    a,
                    expression=PAIR_EXPRESSIONS[k],
                    expression_strength=float(rng.uniform(0.5, 1.0)),
                )
            )
        else:
            a0.append(dict(a, eyewear="none"))
            a1.append(dict(a, eyewear=("glasses", "sunglasses")[int(rng.integers(2))]))
    i0, _ = render_attributes("faces", a0, size)
    i1, _ = render_attributes("faces", a1, size)
    return a0, a1, i0, i1


def parse_expression_weights(text: str) -> dict[str, float] | None:
    """ "sad=2,angry=2" → {"sad": 2.0, "angry": 2.0}; "" → None (uniform)."""
    out: dict[str, float] = {}
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        name, eq, value = item.partition("=")
        name = name.strip()
        try:
            weight = float(value) if eq else float("nan")
        except ValueError:
            weight = float("nan")
        if name not in PAIR_EXPRESSIONS or not math.isfinite(weight) or weight < 0:
            raise ValueError(
                f"pair expression weights are NAME=WEIGHT (NAME one of "
                f"{', '.join(PAIR_EXPRESSIONS)}, WEIGHT ≥ 0); got {item!r}"
            )
        out[name] = weight
    if out and sum(out.get(e, 1.0) for e in PAIR_EXPRESSIONS) <= 0:
        raise ValueError("pair expression weights: at least one must be above 0")
    return out or None


def pair_loss(
    g0: torch.Tensor, g1: torch.Tensor, s0: torch.Tensor, s1: torch.Tensor
) -> torch.Tensor:
    """Squared error between the generator's change (g1 − g0) and the
    studio's (s1 − s0), B×3×H×W in [0, 1], averaged inside the pixels the
    studio changes (by more than 24/255 summed over channels, the eval's
    region) and outside them, each half of the loss: a faint mouth costs as
    much as a face that shifts everywhere, however few pixels the mouth is."""
    ds = s1 - s0
    err = ((g1 - g0) - ds).pow(2).sum(1)  # B×H×W
    region = (ds.abs().sum(1) > 24 / 255).float()
    inside = (err * region).sum() / region.sum().clamp_min(1.0)
    outside = (err * (1 - region)).sum() / (1 - region).sum().clamp_min(1.0)
    return 0.5 * (inside + outside)


def prepare(
    domain: str, ds: Any
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor | None]:
    inputs = encode(domain, ds.attributes)
    images = torch.from_numpy(ds.images)  # N×H×W×3 uint8
    masks = torch.from_numpy(ds.masks) if ds.masks is not None else None
    return inputs, images, masks


class EpochOrder:
    """The batch order, a pure function of (seed, epoch): per epoch one
    permutation, drawn on the host once and kept on the device."""

    def __init__(self, seed: int, n: int, device: torch.device):
        self.seed, self.n, self.device = seed, n, device
        self.cache: dict[int, torch.Tensor] = {}

    def perm(self, epoch: int) -> torch.Tensor:
        if epoch not in self.cache:
            if len(self.cache) > 2:
                self.cache.clear()
            self.cache[epoch] = torch.from_numpy(
                np.random.default_rng([self.seed, epoch]).permutation(self.n)
            ).to(self.device)
        return self.cache[epoch]

    def batch(self, step: int, size: int) -> torch.Tensor:
        epoch, pos = divmod(step * size, self.n)
        idx = self.perm(epoch)[pos : pos + size]
        if len(idx) < size:
            idx = torch.cat([idx, self.perm(epoch + 1)[: size - len(idx)]])
        return idx


class ConvDeconvTrainer(kernel.Trainer):
    """The conv-deconv network, its batches and losses on the kernel."""

    name, code_version = "convdeconv", ARCH_VERSION
    module_cls, config_cls = ConvDeconv, ConvDeconvConfig
    retrain = "holochat train convdeconv --out DIR"
    terms = (
        "rec_weighted",
        "mse",
        "mask",
        "perceptual",
        "pair",
        "grad",
        "adv",
        "loss_d",
        "parts",
        "reader",
    )

    def __init__(
        self,
        opts: ConvDeconvTrainOptions,
        cfg: ConvDeconvConfig | None = None,
        dataset: Any = None,
        *,
        recipe: dict[str, Any] | None = None,
    ):
        super().__init__(opts, recipe=recipe)
        torch.manual_seed(opts.seed)
        self.opts = opts
        self.cfg = cfg or ConvDeconvConfig(domain=opts.domain, mask=opts.domain == "chairs")
        dev = self.device
        self.model = self.module = ConvDeconv(self.cfg).to(dev)
        self.model.train()
        params: list[Any] = list(self.model.parameters())
        if self.model.parts is not None:
            mine = set(map(id, self.model.parts.parameters()))
            params = [
                {"params": [q for q in params if id(q) not in mine]},
                {"params": list(self.model.parts.parameters()), "lr_mul": opts.parts_lr_mul},
            ]
        if opts.refine_only:
            if self.model.refine is None:
                raise TrainingError("refine_only needs a refinement stage: --set refine=WIDTH")
            self.model.requires_grad_(False)
            self.model.refine.requires_grad_(True)
            params = list(self.model.refine.parameters())
        self.add_optimizer("model", params, lr=opts.lr, betas=(0.9, 0.99))
        faces = opts.domain == "faces"
        ds = kernel.studio_set(opts, dataset, with_features=faces and opts.feature_weight > 0)
        inputs, images, masks = prepare(opts.domain, ds)
        self.features = None
        if faces and opts.feature_weight > 0:
            from generators.datasets import feature_masks

            self.features = torch.from_numpy(feature_masks(ds)).to(dev)  # N×H×W bool
        self.part_maps = None
        if self.cfg.parts and opts.parts_weight > 0:
            from generators.datasets import part_maps

            self.part_maps = torch.from_numpy(part_maps(ds)).to(dev)  # N×H×W int8
        self.perceptual = None
        if faces and opts.perceptual > 0:
            from generators.training.losses import JudgePerceptual

            self.perceptual = JudgePerceptual.load(opts.perceptual_judge, dev)
        self.reader = None
        if opts.reader_weight > 0:
            assert opts.reader_judge is not None
            self.reader = ReaderMatch.load(opts.reader_judge, opts.reader_head, dev)
        # everything a step reads lives on the device
        self.inputs = {k: v.to(dev) for k, v in inputs.items()}
        self.images = images.to(dev)
        self.masks = masks.to(dev) if masks is not None else None
        self.order = EpochOrder(opts.seed, len(self.images), dev)
        self.pairs: dict[str, Any] | None = None
        if faces and opts.pairs > 0:
            from generators.datasets import n_seeds_for

            a0, a1, i0, i1 = attribute_pairs(
                opts.pairs,
                opts.seed,
                n_seeds_for(opts.n_train),
                tuple(x.strip() for x in opts.pair_attributes.split(",") if x.strip()),
                expression_weights=parse_expression_weights(opts.pair_expression_weights),
            )
            self.pairs = {
                "x0": {k: v.to(dev) for k, v in encode("faces", a0).items()},
                "x1": {k: v.to(dev) for k, v in encode("faces", a1).items()},
                "s0": torch.from_numpy(i0).to(dev),
                "s1": torch.from_numpy(i1).to(dev),
            }
            self.pair_order = EpochOrder(opts.seed + 7919, opts.pairs, dev)
        self.disc: torch.nn.Module | None = None
        if opts.adv_weight > 0:
            if not faces:
                raise TrainingError("adv_weight: the adversarial term is for faces")
            from generators.nets.dcgan import init_weights
            from generators.nets.pix2pix import PatchDiscriminator, Pix2PixConfig

            # unconditional: the pixel losses keep the picture to its state; the
            # discriminator only asks whether its patches look like the studio's
            self.disc = PatchDiscriminator(
                Pix2PixConfig(in_channels=0, out_channels=3, ndf=opts.adv_ndf, d_layers=2)
            )
            init_weights(self.disc)
            self.disc.to(dev).train()
            self.add_optimizer("D", self.disc.parameters(), lr=opts.adv_lr, betas=(0.5, 0.999))
        self.start_ema(opts.ema)

    def aux_modules(self) -> dict[str, torch.nn.Module]:
        return {"disc": self.disc} if self.disc is not None else {}

    def label(self) -> str:
        return f"convdeconv {self.opts.domain}"

    def ema_target(self) -> tuple[str, torch.nn.Module]:
        return "", self.model

    def fresh(self) -> None:
        self.model.init_from_data(self.images.cpu(), self.inputs["_palette"].cpu())
        self._start_part_colours()

    def _start_part_colours(self) -> None:
        if self.model.parts is not None and self.part_maps is not None:
            n = min(2000, len(self.images))
            self.model.parts.init_colours(self.images[:n].cpu(), self.part_maps[:n].cpu())

    def lr(self, step: int, clock: float | None) -> dict[str, float]:
        rates = {"model": _lr(step, self.opts.steps, self.opts.lr, clock)}
        if self.disc is not None:
            rates["D"] = _lr(step, self.opts.steps, self.opts.adv_lr, clock)
        return rates

    def batch(self, index: int) -> dict[str, Any]:
        idx = self.order.batch(index, self.opts.batch)
        m = self.masks
        return {
            "idx": idx,
            "x": {k: v.index_select(0, idx) for k, v in self.inputs.items()},
            "y": self.images.index_select(0, idx).permute(0, 3, 1, 2).float().div(255),
            "m": m.index_select(0, idx).float().unsqueeze(1) if m is not None else None,
            "pair_step": index,
        }

    def _pair_loss(self, step: int) -> torch.Tensor:
        """``pair_loss`` on half a batch of expression pairs (both renders
        through the model in one forward)."""
        p = self.pairs
        assert p is not None
        idx = self.pair_order.batch(step, max(1, self.opts.batch // 2))
        x = {
            k: torch.cat([p["x0"][k].index_select(0, idx), p["x1"][k].index_select(0, idx)])
            for k in p["x0"]
        }
        with self.autocast():
            rgb, _ = self.model(x)
        g0, g1 = rgb.float().chunk(2)
        s0, s1 = (
            p[k].index_select(0, idx).permute(0, 3, 1, 2).float().div(255) for k in ("s0", "s1")
        )
        return pair_loss(g0, g1, s0, s1)

    def losses(self, b: dict[str, Any], step: int) -> Losses:
        o, y, m = self.opts, b["y"], b["m"]
        logits: list[torch.Tensor] = []
        with self.autocast():
            rgb, mask_logits = self.model(b["x"], logits)
        rgb = rgb.float()
        w = (
            feature_weights(self.features.index_select(0, b["idx"]), o.feature_weight)
            if self.features is not None
            else None
        )
        rec = weighted_rec(rgb, y, w, "l2")
        loss = rec
        parts = rec.new_zeros(())
        if self.part_maps is not None:
            target = self.part_maps.index_select(0, b["idx"]).long()
            ce = F.cross_entropy(logits[0].float(), target, reduction="none")  # B×H×W
            parts = (ce * w[:, 0]).sum() / w.sum() if w is not None else ce.mean()
            loss = loss + o.parts_weight * parts
        mask_l = rec.new_zeros(())
        if mask_logits is not None and m is not None:
            mask_l = F.binary_cross_entropy_with_logits(mask_logits.float(), m)
            loss = loss + o.mask_weight * mask_l
        perc = rec.new_zeros(())
        if self.perceptual is not None:
            with self.autocast():
                perc = self.perceptual(rgb * 2 - 1, y * 2 - 1)
            loss = loss + o.perceptual * perc.float()
        read = rec.new_zeros(())
        if self.reader is not None:
            k = min(o.reader_batch, len(rgb))
            with self.autocast():
                read = self.reader(rgb[:k] * 2 - 1, y[:k] * 2 - 1)
            loss = loss + o.reader_weight * read.float()
        pair = rec.new_zeros(())
        if self.pairs is not None:
            pair = self._pair_loss(b["pair_step"])
            loss = loss + o.pair_weight * pair
        grad = rec.new_zeros(())
        if o.grad_weight > 0:
            grad = gradient_difference(rgb, y)
            loss = loss + o.grad_weight * grad
        adv, loss_d = rec.new_zeros(()), rec.new_zeros(())
        if self.disc is not None:
            real, fake = y * 2 - 1, rgb * 2 - 1
            none = real[:, :0]  # no condition
            with self.autocast():
                d_real, d_fake = self.disc(none, real), self.disc(none, fake.detach())
            loss_d = 0.5 * (ns_real(d_real) + ns_fake(d_fake))
            yield "D", loss_d
            self.disc.requires_grad_(False)
            with self.autocast():
                adv = ns_real(self.disc(none, fake))
            loss = loss + o.adv_weight * adv
        yield "model", loss
        if self.disc is not None:
            self.disc.requires_grad_(True)
        return {
            "rec_weighted": rec,
            "mse": (rgb.detach() - y).pow(2).mean(),
            "mask": mask_l,
            "perceptual": perc,
            "pair": pair,
            "grad": grad,
            "adv": adv,
            "loss_d": loss_d,
            "parts": parts,
            "reader": read,
        }

    def record(self, rec: dict[str, Any]) -> dict[str, Any]:
        mse = rec.pop("mse")
        return {
            "step": rec["step"],
            "rec": mse,
            "psnr": -10 * math.log10(max(mse, 1e-10)),
            "rec_weighted": rec["rec_weighted"],
            "mask": rec["mask"],
            "perceptual": rec["perceptual"],
            "pair": rec["pair"],
            "grad": rec["grad"],
            "adv": rec["adv"],
            "loss_d": rec["loss_d"],
            "parts": rec["parts"],
            "reader": rec["reader"],
            "images_per_s": round(rec["images_per_s"], 1),
            "s": round(time.perf_counter() - self.t0, 1),
        }

    def describe(self, rec: dict[str, Any]) -> str:
        return f"train PSNR {rec['psnr']:.1f} dB"

    @torch.no_grad()
    def sheet(self) -> Sheet:
        """Top row: studio ground truth; bottom row: the network."""
        model = self.shipped_module(self.model)
        was = model.training
        model.eval()
        t = torch.arange(min(16, len(self.images)), device=self.device)
        rgb, _ = model({k: v.index_select(0, t) for k, v in self.inputs.items()})
        gen = (rgb.float().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        truth = self.images.index_select(0, t).cpu().numpy()
        model.train(was)
        return Sheet(list(truth) + list(gen), len(t), 2)

    def init_from(self, path: Path) -> None:
        """The weights in ``path``; a start without the refinement stage or the
        parts layer gets a fresh one (which draws what the start drew), and a
        start with narrower up-convolutions is widened (``widen_into``: it draws
        the same too)."""
        from dataclasses import replace

        from generators.nets.convdeconv import can_widen, widen_into

        mine = self.cfg

        def fits(cfg: ConvDeconvConfig) -> bool:
            added = replace(
                cfg, refine=mine.refine, parts=mine.parts, parts_context=mine.parts_context
            )
            return (
                can_widen(added, mine)
                and cfg.refine in (0, mine.refine)
                and cfg.parts <= mine.parts
                and cfg.parts_context in (0, mine.parts_context)
                and not (cfg.refine and cfg.channels != mine.channels)
            )

        start = self.read_weights(path, "--init", fits)
        assert isinstance(start, ConvDeconv)
        if start.cfg.channels != mine.channels:
            widen_into(start, self.model)
            missing = [k for k in self.model.state_dict() if k not in start.state_dict()]
            unexpected = []
        else:
            missing, unexpected = self.model.load_state_dict(start.state_dict(), strict=False)
        if unexpected or any(not k.startswith(("refine.", "parts.")) for k in missing):
            raise TrainingError(f"--init {path}: weights do not fit ({missing + unexpected})")
        if "parts.colour.bias" in missing:  # a fresh parts layer (not only its context)
            self._start_part_colours()

    def finish(self) -> None:
        self.model.eval()
        if self.ema is not None:  # what samples (and what the checkpoint ships) is the average
            self.model.load_state_dict(self.ema.shadow.state_dict())


def train_convdeconv(
    opts: ConvDeconvTrainOptions,
    cfg: ConvDeconvConfig | None = None,
    dataset: Any = None,
    *,
    recipe: dict[str, Any] | None = None,
) -> ConvDeconv:
    """Train (or resume) to ``opts.steps``; returns the model (EMA weights
    where there is an EMA) with its log as ``train_log``."""
    trainer = ConvDeconvTrainer(opts, cfg, dataset, recipe=recipe)
    kernel.run(trainer, init=opts.init)
    model = trainer.model
    setattr(model, "train_log", trainer.log)  # noqa: B010 (a Module)
    return model


def measure_throughput(
    *, batch: int = 64, steps: int = 10, warmup: int = 2, device: str = "cpu"
) -> dict[str, float]:
    """Training images per second at the shipped config (for ``holochat bench``)."""
    from generators.datasets import make_dataset

    ds = make_dataset("chairs", max(batch, 64), seed=0, workers=1)
    opts = ConvDeconvTrainOptions(
        domain="chairs", batch=batch, steps=warmup + steps, device=device, progress=False
    )
    return kernel.measure(ConvDeconvTrainer(opts, dataset=ds), steps=steps, warmup=warmup)


RECIPE_CLASSES = (ConvDeconvConfig, ConvDeconvTrainOptions)


def train_settings(
    cfg: ConvDeconvConfig, opts: ConvDeconvTrainOptions, recipe: dict[str, Any]
) -> ConvDeconvTrainer:
    return kernel.run(ConvDeconvTrainer(opts, cfg, recipe=recipe), init=opts.init)


@kernel.tiny("convdeconv")
def tiny(out: str | None = None, steps: int = 4, resume: bool = False) -> ConvDeconvTrainer:
    """A seconds-long faces run with every term on: feature weights and an EMA."""
    from generators.datasets import make_dataset

    ds = make_dataset("faces", 16, seed=2, workers=1)
    cfg = ConvDeconvConfig(
        domain="faces", mask=False, group_width=8, shared=16, channels=(8, 8, 4, 4, 4)
    )
    opts = ConvDeconvTrainOptions(
        domain="faces",
        steps=steps,
        batch=4,
        lr=3e-3,
        log_every=1,
        progress=False,
        out=out,
        resume=resume,
        sample_every=100,
        feature_weight=8.0,
        ema=0.9,
    )
    return ConvDeconvTrainer(opts, cfg, ds)
