"""The reference DCGAN loop, written the way pytorch/examples' ``dcgan/main.py`` is.

It is the baseline ``holochat bench`` measures holochat's trainer against, on
the same device, batch and networks: training images are PNG files on disk,
decoded with PIL by a ``Dataset`` for every item and batched by a
``DataLoader``; plain fp32, default Adam; sigmoid + ``BCELoss``; the
discriminator's real and fake halves back-propagated separately, and every
step's losses read back with ``.item()`` for logging, as the example prints them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from generators.nets.dcgan import DCGANConfig, build

LR, BETAS = 2e-4, (0.5, 0.999)  # the paper's Adam


class PNGFolder(Dataset):
    """Every ``*.png`` in a folder, decoded on access to C×H×W float in [-1, 1]."""

    def __init__(self, root: str | Path):
        self.paths = sorted(Path(root).glob("*.png"))
        if not self.paths:
            raise FileNotFoundError(f"no PNG images in {root}")

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        from PIL import Image

        with Image.open(self.paths[i]) as im:
            a = np.asarray(im.convert("RGB"), np.float32)
        return torch.from_numpy(a).permute(2, 0, 1) / 127.5 - 1.0  # C×H×W


def write_pngs(images: np.ndarray, root: str | Path) -> Path:
    """Save uint8 N×H×W×3 images as ``root/000000.png`` …; returns ``root``."""
    from PIL import Image

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(images):
        Image.fromarray(im).save(root / f"{i:06d}.png")
    return root


class ReferenceLoop:
    """pytorch/examples' training iteration over a PNG folder."""

    def __init__(
        self,
        cfg: DCGANConfig,
        root: str | Path,
        *,
        batch: int,
        device: str = "cpu",
        workers: int = 0,
        seed: int = 0,
    ):
        self.device = torch.device(device)
        self.batch, self.cfg = batch, cfg
        self.loader = DataLoader(
            PNGFolder(root),
            batch_size=batch,
            shuffle=True,
            num_workers=workers,
            drop_last=True,
            generator=torch.Generator().manual_seed(seed),
        )
        pair = build(cfg, seed=seed)
        netG, netD = pair.generator, pair.discriminator
        self.netG = netG.to(self.device)
        self.netD = nn.Sequential(netD, nn.Sigmoid()).to(self.device)  # D(x) in (0, 1)
        self.criterion = nn.BCELoss()
        self.optG = torch.optim.Adam(netG.parameters(), lr=LR, betas=BETAS)
        self.optD = torch.optim.Adam(netD.parameters(), lr=LR, betas=BETAS)
        self.log: list[tuple[float, float, float, float, float]] = []

    def batches(self):
        """Batches forever, epoch after epoch."""
        while True:
            yield from self.loader

    def step(self, data: torch.Tensor) -> None:
        real_label, fake_label = 1.0, 0.0
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        self.netD.zero_grad()
        real_cpu = data.to(self.device)
        b = real_cpu.size(0)
        label = torch.full((b,), real_label, dtype=real_cpu.dtype, device=self.device)
        output = self.netD(real_cpu)
        errD_real = self.criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        noise = torch.randn(b, self.cfg.z_dim, 1, 1, device=self.device)
        fake = self.netG(noise)
        label.fill_(fake_label)
        output = self.netD(fake.detach())
        errD_fake = self.criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        self.optD.step()

        # (2) Update G network: maximize log(D(G(z)))
        self.netG.zero_grad()
        label.fill_(real_label)
        output = self.netD(fake)
        errG = self.criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        self.optG.step()
        self.log.append((errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))


def measure_throughput(
    cfg: DCGANConfig,
    images: np.ndarray,
    *,
    tmp_dir: str | Path,
    workers: int = 0,
    batch: int,
    steps: int,
    warmup: int = 2,
    device: str = "cpu",
) -> dict[str, float]:
    """Images per second of the reference loop, data loading included (as in the
    example, which times nothing but runs exactly this)."""
    if len(images) < batch:
        raise ValueError(f"need at least {batch} images for batch {batch}, got {len(images)}")
    root = write_pngs(images, Path(tmp_dir) / "reference-pngs")
    loop = ReferenceLoop(cfg, root, batch=batch, device=device, workers=workers)
    it = loop.batches()
    for _ in range(warmup):
        loop.step(next(it))
    if loop.device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        loop.step(next(it))
    if loop.device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"images_per_s": steps * batch / dt, "step_s": dt / steps}
