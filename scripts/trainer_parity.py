"""Tiny seeded runs of every trainer, for checking that a refactor of the
training code leaves what the trainers compute unchanged (issue 25).

    python scripts/trainer_parity.py record tests/data/trainer_parity.json
    python scripts/trainer_parity.py compare tests/data/trainer_parity.json

Each case trains a tiny model for a few steps on CPU (one thread) through the
trainer's public entry point, with a loss record at every step, and keeps
the per-step losses and a digest of the saved weights (``model.safetensors``)
with each tensor's sum.  ``compare`` reruns the cases and reports, per case,
whether the weights are bit-identical and the largest difference of a loss
and of a tensor sum (``tests/test_trainer_parity.py`` runs it).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

CASES: dict[str, Callable[[Path], list[dict[str, Any]]]] = {}


def case(fn: Callable[[Path], list[dict[str, Any]]]) -> Callable[[Path], list[dict[str, Any]]]:
    CASES[fn.__name__] = fn
    return fn


def _images(n: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)


@case
def convdeconv_chairs(out: Path) -> list[dict[str, Any]]:
    from generators.datasets import make_dataset
    from generators.nets.convdeconv import ConvDeconvConfig
    from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
    ds = make_dataset("chairs", 24, seed=1, workers=1)
    cfg = ConvDeconvConfig(domain="chairs", group_width=8, shared=16, channels=(8, 8, 4, 4, 4))
    opts = ConvDeconvTrainOptions(domain="chairs", steps=5, batch=4, lr=3e-3, log_every=1,
                                  progress=False, out=str(out), checkpoint_every=100,
                                  sample_every=100)
    return train_convdeconv(opts, cfg, dataset=ds).train_log


@case
def convdeconv_faces_ema(out: Path) -> list[dict[str, Any]]:
    from generators.datasets import make_dataset
    from generators.nets.convdeconv import ConvDeconvConfig
    from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
    ds = make_dataset("faces", 24, seed=2, workers=1)
    cfg = ConvDeconvConfig(domain="faces", mask=False, group_width=8, shared=16,
                           channels=(8, 8, 4, 4, 4))
    opts = ConvDeconvTrainOptions(domain="faces", steps=5, batch=4, lr=3e-3, log_every=1,
                                  progress=False, out=str(out), checkpoint_every=100,
                                  sample_every=100, feature_weight=8.0, ema=0.9)
    return train_convdeconv(opts, cfg, dataset=ds).train_log


@case
def judge_faces(out: Path) -> list[dict[str, Any]]:
    from generators.datasets import make_dataset
    from generators.training.judge import JudgeTrainOptions, train_judge
    ds = make_dataset("faces", 32, seed=3, workers=1)
    opts = JudgeTrainOptions(steps=4, identities_per_batch=3, per_identity=4, width=8,
                             progress=False, log_every=1, lr=3e-3, out=str(out), checkpoint_every=0,
                             fine_blocks=1, fine_width=8)
    return train_judge(opts, dataset=ds).train_log


def _dcgan(out: Path, **cfg: Any) -> list[dict[str, Any]]:
    import dataclasses

    from generators.nets.dcgan import DCGANConfig
    from generators.training import dcgan as T
    arch = {f.name for f in dataclasses.fields(DCGANConfig)}    # before issue 25: all of them
    opts = T.TrainOptions(steps=5, batch=4, log_every=1, sample_every=100, checkpoint_every=100,
                          progress=False, out=str(out),
                          **{k: v for k, v in cfg.items() if k not in arch})
    T.train(DCGANConfig(ngf=4, ndf=4, **{k: v for k, v in cfg.items() if k in arch}), _images(),
            opts)
    return [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]


@case
def dcgan_plain(out: Path) -> list[dict[str, Any]]:
    return _dcgan(out)


@case
def dcgan_options(out: Path) -> list[dict[str, Any]]:
    return _dcgan(out, mapping=2, style=True, mbstd_group=2, ema=0.9,
                  augment="color,translation,cutout", lr_d=4e-4, upsample="bilinear",
                  r1_gamma=1.0, r1_every=2)


@case
def dcgan_vae(out: Path) -> list[dict[str, Any]]:
    return _dcgan(out, output="compose", encoder=True, vae_warmup=3, r1_gamma=1.0)


@case
def textgan_full(out: Path) -> list[dict[str, Any]]:
    from generators.datasets import make_dataset
    from generators.nets.textgan import TextGANConfig
    from generators.text.embedding import hash_embedder
    from generators.training.textgan import TextGANTrainOptions, train_textgan
    ds = make_dataset("faces", 16, seed=1, workers=1)
    cfg = TextGANConfig(ngf=8, ndf=8, cond_dim=16, aux_classifier=True, output="compose")
    opts = TextGANTrainOptions(steps=5, batch=4, log_every=1, progress=False, sample_every=100,
                               checkpoint_every=100, out=str(out), feature_weight=8.0, ema=0.9,
                               warmup=2, gan_lr=1e-4, r1_gamma=1.0, r1_every=2,
                               decay_from=3, rec_loss="l2")
    return train_textgan(opts, cfg, ds, embedder=hash_embedder).log


def _pix2pix_data():
    from generators.training.pix2pix import to_device
    rng = np.random.default_rng(0)
    sk = np.full((8, 2, 64, 64), 255, np.uint8)
    img = rng.integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    for i in range(8):
        sk[i, :, 8 + 5 * i:12 + 5 * i, 10:50] = 0
    return to_device(sk, img, "cpu")


@case
def pix2pix_gan(out: Path) -> list[dict[str, Any]]:
    from generators.nets.pix2pix import Pix2PixConfig
    from generators.training.pix2pix import Pix2PixTrainOptions, train_pix2pix
    opts = Pix2PixTrainOptions(steps=5, batch=4, progress=False, sample_every=100,
                               checkpoint_every=100, log_every=1, out=str(out), r1_gamma=1.0,
                               r1_every=2, decay_from=2)
    return train_pix2pix(opts, Pix2PixConfig(ngf=8, ndf=8), _pix2pix_data()).log


@case
def pix2pix_l1(out: Path) -> list[dict[str, Any]]:
    from generators.nets.pix2pix import Pix2PixConfig
    from generators.training.pix2pix import Pix2PixTrainOptions, train_pix2pix
    opts = Pix2PixTrainOptions(steps=4, batch=4, progress=False, sample_every=100,
                               checkpoint_every=100, log_every=1, out=str(out), gan_weight=0.0)
    return train_pix2pix(opts, Pix2PixConfig(ngf=8, ndf=8), _pix2pix_data()).log


SKIP = ("step", "images_per_s", "s")


def weights_record(folder: Path) -> dict[str, Any]:
    from safetensors.torch import load_file
    tensors = load_file(str(folder / "model.safetensors"))
    h = hashlib.sha256()
    sums = {}
    for k in sorted(tensors):
        t = tensors[k].contiguous()
        h.update(k.encode())
        h.update(t.numpy().tobytes())
        sums[k] = float(t.double().sum())
    return {"sha256": h.hexdigest(), "sums": sums}


def run_case(name: str) -> dict[str, Any]:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "w"
        log = CASES[name](out)
        losses = [{k: v for k, v in r.items() if k not in SKIP and isinstance(v, (int, float))}
                  for r in log]
        return {"steps": [r["step"] for r in log], "losses": losses, **weights_record(out)}


def compare(base: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """Bit-identical weights?  Largest loss and tensor-sum differences."""
    loss_diff = 0.0
    missing: list[str] = []
    for a, b in zip(base["losses"], now["losses"]):
        for k, v in a.items():
            if k not in b:
                missing.append(k)
                continue
            if not (math.isnan(v) and math.isnan(b[k])):
                loss_diff = max(loss_diff, abs(v - b[k]))
    sum_diff = max((abs(base["sums"][k] - now["sums"].get(k, math.inf)) for k in base["sums"]),
                   default=0.0)
    return {"identical": base["sha256"] == now["sha256"] and base["steps"] == now["steps"],
            "steps_equal": base["steps"] == now["steps"],
            "max_loss_diff": loss_diff, "max_sum_diff": sum_diff,
            "missing_terms": sorted(set(missing))}


def shipped_renders() -> dict[str, str]:
    """Each shipped weights folder loaded by its loader and run on fixed
    inputs: a digest of the weights and the output per folder."""
    from generators.checkpoint import from_pretrained
    from generators.datasets import make_dataset
    from generators.nets import convdeconv as C
    from generators.nets import textgan as TG
    from generators.training.dcgan import read_model
    from generators.training.judge import load_judge
    from generators.training.pix2pix import load_pix2pix
    from generators.weights import weights_path
    torch.set_num_threads(1)
    faces = make_dataset("faces", 4, seed=5, workers=1)
    chairs = make_dataset("chairs", 4, seed=5, workers=1)
    g = torch.Generator().manual_seed(0)
    out: dict[str, str] = {}

    def digest(model: torch.nn.Module, y: torch.Tensor) -> str:
        h = hashlib.sha256()
        for k, v in sorted(model.state_dict().items()):
            h.update(k.encode() + v.detach().float().contiguous().numpy().tobytes())
        h.update(y.detach().float().contiguous().numpy().tobytes())
        return h.hexdigest()

    with torch.no_grad():
        for dom, ds in (("chairs", chairs), ("faces", faces)):
            m = from_pretrained(C.ConvDeconv, C.ConvDeconvConfig, weights_path("convdeconv", dom),
                                model_name="convdeconv", code_version=C.ARCH_VERSION,
                                retrain_hint="-")
            out[f"convdeconv-{dom}"] = digest(m, m(C.encode(dom, ds.attributes))[0])
            p = load_pix2pix(weights_path("pix2pix", dom))
            sk = torch.rand(2, 1, 64, 64, generator=g) * 2 - 1
            out[f"pix2pix-{dom}"] = digest(p, p.generator(sk))
        j = load_judge(weights_path("judge", "faces"))
        x = torch.from_numpy(faces.images).permute(0, 3, 1, 2).float() / 127.5 - 1
        out["judge-faces"] = digest(j, j(x)["_embed"])
        from generators.nets.dcgan import DCGAN
        _, tensors = read_model(weights_path("dcgan", "faces"))
        from generators.training.dcgan import read_config
        pair = DCGAN(read_config(weights_path("dcgan", "faces")))
        pair.load_state_dict(tensors)
        pair.eval()
        out["dcgan-faces"] = digest(pair, pair.generator(torch.randn(2, 100, generator=g)))
        t = from_pretrained(TG.TextGAN, TG.TextGANConfig, weights_path("textgan", "faces"),
                            model_name="textgan", code_version=TG.ARCH_VERSION, retrain_hint="-")
        tokens = getattr(t.cfg, "tokens", False)  # the "convdeconv" body reads token rows
        emb = torch.randn(*((4, 7) if tokens else (4,)), t.cfg.embed_dim, generator=g)
        y = t(torch.randn(4, t.cfg.z_dim, generator=g), emb, TG.encode_extra(t.cfg,
                                                                              faces.attributes))
        out["textgan-faces"] = digest(t, y)
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["shipped"]:
        print(json.dumps(shipped_renders(), indent=1))
        return 0
    if len(argv) < 2 or argv[0] not in ("record", "compare"):
        print(__doc__)
        return 2
    path = Path(argv[1])
    names = argv[2:] or list(CASES)
    os.environ.setdefault("HOLOCHAT_CACHE_DIR", tempfile.mkdtemp(prefix="parity-cache-"))
    if argv[0] == "record":
        rec = json.loads(path.read_text()) if path.exists() else {}
        for n in names:
            rec[n] = run_case(n)
            print(n, rec[n]["sha256"][:16], flush=True)
        path.write_text(json.dumps(rec, indent=1) + "\n")
        return 0
    base = json.loads(path.read_text())
    bad = 0
    for n in names:
        res = compare(base[n], run_case(n))
        bad += not res["identical"]
        print(n, json.dumps(res), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
