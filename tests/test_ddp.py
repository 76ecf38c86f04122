"""Data-parallel training: sharding, and 2 gloo processes under torchrun holding
identical weights after a few steps (and after resuming)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from generators.training.distributed import Dist, EpochSharder, backend_for, env_world

ROOT = Path(__file__).resolve().parents[1]


def test_shards_are_disjoint_cover_the_data_and_agree_across_ranks():
    n, world = 10, 3
    shards = [EpochSharder(n, 2, Dist(rank=r, world_size=world), seed=5,
                           device=torch.device("cpu")).shard(0) for r in range(world)]
    assert all(len(s) == 4 for s in shards)                # ceil(10 / 3), padded by wrapping
    flat = torch.cat(shards).tolist()
    assert set(flat) == set(range(n)) and len(flat) == 12
    again = EpochSharder(n, 2, Dist(rank=1, world_size=world), seed=5, device=torch.device("cpu"))
    assert torch.equal(again.shard(0), shards[1])
    assert not torch.equal(again.shard(1), shards[1])      # a new permutation each epoch


def test_batches_walk_the_shard_and_wrap_tiny_data():
    s = EpochSharder(9, 4, Dist(), seed=0, device=torch.device("cpu"))
    assert s.batches_per_epoch == 2
    first = torch.cat([s.indices(0), s.indices(1)])
    assert len(set(first.tolist())) == 8                   # no repeats inside an epoch
    assert torch.equal(s.indices(2), s.indices(2))
    tiny = EpochSharder(3, 8, Dist(), seed=0, device=torch.device("cpu"))
    assert len(tiny.indices(0)) == 8 and set(tiny.indices(0).tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="no training images"):
        EpochSharder(0, 4, Dist(), seed=0, device=torch.device("cpu"))


def test_single_process_helpers_are_no_ops(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert env_world() == (0, 1, 0)
    d = Dist()
    net = torch.nn.Linear(2, 2)
    assert d.wrap(net) is net and d.broadcast_object({"a": 1}) == {"a": 1}
    t = torch.tensor([2.0])
    assert d.all_reduce_mean(t).item() == 2.0
    with d.rank0_first():
        pass
    assert backend_for(torch.device("cpu")) == "gloo"
    assert backend_for(torch.device("cuda", 0)) == "nccl"
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(RuntimeError, match="WORLD_SIZE='two'"):
        env_world()


def _torchrun(args, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "holochat", "train", "dcgan", *args]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return r


def test_two_gloo_processes_hold_identical_weights_and_resume(tmp_path):
    from PIL import Image
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (80, 72, 3), dtype=np.uint8)).save(photos / f"{i}.png")
    out = tmp_path / "run"
    common = ["--device", "cpu", "--out", str(out)] + [
        a for s in (f"data={photos}", "synthesis=dcgan", "batch=4", "ngf=4", "ndf=4",
                    "dump_digests=true",
                    "log_every=1") for a in ("--set", s)]
    _torchrun(["--steps", "3", *common], tmp_path)
    digests = [(out / f"rank-{r}.sha256").read_text() for r in (0, 1)]
    assert digests[0] == digests[1]
    trainer = json.loads((out / "trainer.json").read_text())
    assert trainer["step"] == 3 and trainer["world_size"] == 2
    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]           # rank 0 logs, once per step

    _torchrun(["--steps", "5", "--resume", *common], tmp_path)
    resumed = [(out / f"rank-{r}.sha256").read_text() for r in (0, 1)]
    assert resumed[0] == resumed[1] != digests[0]
    assert json.loads((out / "trainer.json").read_text())["step"] == 5
