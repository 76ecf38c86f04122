"""Training loop of the GAN-CLS face generator (network in ``nets/textgan.py``).

Per step, for a batch of studio faces with one of their training captions:

    D loss = softplus(−D(real, right)) + ½ [softplus(D(real, wrong)) + softplus(D(fake, right))]
    G loss = softplus(−D(fake, right)) + int_weight · softplus(−D(G(z', e_int), e_int))
             + rec_weight · |fake − real|₁

and, where the config has the auxiliary classifier (AC-GAN), D's loss adds
``aux_weight · CE(C(real), attributes)`` and G's ``aux_weight · CE(C(fake),
attributes)``: C reads each categorical / bool attribute from D's image
features alone, learnt on real faces only.

``r1_gamma`` (0 turns it off): Mescheder et al.'s R1 penalty on the
discriminator's gradient at real images with their own condition, applied
lazily every ``r1_every`` steps, so D cannot win on pixel-level statistics
the generator answers with speckle.

``rec_loss``: L1 is the median of what the condition leaves uncertain, so a
thin feature whose position the network has not pinned down to a pixel (eye
rims, a mouth) is dropped altogether; L2 (the mean) keeps it, blurred, for
the adversarial phase to sharpen.

``warmup`` (an explicit choice, 0 turns it off): the first steps train G on
the reconstruction term alone and leave D idle, as SRGAN / ESRGAN pretrain their
generator before the adversarial phase.  Measured on CPU (32 filters, batch
64): an L1-only step takes 0.08 s against 0.36 s for a GAN-CLS step, and 500
of them read back (judge attr_accuracy 0.61) as well as 10,000 GAN-CLS steps
from scratch did (0.59); the adversarial terms then start from a G that
already draws the faces.

"right" is the image's own condition (caption embedding, geometry and
identity numbers); "wrong" is another sample's condition whose categorical
attributes differ (so a real image with a mismatched description must read
as fake: the matching-aware loss); ``e_int = β·e₁ + (1 − β)·e₂`` interpolates
the embeddings of two captions (GAN-INT, β = ½), for which no image exists,
so only the generator's loss sees it.

``rec_weight`` (an explicit choice, 0 turns it off): a studio image is a
deterministic function of its attributes and identity, so the paired real
image is a valid target for G(z, right condition), as in pix2pix's GAN + L1.
It anchors the face geometry that edits must preserve; the adversarial terms
keep the images sharp and the text matching.

Against blur (``losses.py``, docs/faces.md):
``feature_weight`` weights the reconstruction term by the studio's feature
mask (eyes, brows, mouth, rims, lenses, the beard's edge: 1 + weight there),
``perceptual`` adds a term on the faces judge's features, and ``ema`` keeps
an exponential moving average of G's weights, which the checkpoint ships
(model.safetensors) while the training state keeps the raw G.

With ``time_limit_s`` the phases follow the clock as well as the steps: the
run's progress is the further along of step / steps and elapsed / limit, and
the warm-up's end, ``decay_from`` and the learning rate are read against it,
so a lease run stopped by the clock has had its GAN phase and its decay.
``gan_lr``: the learning rate after the warm-up (default: ``lr``).

Deterministic for a seed (the batch, captions, wrong pairs and noise of step
``s`` are drawn from a generator seeded by (seed, s)), resumable from
``training_state.safetensors``, rich progress, sample sheets (studio truth
row above the generated row) every ``sample_every`` steps, ``time_limit_s``.
The data lives on the device; losses are summed there and read every
``log_every`` steps only; bf16 autocast on CUDA only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from generators.nets.convdeconv import decoder_differences, setting_text
from generators.nets.dcgan import from_uint8, to_uint8
from generators.nets.textgan import (
    ARCH_VERSION,
    TextGAN,
    TextGANConfig,
    build,
    encode_extra,
    one_hot_codes,
)
from generators.training import kernel
from generators.training.kernel import Losses, Sheet, TrainingError, linear_decay, seed_of
from generators.training.losses import feature_weights, ns_fake, ns_real, r1_penalty, weighted_rec

__all__ = ["TERMS", "TextGANTrainOptions", "TextGANTrainer", "TrainingError", "train_textgan"]

MODEL_NAME = "textgan"
RETRAIN = "holochat train textgan --out DIR"
TERMS = (
    "loss_d",
    "d_real_right",
    "d_real_wrong",
    "d_fake_right",
    "loss_g",
    "g_fake_right",
    "g_int",
    "rec",
    "aux_real",
    "aux_fake",
    "head",
)


def load_decoder(path: str | Path):
    """The conv-deconv faces network in ``path`` (the "convdeconv" text GAN's
    decoder starts from it)."""
    from generators.checkpoint import from_pretrained
    from generators.nets.convdeconv import ARCH_VERSION as CD_VERSION, ConvDeconv, ConvDeconvConfig
    from generators.weights import WEIGHTS_DIR

    if not Path(path).is_dir() and (WEIGHTS_DIR / str(path)).is_dir():
        path = WEIGHTS_DIR / str(path)  # a shipped folder by name: "convdeconv-faces"
    net = from_pretrained(
        ConvDeconv,
        ConvDeconvConfig,
        path,
        model_name="convdeconv",
        code_version=CD_VERSION,
        retrain_hint="holochat train convdeconv --domain faces",
    )
    if net.cfg.domain != "faces":
        raise TrainingError(f"{path} holds a {net.cfg.domain} conv-deconv, not faces")
    return net


@dataclass
class TextGANTrainOptions(kernel.Loop):
    steps: int = 20000
    batch: int = 64
    n_train: int = 40000  # studio training faces
    images_per_identity: int = 8  # renders per identity (n_train / this identities)
    captions_per_image: int = 4  # paraphrased training captions per face
    beta: float = 0.5  # GAN-INT interpolation weight
    int_weight: float = 1.0  # weight of the GAN-INT term in G's loss
    rec_weight: float = 10.0  # L1 to the paired studio image (0: pure GAN-CLS)
    rec_loss: str = "l1"  # "l1" (pix2pix) or "l2" (mean squared error)
    aux_weight: float = 1.0  # AC-GAN class loss (configs with aux_classifier only)
    decay_from: int | None = None  # from this step, both lrs fall linearly to 0 at ``steps``
    warmup: int = 0  # first steps: G on the reconstruction term alone, D idle
    r1_gamma: float = 0.0  # R1 penalty γ/2·E‖∇D(real, right)‖² (0: none)
    r1_every: int = 4  # lazily, every k D steps, scaled by k
    init: str | None = None  # start from these weights (fresh optimizers, step 0)
    feature_weight: float = 0.0  # feature pixels weigh 1 + this in the rec term (0: plain)
    perceptual: float = 0.0  # weight of the judge-feature term in G's loss (0: none)
    perceptual_judge: str | None = None  # its judge (default: the shipped faces judge)
    ema: float = 0.0  # decay of the EMA of G that the checkpoint ships (0: none)
    gan_lr: float | None = None  # learning rate after the warm-up (None: ``lr``)
    # the "convdeconv" generator (config ``decoder``; issue 29):
    decoder_init: str | None = None  # conv-deconv faces weights its decoder starts from
    head_weight: float = 1.0  # the text head's cross-entropy with the attribute labels
    head_lr_mul: float = 20.0  # the head's learning rate over the decoder's (``lr``)
    drop_defaults: float = 0.5  # share of captions that leave out "no glasses / hat / beard"
    vocab_captions: bool = False  # also the vocabulary's synonyms (captions.vocabulary_templates)
    token_dropout: float = 0.2  # share of tokens the head's loss hides (regularises the head)
    lr: float = 2e-4  # Adam, as in DCGAN and GAN-CLS
    beta1: float = 0.5
    beta2: float = 0.999

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.rec_loss not in ("l1", "l2"):
            raise TrainingError(f"rec_loss must be l1 or l2, not {self.rec_loss!r}")


@dataclass
class TextGANData:
    """Everything a step reads, on the training device."""

    images: torch.Tensor  # N×S×S×3 uint8
    extra: torch.Tensor  # N×E float: geometry + identity numbers
    cap_emb: torch.Tensor  # K×D float: unique caption embeddings
    cap_index: torch.Tensor  # N×C int64: image i's captions are cap_emb[cap_index[i]]
    cats: torch.Tensor  # N×A int64: categorical / bool attribute codes
    texts: list[str]  # the K captions
    attributes: list[dict]
    features: torch.Tensor | None = None  # N×S×S bool: studio feature masks (faces)

    def __len__(self) -> int:
        return len(self.images)


def category_codes(attrs: Sequence[dict]) -> np.ndarray:
    """N×A integer codes of the faces' categorical and bool attributes."""
    from generators.schema import BOOL, CATEGORY, get_schema

    cols = get_schema("faces").of_kind(CATEGORY, BOOL)
    return np.array(
        [
            [int(bool(a[c.name])) if c.kind == BOOL else c.values.index(a[c.name]) for c in cols]
            for a in attrs
        ],
        np.int64,
    ).reshape(len(attrs), len(cols))


def prepare_data(
    cfg: TextGANConfig,
    ds,
    *,
    embedder: Callable | None = None,
    captions_per_image: int = 4,
    seed: int = 0,
    device: str = "cpu",
    cache_dir: str | Path | None = None,
    progress: bool = False,
    features: bool = False,
    drop_defaults: float = 0.5,
    vocabulary: bool = False,
) -> TextGANData:
    """Encode a studio dataset: captions (embedded once, cached on disk),
    geometry / identity numbers and category codes, moved to ``device``."""
    from generators.text.embedding import EmbeddingCache

    if ds.domain != "faces":
        raise TrainingError(f"textgan trains on faces, not {ds.domain}")
    if ds.images.shape[1:] != (cfg.image_size, cfg.image_size, cfg.channels):
        raise TrainingError(
            f"training images must be {cfg.image_size}×{cfg.image_size}×"
            f"{cfg.channels}, got {ds.images.shape[1:]}"
        )
    if cfg.tokens:
        texts, index = token_captions(
            ds.attributes, captions_per_image, seed, drop_defaults, vocabulary
        )
        tokens = token_table(texts, embedder, cache_dir, progress=progress)
        if tokens.shape[2] != cfg.embed_dim:
            raise TrainingError(
                f"the embedder gives {tokens.shape[2]} numbers per token, "
                f"the config expects embed_dim={cfg.embed_dim}"
            )
        dev = torch.device(device)
        return TextGANData(
            images=torch.as_tensor(ds.images).to(dev),
            extra=encode_extra(cfg, ds.attributes).to(dev),
            cap_emb=torch.from_numpy(tokens).to(dev),  # K×T×E float16
            cap_index=torch.from_numpy(index).to(dev),
            cats=torch.from_numpy(category_codes(ds.attributes)).to(dev),
            texts=texts,
            attributes=list(ds.attributes),
            features=_features(ds, dev) if features else None,
        )
    table = EmbeddingCache(cache_dir, embedder).caption_table(
        "faces", ds.attributes, captions_per_image, seed, progress=progress
    )
    if table.embeddings.shape[1] != cfg.embed_dim:
        raise TrainingError(
            f"the embedder gives {table.embeddings.shape[1]} numbers per caption, "
            f"the config expects embed_dim={cfg.embed_dim}"
        )
    dev = torch.device(device)
    return TextGANData(
        images=torch.as_tensor(ds.images).to(dev),
        extra=encode_extra(cfg, ds.attributes).to(dev),
        cap_emb=torch.from_numpy(table.embeddings).to(dev),
        cap_index=torch.from_numpy(table.index).to(dev),
        cats=torch.from_numpy(category_codes(ds.attributes)).to(dev),
        texts=table.texts,
        attributes=list(ds.attributes),
        features=_features(ds, dev) if features else None,
    )


#: the training templates' phrases for "nothing there" (eyewear none, no hat,
#: no beard); a caption may as well leave them out, as the held-out templates do
DEFAULT_PHRASES = ("without glasses", "bareheaded", "clean-shaven", "with no beard")


def token_captions(
    attributes: Sequence[dict],
    per_image: int,
    seed: int,
    drop_defaults: float = 0.5,
    vocabulary: bool = False,
) -> tuple[list[str], np.ndarray]:
    """(unique texts, N×per_image index): the training-template captions of
    each face (``dataset_captions``), where a share ``drop_defaults`` of them
    leave out the phrases of ``DEFAULT_PHRASES``: "no glasses" is said by
    saying nothing as often as by "without glasses".  Training templates only
    (``vocabulary``: with the vocabulary records' synonyms)."""
    from generators.text.embedding import dataset_captions

    texts, index = dataset_captions("faces", attributes, per_image, seed, vocabulary=vocabulary)
    rng = np.random.default_rng([seed, 31])
    where: dict[str, int] = {}
    out = np.empty_like(index)
    for i in range(index.shape[0]):
        for j in range(index.shape[1]):
            t = texts[index[i, j]]
            if drop_defaults > 0 and rng.random() < drop_defaults:
                parts = t.split(", ")
                t = ", ".join([parts[0]] + [q for q in parts[1:] if q not in DEFAULT_PHRASES])
            out[i, j] = where.setdefault(t, len(where))
    return list(where), out


def token_table(
    texts: Sequence[str],
    embedder: Callable | None = None,
    cache_dir: str | Path | None = None,
    *,
    batch: int = 256,
    progress: bool = False,
) -> np.ndarray:
    """K×T×E float16 token features of ``texts`` (``phrase_tokens`` unless
    ``embedder``), cached as ``<cache>/texttok-<model>-<hash>.safetensors``
    (written with ``atomic_write``)."""
    import hashlib

    from safetensors.numpy import load_file, save

    from generators.files import atomic_write
    from generators.text.embedding import embedder_name, pad_tokens, phrase_tokens

    embedder = embedder or phrase_tokens
    if cache_dir is None:
        from generators.datasets import cache_dir as default_cache

        cache_dir = default_cache()
    name = embedder_name(embedder)
    h = hashlib.sha256(name.encode())
    for t in texts:
        h.update(t.encode() + b"\0")
    slug = "".join(c if c.isalnum() else "-" for c in name.split("/")[-2 if "/" in name else -1])
    path = Path(cache_dir) / f"texttok-{slug[:40]}-{h.hexdigest()[:16]}.safetensors"
    if path.exists():
        try:
            tok = load_file(str(path))["tokens"]
            if len(tok) == len(texts):
                return tok
        except Exception:  # a truncated cache file: recompute
            pass
    from generators.training.progress import progress_bar

    parts: list[np.ndarray] = []
    with progress_bar(progress and len(texts) > batch) as bar:
        task = bar.add_task("token embeddings", total=len(texts)) if bar else None
        for s in range(0, len(texts), batch):
            chunk = np.asarray(embedder(list(texts[s : s + batch])), np.float32)
            parts += [row[np.abs(row).sum(1) > 0] for row in chunk]  # unpadded
            if bar:
                bar.advance(task, len(chunk))
    tok = pad_tokens(parts).astype(np.float16)
    try:
        blob = save({"tokens": np.ascontiguousarray(tok)}, metadata={"model": name})
        atomic_write(path, lambda f: f.write(blob))
    except OSError:
        pass  # a read-only cache only costs recomputing
    return tok


def _features(ds, dev) -> torch.Tensor:
    from generators.datasets import feature_masks

    return torch.from_numpy(feature_masks(ds)).to(dev)


def _class_loss(logits: list[torch.Tensor], cats: torch.Tensor) -> torch.Tensor:
    """Mean over attributes of the cross-entropy of the auxiliary classifier
    (0 without one)."""
    if not logits:
        return cats.new_zeros((), dtype=torch.float32)
    return torch.stack(
        [F.cross_entropy(lg.float(), cats[:, i]) for i, lg in enumerate(logits)]
    ).mean()


class TextGANTrainer(kernel.Trainer):
    """The GAN-CLS pair, its batches and losses on the kernel."""

    name, code_version = MODEL_NAME, ARCH_VERSION
    module_cls, config_cls = TextGAN, TextGANConfig
    retrain, terms = RETRAIN, TERMS

    def __init__(
        self,
        cfg: TextGANConfig,
        data: TextGANData,
        opts: TextGANTrainOptions,
        *,
        recipe: dict[str, Any] | None = None,
    ):
        super().__init__(opts, recipe=recipe)
        self.cfg, self.data, self.opts = cfg, data, opts
        if opts.feature_weight > 0 and data.features is None:
            raise TrainingError("feature_weight needs the dataset's feature masks")
        dev = self.device
        self.add_gan(build(cfg, seed=opts.seed), lr=opts.lr, betas=(opts.beta1, opts.beta2))
        self.pair.set_text_stats(data.cap_emb)  # a resumed run loads its own
        if cfg.tokens:
            if opts.decoder_init:  # a resumed run loads its own
                start = load_decoder(opts.decoder_init)
                # the decoder's shape, as our config gives it
                for field, theirs in decoder_differences(start.cfg, self.G.decoder.cfg):
                    raise TrainingError(
                        f"decoder_init {opts.decoder_init} holds a decoder with {field} "
                        f"{theirs}; train with --set decoder_{field}={setting_text(theirs)}"
                    )
                self.G.decoder.load_state_dict(start.state_dict())
            # the head learns at head_lr_mul × the decoder's small fine-tuning rate
            self.optG = self.add_optimizer(
                "G",
                [
                    {"params": self.G.head.parameters(), "lr_mul": opts.head_lr_mul},
                    {"params": self.G.decoder.parameters()},
                ],
                lr=opts.lr,
                betas=(opts.beta1, opts.beta2),
            )
        self.rng = torch.Generator(dev)
        self.start_ema(opts.ema)
        self.perceptual = None
        if opts.perceptual > 0:
            from generators.training.losses import JudgePerceptual

            self.perceptual = JudgePerceptual.load(opts.perceptual_judge, dev)
        n_show = min(8, len(data))
        self.show = torch.arange(n_show)
        self.fixed_z = torch.randn(
            n_show, cfg.z_dim, generator=torch.Generator().manual_seed(opts.seed + 1)
        )
        self._at = 0.0

    def ema_target(self) -> tuple[str, torch.nn.Module]:
        """G's EMA; the "convdeconv" generator's covers its decoder only (it
        starts from the pretrained weights; the head, trained by a plain
        cross-entropy from a random start, ships as trained)."""
        if self.cfg.tokens:
            return "generator.decoder", self.G.decoder
        return "generator", self.G

    def label(self) -> str:
        return "textgan"

    def lr(self, step: int, clock: float | None) -> dict[str, float]:
        """Both learning rates; the warm-up's end, ``decay_from`` and the rate
        are read against the run's position: the step, or further along the
        clock's share of the time limit when that is ahead."""
        o = self.opts
        self._at = float(step) if clock is None else max(float(step), clock * o.steps)
        base = o.lr if self._at < o.warmup or o.gan_lr is None else o.gan_lr
        lr = linear_decay(self._at, base, o.steps, o.decay_from)
        if self.cfg.tokens:  # a pretrained decoder: G stays at lr, D learns at gan_lr
            return {"D": lr, "G": linear_decay(self._at, o.lr, o.steps, o.decay_from)}
        return {"D": lr, "G": lr}

    def batch(self, index: int) -> dict[str, torch.Tensor]:
        """The step's batch, a pure function of (seed, step); all on the device."""
        d, B, dev, g = self.data, self.opts.batch, self.device, self.rng
        g.manual_seed(seed_of("textgan", self.opts.seed, index))
        n, C = d.cap_index.shape
        idx = torch.randint(n, (B,), generator=g, device=dev)
        cap = d.cap_index[idx, torch.randint(C, (B,), generator=g, device=dev)]
        # wrong: another sample whose categorical attributes differ (a second
        # candidate where the first one happens to match)
        j1 = torch.randint(n, (B,), generator=g, device=dev)
        j2 = torch.randint(n, (B,), generator=g, device=dev)
        differs = (d.cats[idx] != d.cats[j1]).any(1)
        j = torch.where(differs, j1, j2)
        wcap = d.cap_index[j, torch.randint(C, (B,), generator=g, device=dev)]
        emb = d.cap_emb[cap]  # B×D (tokens: B×T×E)
        if self.cfg.tokens:
            emb = emb.float()
            return {
                "idx": idx,
                "real": from_uint8(d.images.index_select(0, idx)),
                "cats": d.cats[idx],
                "emb": emb,
                "extra": d.extra[idx],
                "codes": torch.cat(one_hot_codes(d.cats[idx]), 1),  # B×code_dim
                "codes_wrong": torch.cat(one_hot_codes(d.cats[j]), 1),
                "extra_wrong": d.extra[j],
                "z": torch.zeros(B, self.cfg.z_dim, device=dev),
            }
        return {
            "idx": idx,
            "real": from_uint8(d.images.index_select(0, idx)),  # B×C×S×S in [-1, 1]
            "cats": d.cats[idx],  # B×A class codes
            "emb": emb,
            "extra": d.extra[idx],  # B×D, B×E
            "emb_wrong": d.cap_emb[wcap],
            "extra_wrong": d.extra[j],
            # GAN-INT: β·(this caption) + (1 − β)·(the next sample's caption)
            "emb_int": self.opts.beta * emb + (1 - self.opts.beta) * emb.roll(1, 0),
            "z": torch.randn(B, self.cfg.z_dim, generator=g, device=dev),
            "z_int": torch.randn(B, self.cfg.z_dim, generator=g, device=dev),
        }

    def losses(self, b: dict[str, torch.Tensor], step: int) -> Losses:
        """One discriminator and one generator update; in the warm-up, G on the
        reconstruction term alone (D idle, its terms logged as 0)."""
        o = self.opts
        if self.cfg.tokens:
            return (yield from self._decoder_losses(b, step))
        if self._at < o.warmup:
            with self.autocast():
                fake = self.G(b["z"], b["emb"], b["extra"])
            rec = self._rec(fake, b["real"], b["idx"])
            loss = o.rec_weight * rec
            if self.perceptual is not None:
                loss = loss + o.perceptual * self._perc(fake, b["real"])
            yield "G", loss
            return {"loss_g": loss, "rec": rec}
        with self.autocast():
            fake = self.G(b["z"], b["emb"], b["extra"])  # B×C×S×S
        d = yield from self._matching_d(b, fake, b["emb"], b["emb_wrong"], step)

        self.D.requires_grad_(False)
        with self.autocast():
            g_logit, aux_f = self.D.score(fake, b["emb"], b["extra"])
            g_fr = ns_real(g_logit)
            fake_int = self.G(b["z_int"], b["emb_int"], b["extra"])
            g_int = ns_real(self.D(fake_int, b["emb_int"], b["extra"]))
        rec = self._rec(fake, b["real"], b["idx"])
        aux_fake = _class_loss(aux_f, b["cats"])
        loss_g = g_fr + o.int_weight * g_int + o.rec_weight * rec + o.aux_weight * aux_fake
        if self.perceptual is not None:
            loss_g = loss_g + o.perceptual * self._perc(fake, b["real"])
        yield "G", loss_g
        self.D.requires_grad_(True)
        return {
            **d,
            "loss_g": loss_g,
            "g_fake_right": g_fr,
            "g_int": g_int,
            "rec": rec,
            "aux_fake": aux_fake,
        }

    def _matching_d(
        self,
        b: dict[str, torch.Tensor],
        fake: torch.Tensor,
        right: torch.Tensor,
        wrong: torch.Tensor,
        step: int,
    ) -> Losses:
        """The matching-aware discriminator's update (real / right condition,
        real / wrong, fake / right; the AC-GAN head on real images; R1 every
        ``r1_every`` steps); returns its logged terms."""
        o = self.opts
        r1 = o.r1_gamma > 0 and step % o.r1_every == 0
        if r1:
            b["real"].requires_grad_(True)
        with self.autocast():
            d_rr, aux_r = self.D.score(b["real"], right, b["extra"])  # real, right
            d_rw = self.D(b["real"], wrong, b["extra_wrong"])  # real, wrong
            d_fr = self.D(fake.detach(), right, b["extra"])  # fake, right
        l_rr, l_rw, l_fr = ns_real(d_rr), ns_fake(d_rw), ns_fake(d_fr)
        aux_real = _class_loss(aux_r, b["cats"])
        loss_d = l_rr + (l_rw + l_fr) / 2 + o.aux_weight * aux_real
        if r1:  # Mescheder et al. 2018, on real images with their own condition
            loss_d = loss_d + 0.5 * o.r1_gamma * o.r1_every * r1_penalty(d_rr, b["real"])
            b["real"] = b["real"].detach()
        yield "D", loss_d
        return {
            "loss_d": loss_d,
            "d_real_right": l_rr,
            "d_real_wrong": l_rw,
            "d_fake_right": l_fr,
            "aux_real": aux_real,
        }

    def _decoder_losses(self, b: dict[str, torch.Tensor], step: int) -> Losses:
        """The "convdeconv" generator's step.  The head: cross-entropy of its
        reading of the caption against the attribute labels (with a share
        ``token_dropout`` of the tokens hidden).  In the warm-up the head
        trains alone: the decoder comes pretrained by reconstruction (the
        conv-deconv's weights), so the checkpoint at the warm-up's end is the
        head over the unchanged decoder.  After it, the decoder draws from the
        true attribute code (teacher forcing: the head's errors must not teach
        it wrong codes), anchored by the weighted reconstruction of the studio
        render of the same state, and the matching-aware D (real / right code, real / wrong code,
        fake / right code, each with the geometry and identity numbers) and
        its G term join in.  No GAN-INT term (the decoder's input is a code,
        not a sentence)."""
        o = self.opts
        tokens = b["emb"]
        if o.token_dropout > 0:  # hide tokens (zero rows read as padding)
            g = self.rng
            keep = torch.rand(tokens.shape[:2], generator=g, device=tokens.device)
            tokens = tokens * (keep >= o.token_dropout).to(tokens.dtype)[..., None]
        head = _class_loss(self.G.head(tokens), b["cats"])
        probs = one_hot_codes(b["cats"])
        if self._at < o.warmup:  # the head alone: the decoder is pretrained already
            loss = o.head_weight * head
            yield "G", loss
            return {"loss_g": loss, "head": head}
        with self.autocast():
            fake = self.G(b["z"], b["emb"], b["extra"], probs)
        d = yield from self._matching_d(b, fake, b["codes"], b["codes_wrong"], step)

        self.D.requires_grad_(False)
        with self.autocast():
            g_logit, aux_f = self.D.score(fake, b["codes"], b["extra"])
            g_fr = ns_real(g_logit)
        rec = self._rec(fake, b["real"], b["idx"])
        aux_fake = _class_loss(aux_f, b["cats"])
        loss_g = g_fr + o.rec_weight * rec + o.aux_weight * aux_fake + o.head_weight * head
        if self.perceptual is not None:
            loss_g = loss_g + o.perceptual * self._perc(fake, b["real"])
        yield "G", loss_g
        self.D.requires_grad_(True)
        return {
            **d,
            "loss_g": loss_g,
            "g_fake_right": g_fr,
            "rec": rec,
            "aux_fake": aux_fake,
            "head": head,
        }

    def _rec(
        self, fake: torch.Tensor, real: torch.Tensor, idx: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The reconstruction term: mean |fake − real| (l1) or (fake − real)² (l2),
        weighted by 1 + feature_weight on the studio's feature pixels."""
        w = None
        if self.opts.feature_weight > 0 and idx is not None and self.data.features is not None:
            w = feature_weights(self.data.features.index_select(0, idx), self.opts.feature_weight)
        return weighted_rec(fake, real, w, self.opts.rec_loss)

    def _perc(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        assert self.perceptual is not None
        with self.autocast():
            return self.perceptual(fake, real).float()

    def describe(self, rec: dict[str, Any]) -> str:
        head = f" head {rec['head']:.3f}" if self.cfg.tokens else ""
        return f"D {rec['loss_d']:.3f} G {rec['g_fake_right']:.3f} L1 {rec['rec']:.3f}{head}"

    @torch.no_grad()
    def samples(self, idx: torch.Tensor, z: torch.Tensor) -> np.ndarray:
        """G in eval mode for images ``idx`` with their first caption: B×S×S×3 uint8."""
        d = self.data
        G = self.shipped_module(self.G)
        was = G.training
        G.eval()
        try:
            idx = idx.to(self.device)
            emb = d.cap_emb[d.cap_index[idx, 0]]
            out = G(z.to(self.device), emb.float() if self.cfg.tokens else emb, d.extra[idx])
            return to_uint8(out.float()).cpu().numpy()
        finally:
            G.train(was)

    def sheet(self) -> Sheet:
        """Studio truth row above the generated row."""
        truth = self.data.images[: len(self.show)].cpu().numpy()
        return Sheet(list(truth) + list(self.samples(self.show, self.fixed_z)), len(truth), 2)


# ---------------------------------------------------------------------------
# the loop


def train_textgan(
    opts: TextGANTrainOptions,
    cfg: TextGANConfig | None = None,
    dataset=None,
    *,
    embedder: Callable | None = None,
    on_log: Callable[[dict], None] | None = None,
    recipe: dict[str, Any] | None = None,
) -> TextGANTrainer:
    """Train (or resume) to ``opts.steps``; returns the trainer (its ``log``
    holds one record per log interval)."""
    cfg = cfg or TextGANConfig()
    out = Path(opts.out) if opts.out else None
    if out and not opts.resume and kernel.has_checkpoint(out):
        raise TrainingError(
            f"{out} already holds a textgan checkpoint; pass --resume to "
            "continue it, or choose another --out"
        )
    if dataset is None:
        from generators.datasets import cached_dataset

        dataset = cached_dataset(
            "faces",
            opts.n_train,
            opts.seed,
            cfg.image_size,
            "train",
            per_seed=opts.images_per_identity,
            with_features=opts.feature_weight > 0,
        )
    data = prepare_data(
        cfg,
        dataset,
        embedder=embedder,
        captions_per_image=opts.captions_per_image,
        seed=opts.seed,
        device=opts.device,
        progress=opts.progress,
        features=opts.feature_weight > 0,
        drop_defaults=opts.drop_defaults,
        vocabulary=opts.vocab_captions,
    )
    trainer = TextGANTrainer(cfg, data, opts, recipe=recipe)
    kernel.run(trainer, init=opts.init, on_log=on_log)
    return trainer


@kernel.tiny("textgan")
def tiny(out: str | None = None, steps: int = 4, resume: bool = False) -> TextGANTrainer:
    """A seconds-long text GAN (hashed captions) with the auxiliary classifier,
    R1, feature weights and an EMA; no warm-up, so every term trains."""
    from generators.datasets import make_dataset
    from generators.text.embedding import hash_embedder

    cfg = TextGANConfig(ngf=8, ndf=8, cond_dim=16, aux_classifier=True, output="compose")
    opts = TextGANTrainOptions(
        steps=steps,
        batch=4,
        log_every=1,
        progress=False,
        sample_every=100,
        out=out,
        resume=resume,
        feature_weight=8.0,
        ema=0.9,
        r1_gamma=1.0,
        r1_every=2,
        rec_loss="l2",
    )
    data = prepare_data(
        cfg, make_dataset("faces", 16, seed=1, workers=1), embedder=hash_embedder, features=True
    )
    return TextGANTrainer(cfg, data, opts)


RECIPE_CLASSES = (TextGANConfig, TextGANTrainOptions)


def train_settings(
    cfg: TextGANConfig, opts: TextGANTrainOptions, recipe: dict[str, Any]
) -> TextGANTrainer:
    return train_textgan(opts, cfg, recipe=recipe)
