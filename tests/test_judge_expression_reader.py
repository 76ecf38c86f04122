"""The judge's full-resolution expression reader (nets/judge.py ExpressionReader,
``JudgeConfig.expr_width``) and its training alone on top of a judge
(``expr_only``), on tiny seeded models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generators.nets.judge import Judge, JudgeConfig
from generators.training import kernel
from generators.training.judge import JudgeTrainOptions, JudgeTrainer, save_judge

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = JudgeConfig(width=8, hidden=16, embed_dim=8, expression_map=True)


def _with_reader(seed, **reader):
    """A tiny judge, the same judge with a fresh reader, and a batch of images."""
    torch.manual_seed(seed)
    j = Judge(TINY).eval()
    r = Judge(JudgeConfig(**{**TINY.__dict__, **reader})).eval()
    r.load_state_dict(j.state_dict(), strict=False)
    return j, r, torch.rand(3, 3, 64, 64) * 2 - 1


def test_the_reader_replaces_the_trunks_expression_and_reads_mirrors_alike():
    j, r, x = _with_reader(0, expr_width=4)
    with torch.no_grad():
        a, b = j(x), r(x)
        assert a["expression"].shape == b["expression"].shape == (3, 5)
        for k in a:                                   # everything else reads as before
            if k != "expression":
                assert torch.equal(a[k], b[k]), k
        torch.testing.assert_close(r(x.flip(3))["expression"], b["expression"])  # mirror-even
        # left out on request (the per-turn check on a turn that kept the expression)
        assert torch.equal(r(x, read_expression=False)["expression"], a["expression"])
        logits, where = r.expr.once(x)
        assert logits.shape == (3, 5) and where.shape == (3, 16, 16)
    # a judge without the reader keeps its config and state keys (old checkpoints load)
    assert TINY.expr_width == 0 and not any(k.startswith("expr.") for k in j.state_dict())


def _tiny_data():
    from generators.datasets import make_dataset
    return make_dataset("faces", 24, seed=3, workers=1)


def _opts(tmp_path, steps, init, **kw):
    return JudgeTrainOptions(steps=steps, identities_per_batch=3, per_identity=4, width=8,
                             progress=False, log_every=1, lr=1e-3, init=str(init),
                             sample_every=100, expr_width=4, expr_only=True,
                             out=str(tmp_path / "out"), **kw)


@pytest.fixture
def start_judge(tmp_path):
    torch.manual_seed(1)
    cfg = JudgeConfig(width=8, expression_map=True)
    j = Judge(cfg)
    with torch.no_grad():                        # batch-norm statistics away from the init
        j.train()(torch.rand(16, 3, 64, 64) * 2 - 1)
    folder = tmp_path / "start"
    save_judge(j.eval(), folder)
    return folder, j


def test_training_the_reader_alone_leaves_the_rest_of_the_judge_bit_identical(tmp_path,
                                                                            start_judge):
    folder, j0 = start_judge
    tr = JudgeTrainer(_opts(tmp_path, 3, folder), _tiny_data())
    kernel.run(tr, init=str(folder))
    before, after = j0.state_dict(), tr.judge.state_dict()
    for k, v in before.items():                  # weights and batch-norm statistics
        assert torch.equal(v, after[k]), k
    moved = [k for k in after if k.startswith("expr.") and "num_batches" not in k]
    assert moved and tr.log and "cls" in tr.log[-1] and "map" in tr.log[-1]
    with pytest.raises(ValueError, match="expr_only needs"):
        JudgeTrainOptions(expr_only=True)


def test_reader_training_resumes_like_a_straight_run(tmp_path, start_judge):
    folder, _ = start_judge
    ds = _tiny_data()
    straight = JudgeTrainer(_opts(tmp_path / "a", 4, folder), ds)
    kernel.prepare(straight, init=str(folder))
    kernel.fit(straight)
    part = JudgeTrainer(_opts(tmp_path / "b", 4, folder), ds)
    kernel.prepare(part, init=str(folder))
    kernel.fit(part, until=2)
    rest = JudgeTrainer(_opts(tmp_path / "b", 4, folder, resume=True), ds)
    assert kernel.prepare(rest, init=str(folder)) and rest.step_count == 2
    kernel.fit(rest)
    a, b = straight.judge.state_dict(), rest.judge.state_dict()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    assert np.isfinite([r["cls"] for r in rest.log]).all()


def test_the_eyewear_reader_replaces_the_trunks_eyewear_and_trains_alone(tmp_path, start_judge):
    j, r, x = _with_reader(4, eyewear_width=4)
    with torch.no_grad():
        a, b = j(x), r(x)
        assert a["eyewear"].shape == b["eyewear"].shape == (3, 3)
        assert all(torch.equal(a[k], b[k]) for k in a if k != "eyewear")
        torch.testing.assert_close(r(x.flip(3))["eyewear"], b["eyewear"])  # mirror-even
        assert torch.equal(r(x, read_eyewear=False)["eyewear"], a["eyewear"])
    # trained alone on top of a judge: nothing else moves, the reader does
    folder, j0 = start_judge
    opts = _opts(tmp_path, 3, folder)
    opts = JudgeTrainOptions(**{**opts.__dict__, "expr_width": 0, "expr_only": False,
                                "eyewear_width": 4, "eyewear_only": True})
    tr = JudgeTrainer(opts, _tiny_data())
    kernel.run(tr, init=str(folder))
    after = tr.judge.state_dict()
    for k, v in j0.state_dict().items():
        assert torch.equal(v, after[k]), k
    assert [k for k in after if k.startswith("eyewear_reader.") and "num_batches" not in k]
    assert "cls" in tr.log[-1] and "map" not in tr.log[-1]
    with pytest.raises(ValueError, match="eyewear_only needs"):
        JudgeTrainOptions(eyewear_only=True)
    with pytest.raises(ValueError, match="one reader at a time"):
        JudgeTrainOptions(expr_width=4, eyewear_width=4, expr_only=True, eyewear_only=True)


@pytest.mark.parametrize("reader,width,turn", [
    ("expr", "expr_width", dict(expression="happy", expression_strength=0.8)),
    ("eyewear_reader", "eyewear_width", dict(eyewear="glasses")),
])
def test_the_per_turn_check_runs_a_reader_only_on_its_turns(tmp_path, monkeypatch, reader, width,
                                                           turn):
    from dialogue.verify import Verifier
    from generators.schema import get_schema
    from generators.studio import render_face
    torch.manual_seed(2)
    j = Judge(JudgeConfig(**{**TINY.__dict__, width: 4})).eval()
    save_judge(j, tmp_path / "j")
    v = Verifier(str(tmp_path / "j"))
    calls = []
    module = getattr(v.judge(), reader)
    real = module.forward
    monkeypatch.setattr(module, "forward", lambda x: calls.append(1) or real(x))
    before = dict(get_schema("faces").defaults(1), expression="neutral", eyewear="none")
    image = render_face(before, 64)
    v.check(before, dict(before, hat=not before["hat"]), image)
    assert calls == []                                      # a hat turn: no reader
    res = v.check(before, dict(before, **turn), image)
    assert calls == [1]                                     # its own turn: the reader
    assert next(iter(turn)) in res.checked


def test_a_start_with_a_reader_asks_for_it(tmp_path):
    torch.manual_seed(6)
    j = Judge(JudgeConfig(width=8, expression_map=True, eyewear_width=4))
    save_judge(j.eval(), tmp_path / "start")
    opts = JudgeTrainOptions(steps=1, identities_per_batch=3, per_identity=4, width=8,
                             progress=False, log_every=1, sample_every=100,
                             init=str(tmp_path / "start"))
    with pytest.raises(ValueError, match="eyewear_width=4"):
        kernel.run(JudgeTrainer(opts, _tiny_data()), init=opts.init)
