"""Training loop of the conv-deconv generators (network in ``nets/convdeconv.py``).

Data: studio renders of training styles/identities (``cached_dataset``), with
inputs encoded once into tensors.  Deterministic for a seed (batch order and
init), resumable from ``training_state.safetensors``; a progress bar (rich),
sample sheets every ``sample_every`` steps.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from generators.checkpoint import from_pretrained, save_pretrained
from generators.errors import WeightsError
from generators.datasets import cached_dataset
from generators.training.progress import progress_bar
from generators.nets.convdeconv import ARCH_VERSION, ConvDeconv, ConvDeconvConfig, encode, loss_fn

STATE_FILE = "training_state.safetensors"


@dataclass
class ConvDeconvTrainOptions:
    domain: str = "chairs"
    steps: int = 6000
    batch: int = 64
    lr: float = 1e-3
    n_train: int = 20000
    seed: int = 0
    device: str = "cpu"
    out: str | None = None
    resume: bool = False
    sample_every: int = 1000
    checkpoint_every: int = 1000
    log_every: int = 100
    mask_weight: float = 0.5
    progress: bool = True
    time_limit_s: float | None = None     # stop early (checkpointed) after this long
    init: str | None = None               # start from these weights (fresh optimizer, step 0)


def _lr(step: int, total: int, base: float) -> float:
    warm = max(1, total // 50)
    if step < warm:
        return base * (step + 1) / warm
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total)))


def prepare(domain: str, ds) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor | None]:
    inputs = encode(domain, ds.attributes)
    images = torch.from_numpy(ds.images)                          # N×H×W×3 uint8
    masks = torch.from_numpy(ds.masks) if ds.masks is not None else None
    return inputs, images, masks


def _batch(idx, inputs, images, masks, device):
    x = {k: v[idx].to(device) for k, v in inputs.items()}
    y = images[idx].to(device).permute(0, 3, 1, 2).float().div(255)
    m = masks[idx].to(device).float().unsqueeze(1) if masks is not None else None
    return x, y, m


def train_convdeconv(opts: ConvDeconvTrainOptions, cfg: ConvDeconvConfig | None = None,
                     dataset=None) -> ConvDeconv:
    torch.manual_seed(opts.seed)
    cfg = cfg or ConvDeconvConfig(domain=opts.domain, mask=opts.domain == "chairs")
    out = Path(opts.out) if opts.out else None
    model = ConvDeconv(cfg).to(opts.device)
    opt = torch.optim.Adam(model.parameters(), lr=opts.lr, betas=(0.9, 0.99))
    start = 0
    if opts.resume and out is not None and (out / STATE_FILE).exists():
        model = from_pretrained(ConvDeconv, ConvDeconvConfig, out, model_name="convdeconv",
                                code_version=ARCH_VERSION, retrain_hint="start without --resume",
                                device=opts.device)
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=opts.lr, betas=(0.9, 0.99))
        from safetensors.torch import load_file
        st = load_file(str(out / STATE_FILE))
        start = int(st.pop("__step__").item())
        opt_state = opt.state_dict()
        for i, p in enumerate(model.parameters()):
            if f"exp_avg.{i}" in st:
                opt_state["state"][i] = {"step": torch.tensor(float(start)),
                                         "exp_avg": st[f"exp_avg.{i}"], "exp_avg_sq": st[f"exp_avg_sq.{i}"]}
        opt.load_state_dict(opt_state)
    ds = dataset if dataset is not None else cached_dataset(opts.domain, opts.n_train, seed=opts.seed)
    inputs, images, masks = prepare(opts.domain, ds)
    if start == 0 and opts.init:     # the given weights (and their config), fresh optimizer
        model = from_pretrained(ConvDeconv, ConvDeconvConfig, opts.init,
                                model_name="convdeconv", code_version=ARCH_VERSION,
                                retrain_hint="train without --init", device=opts.device)
        if model.cfg.domain != opts.domain:
            raise WeightsError(f"--init {opts.init} holds a {model.cfg.domain} convdeconv, "
                               f"not {opts.domain}")
        cfg = model.cfg
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=opts.lr, betas=(0.9, 0.99))
    elif start == 0:
        model.init_from_data(images, inputs["_palette"])
    n = len(images)
    sample_idx = np.arange(min(16, n))
    log: list[dict] = []
    t0 = time.perf_counter()
    model.train()
    bar_ctx = progress_bar(opts.progress)
    with bar_ctx as bar:
        task = bar.add_task(f"convdeconv {opts.domain}", total=opts.steps, completed=start) if bar else None
        running = {"rec": 0.0, "mask": 0.0}
        for step in range(start, opts.steps):
            # batch order is a pure function of (seed, epoch): resume-safe and deterministic
            epoch, pos = divmod(step * opts.batch, n)
            perm = np.random.default_rng([opts.seed, epoch]).permutation(n)
            idx = perm[pos:pos + opts.batch]
            if len(idx) < opts.batch:
                idx = np.concatenate([idx, np.random.default_rng([opts.seed, epoch + 1])
                                      .permutation(n)[:opts.batch - len(idx)]])
            x, y, m = _batch(torch.from_numpy(idx), inputs, images, masks, opts.device)
            for g in opt.param_groups:
                g["lr"] = _lr(step, opts.steps, opts.lr)
            rgb, mask_logits = model(x)
            loss, parts = loss_fn(rgb, mask_logits, y, m, opts.mask_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            for k, v in parts.items():
                running[k] += float(v.detach())
            done = step + 1
            if done % opts.log_every == 0:
                rec = running["rec"] / opts.log_every
                log.append({"step": done, "rec": rec, "psnr": -10 * math.log10(max(rec, 1e-10)),
                            "mask": running["mask"] / opts.log_every,
                            "s": round(time.perf_counter() - t0, 1)})
                running = {"rec": 0.0, "mask": 0.0}
                if bar:
                    bar.update(task, description=f"convdeconv {opts.domain} · train PSNR {log[-1]['psnr']:.1f} dB")
            if bar:
                bar.advance(task)
            stop = opts.time_limit_s is not None and time.perf_counter() - t0 > opts.time_limit_s
            if out is not None and (done % opts.checkpoint_every == 0 or done == opts.steps or stop):
                save_checkpoint(model, opt, out, done, opts, log)
            if out is not None and (done % opts.sample_every == 0 or done == opts.steps or stop):
                write_samples(model, inputs, images, sample_idx, out / "samples" / f"step-{done:06d}.png",
                              opts.device)
            if stop:
                break
    model.eval()
    model.train_log = log  # type: ignore[attr-defined]
    return model


def save_checkpoint(model, opt, out: Path, step: int, opts, log) -> None:
    from safetensors.torch import save_file
    save_pretrained(model, model.cfg, out, model_name="convdeconv", code_version=ARCH_VERSION,
                    extra={"step": step, "train": asdict(opts), "log": log[-3:]})
    st = {"__step__": torch.tensor(step)}
    for i, p in enumerate(model.parameters()):
        s = opt.state.get(p)
        if s:
            st[f"exp_avg.{i}"] = s["exp_avg"].detach().cpu().contiguous()
            st[f"exp_avg_sq.{i}"] = s["exp_avg_sq"].detach().cpu().contiguous()
    save_file(st, str(out / STATE_FILE))
    (out / "train_log.json").write_text(json.dumps(log))


@torch.no_grad()
def write_samples(model, inputs, images, idx, path: Path, device) -> None:
    """Top row: studio ground truth; bottom row: the network."""
    from generators.studio.sheets import grid, save_png
    was = model.training
    model.eval()
    x = {k: v[idx].to(device) for k, v in inputs.items()}
    rgb, _ = model(x)
    gen = (rgb.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    truth = images[idx].numpy()
    save_png(grid(list(truth) + list(gen), len(idx)), path, 2)
    model.train(was)


def measure_throughput(*, batch: int = 64, steps: int = 10, warmup: int = 2,
                       device: str = "cpu") -> dict[str, float]:
    """Training images per second at the shipped config (for ``holochat bench``)."""
    from generators.datasets import make_dataset
    torch.manual_seed(0)
    ds = make_dataset("chairs", max(batch, 64), seed=0, workers=1)
    model = ConvDeconv(ConvDeconvConfig(domain="chairs")).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, images, masks = prepare("chairs", ds)
    idx = torch.arange(batch) % len(images)
    x, y, m = _batch(idx, inputs, images, masks, device)

    def step():
        rgb, ml = model(x)
        loss, _ = loss_fn(rgb, ml, y, m)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"images_per_s": steps * batch / dt, "step_s": dt / steps}
