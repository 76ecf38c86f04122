"""Image completion with a DCGAN (Yeh et al., "Semantic image inpainting with
deep generative models", 2017).

Given an image and a mask of missing pixels, search the latent space for the
``z`` whose render ``G(z)`` agrees best with the known pixels, then paste
``G(z)``'s pixels into the hole:

    z* = argmin_z  contextual(G(z), x, M) + λ · prior(z)

- contextual: L1 over the known pixels, each weighted by how close it is to the
  hole (the fraction of missing pixels in its 7×7 neighbourhood, plus a small
  floor so that pixels far from the hole still count);
- prior: the generator's adversarial loss softplus(−D(G(z))), which keeps
  ``G(z)`` on the manifold of images the discriminator believes.

Several random starts ("restarts") are optimised together as one batch with
Adam; ``z`` is clipped to [−z_clip, z_clip] after every step (DCGAN's ``z`` is
drawn from N(0, 1), so values beyond ±3 are ones G never saw), and the restart
with the lowest total loss wins.  The networks are put in eval mode and their
parameters are never changed.

Two additions (issue #24):

- ``pool``: the starts are the ``restarts`` best (by the contextual loss,
  forward passes only) of ``pool`` random latents per image, so the search
  begins near the right face instead of from a few blind draws;
- ``space="w"`` (``"auto"`` picks it for the latent GAN,
  ``DCGANConfig.synthesis == "convdeconv"``): the search runs over the
  intermediate latent w, starting from ``to_w`` of the starts, through
  ``G.synthesis``.  Through the mapping network the loss is badly
  conditioned in z; in w the latent GAN's linear code head makes it
  well-posed, and its softmax / tanh keep every w a valid decoder input, so
  no clipping is needed.  The result's latent is then a w (``space`` says
  which), which a state cannot carry: the app's "repair" searches z.

The prior of a latent GAN is its code discriminator on the searched latent's
decoder code (a critic that ``reads_codes``); its pixel discriminator is
never trained.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

WEIGHT_WINDOW = 7  # neighbourhood of the contextual weights (Yeh et al.)
WEIGHT_FLOOR = 0.1  # weight of a known pixel far from the hole
HOLE_GREY = 128  # how a hole is drawn in "before" pictures
APP_POOL = 512  # random starts scored for the app's "repair …" (complete_state_z)

# where the studio draws eyes and mouth on a frontal 64×64 face, as fractions of
# the side (rows top→bottom, cols left→right); measured from renders with and
# without sunglasses / with different expressions, with a margin for pose
_BOXES = {
    "eyes": ((0.33, 0.52), (0.20, 0.80)),
    "mouth": ((0.55, 0.74), (0.30, 0.70)),
}
REGIONS = ("left", "right", "top", "bottom", "center", "eyes", "mouth")
_ALIASES = {
    "centre": "center",
    "middle": "center",
    "masked": "center",
    "missing": "center",
    "hole": "center",
    "upper": "top",
    "lower": "bottom",
    "eye": "eyes",
    "lips": "mouth",
}


class CompletionError(ValueError):
    """Input that cannot be completed (bad image, mask or region); the message says why."""


# -- masks and images ---------------------------------------------------------------------
def region_mask(name: str, size: int = 64) -> np.ndarray:
    """A named region as a bool size×size mask, True = missing.

    "left" / "right" are the viewer's halves of the image, "top" / "bottom" the
    upper and lower halves, "center" the middle square (half the side), "eyes"
    and "mouth" boxes where the studio draws them on a frontal face.
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in REGIONS:
        raise CompletionError(f"unknown region {name!r}; valid regions: {', '.join(REGIONS)}")
    if size < 4:
        raise CompletionError(f"mask size must be at least 4, got {size}")
    m = np.zeros((size, size), bool)
    h, q = size // 2, size // 4
    if key == "left":
        m[:, :h] = True
    elif key == "right":
        m[:, h:] = True
    elif key == "top":
        m[:h] = True
    elif key == "bottom":
        m[h:] = True
    elif key == "center":
        m[q : size - q, q : size - q] = True
    else:
        (r0, r1), (c0, c1) = _BOXES[key]
        m[round(r0 * size) : round(r1 * size), round(c0 * size) : round(c1 * size)] = True
    return m


def _open_square(path: str | Path, size: int, mode: str, what: str):
    """Open an image file, centre-crop it to a square and resize it (PIL image)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise CompletionError(f"cannot read {what} {path}: no such file")
    try:
        with Image.open(path) as src:
            im = src.convert(mode)
            w, h = im.size
            s = min(w, h)
            im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
            filt = Image.Resampling.BICUBIC if mode == "RGB" else Image.Resampling.BILINEAR
            return im.resize((size, size), filt)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise CompletionError(f"cannot read {what} {path}: {e}") from None


def load_image(path: str | Path, size: int = 64) -> np.ndarray:
    """An image file as size×size×3 uint8 (centre-cropped to a square, resized)."""
    return np.asarray(_open_square(path, size, "RGB", "image"), np.uint8)


def load_mask(path: str | Path, size: int = 64) -> np.ndarray:
    """A mask file as a bool size×size array, True = missing (light pixels).

    Any image works: it is read as grey levels, cropped and resized like
    ``load_image``, and pixels brighter than mid-grey count as missing.
    """
    grey = np.asarray(_open_square(path, size, "L", "mask"), np.uint8)
    missing = grey >= 128
    check_mask(missing, f"the mask {Path(path)}")
    return missing


def check_mask(missing: np.ndarray, what: str = "the mask") -> None:
    if not missing.any():
        raise CompletionError(
            f"{what} marks no pixel as missing (light = missing, dark = known): nothing to complete"
        )
    if missing.all():
        raise CompletionError(
            f"{what} marks every pixel as missing (light = missing, "
            "dark = known): there is nothing to complete from"
        )


def with_hole(image: np.ndarray, missing: np.ndarray, fill: int = HOLE_GREY) -> np.ndarray:
    """A copy of ``image`` with the missing pixels painted grey (a "before" picture)."""
    out = np.array(image, np.uint8, copy=True)
    out[missing] = fill
    return out


def contextual_weights(
    missing: torch.Tensor, window: int = WEIGHT_WINDOW, floor: float = WEIGHT_FLOOR
) -> torch.Tensor:
    """Yeh et al.'s weights: missing N×1×H×W float (1 = missing) → N×1×H×W.

    A known pixel weighs the fraction of missing pixels in its window×window
    neighbourhood plus ``floor``; a missing pixel weighs 0.
    """
    frac = F.avg_pool2d(
        missing, window, stride=1, padding=window // 2, count_include_pad=False
    )  # N×1×H×W in [0, 1]
    return (1.0 - missing) * (frac + floor)


# -- the optimisation ---------------------------------------------------------------------
@dataclass
class CompletionResult:
    z: np.ndarray  # (z_dim,) float32, the best restart's latent (a w when ``space`` is "w")
    generated: np.ndarray  # H×W×3 uint8, G(z)
    blended: np.ndarray  # H×W×3 uint8: known pixels kept, G(z) in the hole
    loss: float  # total loss of the best restart
    contextual: float = 0.0  # its contextual (weighted L1) part
    prior: float = 0.0  # its adversarial prior softplus(−D(G(z))), before weighting
    space: str = "z"  # where the search ran: "z", or "w" (after the mapping network)


@contextlib.contextmanager
def _frozen(*nets: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no parameter gradients for the duration; restored after."""
    saved = [(n, n.training, [p.requires_grad for p in n.parameters()]) for n in nets]
    try:
        for n in nets:
            n.eval()
            n.requires_grad_(False)
        yield
    finally:
        for n, training, flags in saved:
            n.train(training)
            for p, f in zip(n.parameters(), flags):
                p.requires_grad_(f)


def _image_size(G: torch.nn.Module) -> int:
    cfg = getattr(G, "cfg", None)
    return int(getattr(cfg, "image_size", 64))


def _z_dim(G: torch.nn.Module) -> int:
    cfg = getattr(G, "cfg", None)
    if cfg is not None:
        return int(cfg.z_dim)
    from generators.protocol import Z_DIM

    return Z_DIM


def search_space(G: torch.nn.Module, space: str = "auto") -> str:
    """ "w" for a latent GAN (a mapping network and the conv-deconv decoder)
    when ``space`` is "auto", else ``space`` ("z" or "w", checked)."""
    cfg = getattr(G, "cfg", None)
    has_w = bool(getattr(cfg, "mapping", 0)) and hasattr(G, "synthesis")
    if space == "auto":
        return "w" if has_w and getattr(cfg, "synthesis", "dcgan") == "convdeconv" else "z"
    if space not in ("z", "w"):
        raise CompletionError(f"the search space must be 'z', 'w' or 'auto', got {space!r}")
    if space == "w" and not has_w:
        raise CompletionError("a search in w needs a DCGAN with a mapping network")
    return space


def _pool_starts(
    G: torch.nn.Module,
    x: torch.Tensor,
    w: torch.Tensor,
    seeds: Sequence[int],
    restarts: int,
    pool: int,
    zd: int,
) -> torch.Tensor:
    """Per image, the ``restarts`` latents z of ``pool`` random ones (drawn from
    the image's seed) whose renders fit its known pixels best ((N·R)×zd)."""
    dev = x.device
    starts = []
    for i, s in enumerate(seeds):
        cand = torch.randn(pool, zd, generator=torch.Generator().manual_seed(s + 7919))
        fit = []
        with torch.no_grad():
            for c in cand.split(64):
                g = G(c.to(dev))
                fit.append((w[i : i + 1] * (g - x[i : i + 1]).abs()).sum((1, 2, 3)).cpu())
        starts.append(cand[torch.cat(fit).argsort()[:restarts]])
    return torch.cat(starts)


def _check_inputs(G, images: np.ndarray, missing: np.ndarray) -> None:
    s = _image_size(G)
    if images.ndim != 4 or images.shape[1:] != (s, s, 3):
        raise CompletionError(
            f"images must be {s}×{s}×3 (this generator's size), "
            f"got {'×'.join(map(str, images.shape[1:]))}"
        )
    if images.dtype != np.uint8:
        raise CompletionError(f"images must be uint8, got {images.dtype}")
    if missing.shape != images.shape[:3]:
        raise CompletionError(
            f"the mask must be {s}×{s}, got {'×'.join(map(str, missing.shape[1:]))}"
        )
    for m in missing:
        check_mask(m)


def complete_batch(
    G: torch.nn.Module,
    D: torch.nn.Module,
    images: np.ndarray,
    missing: np.ndarray,
    *,
    steps: int = 400,
    restarts: int = 8,
    lr: float = 0.05,
    prior_weight: float = 0.003,
    seeds: Sequence[int] | None = None,
    z_clip: float = 3.0,
    on_step: Callable[[int], None] | None = None,
    space: str = "z",
    pool: int = 0,
) -> list[CompletionResult]:
    """Complete N images at once (N×H×W×3 uint8, masks N×H×W bool): all
    N·restarts latents are one batch.  Image i's starts are drawn from
    ``seeds[i]`` (default i), so a result does not depend on its batch mates'
    starting points; with ``pool`` > ``restarts`` they are the best of that
    many draws.  ``space``: "z", "w" or "auto" (``search_space``).
    ``on_step(k)`` is called after step k (a progress bar)."""
    from generators.nets.dcgan import from_uint8, to_uint8

    images = np.array(images, copy=True)  # writable, contiguous (for torch)
    missing = np.array(missing, bool, copy=True)
    _check_inputs(G, images, missing)
    if int(steps) < 1 or int(restarts) < 1:
        raise CompletionError("steps and restarts must be positive")
    if not z_clip > 0:
        raise CompletionError("z_clip must be positive")
    n, r, zd = len(images), int(restarts), _z_dim(G)
    seeds = list(range(n)) if seeds is None else [int(s) for s in seeds]
    if len(seeds) != n:
        raise CompletionError("one seed per image is needed")
    space = search_space(G, space)
    dev = next(G.parameters()).device
    x = from_uint8(torch.from_numpy(images)).to(dev)  # N×3×H×W
    hole = torch.from_numpy(missing).float()[:, None].to(dev)  # N×1×H×W, 1 = missing
    w = contextual_weights(hole)  # N×1×H×W

    with _frozen(G, D):
        # starting points: restarts × z_dim per image from its own seed, on the CPU
        if int(pool) > r:
            z0 = _pool_starts(G, x, w, seeds, r, int(pool), zd)
        else:
            z0 = torch.cat(
                [torch.randn(r, zd, generator=torch.Generator().manual_seed(s)) for s in seeds]
            )
        z0 = z0.clamp_(-z_clip, z_clip).to(dev)
        # a generator with a mapping network (search_space checked it for "w")
        to_w: Callable[[torch.Tensor], torch.Tensor] = getattr(G, "to_w", lambda v: v)
        if space == "w":
            with torch.no_grad():
                z0 = to_w(z0)
        z = z0.requires_grad_(True)  # (N·R)×z (or ×w)
        x, w = x.repeat_interleave(r, 0), w.repeat_interleave(r, 0)  # (N·R)×…
        w_sum = w.sum((1, 2, 3)) * x.shape[1]  # (N·R)
        synthesis: Callable[[torch.Tensor], torch.Tensor] = getattr(G, "synthesis", G)
        render = synthesis if space == "w" else G
        # a critic that reads decoder codes (a latent GAN's) gets the searched latent's code
        codes = getattr(getattr(G, "main", None), "codes", None) if space == "w" else None
        codes = codes or getattr(G, "codes", None)
        if getattr(D, "reads_codes", False) and codes is None:
            raise CompletionError("the critic reads decoder codes, but this generator has none")

        def losses(zz: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            g = render(zz)  # (N·R)×3×H×W
            ctx = (w * (g - x).abs()).sum((1, 2, 3)) / w_sum  # (N·R) weighted L1
            critic_in = codes(zz) if getattr(D, "reads_codes", False) and codes else g
            prior = F.softplus(-D(critic_in).float())  # (N·R)
            return g, ctx, prior

        opt = torch.optim.Adam([z], lr=lr)
        for k in range(int(steps)):
            _, ctx, prior = losses(z)
            # a sum, so every latent's gradient is its own loss's
            loss = (ctx + prior_weight * prior).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if space == "z":
                with torch.no_grad():
                    z.clamp_(-z_clip, z_clip)
            if on_step is not None:
                on_step(k + 1)
        with torch.no_grad():
            g, ctx, prior = losses(z)
            total = (ctx + prior_weight * prior).view(n, r)
            best = total.argmin(1)  # N
            idx = torch.arange(n, device=dev) * r + best
            gen = to_uint8(g[idx]).cpu().numpy()  # N×H×W×3
            z_best = z[idx].detach().float().cpu().numpy()
            best_total, best_ctx, best_prior = (
                t.view(n, r).gather(1, best[:, None])[:, 0].cpu().tolist()
                for t in (total, ctx.view(n, r), prior.view(n, r))
            )
    out = []
    for i in range(n):
        blended = np.where(missing[i][..., None], gen[i], images[i]).astype(np.uint8)
        out.append(
            CompletionResult(
                z_best[i],
                gen[i],
                blended,
                float(best_total[i]),
                float(best_ctx[i]),
                float(best_prior[i]),
                space,
            )
        )
    return out


def complete(
    G: torch.nn.Module,
    D: torch.nn.Module,
    image_uint8: np.ndarray,
    missing: np.ndarray,
    *,
    steps: int = 400,
    restarts: int = 8,
    lr: float = 0.05,
    prior_weight: float = 0.003,
    seed: int = 0,
    z_clip: float = 3.0,
    on_step: Callable[[int], None] | None = None,
    space: str = "auto",
    pool: int = 64,
) -> CompletionResult:
    """Complete one H×W×3 uint8 image whose ``missing`` (H×W bool) pixels are
    unknown.  Deterministic for a seed on the CPU; G and D are left unchanged.
    ``space="auto"`` searches w for a latent GAN (the result's latent is a w)."""
    image = np.asarray(image_uint8)
    if image.ndim != 3:
        raise CompletionError(f"the image must be H×W×3, got shape {image.shape}")
    missing = np.asarray(missing, bool)
    if missing.ndim != 2:
        raise CompletionError(f"the mask must be H×W, got shape {missing.shape}")
    return complete_batch(
        G,
        D,
        image[None],
        missing[None],
        steps=steps,
        restarts=restarts,
        lr=lr,
        prior_weight=prior_weight,
        seeds=[seed],
        z_clip=z_clip,
        on_step=on_step,
        space=space,
        pool=pool,
    )[0]


def complete_state_z(
    G: torch.nn.Module,
    D: torch.nn.Module,
    current_image_uint8: np.ndarray,
    region: str,
    seed: int,
    **kw,
) -> tuple[tuple[float, ...], np.ndarray, np.ndarray]:
    """For the dialogue ("repair the left half" in dcgan mode): complete
    ``region`` of the current image.

    Returns ``(z, before, after)``: ``z`` as a tuple of floats (for a
    ``SetLatent`` op), ``before`` the current image with the region greyed
    out (what the search saw), ``after`` = G(z), the image the new state
    renders (before any latent offsets).  An image of another size than G's is
    resized to it first; both pictures are at G's size.
    """
    image = np.asarray(current_image_uint8, np.uint8)
    s = _image_size(G)
    if image.ndim != 3 or image.shape[2] != 3:
        raise CompletionError(f"the image must be H×W×3, got shape {image.shape}")
    if image.shape[:2] != (s, s):
        from PIL import Image

        from generators.files import to_pil

        image = np.asarray(to_pil(image).resize((s, s), Image.Resampling.BICUBIC), np.uint8)
    missing = region_mask(region, s)
    # a state holds z, so the search runs in z; through the mapping network that
    # needs more starts to begin near the face (512: +1 dB in the hole over 64)
    res = complete(G, D, image, missing, seed=seed, **{"pool": APP_POOL, **kw, "space": "z"})
    return tuple(float(v) for v in res.z), with_hole(image, missing), res.generated


# -- evaluation -----------------------------------------------------------------------------
def psnr_masked(a: np.ndarray, b: np.ndarray, missing: np.ndarray) -> float:
    """PSNR (dB, peak 255) between two H×W×3 uint8 images over the missing pixels only."""
    d = (a.astype(np.float64) - b.astype(np.float64))[missing] / 255.0  # K×3
    mse = float(np.mean(d**2)) if d.size else 0.0
    return 10.0 * np.log10(1.0 / max(mse, 1e-10))


def mean_fill(image: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """The baseline: the hole filled with the mean colour of the image's known pixels."""
    out = np.array(image, np.uint8, copy=True)
    colour = image[~missing].astype(np.float64).mean(0)  # 3
    out[missing] = np.round(colour).astype(np.uint8)
    return out


def evaluate_completion(
    G: torch.nn.Module,
    D: torch.nn.Module,
    images_uint8: np.ndarray,
    *,
    n: int = 100,
    seed: int = 0,
    regions: Sequence[str] = ("center", "left", "eyes"),
    steps: int = 200,
    restarts: int = 4,
    batch: int = 16,
    on_progress: Callable[[int], None] | None = None,
    space: str = "auto",
    pool: int = 0,
) -> dict:
    """PSNR over the missing pixels of completions of the first ``n`` images
    (e.g. held-out studio faces) with each region missing, against the
    mean-fill baseline.

    Returns ``completion_psnr_masked`` / ``completion_psnr_meanfill`` (means
    over images and regions), ``completion_gain_db`` (their difference),
    ``n``, ``regions``, ``steps``, ``restarts``, the same two figures per
    region (``completion_psnr_masked_<region>`` / ``…_meanfill_<region>``) and
    ``completion_gain_db_se``, the standard error of the gain over the
    (image, region) pairs.  ``on_progress(k)`` after each batch of k images.
    ``space`` / ``pool``: see ``complete_batch`` ("auto": w for a latent GAN).
    """
    images = np.asarray(images_uint8)
    if images.ndim != 4 or len(images) == 0:
        raise CompletionError("evaluate_completion needs a non-empty N×H×W×3 array of images")
    images = images[: max(1, int(n))]
    s = images.shape[1]
    out: dict = {
        "n": int(len(images)),
        "regions": list(regions),
        "steps": int(steps),
        "restarts": int(restarts),
        "space": search_space(G, space),
        "pool": int(pool),
    }
    all_c, all_m = [], []
    for k, region in enumerate(regions):
        missing = region_mask(region, s)
        done: list[CompletionResult] = []
        for i in range(0, len(images), batch):
            chunk = images[i : i + batch]
            masks = np.broadcast_to(missing, chunk.shape[:3])
            done += complete_batch(
                G,
                D,
                chunk,
                masks,
                steps=steps,
                restarts=restarts,
                seeds=[seed + 1000 * k + i + j for j in range(len(chunk))],
                space=space,
                pool=pool,
            )
            if on_progress is not None:
                on_progress(len(chunk))
        pc = [psnr_masked(r.blended, im, missing) for r, im in zip(done, images)]
        pm = [psnr_masked(mean_fill(im, missing), im, missing) for im in images]
        out[f"completion_psnr_masked_{region}"] = float(np.mean(pc))
        out[f"completion_psnr_meanfill_{region}"] = float(np.mean(pm))
        all_c += pc
        all_m += pm
    out["completion_psnr_masked"] = float(np.mean(all_c))
    out["completion_psnr_meanfill"] = float(np.mean(all_m))
    out["completion_gain_db"] = out["completion_psnr_masked"] - out["completion_psnr_meanfill"]
    gains = np.asarray(all_c) - np.asarray(all_m)
    out["completion_gain_db_se"] = (
        float(gains.std(ddof=1) / np.sqrt(len(gains))) if len(gains) > 1 else None
    )
    return out
