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

import contextlib
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from generators import checkpoint
from generators.errors import WeightsError
from generators.nets.dcgan import from_uint8, to_uint8
from generators.nets.pix2pix import ARCH_VERSION, Pix2Pix, Pix2PixConfig, build, sketch_input
from generators.training.dcgan import r1_penalty
from generators.training.textgan import _load_optim, _optim_tensors, lr_at

STATE_FILE = "training_state.safetensors"
LOG_FILE = "train_log.jsonl"
MODEL_NAME = "pix2pix"
TERMS = ("loss_d", "d_real", "d_fake", "loss_g", "g_adv", "l1")


def retrain_hint(domain: str = "faces") -> str:
    return f"holochat train pix2pix --domain {domain} --out DIR"


class TrainingError(RuntimeError):
    """A training run that cannot start or continue; the message says why."""


@dataclass
class Pix2PixTrainOptions:
    domain: str = "faces"
    steps: int = 20000
    batch: int = 16
    seed: int = 0
    device: str = "cpu"
    out: str | None = None
    resume: bool = False
    n_train: int = 10000              # studio training pictures
    images_per_seed: int = 20         # renders per identity / style
    variants: int = 1                 # random sketches per picture
    gan_weight: float = 1.0           # 0: the L1-only baseline
    l1_weight: float = 100.0          # λ
    flip: bool = True                 # random horizontal flips of the pair
    decay_from: int | None = None     # from this step both lrs fall linearly to 0 at ``steps``
    r1_gamma: float = 0.0
    r1_every: int = 4
    log_every: int = 50
    sample_every: int = 1000
    checkpoint_every: int = 1000
    time_limit_s: float | None = None
    progress: bool = True
    workers: int | None = None        # processes that draw the sketches (None: 2, or 8 on CUDA)


@dataclass
class Pix2PixData:
    sketches: torch.Tensor     # N×V×64×64 uint8 (255 paper)
    images: torch.Tensor       # N×64×64×3 uint8

    def __len__(self) -> int:
        return len(self.images)


def load_data(opts: Pix2PixTrainOptions, cache_dir_=None) -> Pix2PixData:
    """The training pairs of ``opts`` (built once and cached), on the device."""
    from generators.studio.sketch import sketch_dataset
    workers = opts.workers
    if workers is None and opts.device.startswith("cuda"):
        workers = min(8, os.cpu_count() or 1)
    ds, sk = sketch_dataset(opts.domain, opts.n_train, opts.seed, "train",
                            per_seed=opts.images_per_seed, variants=opts.variants,
                            cache_dir_=cache_dir_, workers=workers)
    return to_device(sk, ds.images, opts.device)


def to_device(sketches: np.ndarray, images: np.ndarray, device: str) -> Pix2PixData:
    sk = np.asarray(sketches)
    if sk.ndim == 3:
        sk = sk[:, None]
    return Pix2PixData(torch.from_numpy(np.ascontiguousarray(sk)).to(device),
                       torch.from_numpy(np.ascontiguousarray(images)).to(device))


def _mix(seed: int, step: int) -> int:
    d = hashlib.blake2b(f"pix2pix/{seed}/{step}".encode(), digest_size=8).digest()
    return int.from_bytes(d, "little") >> 1


class Pix2PixTrainer:
    """Builds the pair and optimizers on the device; ``step()`` is the hot loop."""

    def __init__(self, cfg: Pix2PixConfig, data: Pix2PixData, opts: Pix2PixTrainOptions):
        self.cfg, self.data, self.opts = cfg, data, opts
        dev = self.device = torch.device(opts.device)
        self.cuda = dev.type == "cuda"
        if self.cuda:
            torch.backends.cudnn.benchmark = True
        self.pair = build(cfg, seed=opts.seed).to(dev)
        self.G, self.D = self.pair.generator, self.pair.discriminator
        kw: dict[str, Any] = {"fused": True} if self.cuda else {"foreach": True}
        betas = (cfg.beta1, cfg.beta2)
        self.optG = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas, **kw)
        self.optD = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas, **kw)
        self.rng = torch.Generator(dev)
        self.loss_sum = torch.zeros(len(TERMS), device=dev)
        self.loss_steps = 0
        self.step_count = 0
        self.log: list[dict] = []

    def autocast(self):
        if self.cuda:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(B×1×64² sketches, B×3×64² pictures) in [-1, 1]: a pure function of (seed, step)."""
        d, B, g = self.data, self.opts.batch, self.rng
        g.manual_seed(_mix(self.opts.seed, step))
        n, V = d.sketches.shape[:2]
        idx = torch.randint(n, (B,), generator=g, device=self.device)
        var = torch.randint(V, (B,), generator=g, device=self.device)
        s = sketch_input(d.sketches[idx, var])                        # B×1×64×64
        y = from_uint8(d.images.index_select(0, idx))                 # B×3×64×64
        if self.opts.flip:
            f = (torch.rand(B, generator=g, device=self.device) < 0.5).view(B, 1, 1, 1)
            s, y = torch.where(f, s.flip(3), s), torch.where(f, y.flip(3), y)
        return s, y

    def step(self) -> None:
        """One D and one G update (no host synchronisation)."""
        o, step = self.opts, self.step_count
        s, real = self.batch(step)
        torch.manual_seed(_mix(o.seed + 1, step))                   # the dropout of this step
        lr = lr_at(step, self.cfg.lr, o.steps, o.decay_from)
        for opt in (self.optD, self.optG):
            for group in opt.param_groups:
                group["lr"] = lr
        with self.autocast():
            fake = self.G(s)                                         # B×3×64×64
        terms: dict[str, torch.Tensor] = {}
        g_adv = None
        if o.gan_weight > 0:
            r1 = o.r1_gamma > 0 and step % o.r1_every == 0
            if r1:
                real.requires_grad_(True)
            with self.autocast():
                d_real = self.D(s, real).float()                     # B×1×14×14
                d_fake = self.D(s, fake.detach()).float()
            l_real, l_fake = F.softplus(-d_real).mean(), F.softplus(d_fake).mean()
            loss_d = 0.5 * (l_real + l_fake)
            if r1:
                loss_d = loss_d + 0.5 * o.r1_gamma * o.r1_every * r1_penalty(d_real, real)
                real = real.detach()
            self.optD.zero_grad(set_to_none=True)
            loss_d.backward()
            self.optD.step()
            self.D.requires_grad_(False)
            with self.autocast():
                g_adv = F.softplus(-self.D(s, fake).float()).mean()
            terms.update(loss_d=loss_d, d_real=l_real, d_fake=l_fake, g_adv=g_adv)
        l1 = (fake.float() - real).abs().mean()
        loss_g = o.l1_weight * l1 + (o.gan_weight * g_adv if g_adv is not None else 0.0)
        self.optG.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optG.step()
        self.D.requires_grad_(True)
        terms.update(loss_g=loss_g, l1=l1)
        zero = self.loss_sum.new_zeros(())
        self.loss_sum += torch.stack([terms.get(k, zero).detach().float() for k in TERMS])
        self.loss_steps += 1
        self.step_count += 1

    def read_losses(self) -> dict[str, float]:
        """Mean of each loss term since the last read (one host sync)."""
        vals = (self.loss_sum / max(1, self.loss_steps)).tolist()
        self.loss_sum.zero_()
        self.loss_steps = 0
        return dict(zip(TERMS, vals))

    @torch.no_grad()
    def samples(self, sketches: torch.Tensor) -> np.ndarray:
        """G in eval mode on B×64×64 uint8 sketches: B×64×64×3 uint8."""
        was = self.G.training
        self.G.eval()
        try:
            return to_uint8(self.G(sketch_input(sketches.to(self.device)))).cpu().numpy()
        finally:
            self.G.train(was)

    # checkpoints -----------------------------------------------------------

    def save(self, out: Path) -> None:
        from safetensors.torch import save
        from generators.files import write_bytes_atomic
        out.mkdir(parents=True, exist_ok=True)
        checkpoint.save_pretrained(self.pair, self.cfg, out, model_name=MODEL_NAME,
                                   code_version=ARCH_VERSION,
                                   extra={"step": self.step_count, "train": asdict(self.opts),
                                          "log": self.log[-3:]})
        state = {**_optim_tensors("optG", self.optG), **_optim_tensors("optD", self.optD)}
        write_bytes_atomic(out / STATE_FILE, save({k: v.detach().cpu().contiguous()
                                                   for k, v in state.items()},
                                                  metadata={"step": str(self.step_count)}))

    def load(self, out: Path) -> int:
        """Continue from the checkpoint in ``out``; returns its step."""
        from safetensors import safe_open
        from safetensors.torch import load_file
        try:
            meta = checkpoint.read_config(out)
            pair = checkpoint.from_pretrained(Pix2Pix, Pix2PixConfig, out, model_name=MODEL_NAME,
                                              code_version=ARCH_VERSION,
                                              retrain_hint=retrain_hint(self.cfg.domain))
        except WeightsError as e:
            raise TrainingError(str(e)) from None
        if replace(pair.cfg, lr=self.cfg.lr) != self.cfg:
            raise TrainingError(f"{out} holds a pix2pix with config {pair.cfg.to_dict()}, not "
                                f"{self.cfg.to_dict()}; resume with the same config or choose "
                                "another --out")
        try:
            with safe_open(str(out / STATE_FILE), framework="pt") as f:
                st_step = (f.metadata() or {}).get("step")
            state = load_file(str(out / STATE_FILE))
        except Exception as e:  # missing / truncated
            raise TrainingError(f"cannot read {out / STATE_FILE}: {e}") from None
        step = meta.get("extra", {}).get("step")
        if str(step) != st_step:
            raise TrainingError(f"the checkpoint files in {out} come from different steps "
                                f"({step}, {st_step}); the last save was cut off")
        self.pair.load_state_dict(pair.state_dict())
        _load_optim("optG", self.optG, state, self.device)
        _load_optim("optD", self.optD, state, self.device)
        self.step_count = int(step)
        return self.step_count


def has_checkpoint(out: Path) -> bool:
    return (Path(out) / STATE_FILE).exists()


def save_sheet(sketches: np.ndarray, outputs: np.ndarray, truth: np.ndarray | None,
               path: str | os.PathLike, scale: int = 2) -> None:
    """Rows: sketches, outputs, studio pictures (when given), one column per pair."""
    from generators.files import save_png
    from generators.studio.sheets import grid
    rows = [np.repeat(np.asarray(s)[..., None], 3, 2) for s in sketches] + list(outputs)
    if truth is not None:
        rows += list(truth)
    save_png(grid(rows, len(sketches)), path, scale)


# ---------------------------------------------------------------------------
# the loop


def train_pix2pix(opts: Pix2PixTrainOptions, cfg: Pix2PixConfig | None = None,
                  data: Pix2PixData | None = None, *,
                  on_log: Callable[[dict], None] | None = None) -> Pix2PixTrainer:
    """Train (or resume) to ``opts.steps``; returns the trainer (its ``log``
    holds one record per log interval)."""
    cfg = cfg or Pix2PixConfig(domain=opts.domain)
    out = Path(opts.out) if opts.out else None
    resuming = bool(out and opts.resume and has_checkpoint(out))
    if out and not opts.resume and has_checkpoint(out):
        raise TrainingError(f"{out} already holds a pix2pix checkpoint; pass --resume to "
                            "continue it, or choose another --out")
    if data is None:
        data = load_data(opts)
    trainer = Pix2PixTrainer(cfg, data, opts)
    if resuming:
        trainer.load(out)
    n_show = min(8, len(data))
    show_sk = data.sketches[:n_show, 0].cpu()
    truth = data.images[:n_show].cpu().numpy()
    from generators.training.progress import lease_time_limit
    opts.time_limit_s = lease_time_limit(opts.time_limit_s)   # a lease's deadline
    from generators.training.progress import progress_bar
    t0 = time.perf_counter()
    t_log, n_log = t0, trainer.step_count
    label = f"pix2pix {opts.domain}" + (" (L1 only)" if opts.gan_weight <= 0 else "")
    with progress_bar(opts.progress) as bar:
        task = bar.add_task(label, total=opts.steps, completed=trainer.step_count) if bar else None
        while trainer.step_count < opts.steps:
            trainer.step()
            step = trainer.step_count
            if bar:
                bar.advance(task)
            last = step == opts.steps
            stop = opts.time_limit_s is not None and time.perf_counter() - t0 > opts.time_limit_s
            if step % opts.log_every == 0 or last or stop:
                now = time.perf_counter()
                rec = {"step": step, **trainer.read_losses(),
                       "images_per_s": (step - n_log) * opts.batch / max(now - t_log, 1e-9)}
                t_log, n_log = now, step
                trainer.log.append(rec)
                if bar:
                    bar.update(task, description=f"{label} · D {rec['loss_d']:.3f} "
                                                 f"G {rec['g_adv']:.3f} L1 {rec['l1']:.3f}")
                if out:
                    out.mkdir(parents=True, exist_ok=True)
                    with open(out / LOG_FILE, "a", encoding="utf-8") as f:
                        f.write(json.dumps(rec) + "\n")
                if on_log:
                    on_log(rec)
            if out and (step % opts.sample_every == 0 or last or stop):
                save_sheet(show_sk.numpy(), trainer.samples(show_sk), truth,
                           out / "samples" / f"step-{step:06d}.png")
            if out and (step % opts.checkpoint_every == 0 or last or stop):
                trainer.save(out)
            if stop:
                if bar:
                    bar.console.print(f"time limit reached at step {step}; checkpointed"
                                      if out else f"time limit reached at step {step}")
                break
    trainer.pair.eval()
    return trainer


def load_pix2pix(path: str | os.PathLike, device: str = "cpu") -> Pix2Pix:
    """The (generator, discriminator) pair saved in ``path``, in eval mode."""
    try:
        cfg = checkpoint.read_config(path).get("config", {})
    except WeightsError:
        cfg = {}                  # from_pretrained says what is missing
    return checkpoint.from_pretrained(Pix2Pix, Pix2PixConfig, path, model_name=MODEL_NAME,
                                      code_version=ARCH_VERSION,
                                      retrain_hint=retrain_hint(cfg.get("domain", "faces")),
                                      device=device)
