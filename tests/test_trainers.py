"""The shared trainer suite: every model registered with the training kernel
(``generators/training/kernel.py``: ``MODELS`` and its ``tiny`` runs) is put
through the same checks, so a new model gets them by registering:

- one update on a tiny batch lowers the loss it was taken on;
- stopping at a checkpoint and resuming equals training straight through
  (weights, EMA, optimiser moments, RNG states);
- its sample sheet is written (a PNG with something on it).

And the kernel's own: gradient accumulation, and the recipes' command line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generators.training import kernel

pytestmark = pytest.mark.usefixtures("one_torch_thread")

RUNS = kernel.tiny_runs()


def test_every_kernel_model_is_registered_for_these_tests():
    subclasses = {c.name for c in kernel.Trainer.__subclasses__()}
    assert set(RUNS) == set(kernel.MODELS) == subclasses


def _first_update(tr: kernel.Trainer, batch) -> tuple[str, torch.Tensor]:
    """The first (optimiser, loss) a step of ``tr`` takes on ``batch``."""
    gen = tr.losses(batch, 0)
    name, loss = next(gen)
    gen.close()
    return name, loss


@pytest.mark.parametrize("model", sorted(RUNS))
def test_one_update_lowers_the_loss_on_a_tiny_batch(model):
    tr = RUNS[model]()
    kernel.prepare(tr)
    for name, lr in (tr.lr(0, None) or {}).items():
        for group in tr.optimizers[name].param_groups:
            group["lr"] = lr * group.get("lr_mul", 1.0)
    batch = tr.batch(0)
    name, before = _first_update(tr, batch)
    tr.update(name, before)
    _, after = _first_update(tr, batch)
    before, after = float(before.detach()), float(after.detach())
    assert np.isfinite(before) and after < before, (name, before, after)


def _state(tr: kernel.Trainer) -> dict[str, torch.Tensor]:
    out = {f"module.{k}": v for k, v in tr.module.state_dict().items()}
    if tr.ema is not None:
        out.update({f"ema.{k}": v for k, v in tr.ema.state_dict().items()})
    for name, opt in tr.optimizers.items():
        for pid, st in opt.state_dict()["state"].items():
            out.update({f"opt.{name}.{pid}.{k}": v for k, v in st.items() if torch.is_tensor(v)})
    return out


@pytest.mark.parametrize("model", sorted(RUNS))
def test_resume_equals_training_straight_through_and_the_sheet_is_written(model, tmp_path):
    from PIL import Image
    straight = RUNS[model](str(tmp_path / "a"), steps=4)
    kernel.prepare(straight)
    kernel.fit(straight)
    part = RUNS[model](str(tmp_path / "b"), steps=4)
    kernel.prepare(part)
    kernel.fit(part, until=2)
    assert part.step_count == 2 and (tmp_path / "b" / kernel.STATE_FILE).exists()
    resumed = RUNS[model](str(tmp_path / "b"), steps=4, resume=True)
    assert kernel.prepare(resumed) and resumed.step_count == 2
    kernel.fit(resumed)
    a, b = _state(straight), _state(resumed)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    assert [r["step"] for r in resumed.log] == [3, 4]
    for run in ("a", "b"):
        sheet = tmp_path / run / "samples" / "step-000004.png"
        with Image.open(sheet) as im:
            pixels = np.asarray(im.convert("RGB"))
        assert pixels.shape[0] >= 64 and pixels.shape[1] >= 64 and pixels.std() > 1
    assert (tmp_path / "b" / "samples" / "step-000002.png").exists()   # the stop wrote one too


def test_gradient_accumulation_averages_the_micro_batches():
    """Two micro-batches of B give the update of their mean loss: the same
    weights as one step on the mean of the two losses, by hand."""
    tr = RUNS["pix2pix"]()
    tr.loop.accum = 2
    kernel.prepare(tr)
    by_hand = RUNS["pix2pix"]()
    tr.step()
    # by hand: both micro-batches' D losses, averaged, one D update; then G's
    runs = [by_hand.losses(by_hand.batch(i), 0) for i in range(2)]
    d = [next(r) for r in runs]
    by_hand.update("D", (d[0][1] + d[1][1]) / 2)
    g = [next(r) for r in runs]
    by_hand.update("G", (g[0][1] + g[1][1]) / 2)
    for (k, x), y in zip(tr.module.state_dict().items(), by_hand.module.state_dict().values()):
        assert torch.allclose(x, y, atol=1e-6), k


def test_the_time_budget_stops_at_a_checkpoint(tmp_path):
    tr = RUNS["judge"](str(tmp_path), steps=1000)
    tr.loop.time_limit_s = 0.0
    kernel.prepare(tr)
    kernel.fit(tr)
    assert tr.step_count == 1 and kernel.has_checkpoint(tmp_path)


def test_an_existing_checkpoint_is_never_overwritten_without_resume(tmp_path):
    tr = RUNS["pix2pix"](str(tmp_path), steps=1)
    kernel.prepare(tr)
    kernel.fit(tr)
    before = (tmp_path / "model.safetensors").read_bytes()
    with pytest.raises(kernel.TrainingError, match="--resume"):
        kernel.prepare(RUNS["pix2pix"](str(tmp_path), steps=2))
    assert (tmp_path / "model.safetensors").read_bytes() == before


def test_the_eval_hook_runs_every_eval_every_steps():
    tr = RUNS["pix2pix"](steps=5)
    tr.loop.eval_every = 2
    seen: list[int] = []
    tr.on_eval = lambda: seen.append(tr.step_count)          # type: ignore[method-assign]
    kernel.run(tr)
    assert seen == [2, 4]


def test_a_training_state_from_before_the_kernel_is_refused_clearly(tmp_path):
    from safetensors.torch import save_file
    tr = RUNS["judge"](str(tmp_path), steps=1)
    kernel.run(tr)
    save_file({"__step__": torch.tensor(1)}, str(tmp_path / kernel.STATE_FILE))   # the old format
    with pytest.raises(kernel.TrainingError, match="older trainer"):
        kernel.prepare(RUNS["judge"](str(tmp_path), steps=2, resume=True))
