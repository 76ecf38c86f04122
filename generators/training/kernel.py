"""The training kernel: one loop for every model (issue 25).

A model's trainer subclasses ``Trainer`` and contributes only what is its
own: its networks (``module``, the one ``nn.Module`` its checkpoint holds,
and the optimisers over their parameters, ``add_optimizer``), a batch
(``batch(index)``, a pure function of the index or drawn from a generator
that ``generators()`` names so resuming restores it), its losses
(``losses(batch, step)``: a generator that yields ``(optimizer, loss)`` once
per update of the step, in order, and returns the terms to log) and its
sample sheet (``sheet()``).  The kernel owns the rest:

- the steps, the learning rates (``lr(step, clock)``, the model's schedule;
  ``clock`` is the share of the time budget spent, for schedules that follow
  it), zeroing, backward and optimiser steps, gradient accumulation over
  ``accum`` batches per step where asked;
- mixed precision: ``autocast()`` is bf16 on CUDA (fp16 with a gradient
  scaler when asked), nothing on the CPU;
- an exponential moving average of the weights the model names
  (``ema_target``), sampled and shipped, the raw weights kept for resuming;
- checkpoints and exact resume: ``config.json`` + ``model.safetensors``
  (``generators/checkpoint.py``; the EMA's weights where there is one, and
  the recipe and settings in ``extra``), ``training_state.safetensors``
  (optimiser moments, the raw weights under an EMA, the RNG states of the
  process and of the model's generators, the step) and ``trainer.json``;
  an interrupted and resumed run equals an uninterrupted one;
- logging: loss terms summed on the device, read back every ``log_every``
  steps only (one host synchronisation), ``train_log.jsonl``, a rich
  progress bar (or a plain line per interval with ``echo``);
- sample sheets every ``sample_every`` steps (``samples/step-NNNNNN.png``)
  and evaluation hooks every ``eval_every`` steps (``on_eval``);
- DDP under ``torchrun`` (``distributed.py``): rank 0 logs, samples and
  saves, logged terms are averaged over ranks, every rank stops at the same
  step;
- a time budget: ``time_limit_s`` (and a lease's ``$HOLOCHAT_DEADLINE``,
  ``progress.lease_time_limit``) stops the run, checkpointed.

``fit(trainer)`` runs the loop; ``Trainer.step()`` is one step of it.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
from torch import nn

from generators import checkpoint
from generators.errors import WeightsError
from generators.files import save_png, write_bytes_atomic
from generators.training.distributed import Dist
from generators.training.recipes import MODELS

STATE_FILE = "training_state.safetensors"
TRAINER_FILE = "trainer.json"
LOG_FILE = "train_log.jsonl"
STATE_FORMAT = "kernel-1"
RAW = "raw."  # prefix of the raw (non-EMA) weights in the training state

Losses = Generator[tuple[str, torch.Tensor], None, dict[str, torch.Tensor]]


_TINY: dict[str, Callable[..., Trainer]] = {}


def tiny(name: str) -> Callable[[Callable[..., Trainer]], Callable[..., Trainer]]:
    """Register ``fn(out, steps, resume) -> Trainer``: a tiny seeded run of
    model ``name`` (seconds on two cores), which the shared trainer tests
    (tests/test_trainers.py) put through one step, resume and its sheet."""

    def add(fn: Callable[..., Trainer]) -> Callable[..., Trainer]:
        _TINY[name] = fn
        return fn

    return add


def tiny_runs() -> dict[str, Callable[..., Trainer]]:
    """Every registered model's tiny run (importing each trainer module)."""
    import importlib

    for module in MODELS.values():
        importlib.import_module(module)
    return dict(_TINY)


class TrainingError(RuntimeError):
    """A training run that cannot start or continue; the message says why."""


@dataclass
class Loop:
    """What the kernel needs of a run; each model's settings extend it."""

    steps: int = 1000
    seed: int = 0
    device: str = "cpu"
    out: str | None = None
    resume: bool = False
    log_every: int = 50
    sample_every: int = 1000
    checkpoint_every: int = 1000
    eval_every: int = 0
    time_limit_s: float | None = None
    progress: bool = True
    echo: bool = False  # without a bar: one plain line per log interval (stderr)
    accum: int = 1  # batches per optimiser step (gradient accumulation)
    amp: str = "auto"  # auto (bf16 on CUDA), bf16, fp16, none (always on CPU)

    def __post_init__(self) -> None:
        for name in ("steps", "log_every", "accum"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("sample_every", "checkpoint_every", "eval_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 (never) or positive, got {getattr(self, name)}")
        if self.time_limit_s is not None and not self.time_limit_s >= 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ValueError(f"device must be cpu or cuda, got {self.device!r}")
        if self.amp not in ("auto", "bf16", "fp16", "none"):
            raise ValueError(f"amp must be auto, bf16, fp16 or none, not {self.amp!r}")

    @classmethod
    def of(cls, settings: Any) -> Loop:
        """The loop settings found (by name) in a model's settings dataclass."""
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in vars(settings).items() if k in names})


@dataclass
class Sheet:
    """A sample sheet: images (H×W×3 uint8) laid out ``cols`` to a row."""

    images: list[np.ndarray]
    cols: int
    scale: int = 1


class EMA:
    """Exponential moving average of a module's parameters: ``shadow ← d ·
    shadow + (1 − d) · param`` after every step, with d = ``decay``, or
    min(decay, (1 + t) / (10 + t)) with ``ramp``; buffers are copied unless
    ``copy_buffers`` is off (then the owner re-measures them)."""

    def __init__(
        self, module: nn.Module, decay: float, *, ramp: bool = False, copy_buffers: bool = True
    ):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the EMA decay must lie in (0, 1), got {decay}")
        self.decay, self.ramp, self.copy_buffers = float(decay), ramp, copy_buffers
        self.shadow = copy.deepcopy(module).eval()
        self.shadow.requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module, step: int = 0) -> None:
        decay = min(self.decay, (1.0 + step) / (10.0 + step)) if self.ramp else self.decay
        dst: list[torch.Tensor] = list(self.shadow.parameters())
        src = [p.detach() for p in module.parameters()]
        torch._foreach_lerp_(dst, src, 1.0 - decay)
        if self.copy_buffers:
            for b_dst, b_src in zip(self.shadow.buffers(), module.buffers()):
                b_dst.copy_(b_src)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(sd)


class _Shipped:
    """A state dict dressed as a module, for ``checkpoint.save_pretrained``."""

    def __init__(self, state: dict[str, torch.Tensor]):
        self.state = state

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.state


def settings_dict(settings: Any) -> dict[str, Any]:
    return (
        asdict(settings)
        if is_dataclass(settings) and not isinstance(settings, type)
        else dict(vars(settings))
    )


class Trainer:
    """One model's training run on the kernel (see the module's docstring)."""

    name: ClassVar[str] = "model"  # the checkpoint's model name
    code_version: ClassVar[int] = 1
    module_cls: ClassVar[Any] = None  # rebuilds ``module`` from a config (resume, init)
    config_cls: ClassVar[Any] = None
    retrain: str = ""  # how to retrain, for weight errors
    terms: ClassVar[tuple[str, ...]] = ()  # loss terms always logged (0 when a step lacks one)

    def __init_subclass__(cls, **checkpoint: Any) -> None:
        """``class XTrainer(Trainer, name=..., code_version=..., module_cls=...,
        config_cls=..., terms=...)``: what its checkpoints are."""
        super().__init_subclass__()
        for k, v in checkpoint.items():
            setattr(cls, k, v)

    def __init__(
        self,
        settings: Any,
        *,
        dist: Dist | None = None,
        recipe: dict[str, Any] | None = None,
        cfg: Any = None,
    ):
        self.settings = settings
        self.loop = settings if isinstance(settings, Loop) else Loop.of(settings)
        self.recipe = recipe
        self.dist = dist or Dist(device=torch.device(self.loop.device))
        self.device = self.dist.device
        self.cuda = self.device.type == "cuda"
        if self.cuda:
            torch.backends.cudnn.benchmark = True
        amp = self.loop.amp
        self.amp_dtype = (
            None
            if not self.cuda or amp == "none"
            else (torch.float16 if amp == "fp16" else torch.bfloat16)
        )
        self.scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 else None
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.ema: EMA | None = None
        self.module: nn.Module = nn.Module()
        self.cfg: Any = cfg  # the architecture config, once built
        self.step_count = 0
        self.log: list[dict[str, Any]] = []
        self.last_log: dict[str, Any] = {}
        self._sums: dict[str, torch.Tensor] = {}
        self._n = 0
        self.t0 = time.perf_counter()  # the clock of time budgets and schedules

    # -- what a model provides ------------------------------------------------------

    def batch(self, index: int) -> Any:
        raise NotImplementedError

    def losses(self, batch: Any, step: int) -> Losses:
        raise NotImplementedError

    def lr(self, step: int, clock: float | None) -> dict[str, float] | None:
        """Each optimiser's learning rate at ``step`` (a group's ``lr_mul``
        scales it); None leaves them as they are."""
        return None

    def sheet(self) -> Sheet | None:
        return None

    def batch_size(self) -> int:
        return int(getattr(self.settings, "batch", 1))

    def generators(self) -> dict[str, torch.Generator]:
        """The model's random generators whose state a resume must restore."""
        return {}

    def ema_target(self) -> tuple[str, nn.Module] | None:
        """(prefix in ``module``'s state dict, submodule) the EMA follows."""
        return None

    def fresh(self) -> None:
        """Set up a run that starts at step 0 without given weights."""

    def init_from(self, path: Path) -> None:
        """Start from the weights in ``path`` (fresh optimisers, step 0)."""
        loaded = self.read_weights(path, "--init")
        self.module.load_state_dict(loaded.state_dict())

    def same_architecture(self, cfg: Any) -> bool:
        return bool(cfg == self.cfg)

    def before_ship(self) -> None:
        """Called before the shipped weights are read (sampling, saving)."""

    def record(self, rec: dict[str, Any]) -> dict[str, Any]:
        """The log record of an interval (the model may derive or drop terms)."""
        return rec

    def describe(self, rec: dict[str, Any]) -> str:
        return " ".join(
            f"{k} {v:.3f}"
            for k, v in rec.items()
            if k not in ("step", "images_per_s") and isinstance(v, float)
        )[:80]

    def note(self, text: str) -> None:
        """A line for the person training (rank 0 only, on stderr)."""
        if self.dist.is_main:
            print(text, file=sys.stderr, flush=True)

    def on_eval(self) -> None:
        """The evaluation hook, every ``eval_every`` steps."""

    def finish(self) -> None:
        self.module.eval()

    # -- the kernel ------------------------------------------------------------------

    def add_optimizer(
        self,
        name: str,
        params: Any,
        *,
        lr: float,
        betas: tuple[float, float],
        weight_decay: float = 0.0,
        kind: str = "adam",
    ) -> torch.optim.Optimizer:
        """An Adam / AdamW optimiser, fused on CUDA and foreach on the CPU."""
        kw: dict[str, Any] = {"fused": True} if self.cuda else {"foreach": True}
        cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
        if kind == "adamw":
            kw["weight_decay"] = weight_decay
        opt = cls(params, lr=lr, betas=betas, **kw)
        self.optimizers[name] = opt
        return opt

    def add_gan(self, pair: Any, *, lr: float, betas: tuple[float, float]) -> None:
        """A (generator, discriminator) pair as the module, on the device, with
        one Adam each (``optG``, ``optD``: optimisers "G" and "D") at one rate."""
        self.pair: Any = pair.to(self.device)
        self.module = self.pair
        self.G: Any = pair.generator
        self.D: Any = pair.discriminator
        self.optG = self.add_optimizer("G", self.G.parameters(), lr=lr, betas=betas)
        self.optD = self.add_optimizer("D", self.D.parameters(), lr=lr, betas=betas)

    def start_ema(self, decay: float, **kw: Any) -> None:
        target = self.ema_target()
        if decay and target is not None:
            self.ema = EMA(target[1], decay, **kw)

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self.amp_dtype)

    def clock(self) -> float | None:
        """The share of the time budget spent (None without one)."""
        limit = self.loop.time_limit_s
        return (time.perf_counter() - self.t0) / limit if limit else None

    def step(self) -> None:
        """One optimiser step (of each optimiser the model's losses name):
        no host synchronisation."""
        step, accum = self.step_count, max(1, self.loop.accum)
        rates = self.lr(step, self.clock())
        for opt_name, lr in (rates or {}).items():
            for group in self.optimizers[opt_name].param_groups:
                group["lr"] = lr * group.get("lr_mul", 1.0)
        runs = [self.losses(self.batch(step * accum + i), step) for i in range(accum)]
        terms: list[dict[str, torch.Tensor]] = [{} for _ in runs]
        live = list(range(len(runs)))
        while live:
            name: str | None = None
            for i in list(live):
                try:
                    phase, loss = next(runs[i])
                except StopIteration as e:
                    terms[i] = e.value or {}
                    live.remove(i)
                    continue
                if name is None:
                    name = phase
                    self.optimizers[name].zero_grad(set_to_none=True)
                elif phase != name:
                    raise TrainingError(
                        f"{self.name}: micro-batches disagree on the update ({name} vs {phase})"
                    )
                self._backward(loss / accum if accum > 1 else loss)
            if name is not None:
                self._opt_step(name)
        if self.ema is not None:
            target = self.ema_target()
            assert target is not None
            self.ema.update(target[1], step)
        self._tally(terms)
        self.step_count += 1

    def update(self, name: str, loss: torch.Tensor) -> None:
        """One update of optimiser ``name`` on ``loss``: zero, backward, step."""
        self.optimizers[name].zero_grad(set_to_none=True)
        self._backward(loss)
        self._opt_step(name)

    def _backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def _opt_step(self, name: str) -> None:
        opt = self.optimizers[name]
        if self.scaler:
            self.scaler.step(opt)
            self.scaler.update()
        else:
            opt.step()

    def _tally(self, terms: list[dict[str, torch.Tensor]]) -> None:
        merged: dict[str, torch.Tensor] = {}
        for t in terms:
            for k, v in t.items():
                v = v.detach().float()
                merged[k] = merged[k] + v if k in merged else v
        if len(terms) > 1:
            merged = {k: v / len(terms) for k, v in merged.items()}
        for k in self.terms:
            merged.setdefault(k, torch.zeros((), device=self.device))
        for k, v in merged.items():
            self._sums[k] = self._sums[k] + v if k in self._sums else v
        self._n += 1

    def read_losses(self) -> Any:
        return self.read_terms()

    def read_terms(self) -> dict[str, float]:
        """Mean of each logged term since the last read, over all ranks (one sync)."""
        keys = list(self._sums)
        if not keys:
            return {}
        stacked = self.dist.all_reduce_mean(torch.stack([self._sums[k] for k in keys]))
        vals = (stacked / max(1, self._n)).tolist()
        self._sums, self._n = {}, 0
        return dict(zip(keys, vals))

    # -- what is shipped, saved and resumed ---------------------------------------------

    def shipped_state(self) -> dict[str, torch.Tensor]:
        """The module's state dict as shipped: the EMA's weights in place of
        the raw ones it follows."""
        self.before_ship()
        state = dict(self.module.state_dict())
        target = self.ema_target()
        if self.ema is not None and target is not None:
            prefix = target[0] + "." if target[0] else ""
            for k, v in self.ema.state_dict().items():
                state[prefix + k] = v
        return state

    def shipped_module(self, target: nn.Module) -> nn.Module:
        """The EMA's copy of ``target`` where it follows it, else ``target``."""
        t = self.ema_target()
        return (
            self.ema.shadow if self.ema is not None and t is not None and t[1] is target else target
        )

    def aux_modules(self) -> dict[str, nn.Module]:
        """Modules trained beside the shipped one and kept only in the training
        state (a discriminator that sharpens a generator): resumed, not shipped."""
        return {}

    def extra(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": self.step_count,
            "train": settings_dict(self.settings),
            "log": self.log[-3:],
        }
        if self.recipe:
            out["recipe"] = self.recipe
        return out

    def save(self, out: str | Path) -> None:
        """config.json + model.safetensors, the training state and trainer.json
        (rank 0 only; each file atomic)."""
        if not self.dist.is_main:
            return
        from safetensors.torch import save

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        checkpoint.save_pretrained(
            _Shipped(self.shipped_state()),
            self.cfg,
            out,
            model_name=self.name,
            code_version=self.code_version,
            extra=self.extra(),
        )
        state: dict[str, torch.Tensor] = {}
        for name, opt in self.optimizers.items():
            for pid, st in opt.state_dict()["state"].items():
                for k, v in st.items():
                    state[f"opt.{name}.{pid}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
        target = self.ema_target()
        if self.ema is not None and target is not None:
            state.update({RAW + k: v for k, v in target[1].state_dict().items()})
        for name, module in self.aux_modules().items():
            state.update({f"aux.{name}.{k}": v for k, v in module.state_dict().items()})
        state["rng.torch"] = torch.get_rng_state()
        if self.cuda:
            state["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        for name, g in self.generators().items():
            state[f"rng.gen.{name}"] = g.get_state()
        meta = {"step": str(self.step_count), "format": STATE_FORMAT}
        write_bytes_atomic(
            out / STATE_FILE,
            save({k: v.detach().cpu().contiguous() for k, v in state.items()}, metadata=meta),
        )
        rec = {
            "step": self.step_count,
            "seed": self.loop.seed,
            "world_size": self.dist.world_size,
            "recipe": self.recipe,
            "options": settings_dict(self.settings),
        }
        write_bytes_atomic(out / TRAINER_FILE, (json.dumps(rec, indent=2) + "\n").encode())

    def read_weights(
        self, path: str | Path, what: str, fits: Callable[[Any], bool] | None = None
    ) -> nn.Module:
        """The module saved in ``path`` (its architecture checked against ours,
        or by ``fits`` on its config where a start may differ, e.g. lack a part)."""
        try:
            loaded = checkpoint.from_pretrained(
                self.module_cls,
                self.config_cls,
                path,
                model_name=self.name,
                code_version=self.code_version,
                retrain_hint=self.retrain,
            )
        except WeightsError as e:
            raise TrainingError(str(e)) from None
        if not (fits or self.same_architecture)(loaded.cfg):
            raise TrainingError(
                f"{what} {path} holds a {self.name} with config "
                f"{settings_dict(loaded.cfg)}, not {settings_dict(self.cfg)}; "
                "use the same model flags or choose another --out"
            )
        return loaded

    def load(self, out: str | Path) -> int:
        """Continue from the checkpoint in ``out`` (rank 0 reads, every rank
        receives); returns its step."""
        payload: dict[str, Any] | None = None
        if self.dist.is_main:
            try:
                payload = self._read_checkpoint(Path(out))
            except TrainingError as e:
                payload = {"error": str(e)}
        payload = self.dist.broadcast_object(payload)
        assert payload is not None
        if "error" in payload:
            raise TrainingError(payload["error"])
        self.module.load_state_dict(payload["model"])
        state = payload["state"]
        target = self.ema_target()
        if self.ema is not None and target is not None:  # the model file holds the average
            self.ema.load_state_dict(target[1].state_dict())
            raw = {k[len(RAW) :]: v for k, v in state.items() if k.startswith(RAW)}
            try:
                target[1].load_state_dict(raw)
            except RuntimeError as e:
                raise TrainingError(
                    f"{Path(out) / STATE_FILE} lacks the raw weights of this EMA run ({e})"
                ) from None
        for name, module in self.aux_modules().items():
            prefix = f"aux.{name}."
            try:
                module.load_state_dict(
                    {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
                )
            except RuntimeError as e:
                raise TrainingError(
                    f"{Path(out) / STATE_FILE} lacks this run's {name} ({e})"
                ) from None
        for name, opt in self.optimizers.items():
            sd = opt.state_dict()
            per: dict[int, dict[str, torch.Tensor]] = {}
            for key, v in state.items():
                if key.startswith(f"opt.{name}."):
                    _, _, pid, k = key.split(".", 3)
                    per.setdefault(int(pid), {})[k] = v
            sd["state"] = per
            opt.load_state_dict(sd)
        if "rng.torch" in state:
            torch.set_rng_state(state["rng.torch"])
        if self.cuda and "rng.cuda" in state:
            torch.cuda.set_rng_state(state["rng.cuda"], self.device)
        for name, g in self.generators().items():
            if f"rng.gen.{name}" in state:
                g.set_state(state[f"rng.gen.{name}"].to(g.get_state().device))
        self.step_count = int(payload["step"])
        return self.step_count

    def _read_checkpoint(self, out: Path) -> dict[str, Any]:
        from safetensors import safe_open

        try:
            with safe_open(str(out / STATE_FILE), framework="pt") as f:
                meta = f.metadata() or {}
                state = {k: f.get_tensor(k) for k in f.keys()}
        except Exception as e:  # missing or truncated; safetensors has its own error types
            raise TrainingError(f"cannot read {out / STATE_FILE}: {e}") from None
        if meta.get("format") != STATE_FORMAT:
            raise TrainingError(
                f"{out / STATE_FILE} was written by an older trainer and cannot "
                "be resumed; start without --resume (or --init from it)"
            )
        try:
            record = json.loads((out / TRAINER_FILE).read_text(encoding="utf-8"))
            step = checkpoint.read_config(out).get("extra", {}).get("step")
        except (OSError, ValueError, WeightsError) as e:
            raise TrainingError(f"cannot read the checkpoint in {out}: {e}") from None
        steps = {str(record.get("step")), str(step), str(meta.get("step"))}
        if len(steps) != 1:
            raise TrainingError(
                f"the checkpoint files in {out} come from different steps "
                f"({', '.join(sorted(steps))}); the last save was cut off"
            )
        loaded = self.read_weights(out, "resuming:")
        return {
            "model": {k: v.detach().clone() for k, v in loaded.state_dict().items()},
            "state": state,
            "step": int(record["step"]),
        }

    def write_sheet(self, path: Path) -> bool:
        sheet = self.sheet()
        if sheet is None:
            return False
        from generators.studio.sheets import grid

        save_png(grid(sheet.images, sheet.cols), path, sheet.scale)
        return True


def studio_set(opts: Any, dataset: Any = None, **wanted: Any) -> Any:
    """The training set: ``dataset`` when given (tests), else the cached studio
    renders of ``opts.domain`` (``opts.n_train`` of them, ``opts.seed``), with
    what the model wants beside the images (features, shown attributes, ...)."""
    if dataset is not None:
        return dataset
    from generators.datasets import cached_dataset

    return cached_dataset(opts.domain, opts.n_train, seed=opts.seed, **wanted)


def seed_of(*parts: object) -> int:
    """A 63-bit seed that is a pure function of ``parts`` (e.g. a model's
    name, the run's seed and the step): per-step draws that a resumed run
    repeats exactly."""
    d = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(d, "little") >> 1


def linear_decay(step: float, base: float, steps: int, decay_from: int | None) -> float:
    """Learning rate of (0-based) step ``step``: ``base`` until ``decay_from``,
    then a straight line to zero at ``steps`` (pix2pix's schedule), so the
    last step still moves a little. A pure function of the step: resuming
    gives the same schedule."""
    if decay_from is None or step < decay_from or steps <= decay_from:
        return base
    return base * max(0.0, (steps - step) / (steps - decay_from))


def has_checkpoint(out: str | Path | None) -> bool:
    return bool(out) and (Path(str(out)) / STATE_FILE).exists()


# ---------------------------------------------------------------------------------------
# the loop


def prepare(trainer: Trainer, *, init: str | Path | None = None) -> bool:
    """Start ``trainer``: resume from its ``out`` (with ``resume``), else
    from ``init``'s weights, else fresh; returns whether it resumed."""
    loop = trainer.loop
    out = Path(loop.out) if loop.out else None
    if out and not loop.resume and has_checkpoint(out):
        raise TrainingError(
            f"{out} already holds a {trainer.name} checkpoint; pass --resume to "
            "continue it, or choose another --out"
        )
    resuming = bool(out and loop.resume and has_checkpoint(out))
    if resuming:
        assert out is not None
        trainer.load(out)
    elif init:
        trainer.init_from(Path(init))
        if trainer.ema is not None:
            target = trainer.ema_target()
            assert target is not None
            trainer.ema.load_state_dict(target[1].state_dict())
    else:
        trainer.fresh()
        if trainer.ema is not None:
            target = trainer.ema_target()
            assert target is not None
            trainer.ema.load_state_dict(target[1].state_dict())
    return resuming


T = TypeVar("T", bound=Trainer)


def run(
    trainer: T,
    *,
    init: str | Path | None = None,
    on_log: Callable[[dict[str, Any]], None] | None = None,
) -> T:
    """``prepare`` then ``fit``: the whole run."""
    prepare(trainer, init=init)
    fit(trainer, on_log=on_log)
    return trainer


def fit(
    trainer: Trainer,
    *,
    on_log: Callable[[dict[str, Any]], None] | None = None,
    until: int | None = None,
) -> Trainer:
    """Train to ``steps`` (or the time budget) from where ``trainer`` stands;
    with ``until``, stop (checkpointed) at that step of the ``steps``."""
    from generators.training.progress import lease_time_limit, progress_bar

    loop, dist = trainer.loop, trainer.dist
    loop.time_limit_s = lease_time_limit(loop.time_limit_s)  # a lease's deadline
    out = Path(loop.out) if loop.out else None
    main = dist.is_main
    t0 = time.perf_counter()
    trainer.t0 = t0
    t_log, n_log = t0, trainer.step_count
    label = trainer.label() if hasattr(trainer, "label") else trainer.name
    world = dist.world_size
    with progress_bar(loop.progress and main) as bar:
        task = bar.add_task(label, total=loop.steps, completed=trainer.step_count) if bar else None
        while trainer.step_count < loop.steps:
            trainer.step()
            step = trainer.step_count
            if bar:
                bar.advance(task)
            last = step >= loop.steps
            stop = False
            if until is not None and step >= until and not last:
                stop = True
            elif loop.time_limit_s is not None and not last:
                stop = time.perf_counter() - t0 > loop.time_limit_s
                if world > 1:  # every rank stops at one step: rank 0's clock,
                    # read at log intervals only (no host sync in between)
                    stop = step % loop.log_every == 0 and bool(dist.broadcast_object(stop))
            end = last or stop
            if step % loop.log_every == 0 or end:
                now = time.perf_counter()
                rec = trainer.record(
                    {
                        "step": step,
                        **trainer.read_terms(),
                        "images_per_s": (step - n_log)
                        * trainer.batch_size()
                        * max(1, loop.accum)
                        * world
                        / max(now - t_log, 1e-9),
                    }
                )
                t_log, n_log = now, step
                trainer.log.append(rec)
                trainer.last_log = rec
                if main:
                    text = f"{label} · {trainer.describe(rec)}"
                    if bar:
                        bar.update(task, description=text)
                    elif loop.echo:
                        print(f"{text} · step {step}/{loop.steps}", file=sys.stderr, flush=True)
                    if out:
                        out.mkdir(parents=True, exist_ok=True)
                        with open(out / LOG_FILE, "a", encoding="utf-8") as f:
                            f.write(json.dumps(rec) + "\n")
                    if on_log:
                        on_log(rec)
            if loop.eval_every and step % loop.eval_every == 0:
                trainer.on_eval()
            if out and main and ((loop.sample_every and step % loop.sample_every == 0) or end):
                trainer.write_sheet(out / "samples" / f"step-{step:06d}.png")
            if out and ((loop.checkpoint_every and step % loop.checkpoint_every == 0) or end):
                dist.broadcast_buffers(trainer.module)
                trainer.save(out)
                dist.barrier()
            if stop:
                if main and (bar or loop.echo) and until is None:
                    msg = f"{label}: time limit reached at step {step}" + (
                        "; checkpointed" if out else ""
                    )
                    if bar:
                        bar.console.print(msg)
                    else:
                        print(msg, file=sys.stderr, flush=True)
                break
    dist.broadcast_buffers(trainer.module)
    trainer.finish()
    return trainer


def measure(trainer: Trainer, *, steps: int, warmup: int = 2) -> dict[str, float]:
    """Images per second of ``trainer.step`` over ``steps`` timed steps (after
    ``warmup`` untimed ones; synchronises only around the timed block)."""
    sync = torch.cuda.synchronize if trainer.cuda else (lambda: None)
    for _ in range(warmup):
        trainer.step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    trainer.read_terms()  # drain the queue
    sync()
    dt = time.perf_counter() - t0
    return {"images_per_s": steps * trainer.batch_size() / dt, "step_s": dt / steps}
