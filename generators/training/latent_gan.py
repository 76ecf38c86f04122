"""Stage 1 of the latent-GAN DCGAN (``DCGANConfig.synthesis == "convdeconv"``,
``generators/nets/latent_gan.py``): a GAN on the conv-deconv decoder's input
codes, with the decoder frozen.

Real codes are ``convdeconv.encode`` of attribute samples from the studio's
own sampler (``datasets._plan``: the training split's identities, uniform
attribute values), ``TrainOptions.n_images`` of them.  The generator is the
mapping network and the code head (the decoder takes no gradient); the
discriminator is ``CodeDiscriminator``.  Losses: non-saturating, lazy R1 on
the real codes, and ``code_noise`` × N(0, I) instance noise on both real and
generated codes before D (so D cannot tell a softmax blend near one-hot from a
one-hot by its last decimals; the draws are functions of seed, rank and step,
so resume == straight through).  ``code_reg`` × ``CodeHead.vertex_distance``
pulls each category's logits to the vertex of its value (``code_vertex`` ×
the centred one-hot) and each boolean's pre-activation to ± half that: the
GAN sees only the saturated softmax / tanh, so without it the logit gaps
spread unseen behind the saturation (measured: a gap of 11 ± 9 between the
two largest), and a calibrated move along a direction, which carries the mean
negative sample to the mean positive one, leaves many samples short of the
boundary.  The weight grows over ``code_reg_ramp`` steps.  The EMA of G, the
mapping network's slower rate, two time-scale learning rates and the checkpoint layout are the DCGAN
trainer's (``generators/training/dcgan.py``, whose ``train`` picks this class
for such a config); sample sheets render G's codes through the decoder.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import torch

from generators.nets.dcgan import DCGANConfig, build
from generators.nets.latent_gan import CODE_DIM, load_decoder
from generators.training import kernel
from generators.training.dcgan import DCGANTrainer, TrainOptions
from generators.training.distributed import Dist, EpochSharder
from generators.training.kernel import TrainingError, seed_of
from generators.training.losses import ns_fake, ns_real, r1_penalty


def real_codes(n: int, seed: int = 0) -> torch.Tensor:
    """``convdeconv.encode`` of ``n`` studio attribute samples (training split),
    as code vectors N×CODE_DIM."""
    from generators.datasets import _plan
    from generators.nets.convdeconv import encode
    from generators.nets.latent_gan import code_vector

    out = []
    attrs = _plan("faces", int(n), int(seed), "train")
    for i in range(0, len(attrs), 2000):
        out.append(code_vector(encode("faces", attrs[i : i + 2000])))
    return torch.cat(out)


class LatentGANTrainer(DCGANTrainer):
    """The DCGAN trainer's pair and EMA, trained on decoder codes (stage 1)."""

    terms = ("loss_d", "loss_g", "vertex")

    def __init__(
        self,
        cfg: DCGANConfig,
        codes: np.ndarray | torch.Tensor | None,
        opts: TrainOptions,
        dist: Dist | None = None,
        *,
        recipe: dict[str, Any] | None = None,
        decoder: str | None = None,
    ):
        kernel.Trainer.__init__(self, opts, dist=dist, recipe=recipe)
        if cfg.synthesis != "convdeconv":
            raise TrainingError("the latent-GAN trainer needs synthesis = 'convdeconv'")
        self.cfg, self.opts = cfg, opts
        dev = self.device
        if codes is None:
            codes = real_codes(opts.n_images, opts.seed)
        codes = torch.as_tensor(codes, dtype=torch.float32)
        if codes.dim() != 2 or codes.shape[1] != CODE_DIM or not len(codes):
            raise TrainingError(f"real codes must be N×{CODE_DIM}, got {tuple(codes.shape)}")
        self.codes = codes.to(dev)
        self.sharder = EpochSharder(len(codes), opts.batch, self.dist, opts.seed, dev)
        self.pair = build(cfg, seed=opts.seed)
        if decoder != "none":  # tests build tiny decoders, which stay random
            load_decoder(self.pair.generator.main, decoder)
        self.module = self.pair.to(dev)
        self.netG = self.pair.generator
        self.netD = cast(Any, self.pair.code_discriminator)  # D of codes, not images
        self.netE = None
        self.G, self.D = self.dist.wrap(self.netG), self.dist.wrap(self.netD)
        self.E = None
        self.D_frozen = self.netD
        head = [p for n, p in self.netG.named_parameters() if n.startswith("main.head.")]
        self.start_training(head, copy_buffers=True, augment=[])

    def batch(self, index: int) -> torch.Tensor:
        return self.codes.index_select(0, self.sharder.indices(index))  # B×CODE_DIM

    def noisy(self, code: torch.Tensor, step: int, which: int) -> torch.Tensor:
        """The code with ``code_noise`` × N(0, I) added (seeded by step and ``which``)."""
        sigma = self.opts.code_noise
        if not sigma:
            return code
        self.aug_noise.manual_seed(seed_of(self.opts.seed + 2 + which, self.dist.rank, step))
        eps = torch.randn(code.shape, device=code.device, generator=self.aug_noise)
        return code + sigma * eps

    def losses(self, real: torch.Tensor, step: int) -> kernel.Losses:
        """One code-discriminator and one generator update."""
        z = self.batch_noise(step).flatten(1)
        w = self.netG.to_w(z)
        fake = self.netG.main.codes(w)  # B×CODE_DIM
        r1 = self.opts.r1_gamma > 0 and step % self.opts.r1_every == 0
        real = self.noisy(real, step, 0)
        if r1:
            real = real.detach().requires_grad_(True)
        d_real = self.D(real)
        d_fake = self.D(self.noisy(fake.detach(), step, 1))
        loss_d = ns_real(d_real) + ns_fake(d_fake)
        if r1:
            o = self.opts
            loss_d = loss_d + 0.5 * o.r1_gamma * o.r1_every * r1_penalty(d_real, real)
        yield "D", loss_d
        self.netD.requires_grad_(False)
        loss_g = ns_real(self.D_frozen(self.noisy(fake, step, 2)))
        vertex = self.netG.main.head.vertex_distance(w, self.opts.code_vertex).mean()
        reg = self.code_reg_at(step)
        yield "G", loss_g + reg * vertex if reg else loss_g
        self.netD.requires_grad_(True)
        return {"loss_d": loss_d, "loss_g": loss_g, "vertex": vertex.detach()}

    def code_reg_at(self, step: int) -> float:
        """The vertex penalty's weight: ``code_reg``, reached linearly over the
        first ``code_reg_ramp`` steps (the GAN first spreads the samples over
        the values; the penalty then tightens each value, never moving a sample
        across, so a strong penalty from step 0 freezes the first split)."""
        o = self.opts
        ramp = min(1.0, step / o.code_reg_ramp) if o.code_reg_ramp else 1.0
        return o.code_reg * ramp

    def record(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {**super().record(rec), "vertex": rec["vertex"]}

    def recalibrate_ema(self, batches: int = 4) -> None:
        """Nothing to re-measure: the latent GAN's generator has no batch norm."""


def tiny(out: str | None = None, steps: int = 4, resume: bool = False) -> LatentGANTrainer:
    """A seconds-long latent GAN on a tiny random decoder (R1 each step, EMA,
    mbstd); not in the kernel registry (it is the "dcgan" model), so
    tests/test_dcgan_latent.py puts it through the registry's checks."""
    codes = real_codes(32, seed=0)
    cfg = DCGANConfig(
        z_dim=8,
        ndf=4,
        mapping=2,
        mbstd_group=2,
        synthesis="convdeconv",
        decoder_width=8,
        decoder_shared=16,
        decoder_channels=(8, 8, 4, 4, 4),
        code_hidden=16,
    )
    opts = TrainOptions(
        steps=steps,
        batch=8,
        log_every=1,
        sample_every=100,
        progress=False,
        out=out,
        resume=resume,
        ema=0.9,
        lr=1e-3,
        r1_gamma=1.0,
        r1_every=1,
        code_noise=0.05,
        code_reg=0.01,
    )
    return LatentGANTrainer(cfg, codes, opts, decoder="none")
