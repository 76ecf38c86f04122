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

import contextlib
import copy
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from generators import checkpoint
from generators.errors import WeightsError
from generators.files import save_png, write_bytes_atomic
from generators.nets.dcgan import (ARCH_VERSION, DCGAN, DCGANConfig, augment_ops, build,
                                   from_uint8, to_uint8)
from generators.training.augment import diff_augment
from generators.training.distributed import Dist, EpochSharder
from generators.studio.sheets import grid
from generators.training import distributed

MODEL_FILE = checkpoint.WEIGHTS_FILE
CONFIG_FILE = checkpoint.CONFIG_FILE
STATE_FILE = "training_state.safetensors"
TRAINER_FILE = "trainer.json"
LOG_FILE = "train_log.jsonl"
RAW_G = "rawG"                       # prefix of the raw G's tensors in the training state
SAMPLE_GRID = 8                      # sample sheets are SAMPLE_GRID × SAMPLE_GRID


def r1_penalty(d_real: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mescheder et al.'s (2018) R1 term E‖∇ₓD(x)‖² at the real images ``real``
    (created with ``requires_grad``), from their logits ``d_real``; differentiable."""
    (grad,) = torch.autograd.grad(d_real.float().sum(), real, create_graph=True)
    return grad.float().pow(2).flatten(1).sum(1).mean()


class TrainingError(RuntimeError):
    """A training run that cannot start or continue; the message says why."""


@dataclass
class TrainOptions:
    steps: int = 1000                # total optimizer steps (a resumed run continues to it)
    batch: int = 64                  # images per step per process
    seed: int = 0
    device: str = "cpu"
    out: str | None = None           # output folder (None: train without saving)
    resume: bool = False
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 1000
    compile: bool = False
    progress: bool = True
    dump_digests: bool = False       # each rank writes out/rank-R.sha256 of its weights
    time_limit_s: float | None = None  # stop (checkpointed) after this many seconds of training


# ---------------------------------------------------------------------------
# the trainer


class DCGANTrainer:
    """Builds the pair, optimizers and data on the device; ``step()`` is the hot loop."""

    def __init__(self, cfg: DCGANConfig, images: np.ndarray | torch.Tensor,
                 opts: TrainOptions, dist: Dist | None = None):
        self.cfg, self.opts = cfg, opts
        self.dist = dist or Dist(device=torch.device(opts.device))
        dev = self.device = self.dist.device
        self.cuda = dev.type == "cuda"
        if self.cuda:
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        images = torch.as_tensor(images)
        _check_images(images, cfg)
        self.images = images.to(dev)                               # N×S×S×C uint8
        self.sharder = EpochSharder(len(images), opts.batch, self.dist, opts.seed, dev)

        self.pair = build(cfg, seed=opts.seed)
        self.netG, self.netD = self.pair.generator, self.pair.discriminator
        self.netE = self.pair.encoder                              # None without cfg.encoder
        cl = torch.channels_last
        self.netG.to(dev, memory_format=cl)
        self.netD.to(dev, memory_format=cl)
        self.G = self.dist.wrap(self.netG)                        # DDP when distributed
        self.D = self.dist.wrap(self.netD)
        self.E = None
        if self.netE is not None:
            self.netE.to(dev, memory_format=cl)
            self.E = self.dist.wrap(self.netE)
        self.D_frozen: torch.nn.Module = self.netD                 # G step: no DDP, no D grads
        if opts.compile:
            self.G, self.D = torch.compile(self.G), torch.compile(self.D)
            self.D_frozen = torch.compile(self.netD)
        kw: dict[str, Any] = {"fused": True} if self.cuda else {"foreach": True}
        betas = (cfg.beta1, cfg.beta2)
        mapping = [p for n, p in self.netG.named_parameters() if n.startswith("mapping.")]
        g_params = [p for n, p in self.netG.named_parameters() if not n.startswith("mapping.")]
        if self.netE is not None:                                  # G and E learn together
            g_params += list(self.netE.parameters())
        groups = [{"params": g_params, "lr_mul": 1.0}]
        if mapping:                                                # the mapping's slower rate
            groups.append({"params": mapping, "lr_mul": cfg.mapping_lr_mul})
        for g in groups:
            g["lr"] = cfg.lr * g["lr_mul"]
        self.optG = torch.optim.Adam(groups, lr=cfg.lr, betas=betas, **kw)
        self.optD = torch.optim.Adam(self.netD.parameters(), lr=cfg.lr_d or cfg.lr, betas=betas,
                                     **kw)
        # the EMA of G's weights (sampled and shipped), never trained directly
        self.G_ema: torch.nn.Module | None = None
        if cfg.ema > 0:
            self.G_ema = copy.deepcopy(self.netG).eval().requires_grad_(False)
        self.augment = augment_ops(cfg.augment)
        self.aug_noise = torch.Generator(dev)

        self.noise = torch.Generator(dev)
        self.loss_sum = torch.zeros(3, device=dev)               # [loss_D, loss_G, VAE loss]
        self.pixels = cfg.channels * cfg.image_size ** 2
        self.loss_steps = 0
        self.last_vae = 0.0
        self.step_count = 0
        self.last_log: dict[str, Any] = {}

    def autocast(self):
        if self.cuda:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def batch_real(self, step: int) -> torch.Tensor:
        idx = self.sharder.indices(step)                            # B, on device
        real = from_uint8(self.images.index_select(0, idx))         # B×C×S×S in [-1, 1]
        return real.contiguous(memory_format=torch.channels_last)

    def batch_noise(self, step: int) -> torch.Tensor:
        self.noise.manual_seed(_mix(self.opts.seed, self.dist.rank, step))
        return torch.randn(self.opts.batch, self.cfg.z_dim, 1, 1, device=self.device,
                           generator=self.noise)                   # B×z×1×1

    def lr_at(self, step: int) -> float:
        """The generator's learning rate at ``step``: ``warmup_lr`` during the VAE
        warm-up (× 0.3 in its last 30 %), then ``lr``."""
        w = self.cfg.vae_warmup if self.netE is not None else 0
        if step >= w:
            return self.cfg.lr
        return self.cfg.warmup_lr * (0.3 if step >= int(0.7 * w) else 1.0)

    def posterior(self, real: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(z drawn from q(z|x) by the reparameterisation, B×z×1×1; KL(q ‖ N(0, I))
        in nats per image, averaged over the batch) for the real batch."""
        mu, logvar = self.E(real)
        mu, logvar = mu.float(), logvar.float()
        self.noise.manual_seed(_mix(self.opts.seed + 1, self.dist.rank, step))
        eps = torch.randn(mu.shape, device=self.device, generator=self.noise)
        z = mu + eps * (0.5 * logvar).exp()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        return z[:, :, None, None], kl

    def vae_loss(self, recon: torch.Tensor, real: torch.Tensor, kl: torch.Tensor) -> torch.Tensor:
        """Squared error per pixel plus ``kl_weight`` × the KL term per pixel."""
        mse = (recon.float() - real.float()).pow(2).mean()
        return mse + self.cfg.kl_weight * kl / self.pixels

    def step(self) -> None:
        """One discriminator and one generator update (no host synchronisation);
        during the VAE warm-up, one update of the encoder and generator."""
        step = self.step_count
        lr = self.lr_at(step)
        for group in self.optG.param_groups:
            group["lr"] = lr * group.get("lr_mul", 1.0)
        real = self.batch_real(step)
        vae = self.E is not None
        if vae and step < self.cfg.vae_warmup:
            with self.autocast():
                z_post, kl = self.posterior(real, step)
                loss_vae = self.vae_loss(self.G(z_post), real, kl)
            self.optG.zero_grad(set_to_none=True)
            loss_vae.backward()
            self.optG.step()
            self.update_ema(step)
            zero = loss_vae.detach().new_zeros(())
            self._tally(zero, zero, loss_vae)
            return
        z = self.batch_noise(step)
        b = len(z)

        # D: maximise log D(x) + log(1 − D(G(z))) [+ lazy R1 on the real images]
        r1 = self.cfg.r1_gamma > 0 and step % self.cfg.r1_every == 0
        with self.autocast():
            if vae:     # one generator pass renders the prior samples and the reconstructions
                z_post, kl = self.posterior(real, step)
                both = self.G(torch.cat([z, z_post.to(z.dtype)]))
                fake, recon = both[:b], both[b:]
            else:
                fake = self.G(z)                                    # B×C×S×S
        if r1:
            real = real.detach().requires_grad_(True)
        with self.autocast():
            d_real = self.D(self.aug(real, step, 0))                # B logits
            d_fake = self.D(self.aug(fake.detach(), step, 1))
        loss_d = F.softplus(-d_real.float()).mean() + F.softplus(d_fake.float()).mean()
        if r1:
            loss_d = loss_d + 0.5 * self.cfg.r1_gamma * self.cfg.r1_every * r1_penalty(d_real, real)
        self.optD.zero_grad(set_to_none=True)
        loss_d.backward()
        self.optD.step()

        # G: maximise log D(G(z)) (the non-saturating loss), D's weights frozen;
        # VAE-GAN: plus rec_weight × the VAE loss, which keeps the encoder's layout
        self.netD.requires_grad_(False)
        with self.autocast():
            d_gen = self.D_frozen(self.aug(fake, step, 2))
        loss_g = F.softplus(-d_gen.float()).mean()
        loss_vae = loss_g.detach().new_zeros(())
        total = loss_g
        if vae:
            loss_vae = self.vae_loss(recon, real.detach(), kl)
            total = loss_g + self.cfg.rec_weight * loss_vae
        self.optG.zero_grad(set_to_none=True)
        total.backward()
        self.optG.step()
        self.netD.requires_grad_(True)
        self.update_ema(step)

        self._tally(loss_d, loss_g, loss_vae)

    def aug(self, x: torch.Tensor, step: int, which: int) -> torch.Tensor:
        """DiffAugment of a batch before D (``cfg.augment``; the identity without
        it); the draws are a function of (seed, rank, step, which)."""
        if not self.augment:
            return x
        self.aug_noise.manual_seed(_mix(self.opts.seed + 2 + which, self.dist.rank, step))
        return diff_augment(x, self.augment, self.aug_noise, self.cfg.augment_p)

    @torch.no_grad()
    def update_ema(self, step: int) -> None:
        """G_ema ← decay · G_ema + (1 − decay) · G, decay = min(ema, (1+t)/(10+t))."""
        if self.G_ema is None:
            return
        decay = min(self.cfg.ema, (1.0 + step) / (10.0 + step))
        ema = [p for p in self.G_ema.parameters()]
        raw = [p.detach() for p in self.netG.parameters()]
        torch._foreach_lerp_(ema, raw, 1.0 - decay)

    @torch.no_grad()
    def recalibrate_ema(self, batches: int = 4) -> None:
        """Re-measure the EMA generator's batch-norm statistics on fixed noise
        (its weights are not the raw G's, whose running statistics they would
        otherwise borrow)."""
        if self.G_ema is None:
            return
        norms = [m for m in self.G_ema.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        saved = [m.momentum for m in norms]
        gen = torch.Generator(self.device).manual_seed(self.opts.seed + 5)
        b = max(2, min(self.opts.batch, 256))
        try:
            for m in norms:
                m.momentum = None                                  # a cumulative average
                m.reset_running_stats()
            self.G_ema.train()
            for _ in range(batches):
                z = torch.randn(b, self.cfg.z_dim, device=self.device, generator=gen)
                with self.autocast():
                    self.G_ema(z)
        finally:
            for m, mom in zip(norms, saved):
                m.momentum = mom
            self.G_ema.eval()

    def _tally(self, loss_d: torch.Tensor, loss_g: torch.Tensor, loss_vae: torch.Tensor) -> None:
        """Add one step's losses to the running sums (on the device) and count the step."""
        self.loss_sum += torch.stack([loss_d.detach(), loss_g.detach(), loss_vae.detach()])
        self.loss_steps += 1
        self.step_count += 1

    def read_losses(self) -> tuple[float, float]:
        """Mean (loss_D, loss_G) since the last read, over all ranks (one sync);
        the VAE loss of the same steps is kept in ``last_vae``."""
        sums = self.dist.all_reduce_mean(self.loss_sum.clone())
        n = max(1, self.loss_steps)
        self.loss_sum.zero_()
        self.loss_steps = 0
        loss_d, loss_g, self.last_vae = (sums / n).tolist()
        return loss_d, loss_g

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

    def shipped_pair(self) -> DCGAN:
        """The pair as saved: the raw G, or (with an EMA) a pair whose generator
        is the EMA, batch-norm statistics re-measured; D is shared."""
        if self.G_ema is None:
            return self.pair
        self.recalibrate_ema()
        ship = copy.copy(self.pair)                      # shallow: the same submodules
        ship._modules = dict(self.pair._modules)
        ship._modules["generator"] = self.G_ema
        return ship

    def sync_buffers(self) -> None:
        """Every rank takes rank 0's batch-norm statistics (before saving / at the end)."""
        self.dist.broadcast_buffers(self.netG)
        self.dist.broadcast_buffers(self.netD)

    # checkpoints -----------------------------------------------------------

    def save(self, out: Path) -> None:
        """Write the model and the training state (rank 0 only; atomic per file)."""
        if not self.dist.is_main:
            return
        out.mkdir(parents=True, exist_ok=True)
        meta = {"step": str(self.step_count)}
        save_model(out, self.shipped_pair(), self.step_count)
        state = {}
        state.update(_optim_tensors("optG", self.optG))
        state.update(_optim_tensors("optD", self.optD))
        if self.G_ema is not None:                        # the raw G, which the model file lacks
            state.update({f"{RAW_G}.{k}": v for k, v in self.netG.state_dict().items()})
        _save_safetensors(state, out / STATE_FILE, meta)
        record = {"step": self.step_count, "seed": self.opts.seed,
                  "world_size": self.dist.world_size, "options": asdict(self.opts)}
        write_bytes_atomic(out / TRAINER_FILE, (json.dumps(record, indent=2) + "\n").encode())

    def load(self, out: Path) -> int:
        """Restore a checkpoint from ``out`` (rank 0 reads, every rank receives).

        Returns the step it continues from.
        """
        payload: dict[str, Any] | None = None
        if self.dist.is_main:
            try:
                payload = read_checkpoint(out)
            except TrainingError as e:
                payload = {"error": str(e)}
        payload = self.dist.broadcast_object(payload)
        if "error" in payload:
            raise TrainingError(payload["error"])
        if payload["config"] != self.cfg.to_dict():
            raise TrainingError(
                f"{out} holds a DCGAN with config {payload['config']}, not {self.cfg.to_dict()}; "
                "resume with the same model flags or choose another --out")
        load_weights(self.pair, payload["model"])
        if self.G_ema is not None:             # the model file's G is the EMA; the raw G is here
            self.G_ema.load_state_dict(self.netG.state_dict())
            prefix = RAW_G + "."
            raw = {k[len(prefix):]: v for k, v in payload["state"].items() if k.startswith(prefix)}
            try:
                self.netG.load_state_dict(raw)
            except RuntimeError as e:
                raise TrainingError(f"{out / STATE_FILE} lacks the raw generator of this EMA "
                                    f"run ({e})") from None
        _load_optim("optG", self.optG, payload["state"])
        _load_optim("optD", self.optD, payload["state"])
        self.step_count = int(payload["step"])
        return self.step_count

    def weights_digest(self) -> str:
        """SHA-256 over every parameter and buffer of G and D (for cross-rank checks)."""
        h = hashlib.sha256()
        for name, t in sorted(self.pair.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()


def _mix(seed: int, rank: int, step: int) -> int:
    """A 63-bit seed for the noise of (seed, rank, step)."""
    d = hashlib.blake2b(f"{seed}/{rank}/{step}".encode(), digest_size=8).digest()
    return int.from_bytes(d, "little") >> 1


def _check_images(images: torch.Tensor, cfg: DCGANConfig) -> None:
    want = (cfg.image_size, cfg.image_size, cfg.channels)
    if images.dtype != torch.uint8 or images.dim() != 4 or tuple(images.shape[1:]) != want:
        raise TrainingError(f"training images must be uint8 N×{want[0]}×{want[1]}×{want[2]}, "
                            f"got {images.dtype} {tuple(images.shape)}")
    if len(images) == 0:
        raise TrainingError("no training images")


# ---------------------------------------------------------------------------
# files


def _save_safetensors(tensors: dict[str, torch.Tensor], path: Path, meta: dict[str, str]) -> None:
    from safetensors.torch import save
    write_bytes_atomic(path, save({k: v.detach().cpu().contiguous() for k, v in tensors.items()},
                                  metadata=meta))


RETRAIN = "holochat train dcgan --out DIR"


def save_model(out: Path, pair: DCGAN, step: int) -> None:
    """``config.json`` + ``model.safetensors`` (generator.* and discriminator.*)."""
    checkpoint.save_pretrained(pair, pair.cfg, out, model_name="dcgan", code_version=ARCH_VERSION,
                    extra={"step": step})


def read_config(folder: Path) -> DCGANConfig:
    """The DCGANConfig of a checkpoint folder (clear error if it is not one)."""
    try:
        meta = checkpoint.read_config(folder)
    except WeightsError as e:
        raise TrainingError(f"{e}; is {folder} a DCGAN checkpoint?") from None
    if meta.get("model") != "dcgan":
        raise TrainingError(f"{folder} holds {meta.get('model')!r} weights, not a DCGAN")
    if meta.get("code_version") != ARCH_VERSION:
        raise TrainingError(f"{folder} is DCGAN code version {meta.get('code_version')}; this "
                            f"code reads version {ARCH_VERSION} (retrain with `{RETRAIN}`)")
    try:
        return DCGANConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise TrainingError(f"{folder / CONFIG_FILE}: {e}") from None


def read_model(folder: Path) -> tuple[DCGANConfig, dict[str, torch.Tensor]]:
    """(config, every tensor of the pair) of a checkpoint folder."""
    cfg = read_config(folder)
    try:
        pair = checkpoint.from_pretrained(DCGAN, DCGANConfig, folder, model_name="dcgan",
                               code_version=ARCH_VERSION, retrain_hint=RETRAIN)
    except WeightsError as e:
        raise TrainingError(str(e)) from None
    return cfg, {k: v.detach().clone() for k, v in pair.state_dict().items()}


def load_weights(pair: DCGAN, tensors: dict[str, torch.Tensor]) -> None:
    """Load a pair's tensors; clear error when they do not fit."""
    try:
        pair.load_state_dict(tensors)
    except RuntimeError as e:
        raise TrainingError(f"the weights do not fit this DCGAN: {e}") from None


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open
    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, (f.metadata() or {})
    except FileNotFoundError:
        raise TrainingError(f"{path} is missing") from None
    except Exception as e:  # safetensors raises its own error types for bad files
        raise TrainingError(f"cannot read {path}: {e}") from None


def _checkpoint_step(folder: Path) -> int | None:
    try:
        return checkpoint.read_config(folder).get("extra", {}).get("step")
    except WeightsError:
        return None


def read_checkpoint(out: Path) -> dict[str, Any]:
    """Everything ``--resume`` needs from ``out``, checked for consistency."""
    out = Path(out)
    try:
        record = json.loads((out / TRAINER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TrainingError(f"cannot read {out / TRAINER_FILE}: {e}") from None
    cfg, model = read_model(out)
    state, meta_state = _read_safetensors(out / STATE_FILE)
    steps = {str(record.get("step")), str(_checkpoint_step(out)), meta_state.get("step")}
    if len(steps) != 1:
        raise TrainingError(f"the checkpoint files in {out} come from different steps "
                            f"({', '.join(sorted(map(str, steps)))}); the last save was cut off")
    return {"config": cfg.to_dict(), "model": model, "state": state, "step": record["step"]}


def _optim_tensors(prefix: str, opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    out = {}
    for pid, st in opt.state_dict()["state"].items():
        for k, v in st.items():
            out[f"{prefix}.{pid}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
    return out


def _load_optim(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    sd = opt.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, v in tensors.items():
        if key.startswith(prefix + ".") and not key.startswith(RAW_G + "."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    sd["state"] = state
    opt.load_state_dict(sd)


def has_checkpoint(out: Path) -> bool:
    return (Path(out) / TRAINER_FILE).exists()


def save_sheet(images: np.ndarray, path: Path) -> None:
    """B×S×S×3 uint8 → one PNG grid (rows of SAMPLE_GRID)."""
    save_png(grid(list(images), min(SAMPLE_GRID, len(images))), path)


# ---------------------------------------------------------------------------
# data and starting points


def load_images(data: str | Path | None = None, *, n_images: int = 20000, seed: int = 0,
                size: int = 64) -> np.ndarray:
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
            raise TrainingError("no shipped DCGAN weights for faces in this build; train them "
                                "with `holochat train dcgan --out DIR`, or pass a checkpoint "
                                "folder to --from")
    if not (folder / CONFIG_FILE).exists() or not (folder / MODEL_FILE).exists():
        raise TrainingError(f"--from {source}: not a DCGAN checkpoint folder "
                            f"(needs {CONFIG_FILE} and {MODEL_FILE}), and not 'faces'")
    return folder


# ---------------------------------------------------------------------------
# the loop


def train(cfg: DCGANConfig, images: np.ndarray | torch.Tensor | Callable[[], Any],
          opts: TrainOptions, *, dist: Dist | None = None, init_from: Path | None = None,
          on_log: Callable[[dict], None] | None = None) -> DCGANTrainer:
    """Train (or resume) to ``opts.steps``; returns the trainer.

    ``images`` is a uint8 N×S×S×3 array, or a function returning one (called
    with rank 0 first, so a cache is built once). ``init_from`` starts from
    another checkpoint's weights with fresh optimizers (fine-tuning).
    """
    dist = dist or distributed.init(opts.device)
    out = Path(opts.out) if opts.out else None
    resuming = bool(out and opts.resume and has_checkpoint(out))
    if out and not opts.resume and has_checkpoint(out):
        raise TrainingError(f"{out} already holds a DCGAN checkpoint; pass --resume to "
                            "continue it, or choose another --out")
    if callable(images):
        with dist.rank0_first():
            images = images()
    images = getattr(images, "images", images)
    trainer = DCGANTrainer(cfg, images, opts, dist)
    if resuming:
        trainer.load(out)
    elif init_from is not None:
        _, tensors = read_model(init_from)
        load_weights(trainer.pair, tensors)
    start = trainer.step_count
    log = _Logger(out, dist.is_main, opts.progress, start, opts.steps, on_log)
    if resuming:
        log.note(f"resuming {out} at step {start} of {opts.steps}")
    elif out and opts.resume:
        log.note(f"no checkpoint in {out} yet; starting from step 0")
    if start >= opts.steps:
        log.note(f"nothing to do: the checkpoint is already at step {start}")
        log.close()
        return trainer

    fixed_z = torch.randn(SAMPLE_GRID ** 2, cfg.z_dim,
                          generator=torch.Generator().manual_seed(opts.seed + 1))
    from generators.training.progress import lease_time_limit
    opts.time_limit_s = lease_time_limit(opts.time_limit_s)   # a lease's deadline
    t0, n0 = time.perf_counter(), start
    t_start = t0
    try:
        while trainer.step_count < opts.steps:
            trainer.step()
            step = trainer.step_count
            log.advance()
            last = step == opts.steps
            if opts.time_limit_s is not None and not last:
                over = time.perf_counter() - t_start > opts.time_limit_s
                if dist.world_size > 1:    # every rank stops at one step: rank 0's clock,
                    # read at log intervals only (no host sync in between)
                    over = step % opts.log_every == 0 and bool(dist.broadcast_object(over))
                last = over
                if last:
                    log.note(f"time limit reached at step {step}"
                             + ("; checkpointed" if out else ""))
            if step % opts.log_every == 0 or last:
                loss_d, loss_g = trainer.read_losses()
                dt = time.perf_counter() - t0
                ips = (step - n0) * opts.batch * dist.world_size / max(dt, 1e-9)
                t0, n0 = time.perf_counter(), step
                rec = {"step": step, "loss_d": loss_d, "loss_g": loss_g, "images_per_s": ips}
                if trainer.netE is not None:
                    rec["loss_vae"] = trainer.last_vae
                trainer.last_log = rec
                log.metrics(rec)
            if out and dist.is_main and (step % opts.sample_every == 0 or last):
                save_sheet(trainer.samples(fixed_z), out / "samples" / f"step-{step:06d}.png")
            if out and (step % opts.checkpoint_every == 0 or last):
                trainer.sync_buffers()
                trainer.save(out)
                dist.barrier()
            if last:
                break
    finally:
        log.close()
    trainer.sync_buffers()
    if out and opts.dump_digests:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"rank-{dist.rank}.sha256").write_text(trainer.weights_digest() + "\n")
    return trainer


class _Logger:
    """Rank 0's rich progress bar and ``train_log.jsonl``; silent on other ranks."""

    def __init__(self, out: Path | None, main: bool, progress: bool, start: int, total: int,
                 on_log: Callable[[dict], None] | None):
        self.main, self.out, self.on_log = main, out, on_log
        self.bar = None
        if main and progress:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)
            self.bar = Progress(TextColumn("dcgan"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), TextColumn("{task.fields[status]}"))
            self.task = self.bar.add_task("train", total=total, completed=start, status="")
            self.bar.start()

    def note(self, text: str) -> None:
        if not self.main:
            return
        if self.bar is not None:
            self.bar.console.print(text)
        else:
            print(text, flush=True)

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1)

    def metrics(self, rec: dict) -> None:
        if not self.main:
            return
        if self.bar is not None:
            self.bar.update(self.task, status=f"D {rec['loss_d']:.3f}  G {rec['loss_g']:.3f}  "
                                              f"{rec['images_per_s']:.0f} img/s")
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
            with open(self.out / LOG_FILE, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
        if self.on_log is not None:
            self.on_log(rec)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# ---------------------------------------------------------------------------
# throughput (used by ``holochat bench``)


def measure_throughput(cfg: DCGANConfig, images: np.ndarray, *, batch: int, steps: int,
                       warmup: int = 2, device: str = "cpu",
                       compile: bool = False) -> dict[str, float]:
    """Images per second of ``DCGANTrainer.step`` over ``steps`` timed steps
    (after ``warmup`` untimed ones; synchronises only around the timed block)."""
    opts = TrainOptions(steps=warmup + steps, batch=batch, device=device, compile=compile,
                        progress=False)
    trainer = DCGANTrainer(cfg, images, opts, Dist(device=torch.device(device)))
    sync = torch.cuda.synchronize if trainer.cuda else (lambda: None)
    for _ in range(warmup):
        trainer.step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    trainer.loss_sum.cpu()                                           # drain the queue
    sync()
    dt = time.perf_counter() - t0
    return {"images_per_s": steps * batch / dt, "step_s": dt / steps}


def step_flops(cfg: DCGANConfig, batch: int) -> float:
    """FLOPs of one training step at ``batch`` (both updates, forward + backward).

    Counted with ``FlopCounterMode`` on one eager CPU step at batch 2 and scaled:
    every op in the step is linear in the batch.
    """
    from torch.utils.flop_counter import FlopCounterMode
    small = 2
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (small, cfg.image_size, cfg.image_size, cfg.channels),
                          dtype=np.uint8)
    trainer = DCGANTrainer(cfg, images, TrainOptions(steps=1, batch=small, progress=False))
    counter = FlopCounterMode(display=False)
    with counter:
        trainer.step()
    return float(counter.get_total_flops()) * batch / small
