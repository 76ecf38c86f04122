"""Spend a GPU lease: train every generator concurrently on one GPU, inside one
time budget, and return one small bundle per model.

``scripts/gpu-train.sh`` runs this (``python3 -m holochat lease``) in a copy of
the repository on a lent machine (one H200, 16 cores, its own Python and
torch, no textual and no network: the core never imports the terminal UI, so
nothing needs installing).  It

1. unpacks the carried sentence-embedding pack (``generators.text.portable``)
   when the model itself is not installed there, and embeds the text GAN's
   captions on the GPU into the on-disk cache;
2. starts ``python -m holochat train MODEL --recipe NAME:gpu --device cuda
   --minutes M [--set KEY=VALUE ...]`` for every job of ``JOBS`` at once,
   each with its own output folder and log; each renders its studio set with
   every core (the renders overlap the other jobs' training) and then trains
   until ``$HOLOCHAT_DEADLINE`` (its time limit is capped by what is left of
   the lease when its loop starts,
   ``generators.training.progress.lease_time_limit``); a job that fails does
   not stop the others, and one that overruns is stopped at the hard deadline;
3. packs each finished checkpoint into ``OUT/NAME.tar`` (``generators.bundles``)
   and writes ``OUT/summary.json`` (steps, steps/s, images/s, seconds, exit
   codes and log tails), asserting the lease's return limits: at most 8
   files, each at most 16 MiB.

``--smoke`` runs the same path on the CPU with tiny settings in well under a
minute (CI does, ``tests/test_lease.py``).  ``holochat weights import
OUT/NAME.tar`` then installs a bundle only if its eval beats the shipped
weights.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generators.bundles import MAX_FILE_BYTES, MAX_TOTAL_BYTES, BundleError, pack
from generators.training.progress import ENV_DEADLINE

MAX_FILES = 8  # what one lease command may return
REPO = Path(__file__).resolve().parent.parent
PACK_DIR = REPO / ".lease" / "minilm"  # carried, ignored by git (see docs/training.md)


@dataclass(frozen=True)
class Job:
    """One model trained in a lease: ``holochat train MODEL --recipe
    RECIPE:gpu`` (``:smoke`` for the CPU smoke run) with ``--set`` overrides."""

    name: str  # bundle name: NAME.tar
    model: str  # holochat train MODEL
    recipe: str  # generators/recipes/MODEL-RECIPE.toml
    sets: tuple[str, ...] = ()  # KEY=VALUE overrides of the recipe (GPU and smoke)
    gpu_sets: tuple[str, ...] = ()  # ... on the GPU only
    shipped: str | None = None  # weights folder that --from-shipped continues (init=)
    captions: dict | None = None  # text GAN caption table to embed ahead (on the GPU)
    wait_for: str | None = None  # start once a file matching this glob is in the cache
    default: bool = True  # in a run without --only

    @property
    def domain(self) -> str:
        return self.recipe.rsplit("-", 1)[-1]

    def args(self, smoke: bool) -> list[str]:
        """The ``holochat train MODEL`` arguments of this job."""
        out = ["--recipe", f"{self.recipe}:{'smoke' if smoke else 'gpu'}"]
        for item in self.sets + (() if smoke else self.gpu_sets):
            out += ["--set", item]
        return out


FACES_TEXT = {"n": 40000, "seed": 0, "per_seed": 4, "captions_per_image": 4}

# The jobs of a lease (about 8 minutes on one H200 shared by the default jobs;
# each trainer renders its own studio set first, then trains until the lease's
# deadline).  Their settings are the recipes' [gpu] (generators/recipes/);
# measured on 2026-12-04: docs/training.md.  The text GAN jobs run feature-
# the text head over the conv-deconv decoder for ``warmup`` steps, then
# GAN-CLS with a reconstruction anchor for the rest (recipe textgan-faces).
JOBS: tuple[Job, ...] = (
    Job("judge-faces", "judge", "faces"),
    Job("pix2pix-faces", "pix2pix", "faces", default=False),
    Job("pix2pix-chairs", "pix2pix", "chairs", default=False),
    Job("convdeconv-faces", "convdeconv", "faces", shipped="convdeconv-faces"),
    Job("dcgan-faces", "dcgan", "faces", shipped="dcgan-faces", default=False),
    Job(
        "textgan-faces",
        "textgan",
        "faces",
        ("perceptual=0.05",),
        shipped="textgan-faces",
        captions=FACES_TEXT,
    ),
    Job(
        "textgan-faces-gan",
        "textgan",
        "faces",
        # the [gpu] GAN phase with the L2 anchor (on CPU it drew one more
        # expression edit than L1: docs/faces.md, section 6)
        gpu_sets=("rec_loss=l2",),
        shipped="textgan-faces",
        captions=FACES_TEXT,
    ),
    Job(
        "pix2pix-faces-l1",
        "pix2pix",
        "l1-faces",
        default=False,  # the eval's baseline
        wait_for="sketch-faces-train-n15000-*x2-*.npz",
    ),
    Job("convdeconv-chairs", "convdeconv", "chairs", shipped="convdeconv-chairs", default=False),
)


def job_names() -> list[str]:
    return [j.name for j in JOBS]


def default_jobs() -> list[str]:
    """The jobs of a run without --only (one bundle each and the summary, within the
    lease's eight files)."""
    return [j.name for j in JOBS if j.default]


# ---------------------------------------------------------------------------
# helpers


def _say(msg: str) -> None:
    print(f"[lease {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _cuda_ok() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def embed_captions(spec: dict) -> None:
    """The text GAN's caption table, embedded once into the on-disk cache
    (on the GPU when there is one)."""
    from generators.datasets import _plan
    from generators.text.embedding import EmbeddingCache, dataset_captions

    t = time.perf_counter()
    attrs = _plan("faces", spec["n"], spec["seed"], "train", spec["per_seed"])
    texts, _ = dataset_captions("faces", attrs, spec["captions_per_image"], spec["seed"])
    from generators.text import portable

    model_dir = os.environ.get("HOLOCHAT_EMBEDDING_MODEL")
    if model_dir and (Path(model_dir) / portable.PACK_FILE).exists():
        bad = portable.check(model_dir, texts[:2000])
        if bad:
            raise RuntimeError(
                f"the carried embedding pack lacks tokens of {len(bad)} "
                f"captions, e.g. {bad[0]!r}; rebuild it with "
                "`python -m generators.text.portable pack .lease/minilm`"
            )
    EmbeddingCache(batch=4096).embeddings(texts)
    _say(f"{len(texts)} captions embedded in {time.perf_counter() - t:.1f}s")


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                v = json.loads(line)
                if isinstance(v, dict):
                    return v
            except json.JSONDecodeError:
                continue
    return {}


def _tail(path: Path, n: int = 1500) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-n:].decode("utf-8", "replace")


@dataclass
class Running:
    job: Job
    proc: subprocess.Popen
    out: Path
    log: Path
    started: float
    ended: float | None = None
    killed: bool = False


# ---------------------------------------------------------------------------
# the run


def run(
    out: str | Path,
    *,
    minutes: float = 8.0,
    smoke: bool = False,
    from_shipped: bool = False,
    only: list[str] | None = None,
    device: str | None = None,
    work: str | Path | None = None,
    extra: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Train the jobs concurrently and pack their bundles into ``out``;
    returns the summary (also written to ``out/summary.json``)."""
    t0 = time.time()
    deadline = t0 + minutes * 60
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise RuntimeError(f"{out} is not empty; a lease writes into an empty folder")
    unknown = sorted(set(only or []) - set(job_names()))
    if unknown:
        raise ValueError(f"unknown jobs {unknown}; known: {job_names()}")
    jobs = [j for j in JOBS if (j.name in only if only else j.default)]
    device = device or ("cpu" if smoke else ("cuda" if _cuda_ok() else "cpu"))
    work = (
        Path(work)
        if work
        else (Path(os.environ.get("TMPDIR", "/tmp")) / f"holochat-lease-{os.getpid()}")
    )
    runs = work / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    cache = Path(os.environ.setdefault("HOLOCHAT_CACHE_DIR", str(work / "cache")))
    os.environ.setdefault("HOLOCHAT_DATA_DIR", str(work / "data"))
    for k, v in (
        ("HF_HUB_OFFLINE", "1"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(k, v)
    ncpu = os.cpu_count() or 2
    # every trainer renders its own studio set with every core (they overlap
    # with the others' training), then trains until the deadline and saves
    margin = 10 if smoke else 40
    save_by = deadline - margin
    hard = deadline - (4 if smoke else 15)
    _say(
        f"device {device}, {ncpu} cores, budget {minutes:g} min, jobs {[j.name for j in jobs]}, "
        f"cache {cache}"
    )

    running: list[Running] = []

    def launch(j: Job) -> None:
        env = dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            HOLOCHAT_WORKERS=str(ncpu),
            OMP_NUM_THREADS=str(max(1, min(4, ncpu // max(1, len(jobs))))),
        )
        env[ENV_DEADLINE] = f"{save_by:.1f}"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        jout = runs / j.name
        cmd = [
            sys.executable,
            "-m",
            "holochat",
            "train",
            j.model,
            "--out",
            str(jout),
            "--device",
            device,
            *j.args(smoke),
            *(extra or {}).get(j.name, []),
        ]
        if "--minutes" not in cmd:
            cmd += ["--minutes", f"{max(2.0, save_by - time.time()) / 60:.2f}"]
        if from_shipped and j.shipped and not any(a.startswith("init=") for a in cmd):
            from generators.weights import weights_path

            shipped = weights_path(*j.shipped.rsplit("-", 1))
            if (shipped / "model.safetensors").exists():
                cmd += ["--set", f"init={shipped}"]
            else:
                _say(f"{j.name}: no shipped weights at {shipped}; training from scratch")
        log = runs / f"{j.name}.log"
        _say(f"start {j.name}: {' '.join(cmd[3:])}")
        with open(log, "wb") as fh:
            proc = subprocess.Popen(
                cmd,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(REPO),
                start_new_session=True,
            )
        running.append(Running(j, proc, jout, log, time.time()))

    # 1. the text GANs' captions, embedded into the cache (on the GPU) before
    #    anything else starts: beside six renderers it took 186 s, alone 51 s
    waiting = [j for j in jobs if j.wait_for]
    caption_jobs = [j for j in jobs if j.captions]
    if caption_jobs:
        _prepare_embedding(work, smoke, device)
        if not smoke:
            for spec in {json.dumps(j.captions, sort_keys=True) for j in caption_jobs}:
                try:
                    embed_captions(json.loads(spec))
                except Exception as e:  # the jobs then fail and say why
                    _say(f"caption embedding failed: {type(e).__name__}: {e}")
    # 2. then every job that waits for nothing
    for j in jobs:
        if not j.wait_for:
            launch(j)
    # 3. the rest as their data appears; report; stop what overruns
    next_report = time.time() + 60
    while waiting or any(r.proc.poll() is None for r in running):
        now = time.time()
        for j in list(waiting):
            if list(cache.glob(j.wait_for or "")) or smoke or now > t0 + (deadline - t0) * 0.45:
                waiting.remove(j)
                launch(j)
        for r in running:
            if r.ended is None and r.proc.poll() is not None:
                r.ended = now
                _say(
                    f"{r.job.name} finished (exit {r.proc.returncode}) after {now - r.started:.0f}s"
                )
        if now > hard:
            for r in running:
                if r.proc.poll() is None:
                    _say(f"{r.job.name} overran the deadline; stopping it")
                    r.killed = True
                    _stop(r.proc)
            break
        if now > next_report:
            alive = [r.job.name for r in running if r.proc.poll() is None]
            _say(f"{len(alive)} training: {', '.join(alive)} ({deadline - now:.0f}s left)")
            next_report = now + 60
        time.sleep(0.5)
    for r in running:
        r.proc.wait()
        r.ended = r.ended or time.time()

    # 4. bundles and the summary
    summary: dict[str, Any] = {
        "device": device,
        "minutes": minutes,
        "smoke": smoke,
        "from_shipped": from_shipped,
        "jobs": {},
    }
    if device == "cuda":
        try:
            import torch

            summary["gpu"] = torch.cuda.get_device_name(0)
            summary["torch"] = torch.__version__
        except Exception:
            pass
    summary["python"] = sys.version.split()[0]
    # each bundle's share of the 64 MiB a lease returns (the summary's few kB
    # aside): the smallest weights first, each taking what it needs of an
    # equal share of what is left, so the large ones get what the small leave
    left = MAX_TOTAL_BYTES - 2**20
    by_size = sorted(running, key=lambda r: _weights_bytes(r.out))
    for i, r in enumerate(by_size):
        share = min(MAX_FILE_BYTES, left // (len(by_size) - i))
        info = _collect(r, out, summary, smoke, from_shipped, extra, share)
        summary["jobs"][r.job.name] = info
        left -= int(info.get("bundle_bytes", 0))
    summary["jobs"] = {r.job.name: summary["jobs"][r.job.name] for r in running}
    summary["wall_seconds"] = round(time.time() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    check_limits(out)
    return summary


def _weights_bytes(folder: Path) -> int:
    try:
        return (folder / "model.safetensors").stat().st_size
    except OSError:
        return 0


def _prepare_embedding(work: Path, smoke: bool, device: str) -> None:
    """Where the embedding model is not installed (a lent machine), unpack the
    carried pack and point HOLOCHAT_EMBEDDING_MODEL at it."""
    try:
        from generators.text.embedding import embedding_model_name

        embedding_model_name()
        return
    except Exception:
        pass
    if (PACK_DIR / "pack.json").exists():
        from generators.text.portable import unpack

        target = unpack(PACK_DIR, work / "minilm")
        os.environ["HOLOCHAT_EMBEDDING_MODEL"] = str(target)
        _say(f"embedding model unpacked from {PACK_DIR}")
    else:
        _say(
            "no embedding model here and no carried pack (.lease/minilm): the text GAN "
            "job will fail; see docs/training.md"
        )
    if device == "cuda" and not smoke:
        os.environ["HOLOCHAT_EMBEDDING_DEVICE"] = "cuda"


def _collect(
    r: Running,
    out: Path,
    summary: dict,
    smoke: bool,
    from_shipped: bool,
    extra: dict[str, list[str]] | None,
    share: int,
) -> dict[str, Any]:
    """One job's figures, and its bundle packed into ``out``."""
    text = _tail(r.log, 200_000)
    last = _last_json(text)
    secs = (r.ended or time.time()) - r.started
    args = [*r.job.args(smoke), *(extra or {}).get(r.job.name, [])]
    info: dict[str, Any] = {
        "exit": r.proc.returncode,
        "killed": r.killed,
        "seconds": round(secs, 1),
        "args": args,
        "step": last.get("step"),
        "images_per_s": last.get("images_per_s"),
        "last": {k: v for k, v in last.items() if isinstance(v, (int, float, str)) and k != "out"},
        "log_tail": _tail(r.log, 1200),
    }
    cfg_path = r.out / "config.json"
    if cfg_path.exists():
        try:
            cfg = json.loads(cfg_path.read_text())
            info["step"] = cfg.get("extra", {}).get("step", info["step"])
        except (OSError, json.JSONDecodeError):
            pass
    if isinstance(info["step"], int) and info["seconds"] > 0:
        # wall-clock, start-up and data rendering included: a lower bound
        info["steps_per_s_wall"] = round(info["step"] / info["seconds"], 2)
    if (r.out / "model.safetensors").exists():
        try:
            b = pack(
                r.out,
                out / f"{r.job.name}.tar",
                {
                    "model": r.job.model,
                    "domain": r.job.domain,
                    "name": r.job.name,
                    "shipped": r.job.shipped,
                    "device": summary["device"],
                    "gpu": summary.get("gpu"),
                    "torch": summary.get("torch"),
                    "step": info["step"],
                    "seconds": info["seconds"],
                    "images_per_s": info["images_per_s"],
                    "args": args,
                    "from_shipped": from_shipped,
                    "smoke": smoke,
                },
                max_bytes=share,
            )
            info["bundle"] = b.name
            info["bundle_bytes"] = b.stat().st_size
        except (BundleError, OSError) as e:
            info["bundle_error"] = str(e)
    _say(
        f"{r.job.name}: exit {info['exit']}, step {info['step']}, "
        f"{_fmt(info['images_per_s'])} images/s, {info['seconds']:.0f}s, "
        f"bundle {info.get('bundle', info.get('bundle_error', 'none'))}"
    )
    return info


def _fmt(v) -> str:
    return f"{v:.0f}" if isinstance(v, (int, float)) else "?"


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def check_limits(out: str | Path) -> None:
    """The lease returns at most 8 files of at most 16 MiB, 64 MiB in all."""
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    if len(files) > MAX_FILES:
        raise RuntimeError(f"{len(files)} files in {out}; a lease returns at most {MAX_FILES}")
    total = sum(p.stat().st_size for p in files)
    if total > MAX_TOTAL_BYTES:
        raise RuntimeError(f"{total} bytes in {out}; a lease returns at most {MAX_TOTAL_BYTES}")
    big = [
        f"{p.name} ({p.stat().st_size} bytes)" for p in files if p.stat().st_size > MAX_FILE_BYTES
    ]
    if big:
        raise RuntimeError(f"over the {MAX_FILE_BYTES}-byte file limit: {', '.join(big)}")
