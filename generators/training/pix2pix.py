"""Training loop of pix2pix (networks in ``nets/pix2pix.py``): studio sketch → studio picture.

Per step, for a batch of (sketch s, picture y) pairs:

    D loss = ½ [softplus(−D(s, y)) + softplus(D(s, G(s)))]
    G loss = gan_weight · softplus(−D(s, G(s))) + l1_weight · |G(s) − y|₁

(the paper's conditional GAN + L1, λ = 100).  ``gan_weight = 0`` is the
L1-only baseline: the same U-Net, D idle.  ``r1_gamma``: optional R1 penalty
on D at real pairs (``training/dcgan.r1_penalty``), lazily every ``r1_every``
steps.

Data: ``sketch_dataset`` (a ``cached_dataset`` of studio renders of training
identities / styles, and ``variants`` random sketches of each, cached beside
it), resident on the device as uint8; each step picks pictures, one of their
sketches and a horizontal flip of the pair, from a generator seeded by
(seed, step), and seeds the dropout the same way, so the run is a pure
function of the seed: resuming from ``training_state.safetensors`` continues
exactly as an uninterrupted run.  Losses are summed on the device and read
every ``log_every`` steps only; bf16 autocast, cudnn benchmark and fused Adam
on CUDA only.  Sample sheets (sketch / output / studio rows) every
``sample_every`` steps; ``time_limit_s`` stops early, checkpointed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generators import checkpoint
from generators.errors import WeightsError
from generators.nets.dcgan import from_uint8, to_uint8
from generators.nets.pix2pix import ARCH_VERSION, Pix2Pix, Pix2PixConfig, build, sketch_input
from generators.training import kernel
from generators.training.kernel import Losses, Sheet, TrainingError, linear_decay, seed_of
from generators.training.losses import ns_fake, ns_real, r1_penalty

__all__ = [
    "Pix2PixTrainOptions",
    "Pix2PixTrainer",
    "TrainingError",
    "load_pix2pix",
    "train_pix2pix",
]

MODEL_NAME = "pix2pix"
TERMS = ("loss_d", "d_real", "d_fake", "loss_g", "g_adv", "l1")


def retrain_hint(domain: str = "faces") -> str:
    return f"holochat train pix2pix --recipe {domain} --out DIR"


@dataclass
class Pix2PixTrainOptions(kernel.Loop):
    domain: str = "faces"
    steps: int = 20000
    batch: int = 16
    n_train: int = 10000  # studio training pictures
    images_per_seed: int = 20  # renders per identity / style
    variants: int = 1  # random sketches per picture
    gan_weight: float = 1.0  # 0: the L1-only baseline
    l1_weight: float = 100.0  # λ
    flip: bool = True  # random horizontal flips of the pair
    decay_from: int | None = None  # from this step both lrs fall linearly to 0 at ``steps``
    r1_gamma: float = 0.0
    r1_every: int = 4
    workers: int | None = None  # processes that draw the sketches (None: 2, or 8 on CUDA)
    lr: float = 2e-4  # Adam, both networks
    beta1: float = 0.5
    beta2: float = 0.999


@dataclass
class Pix2PixData:
    sketches: torch.Tensor  # N×V×64×64 uint8 (255 paper)
    images: torch.Tensor  # N×64×64×3 uint8

    def __len__(self) -> int:
        return len(self.images)


def load_data(opts: Pix2PixTrainOptions, cache_dir_=None) -> Pix2PixData:
    """The training pairs of ``opts`` (built once and cached), on the device."""
    from generators.studio.sketch import sketch_dataset

    workers = opts.workers
    if workers is None and opts.device.startswith("cuda"):
        workers = min(8, os.cpu_count() or 1)
    ds, sk = sketch_dataset(
        opts.domain,
        opts.n_train,
        opts.seed,
        "train",
        per_seed=opts.images_per_seed,
        variants=opts.variants,
        cache_dir_=cache_dir_,
        workers=workers,
    )
    return to_device(sk, ds.images, opts.device)


def to_device(sketches: np.ndarray, images: np.ndarray, device: str) -> Pix2PixData:
    sk = np.asarray(sketches)
    if sk.ndim == 3:
        sk = sk[:, None]
    return Pix2PixData(
        torch.from_numpy(np.ascontiguousarray(sk)).to(device),
        torch.from_numpy(np.ascontiguousarray(images)).to(device),
    )


class Pix2PixTrainer(kernel.Trainer):
    """The U-Net and PatchGAN, their batches and losses on the kernel."""

    name, code_version = MODEL_NAME, ARCH_VERSION
    module_cls, config_cls = Pix2Pix, Pix2PixConfig
    terms = TERMS

    def __init__(
        self,
        cfg: Pix2PixConfig,
        data: Pix2PixData,
        opts: Pix2PixTrainOptions,
        recipe: dict[str, Any] | None = None,
    ):
        super().__init__(opts, recipe=recipe, cfg=cfg)
        self.data, self.opts = data, opts
        self.retrain = retrain_hint(cfg.domain)
        self.add_gan(build(cfg, seed=opts.seed), lr=opts.lr, betas=(opts.beta1, opts.beta2))
        self.rng = torch.Generator(self.device)

    def label(self) -> str:
        return f"pix2pix {self.opts.domain}" + (" (L1 only)" if self.opts.gan_weight <= 0 else "")

    def lr(self, step: int, clock: float | None) -> dict[str, float]:
        lr = linear_decay(step, self.opts.lr, self.opts.steps, self.opts.decay_from)
        return {"D": lr, "G": lr}

    def batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(B×1×64² sketches, B×3×64² pictures) in [-1, 1]: a pure function of (seed, step)."""
        d, B, g = self.data, self.opts.batch, self.rng
        g.manual_seed(seed_of("pix2pix", self.opts.seed, index))
        n, V = d.sketches.shape[:2]
        idx = torch.randint(n, (B,), generator=g, device=self.device)
        var = torch.randint(V, (B,), generator=g, device=self.device)
        s = sketch_input(d.sketches[idx, var])  # B×1×64×64
        y = from_uint8(d.images.index_select(0, idx))  # B×3×64×64
        if self.opts.flip:
            f = (torch.rand(B, generator=g, device=self.device) < 0.5).view(B, 1, 1, 1)
            s, y = torch.where(f, s.flip(3), s), torch.where(f, y.flip(3), y)
        return s, y

    def losses(self, batch: tuple[torch.Tensor, torch.Tensor], step: int) -> Losses:
        """One D and one G update (D idle in the L1-only baseline)."""
        o = self.opts
        s, real = batch
        torch.manual_seed(seed_of("pix2pix", o.seed + 1, step))  # the dropout of this step
        with self.autocast():
            fake = self.G(s)  # B×3×64×64
        terms: dict[str, torch.Tensor] = {}
        g_adv = None
        if o.gan_weight > 0:
            r1 = o.r1_gamma > 0 and step % o.r1_every == 0
            if r1:
                real.requires_grad_(True)
            with self.autocast():
                d_real = self.D(s, real)  # B×1×14×14
                d_fake = self.D(s, fake.detach())
            l_real, l_fake = ns_real(d_real), ns_fake(d_fake)
            loss_d = 0.5 * (l_real + l_fake)
            if r1:
                loss_d = loss_d + 0.5 * o.r1_gamma * o.r1_every * r1_penalty(d_real, real)
                real = real.detach()
            yield "D", loss_d
            self.D.requires_grad_(False)
            with self.autocast():
                g_adv = ns_real(self.D(s, fake))
            terms.update(loss_d=loss_d, d_real=l_real, d_fake=l_fake, g_adv=g_adv)
        l1 = (fake.float() - real).abs().mean()
        loss_g = o.l1_weight * l1 + (o.gan_weight * g_adv if g_adv is not None else 0.0)
        yield "G", loss_g
        self.D.requires_grad_(True)
        terms.update(loss_g=loss_g, l1=l1)
        return terms

    def describe(self, rec: dict[str, Any]) -> str:
        return f"D {rec['loss_d']:.3f} G {rec['g_adv']:.3f} L1 {rec['l1']:.3f}"

    @torch.no_grad()
    def samples(self, sketches: torch.Tensor) -> np.ndarray:
        """G in eval mode on B×64×64 uint8 sketches: B×64×64×3 uint8."""
        was = self.G.training
        self.G.eval()
        try:
            return to_uint8(self.G(sketch_input(sketches.to(self.device)))).cpu().numpy()
        finally:
            self.G.train(was)

    def sheet(self) -> Sheet:
        """Rows: sketches, outputs, studio pictures, one column per pair."""
        n = min(8, len(self.data))
        sk = self.data.sketches[:n, 0].cpu()
        rows = [np.repeat(np.asarray(x)[..., None], 3, 2) for x in sk.numpy()]
        truth = self.data.images[:n].cpu().numpy()
        return Sheet(rows + list(self.samples(sk)) + list(truth), n, 2)


def has_checkpoint(out: Path) -> bool:
    return kernel.has_checkpoint(out)


# ---------------------------------------------------------------------------
# the loop


def train_pix2pix(
    opts: Pix2PixTrainOptions,
    cfg: Pix2PixConfig | None = None,
    data: Pix2PixData | None = None,
    *,
    recipe: dict[str, Any] | None = None,
    on_log: Callable[[dict], None] | None = None,
) -> Pix2PixTrainer:
    """Train the pair (or resume it) up to ``opts.steps``; returns the trainer (its ``log``
    holds one record per log interval)."""
    cfg = cfg or Pix2PixConfig(domain=opts.domain)
    out = Path(opts.out) if opts.out else None
    if out and not opts.resume and has_checkpoint(out):
        raise TrainingError(
            f"{out} already holds a pix2pix checkpoint; pass --resume to "
            "continue it, or choose another --out"
        )
    if data is None:
        data = load_data(opts)
    trainer = Pix2PixTrainer(cfg, data, opts, recipe=recipe)
    kernel.run(trainer, on_log=on_log)
    return trainer


def load_pix2pix(path: str | os.PathLike, device: str = "cpu") -> Pix2Pix:
    """The (generator, discriminator) pair saved in ``path``, in eval mode."""
    try:
        cfg = checkpoint.read_config(path).get("config", {})
    except WeightsError:
        cfg = {}  # from_pretrained says what is missing
    return checkpoint.from_pretrained(
        Pix2Pix,
        Pix2PixConfig,
        path,
        model_name=MODEL_NAME,
        code_version=ARCH_VERSION,
        retrain_hint=retrain_hint(cfg.get("domain", "faces")),
        device=device,
    )


RECIPE_CLASSES = (Pix2PixConfig, Pix2PixTrainOptions)


def train_settings(
    cfg: Pix2PixConfig, opts: Pix2PixTrainOptions, recipe: dict[str, Any]
) -> Pix2PixTrainer:
    return train_pix2pix(opts, cfg, recipe=recipe)


@kernel.tiny("pix2pix")
def tiny(out: str | None = None, steps: int = 4, resume: bool = False) -> Pix2PixTrainer:
    """A seconds-long pix2pix on eight synthetic (bar sketch, picture) pairs."""
    rng = np.random.default_rng(0)
    sk = np.full((8, 2, 64, 64), 255, np.uint8)
    img = rng.integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    for i in range(8):  # a sketch that tells the pictures apart
        sk[i, :, 8 + 5 * i : 12 + 5 * i, 10:50] = 0
        img[i, 8 + 5 * i : 12 + 5 * i] = 0
    opts = Pix2PixTrainOptions(
        steps=steps,
        batch=4,
        progress=False,
        sample_every=100,
        log_every=1,
        out=out,
        resume=resume,
        r1_gamma=1.0,
        r1_every=2,
    )
    return Pix2PixTrainer(Pix2PixConfig(ngf=8, ndf=8), to_device(sk, img, "cpu"), opts)
