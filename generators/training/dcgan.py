"""holochat's DCGAN trainer: the paper's algorithm, written to keep the device busy.

What makes it fast, against the pytorch/examples-style loop in
``reference_dcgan.py`` (same networks, batch and losses):

- the training images live on the device as one uint8 tensor; a batch is an
  index gather plus normalisation on the device, with no decode or host copy;
- channels_last activations, bf16 autocast on CUDA (never on CPU), fused Adam on
  CUDA (foreach on CPU), cuDNN autotuning;
- the discriminator's weights are frozen during the generator step, so no
  gradients are computed for them there;
- losses are summed on the device and read back every ``log_every`` steps only:
  no host synchronisation in the hot loop;
- optional ``torch.compile`` (off by default; it pays on GPUs for long runs).

Under ``torchrun`` it trains with DistributedDataParallel (see
``distributed.py``): each rank draws its own shard of the data, rank 0 logs,
writes sample sheets and checkpoints; ``--resume`` continues exactly where a
checkpoint left off (noise and batches are functions of the seed, rank and
step, so an interrupted and resumed run equals an uninterrupted one).

Issue #24's options (``DCGANConfig``): with ``ema`` > 0 the trainer keeps an
exponential moving average of G's weights (decay ramped up as
min(ema, (1 + t) / (10 + t))), samples from it, and saves it as the model's
``generator.*`` (its batch-norm statistics re-measured on fixed noise before
every save), so the shipped weights are the average; the raw G goes into the
training state.  ``augment`` applies DiffAugment (``augment.py``) to the real
and generated images before D; ``lr_d`` gives D its own learning rate (two
time-scale update rule); the mapping network learns at ``lr × mapping_lr_mul``.
``TrainOptions.time_limit_s`` stops (checkpointed) after that long.

Output folder:
    config.json, model.safetensors      the (G, D) pair, loadable for sampling (G: the EMA)
    training_state.safetensors          Adam moments (and the raw G with an EMA), for --resume
    trainer.json                        step, seed, options
    train_log.jsonl                     one line per log interval
    samples/step-NNNNNN.png             8×8 sample sheets from a fixed z
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from generators import checkpoint
from generators.errors import WeightsError
from generators.nets.dcgan import (
    ARCH_VERSION,
    AUGMENTS,
    DCGAN,
    DCGANConfig,
    augment_ops,
    build,
    from_uint8,
    to_uint8,
)
from generators.training import distributed, kernel
from generators.training.augment import diff_augment
from generators.training.distributed import Dist, EpochSharder
from generators.training.kernel import TrainingError, seed_of
from generators.training.losses import kl_normal, ns_fake, ns_real, r1_penalty

__all__ = ["DCGANTrainer", "TrainOptions", "TrainingError", "train"]

MODEL_FILE = checkpoint.WEIGHTS_FILE
CONFIG_FILE = checkpoint.CONFIG_FILE
RETRAIN = "holochat train dcgan --out DIR"
SAMPLE_GRID = 8  # sample sheets are SAMPLE_GRID × SAMPLE_GRID


@dataclass
class TrainOptions(kernel.Loop):
    batch: int = 64  # images per step per process
    sample_every: int = 500
    compile: bool = False
    dump_digests: bool = False  # each rank writes out/rank-R.sha256 of its weights
    data: str | None = None  # train on every image of this folder (else studio faces)
    n_images: int = 20000  # studio faces to train on (without ``data``)
    init: str | None = None  # start from these weights: "faces" (shipped) or a folder
    name: str | None = None  # a personal model: saved as the data dir's dcgan-NAME
    lr: float = 2e-4  # Adam learning rate (G; and D unless lr_d)
    beta1: float = 0.5  # Adam β1
    beta2: float = 0.999  # Adam β2
    lr_d: float = 0.0  # D's learning rate (two time-scale update rule; 0: lr)
    r1_gamma: float = 0.0  # R1 penalty γ/2·E‖∇D(x_real)‖² (0: the paper's plain loss)
    r1_every: int = 4  # apply R1 every k discriminator steps, scaled by k (lazy)
    kl_weight: float = 0.08  # VAE: KL (nats per image) × this / pixels beside the MSE
    #                                  (0.08 = a Gaussian pixel likelihood with σ = 0.2)
    rec_weight: float = 300.0  # after the warm-up: G's loss = adversarial + this × VAE loss
    vae_warmup: int = 0  # steps with the VAE loss alone before the GAN losses start
    warmup_lr: float = 1e-3  # Adam learning rate of the warm-up (× 0.3 in its last 30 %)
    mapping_lr_mul: float = 0.1  # the mapping network's learning rate is lr × this
    ema: float = 0.0  # decay of an EMA of G's weights, sampled and shipped (0: none)
    augment: str = ""  # DiffAugment before D, e.g. "color,translation,cutout"
    augment_p: float = 1.0  # probability of each augmentation, per image
    code_noise: float = 0.05  # latent GAN (synthesis "convdeconv"): instance noise on D's codes
    code_reg: float = 0.0  # latent GAN: weight of the code head's vertex penalty
    code_reg_ramp: int = 0  # latent GAN: steps over which that weight grows from 0
    code_vertex: float = 6.0  # latent GAN: the vertices' logit height (booleans: half)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {self.ema}")
        if not 0.0 < self.augment_p <= 1.0:
            raise ValueError(f"augment_p must be in (0, 1], got {self.augment_p}")
        if self.lr_d < 0 or self.mapping_lr_mul <= 0:
            raise ValueError("lr_d must be ≥ 0 and mapping_lr_mul > 0")
        bad = [a for a in augment_ops(self.augment) if a not in AUGMENTS]
        if bad:
            raise ValueError(f"unknown augmentation {bad[0]!r}; choose from {', '.join(AUGMENTS)}")
        if self.vae_warmup < 0 or self.kl_weight < 0 or self.rec_weight < 0 or self.warmup_lr <= 0:
            raise ValueError("vae_warmup, kl_weight and rec_weight must be ≥ 0, warmup_lr > 0")
        if self.r1_gamma < 0:
            raise ValueError(f"r1_gamma must be ≥ 0, got {self.r1_gamma}")
        if self.r1_every < 1:
            raise ValueError(f"r1_every must be positive, got {self.r1_every}")


# ---------------------------------------------------------------------------
# the trainer


class DCGANTrainer(kernel.Trainer):
    """The pair (and encoder), their batches and losses on the kernel."""

    name, code_version = "dcgan", ARCH_VERSION
    module_cls, config_cls = DCGAN, DCGANConfig
    retrain, terms = RETRAIN, ("loss_d", "loss_g", "loss_vae")

    def __init__(
        self,
        cfg: DCGANConfig,
        images: np.ndarray | torch.Tensor,
        opts: TrainOptions,
        dist: Dist | None = None,
        *,
        recipe: dict[str, Any] | None = None,
    ):
        super().__init__(opts, dist=dist, recipe=recipe)
        self.cfg, self.opts = cfg, opts
        dev = self.device
        if self.cuda:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        if opts.vae_warmup and not cfg.encoder:
            raise TrainingError(
                "vae_warmup needs a config with the encoder (the warm-up trains it)"
            )
        images = torch.as_tensor(images)
        _check_images(images, cfg)
        self.images = images.to(dev)  # N×S×S×C uint8
        self.sharder = EpochSharder(len(images), opts.batch, self.dist, opts.seed, dev)

        self.pair: DCGAN = build(cfg, seed=opts.seed)
        self.module = self.pair
        self.netG, self.netD = self.pair.generator, self.pair.discriminator
        self.netE = self.pair.encoder  # None without cfg.encoder
        cl = torch.channels_last
        self.netG.to(dev, memory_format=cl)  # type: ignore[call-overload]
        self.netD.to(dev, memory_format=cl)  # type: ignore[call-overload]
        self.G = self.dist.wrap(self.netG)  # DDP when distributed
        self.D = self.dist.wrap(self.netD)
        self.E = None
        if self.netE is not None:
            self.netE.to(dev, memory_format=cl)  # type: ignore[call-overload]
            self.E = self.dist.wrap(self.netE)
        self.D_frozen: torch.nn.Module = self.netD  # G step: no DDP, no D grads
        if opts.compile:
            self.G = cast(torch.nn.Module, torch.compile(self.G))
            self.D = cast(torch.nn.Module, torch.compile(self.D))
            self.D_frozen = cast(torch.nn.Module, torch.compile(self.netD))
        g_params = [p for n, p in self.netG.named_parameters() if not n.startswith("mapping.")]
        if self.netE is not None:  # G and E learn together
            g_params += list(self.netE.parameters())
        # the EMA of G's weights (sampled and shipped), never trained directly; its
        # batch-norm statistics are re-measured before use (recalibrate_ema)
        self.start_training(g_params, copy_buffers=False, augment=augment_ops(opts.augment))

    def release_ddp(self) -> None:
        """Drop the DistributedDataParallel wrappers (the plain networks stay),
        so the process group they hold can be destroyed before exit."""
        import gc

        self.G, self.D = self.netG, self.netD
        if self.netE is not None:
            self.E = self.netE
        gc.collect()

    def start_training(
        self, g_params: list[torch.nn.Parameter], *, copy_buffers: bool, augment: list[str]
    ) -> None:
        """The optimisers (G's ``g_params`` at the base rate, its mapping network's
        at ``mapping_lr_mul`` of it; D at ``lr_d``), the EMA of G, the seeded noise
        sources and the fixed sample latents: what every DCGAN trainer sets up once
        its networks are built."""
        opts, cfg, dev = self.opts, self.cfg, self.device
        betas = (opts.beta1, opts.beta2)
        mapping = [p for n, p in self.netG.named_parameters() if n.startswith("mapping.")]
        groups: list[dict[str, Any]] = [{"params": g_params, "lr_mul": 1.0}]
        if mapping:  # the mapping's slower rate
            groups.append({"params": mapping, "lr_mul": opts.mapping_lr_mul})
        for g in groups:
            g["lr"] = opts.lr * g["lr_mul"]
        self.optG = self.add_optimizer("G", groups, lr=opts.lr, betas=betas)
        self.optD = self.add_optimizer(
            "D", self.netD.parameters(), lr=opts.lr_d or opts.lr, betas=betas
        )
        self.start_ema(opts.ema, ramp=True, copy_buffers=copy_buffers)
        self.augment = augment
        self.aug_noise = torch.Generator(dev)
        self.noise = torch.Generator(dev)
        self.pixels = cfg.channels * cfg.image_size**2
        self.last_vae = 0.0
        self.fixed_z = torch.randn(
            SAMPLE_GRID**2, cfg.z_dim, generator=torch.Generator().manual_seed(opts.seed + 1)
        )

    @property
    def G_ema(self) -> torch.nn.Module | None:
        return self.ema.shadow if self.ema is not None else None

    def ema_target(self) -> tuple[str, torch.nn.Module]:
        return "generator", self.netG

    def same_architecture(self, cfg: DCGANConfig) -> bool:
        return cfg.to_dict() == self.cfg.to_dict()

    def batch(self, index: int) -> torch.Tensor:
        idx = self.sharder.indices(index)  # B, on device
        real = from_uint8(self.images.index_select(0, idx))  # B×C×S×S in [-1, 1]
        return real.contiguous(memory_format=torch.channels_last)

    def batch_noise(self, step: int) -> torch.Tensor:
        self.noise.manual_seed(seed_of(self.opts.seed, self.dist.rank, step))
        return torch.randn(
            self.opts.batch, self.cfg.z_dim, 1, 1, device=self.device, generator=self.noise
        )  # B×z×1×1

    def lr_at(self, step: int) -> float:
        """The generator's learning rate at ``step``: ``warmup_lr`` during the VAE
        warm-up (× 0.3 in its last 30 %), then ``lr``."""
        w = self.opts.vae_warmup if self.netE is not None else 0
        if step >= w:
            return self.opts.lr
        return self.opts.warmup_lr * (0.3 if step >= int(0.7 * w) else 1.0)

    def lr(self, step: int, clock: float | None) -> dict[str, float]:
        return {"G": self.lr_at(step)}

    def posterior(self, real: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(z drawn from q(z|x) by the reparameterisation, B×z×1×1; KL(q ‖ N(0, I))
        in nats per image, averaged over the batch) for the real batch."""
        assert self.E is not None
        mu, logvar = self.E(real)
        mu, logvar = mu.float(), logvar.float()
        self.noise.manual_seed(seed_of(self.opts.seed + 1, self.dist.rank, step))
        eps = torch.randn(mu.shape, device=self.device, generator=self.noise)
        z = mu + eps * (0.5 * logvar).exp()
        return z[:, :, None, None], kl_normal(mu, logvar)

    def vae_loss(self, recon: torch.Tensor, real: torch.Tensor, kl: torch.Tensor) -> torch.Tensor:
        """Squared error per pixel plus ``kl_weight`` × the KL term per pixel."""
        mse = (recon.float() - real.float()).pow(2).mean()
        return mse + self.opts.kl_weight * kl / self.pixels

    def losses(self, real: torch.Tensor, step: int) -> kernel.Losses:
        """One discriminator and one generator update; during the VAE warm-up,
        one update of the encoder and generator."""
        vae = self.E is not None
        if vae and step < self.opts.vae_warmup:
            with self.autocast():
                z_post, kl = self.posterior(real, step)
                loss_vae = self.vae_loss(self.G(z_post), real, kl)
            yield "G", loss_vae
            return {"loss_vae": loss_vae}
        z = self.batch_noise(step)
        b = len(z)

        # D: maximise log D(x) + log(1 − D(G(z))) [+ lazy R1 on the real images]
        r1 = self.opts.r1_gamma > 0 and step % self.opts.r1_every == 0
        with self.autocast():
            if vae:  # one generator pass renders the prior samples and the reconstructions
                z_post, kl = self.posterior(real, step)
                both = self.G(torch.cat([z, z_post.to(z.dtype)]))
                fake, recon = both[:b], both[b:]
            else:
                fake = self.G(z)  # B×C×S×S
        if r1:
            real = real.detach().requires_grad_(True)
        with self.autocast():
            d_real = self.D(self.aug(real, step, 0))  # B logits
            d_fake = self.D(self.aug(fake.detach(), step, 1))
        loss_d = ns_real(d_real) + ns_fake(d_fake)
        if r1:
            o = self.opts
            loss_d = loss_d + 0.5 * o.r1_gamma * o.r1_every * r1_penalty(d_real, real)
        yield "D", loss_d

        # G: maximise log D(G(z)) (the non-saturating loss), D's weights frozen;
        # VAE-GAN: plus rec_weight × the VAE loss, which keeps the encoder's layout
        self.netD.requires_grad_(False)
        with self.autocast():
            d_gen = self.D_frozen(self.aug(fake, step, 2))
        loss_g = ns_real(d_gen)
        loss_vae = loss_g.detach().new_zeros(())
        total = loss_g
        if vae:
            loss_vae = self.vae_loss(recon, real.detach(), kl)
            total = loss_g + self.opts.rec_weight * loss_vae
        yield "G", total
        self.netD.requires_grad_(True)
        return {"loss_d": loss_d, "loss_g": loss_g, "loss_vae": loss_vae}

    def aug(self, x: torch.Tensor, step: int, which: int) -> torch.Tensor:
        """DiffAugment of a batch before D (``opts.augment``; the identity without
        it); the draws are a function of (seed, rank, step, which)."""
        if not self.augment:
            return x
        self.aug_noise.manual_seed(seed_of(self.opts.seed + 2 + which, self.dist.rank, step))
        return diff_augment(x, self.augment, self.aug_noise, self.opts.augment_p)

    def update_ema(self, step: int) -> None:
        """G_ema ← decay · G_ema + (1 − decay) · G, decay = min(ema, (1+t)/(10+t))."""
        if self.ema is not None:
            self.ema.update(self.netG, step)

    @torch.no_grad()
    def recalibrate_ema(self, batches: int = 4) -> None:
        """Re-measure the EMA generator's batch-norm statistics on fixed noise
        (its weights are not the raw G's, whose running statistics they would
        otherwise borrow)."""
        G_ema = self.G_ema
        if G_ema is None:
            return
        norms = [m for m in G_ema.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        saved = [m.momentum for m in norms]
        gen = torch.Generator(self.device).manual_seed(self.opts.seed + 5)
        b = max(2, min(self.opts.batch, 256))
        try:
            for m in norms:
                m.momentum = None  # a cumulative average
                m.reset_running_stats()
            G_ema.train()
            for _ in range(batches):
                z = torch.randn(b, self.cfg.z_dim, device=self.device, generator=gen)
                with self.autocast():
                    G_ema(z)
        finally:
            for m, mom in zip(norms, saved):
                m.momentum = mom
            G_ema.eval()

    def before_ship(self) -> None:
        self.recalibrate_ema()

    def read_losses(self) -> tuple[float, float]:
        """Mean (loss_D, loss_G) since the last read, over all ranks (one sync);
        the VAE loss of the same steps is kept in ``last_vae``."""
        terms = self.read_terms()
        self.last_vae = terms.get("loss_vae", 0.0)
        return terms.get("loss_d", 0.0), terms.get("loss_g", 0.0)

    def record(self, rec: dict[str, Any]) -> dict[str, Any]:
        self.last_vae = rec.get("loss_vae", 0.0)
        out = {
            "step": rec["step"],
            "loss_d": rec["loss_d"],
            "loss_g": rec["loss_g"],
            "images_per_s": rec["images_per_s"],
        }
        if self.netE is not None:
            out["loss_vae"] = rec["loss_vae"]
        return out

    def describe(self, rec: dict[str, Any]) -> str:
        return f"D {rec['loss_d']:.3f}  G {rec['loss_g']:.3f}  {rec['images_per_s']:.0f} img/s"

    @torch.no_grad()
    def samples(self, z: torch.Tensor) -> np.ndarray:
        """Images G(z) in eval mode (running statistics), B×S×S×C uint8; from
        the EMA generator when there is one."""
        if self.G_ema is not None:
            self.recalibrate_ema()
            with self.autocast():
                return to_uint8(self.G_ema(z.to(self.device))).cpu().numpy()
        was = self.netG.training
        self.netG.eval()
        try:
            with self.autocast():
                out = self.netG(z.to(self.device))
            return to_uint8(out).cpu().numpy()
        finally:
            self.netG.train(was)

    def sheet(self) -> kernel.Sheet:
        images = self.samples(self.fixed_z)
        return kernel.Sheet(list(images), min(SAMPLE_GRID, len(images)))

    def init_from(self, path: Path) -> None:
        _, tensors = read_model(path)
        load_weights(self.pair, tensors)

    def weights_digest(self) -> str:
        """SHA-256 over every parameter and buffer of G and D (for cross-rank checks)."""
        h = hashlib.sha256()
        for name, t in sorted(self.pair.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()


def _check_images(images: torch.Tensor, cfg: DCGANConfig) -> None:
    want = (cfg.image_size, cfg.image_size, cfg.channels)
    if images.dtype != torch.uint8 or images.dim() != 4 or tuple(images.shape[1:]) != want:
        raise TrainingError(
            f"training images must be uint8 N×{want[0]}×{want[1]}×{want[2]}, "
            f"got {images.dtype} {tuple(images.shape)}"
        )
    if len(images) == 0:
        raise TrainingError("no training images")


# ---------------------------------------------------------------------------
# files


def save_model(out: Path, pair: DCGAN, step: int) -> None:
    """``config.json`` + ``model.safetensors`` (generator.* and discriminator.*)."""
    checkpoint.save_pretrained(
        pair, pair.cfg, out, model_name="dcgan", code_version=ARCH_VERSION, extra={"step": step}
    )


def read_config(folder: Path) -> DCGANConfig:
    """The DCGANConfig of a checkpoint folder (clear error if it is not one)."""
    try:
        meta = checkpoint.read_config(folder)
    except WeightsError as e:
        raise TrainingError(f"{e}; is {folder} a DCGAN checkpoint?") from None
    if meta.get("model") != "dcgan":
        raise TrainingError(f"{folder} holds {meta.get('model')!r} weights, not a DCGAN")
    if meta.get("code_version") != ARCH_VERSION:
        raise TrainingError(
            f"{folder} is DCGAN code version {meta.get('code_version')}; this "
            f"code reads version {ARCH_VERSION} (retrain with `{RETRAIN}`)"
        )
    try:
        return DCGANConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise TrainingError(f"{folder / CONFIG_FILE}: {e}") from None


def read_model(folder: Path) -> tuple[DCGANConfig, dict[str, torch.Tensor]]:
    """(config, every tensor of the pair) of a checkpoint folder."""
    cfg = read_config(folder)
    try:
        pair = checkpoint.from_pretrained(
            DCGAN,
            DCGANConfig,
            folder,
            model_name="dcgan",
            code_version=ARCH_VERSION,
            retrain_hint=RETRAIN,
        )
    except WeightsError as e:
        raise TrainingError(str(e)) from None
    return cfg, {k: v.detach().clone() for k, v in pair.state_dict().items()}


def load_weights(pair: DCGAN, tensors: dict[str, torch.Tensor]) -> None:
    """Load a pair's tensors; clear error when they do not fit."""
    try:
        pair.load_state_dict(tensors)
    except RuntimeError as e:
        raise TrainingError(f"the weights do not fit this DCGAN: {e}") from None


def has_checkpoint(out: Path) -> bool:
    return kernel.has_checkpoint(out)


# ---------------------------------------------------------------------------
# data and starting points


def load_images(
    data: str | Path | None = None, *, n_images: int = 20000, seed: int = 0, size: int = 64
) -> np.ndarray:
    """Training images, uint8 N×size×size×3: every image in the folder ``data``
    (any folder of pictures, e.g. one person's photos), else ``n_images``
    studio faces (rendered once, then cached)."""
    if data is not None:
        from generators.loaders import load_image_folder

        return load_image_folder(data, size=size).images
    from generators.datasets import cached_dataset

    return cached_dataset("faces", n_images, seed, size, "train").images


def shipped_dir(domain: str = "faces") -> Path:
    """Where the package's shipped DCGAN weights for ``domain`` live."""
    import generators

    return Path(generators.__file__).resolve().parent / "weights" / f"dcgan-{domain}"


def resolve_from(source: str | Path) -> Path:
    """``--from``: "faces" (the shipped weights) or a checkpoint folder."""
    folder = Path(source)
    if not folder.is_dir() and str(source) == "faces":
        folder = shipped_dir("faces")
        if not (folder / MODEL_FILE).exists():
            raise TrainingError(
                "no shipped DCGAN weights for faces in this build; train them "
                "with `holochat train dcgan --out DIR`, or pass a checkpoint "
                "folder to --from"
            )
    if not (folder / CONFIG_FILE).exists() or not (folder / MODEL_FILE).exists():
        raise TrainingError(
            f"--from {source}: not a DCGAN checkpoint folder "
            f"(needs {CONFIG_FILE} and {MODEL_FILE}), and not 'faces'"
        )
    return folder


# ---------------------------------------------------------------------------
# the loop


def train(
    cfg: DCGANConfig,
    images: np.ndarray | torch.Tensor | Callable[[], Any],
    opts: TrainOptions,
    *,
    dist: Dist | None = None,
    init_from: Path | None = None,
    on_log: Callable[[dict], None] | None = None,
    recipe: dict[str, Any] | None = None,
) -> DCGANTrainer:
    """Train (or resume) to ``opts.steps``; returns the trainer.

    ``images`` is a uint8 N×S×S×3 array, or a function returning one (called
    with rank 0 first, so a cache is built once). ``init_from`` starts from
    another checkpoint's weights with fresh optimizers (fine-tuning).
    """
    dist = dist or distributed.init(opts.device)
    out = Path(opts.out) if opts.out else None
    if out and not opts.resume and has_checkpoint(out):
        raise TrainingError(
            f"{out} already holds a DCGAN checkpoint; pass --resume to "
            "continue it, or choose another --out"
        )
    if callable(images):
        with dist.rank0_first():
            images = images()
    data = cast(np.ndarray | torch.Tensor, getattr(images, "images", images))  # None: codes
    if cfg.synthesis == "convdeconv":  # stage 1 of the latent GAN: real codes, not images
        from generators.training.latent_gan import LatentGANTrainer

        trainer: DCGANTrainer = LatentGANTrainer(cfg, None, opts, dist, recipe=recipe)
    else:
        trainer = DCGANTrainer(cfg, data, opts, dist, recipe=recipe)
    resumed = kernel.prepare(trainer, init=init_from)
    start = trainer.step_count
    note = trainer.note
    if resumed:
        note(f"resuming {out} at step {start} of {opts.steps}")
    elif out and opts.resume:
        note(f"no checkpoint in {out} yet; starting from step 0")
    if start >= opts.steps:
        note(f"nothing to do: the checkpoint is already at step {start}")
        return trainer
    kernel.fit(trainer, on_log=on_log)
    if out and opts.dump_digests:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"rank-{dist.rank}.sha256").write_text(trainer.weights_digest() + "\n")
    return trainer


# ---------------------------------------------------------------------------
# throughput (used by ``holochat bench``)


def measure_throughput(
    cfg: DCGANConfig,
    images: np.ndarray,
    *,
    batch: int,
    steps: int,
    warmup: int = 2,
    device: str = "cpu",
    compile: bool = False,
) -> dict[str, float]:
    """Images per second of ``DCGANTrainer.step`` over ``steps`` timed steps
    (after ``warmup`` untimed ones; synchronises only around the timed block)."""
    opts = TrainOptions(
        steps=warmup + steps, batch=batch, device=device, compile=compile, progress=False
    )
    trainer = DCGANTrainer(cfg, images, opts, Dist(device=torch.device(device)))
    return kernel.measure(trainer, steps=steps, warmup=warmup)


def step_flops(cfg: DCGANConfig, batch: int) -> float:
    """FLOPs of one training step at ``batch`` (both updates, forward + backward).

    Counted with ``FlopCounterMode`` on one eager CPU step at batch 2 and scaled:
    every op in the step is linear in the batch.
    """
    from torch.utils.flop_counter import FlopCounterMode

    small = 2
    rng = np.random.default_rng(0)
    images = rng.integers(
        0, 256, (small, cfg.image_size, cfg.image_size, cfg.channels), dtype=np.uint8
    )
    trainer = DCGANTrainer(cfg, images, TrainOptions(steps=1, batch=small, progress=False))
    counter = FlopCounterMode(display=False)
    with counter:
        trainer.step()
    return float(counter.get_total_flops()) * batch / small


# ---------------------------------------------------------------------------
# recipes


RECIPE_CLASSES = (DCGANConfig, TrainOptions)


def train_settings(cfg: DCGANConfig, opts: TrainOptions, recipe: dict[str, Any]) -> DCGANTrainer:
    """Train with these settings (under torchrun, on every rank)."""
    if opts.name:
        from generators.dcgan_gen import personal_dir
        from generators.errors import GeneratorError

        try:
            opts.out = str(personal_dir(opts.name))
        except GeneratorError as e:
            raise TrainingError(str(e)) from None
    if cfg.synthesis == "convdeconv" and opts.data:
        raise TrainingError(
            'this recipe trains the latent GAN (synthesis "convdeconv"), which learns '
            "from studio codes, not pictures; to train a DCGAN on the pictures in "
            f"{opts.data}, add --set synthesis=dcgan"
        )
    init_from = resolve_from(opts.init) if opts.init else None
    dist = distributed.init(opts.device)
    ok = False
    trainer: DCGANTrainer | None = None
    try:
        trainer = train(
            cfg,
            (lambda: None)
            if cfg.synthesis == "convdeconv"
            else lambda: load_images(
                opts.data, n_images=opts.n_images, seed=opts.seed, size=cfg.image_size
            ),
            opts,
            dist=dist,
            init_from=init_from,
            recipe=recipe,
        )
        ok = True
    finally:
        # tear the process group down before the interpreter exits: gloo's
        # threads otherwise abort the process now and then.  The DDP wrappers
        # hold the group, so they go first
        if trainer is not None:
            trainer.release_ddp()
        dist.close(barrier=ok)
    assert trainer is not None
    if opts.name:
        trainer.note(
            f"Saved the personal DCGAN '{opts.name}' in {opts.out}.\n"
            f"Use it with: holochat --generator dcgan:{opts.name}\n"
            f"Fit its attribute directions with: holochat train directions "
            f"--weights {opts.out}"
        )
    return trainer


@kernel.tiny("dcgan")
def tiny(out: str | None = None, steps: int = 4, resume: bool = False) -> DCGANTrainer:
    """A seconds-long DCGAN with every option of issue #24 on (R1 each step)."""
    images = np.random.default_rng(0).integers(0, 256, (16, 64, 64, 3), dtype=np.uint8)
    cfg = DCGANConfig(ngf=4, ndf=4, mapping=2, style=True, mbstd_group=2, upsample="bilinear")
    opts = TrainOptions(
        steps=steps,
        batch=4,
        log_every=1,
        sample_every=100,
        progress=False,
        out=out,
        resume=resume,
        ema=0.9,
        augment="color,translation,cutout",
        lr_d=4e-4,
        r1_gamma=1.0,
        r1_every=1,
    )
    return DCGANTrainer(cfg, images, opts)
