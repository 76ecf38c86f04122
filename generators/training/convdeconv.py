"""Training loop of the conv-deconv generators (network in ``nets/convdeconv.py``).

Data: studio renders of training styles/identities (``cached_dataset``), with
inputs encoded once into tensors and kept on the training device.
Deterministic for a seed (batch order and init), resumable from
``training_state.safetensors``; a progress bar (rich), sample sheets every
``sample_every`` steps.  On CUDA: bf16 autocast, cudnn benchmark, fused Adam;
losses are summed on the device and read every ``log_every`` steps only.

Faces, against blur (``generators/training/sharpness.py``, docs/faces.md):
the reconstruction loss weights the studio's feature pixels (eyes, brows,
mouth, rims, lenses, the beard's edge) by ``1 + feature_weight``; optionally
a perceptual term on the faces judge's features (``perceptual``) and an EMA
of the weights for sampling (``ema``: the checkpoint's model.safetensors
holds the average, the training state the raw weights).

With ``time_limit_s`` the cosine schedule runs on whichever is further
along, the steps or the time, so a run stopped by the clock ends at a low
learning rate.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from generators.checkpoint import from_pretrained, save_pretrained
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
    feature_weight: float = 8.0           # faces: feature pixels weigh 1 + this (0: plain MSE)
    perceptual: float = 0.0               # faces: weight of the judge-feature term (0: none)
    perceptual_judge: str | None = None   # its judge (default: the shipped faces judge)
    ema: float = 0.0                      # decay of the sampling EMA (0: none)


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


class _Order:
    """The batch order, a pure function of (seed, epoch): per epoch one
    permutation, drawn on the host once and kept on the device."""

    def __init__(self, seed: int, n: int, device):
        self.seed, self.n, self.device = seed, n, device
        self.cache: dict[int, torch.Tensor] = {}

    def perm(self, epoch: int) -> torch.Tensor:
        if epoch not in self.cache:
            if len(self.cache) > 2:
                self.cache.clear()
            self.cache[epoch] = torch.from_numpy(
                np.random.default_rng([self.seed, epoch]).permutation(self.n)).to(self.device)
        return self.cache[epoch]

    def batch(self, step: int, size: int) -> torch.Tensor:
        epoch, pos = divmod(step * size, self.n)
        idx = self.perm(epoch)[pos:pos + size]
        if len(idx) < size:
            idx = torch.cat([idx, self.perm(epoch + 1)[:size - len(idx)]])
        return idx


def train_convdeconv(opts: ConvDeconvTrainOptions, cfg: ConvDeconvConfig | None = None,
                     dataset=None) -> ConvDeconv:
    torch.manual_seed(opts.seed)
    cfg = cfg or ConvDeconvConfig(domain=opts.domain, mask=opts.domain == "chairs")
    out = Path(opts.out) if opts.out else None
    dev = torch.device(opts.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    model = ConvDeconv(cfg).to(dev)
    start = 0
    raw_state = None
    if opts.resume and out is not None and (out / STATE_FILE).exists():
        model = from_pretrained(ConvDeconv, ConvDeconvConfig, out, model_name="convdeconv",
                                code_version=ARCH_VERSION, retrain_hint="start without --resume",
                                device=opts.device)
        from safetensors.torch import load_file
        raw_state = load_file(str(out / STATE_FILE))
    ema = None
    if opts.ema:
        from generators.training.sharpness import EMA
        ema = EMA(model, opts.ema)                 # resumed: model.safetensors is the average
    if raw_state is not None:
        st = raw_state
        start = int(st.pop("__step__").item())
        raw = {k[len("param."):]: v for k, v in st.items() if k.startswith("param.")}
        if raw:                                   # an EMA run keeps its raw weights here
            model.load_state_dict(raw)
    model.train()
    kw = {"fused": True} if cuda else {}
    opt = torch.optim.Adam(model.parameters(), lr=opts.lr, betas=(0.9, 0.99), **kw)
    if raw_state is not None:
        opt_state = opt.state_dict()
        for i, p in enumerate(model.parameters()):
            if f"exp_avg.{i}" in raw_state:
                opt_state["state"][i] = {"step": torch.tensor(float(start)),
                                         "exp_avg": raw_state[f"exp_avg.{i}"],
                                         "exp_avg_sq": raw_state[f"exp_avg_sq.{i}"]}
        opt.load_state_dict(opt_state)
    if dataset is not None:
        ds = dataset
    else:
        ds = cached_dataset(opts.domain, opts.n_train, seed=opts.seed,
                            with_features=opts.domain == "faces" and opts.feature_weight > 0)
    inputs, images, masks = prepare(opts.domain, ds)
    if start == 0:
        model.init_from_data(images, inputs["_palette"])
        if ema is not None:
            ema.shadow.load_state_dict(model.state_dict())
    features = None
    if opts.domain == "faces" and opts.feature_weight > 0:
        from generators.datasets import feature_masks
        features = torch.from_numpy(feature_masks(ds)).to(dev)      # N×H×W bool
    perceptual = None
    if opts.domain == "faces" and opts.perceptual > 0:
        from generators.training.sharpness import JudgePerceptual
        perceptual = JudgePerceptual.load(opts.perceptual_judge, dev)
    # everything a step reads lives on the device
    inputs = {k: v.to(dev) for k, v in inputs.items()}
    images = images.to(dev)
    masks = masks.to(dev) if masks is not None else None
    n = len(images)
    order = _Order(opts.seed, n, dev)
    sample_idx = np.arange(min(16, n))
    log: list[dict] = []
    t0 = time.perf_counter()
    t_log, n_log = t0, start
    def amp():
        return (torch.autocast("cuda", dtype=torch.bfloat16) if cuda
                else contextlib.nullcontext())
    from generators.training.sharpness import feature_weights, weighted_rec
    bar_ctx = progress_bar(opts.progress)
    with bar_ctx as bar:
        task = bar.add_task(f"convdeconv {opts.domain}", total=opts.steps, completed=start) if bar else None
        running = torch.zeros(4, device=dev)          # rec (weighted), mse, mask, perceptual
        n_run = 0
        for step in range(start, opts.steps):
            idx = order.batch(step, opts.batch)
            x = {k: v.index_select(0, idx) for k, v in inputs.items()}
            y = images.index_select(0, idx).permute(0, 3, 1, 2).float().div(255)
            m = masks.index_select(0, idx).float().unsqueeze(1) if masks is not None else None
            frac = None
            if opts.time_limit_s:
                frac = (time.perf_counter() - t0) / opts.time_limit_s
            for g in opt.param_groups:
                g["lr"] = _lr(step, opts.steps, opts.lr, frac)
            with amp():
                rgb, mask_logits = model(x)
            rgb = rgb.float()
            w = (feature_weights(features.index_select(0, idx), opts.feature_weight)
                 if features is not None else None)
            rec = weighted_rec(rgb, y, w, "l2")
            loss = rec
            mask_l = rec.new_zeros(())
            if mask_logits is not None and m is not None:
                mask_l = torch.nn.functional.binary_cross_entropy_with_logits(
                    mask_logits.float(), m)
                loss = loss + opts.mask_weight * mask_l
            perc = rec.new_zeros(())
            if perceptual is not None:
                with amp():
                    perc = perceptual(rgb * 2 - 1, y * 2 - 1)
                loss = loss + opts.perceptual * perc.float()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if ema is not None:
                ema.update(model)
            mse = (rgb.detach() - y).pow(2).mean()
            running += torch.stack([rec.detach(), mse, mask_l.detach(), perc.detach().float()])
            n_run += 1
            done = step + 1
            stop = opts.time_limit_s is not None and time.perf_counter() - t0 > opts.time_limit_s
            if done % opts.log_every == 0 or done == opts.steps or stop:
                r = (running / max(1, n_run)).tolist()          # the one host sync
                now = time.perf_counter()
                log.append({"step": done, "rec": r[1], "psnr": -10 * math.log10(max(r[1], 1e-10)),
                            "rec_weighted": r[0], "mask": r[2], "perceptual": r[3],
                            "images_per_s": round((done - n_log) * opts.batch
                                                  / max(now - t_log, 1e-9), 1),
                            "s": round(now - t0, 1)})
                t_log, n_log = now, done
                running.zero_()
                n_run = 0
                if bar:
                    bar.update(task, description=f"convdeconv {opts.domain} · train PSNR {log[-1]['psnr']:.1f} dB")
            if bar:
                bar.advance(task)
            if out is not None and (done % opts.checkpoint_every == 0 or done == opts.steps or stop):
                save_checkpoint(model, opt, out, done, opts, log, ema)
            if out is not None and (done % opts.sample_every == 0 or done == opts.steps or stop):
                write_samples(ema.shadow if ema is not None else model, inputs, images, sample_idx,
                              out / "samples" / f"step-{done:06d}.png", opts.device)
            if stop:
                break
    model.eval()
    if ema is not None:            # what samples (and what the checkpoint ships) is the average
        model.load_state_dict(ema.shadow.state_dict())
    model.train_log = log  # type: ignore[attr-defined]
    return model


def save_checkpoint(model, opt, out: Path, step: int, opts, log, ema=None) -> None:
    """config.json + model.safetensors (the EMA's weights when there is one)
    and the training state (step, Adam moments, and with an EMA the raw
    weights)."""
    from safetensors.torch import save_file
    ship = ema.shadow if ema is not None else model
    save_pretrained(ship, model.cfg, out, model_name="convdeconv", code_version=ARCH_VERSION,
                    extra={"step": step, "train": asdict(opts), "log": log[-3:]})
    st = {"__step__": torch.tensor(step)}
    if ema is not None:
        st.update({f"param.{k}": v.detach().cpu().contiguous()
                   for k, v in model.state_dict().items()})
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
    t = torch.as_tensor(idx, device=images.device)
    x = {k: v.index_select(0, t.to(v.device)).to(device) for k, v in inputs.items()}
    rgb, _ = model(x)
    gen = (rgb.float().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    truth = images.index_select(0, t).cpu().numpy()
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
