"""The expression-reader term of the faces conv-deconv's training
(``losses.ReaderMatch``, ``ConvDeconvTrainOptions.reader_weight``): zero where
the two pictures read alike, a gradient for the generated one only, the
reader frozen, and a judge to name that is not the measuring one, on tiny
seeded models."""

from __future__ import annotations

import pytest
import torch

from generators.checkpoint import save_pretrained
from generators.datasets import make_dataset
from generators.nets.convdeconv import ConvDeconvConfig
from generators.nets.judge import ARCH_VERSION, Judge, JudgeConfig
from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
from generators.training.losses import ReaderMatch

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY_JUDGE = JudgeConfig(domain="faces", width=8, hidden=16, embed_dim=8, expr_width=4)


def _judge(tmp_path, cfg=TINY_JUDGE):
    torch.manual_seed(0)
    judge = Judge(cfg).eval()
    out = save_pretrained(judge, cfg, tmp_path / "judge", model_name="judge",
                          code_version=ARCH_VERSION)
    return judge, out


@pytest.mark.parametrize("head", ["reader", "trunk"])
def test_the_term_is_zero_on_equal_reads_and_moves_only_the_generated_picture(tmp_path, head):
    judge, _ = _judge(tmp_path)
    term = ReaderMatch(judge, head).train()
    assert not term.judge.training  # BatchNorm keeps its statistics
    torch.manual_seed(1)
    real = torch.rand(4, 3, 64, 64) * 2 - 1
    assert term(real.clone(), real).abs() < 1e-5
    fake = (real + 0.5 * torch.randn_like(real)).requires_grad_(True)
    loss = term(fake, real)
    assert loss > 0
    loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert all(p.grad is None for p in term.judge.parameters())
    # the two heads are two networks: they read the same pictures differently
    other = ReaderMatch(judge, "trunk" if head == "reader" else "reader")
    assert not torch.allclose(term.logits(real), other.logits(real))
    plain = Judge(JudgeConfig(domain="faces", width=8, hidden=16, embed_dim=8))
    with pytest.raises(ValueError, match="no expression reader"):
        ReaderMatch(plain)
    assert ReaderMatch(plain, "trunk")(real, real).abs() < 1e-5
    with pytest.raises(ValueError, match="reader, trunk"):
        ReaderMatch(judge, "eyes")


def test_training_logs_the_term_only_when_asked_and_needs_a_judge_named(tmp_path):
    with pytest.raises(ValueError, match="reader_judge"):
        ConvDeconvTrainOptions(domain="faces", reader_weight=1.0)
    with pytest.raises(ValueError, match="reader or trunk"):
        ConvDeconvTrainOptions(domain="faces", reader_head="eyes")
    _, path = _judge(tmp_path)
    ds = make_dataset("faces", 8, seed=2, workers=1)
    cfg = ConvDeconvConfig(domain="faces", mask=False, group_width=8, shared=16,
                           channels=(8, 8, 4, 4, 4))
    opts = dict(domain="faces", steps=3, batch=4, lr=1e-2, log_every=1, progress=False,
                sample_every=100, feature_weight=8.0)
    with_term = train_convdeconv(
        ConvDeconvTrainOptions(**opts, reader_weight=1.0, reader_judge=str(path), reader_batch=2,
                               reader_head="trunk"),
        cfg, dataset=ds)
    reads = [r["reader"] for r in with_term.train_log if "reader" in r]
    assert len(reads) == 3 and all(r > 0 for r in reads)
    without = train_convdeconv(ConvDeconvTrainOptions(**opts), cfg, dataset=ds)
    assert all(r["reader"] == 0 for r in without.train_log if "reader" in r)
