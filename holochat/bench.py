"""``holochat bench``: latency and throughput, measured, with the machine described.

Each section is a function that measures one thing and returns its numbers. A
section whose dependency is missing (a piece not built yet, no GPU, a command
that failed) records ``null`` for its keys and the reason under
``null_reasons``; no number is ever made up.

Sections:
  parse        parse latency, grammar path and embedding-fallback path
  turn         full turns through the dialogue manager on grammar-path input
               (parse + apply + log + render with the default generator), split
               into parse, render and apply + log (the rest of the turn)
  render       each available generator's render time, per domain
  terminal     converting a 64×64 image to half-block terminal cells
  cold_run     wall time of ``holochat run`` on a 10-line script, fresh data dir
  app          the app's start-up to a focused input (``holochat.app.measure_startup``)
  latency      in the app (headless, half-cell images as under tmux): keypress (enter)
               to the new image painted, p50/p95 (goal p95 <= 50 ms); a grammar line
               typed as soon as the first image shows (the models still loading); the
               first line the grammar does not read, typed right after it (the request
               reader and the embedding model load in the background from start-up),
               with when it was typed and when the background load ended; the
               image-to-cells conversion per new image (``holochat.app.measure_latency``)
  replay       replay throughput of a saved session (turns/s)
  train        training throughput (images/s) per model at its shipped config,
               holochat's DCGAN trainer against the pytorch/examples-style
               reference loop (same device and batch), and MFU on CUDA
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA_VERSION = 1

#: a 10-line grammar-path script (cold start and turn latency)
SCRIPT = (
    "add sunglasses",
    "turn left a bit",
    "smile",
    "make the background blue",
    "a bit brighter",
    "add a hat",
    "turn right 30 degrees",
    "undo",
    "make the hair red",
    "look up",
)
GRAMMAR_INPUTS = SCRIPT + (
    "add sunglasses and smile, then turn left a bit",
    "go back to step 3",
    "look straight ahead",
)
READER_INPUTS = (
    "honestly I'm not a fan of those glasses",
    "I'd love to see him with a beard",
    "she looks too grumpy, cheer her up a little",
    "He wears dark sunglasses and has a short beard. He is grinning.",
    "perfect, that's all for now, thanks",
    "can you make him look a bit older",
)
FALLBACK_INPUTS = (
    "could you give her some shades",
    "the hat has to go",
    "I'd like a gloomier look",
    "let me see a different face",
    "rotate her head toward the window",
)

#: peak dense bf16 tensor FLOP/s by GPU name (datasheet figures, no sparsity)
PEAK_BF16_FLOPS = (
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100", 989e12),  # SXM / HBM3
    ("A100", 312e12),
    ("L40S", 362e12),
    ("L4", 121e12),
    ("A10G", 70e12),
    ("RTX 4090", 165e12),
)


class Unavailable(Exception):
    """A section cannot measure here; the message says why."""


@dataclass
class Settings:
    device: str = "cpu"
    quick: bool = False
    train_batch: int | None = None  # default: 256 on CUDA, 64 on CPU (8 with --quick)
    train_steps: int | None = None
    compile: bool = False
    sections: tuple[str, ...] = ()  # empty: all
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="holochat-bench-")))

    def reps(self, full: int, quick: int) -> int:
        return quick if self.quick else full


# --------------------------------------------------------------------------
# helpers


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    """(p50, p95) of a list of milliseconds."""
    a = np.asarray(samples_ms, float)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _import(module: str, what: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise Unavailable(f"{what} ({module}) is not available: {e}") from None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: str) -> dict[str, Any]:
    import torch

    desc: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "device_name": _cpu_model(),
    }
    if device == "cuda":
        desc["device_name"] = torch.cuda.get_device_name(0)
        desc["cuda"] = torch.version.cuda
        desc["gpu_count"] = torch.cuda.device_count()
    return desc


def peak_flops(device_name: str) -> float | None:
    for key, flops in PEAK_BF16_FLOPS:
        if key.lower() in device_name.lower():
            return flops
    return None


# --------------------------------------------------------------------------
# sections: each returns {key: number or {name: number}}


def bench_parse(s: Settings) -> dict[str, Any]:
    parser = _import("dialogue.parser", "the parser")
    from dialogue.types import ParseContext

    ctx = ParseContext(domain="faces")
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}

    grammar = [t for t in GRAMMAR_INPUTS if parser.parse(t, ctx).source == "grammar"]
    if not grammar:
        raise Unavailable("none of the grammar samples parsed on the grammar path")
    times = [_timed(partial(parser.parse, t, ctx)) for _ in range(s.reps(50, 5)) for t in grammar]
    out["parse_grammar_ms_p50"], out["parse_grammar_ms_p95"] = percentiles(times)

    # the learned request reader (dialogue.reader): load time and one line's read
    reader = _import("dialogue.reader", "the request reader")
    reader._reset_for_tests()
    t0 = time.perf_counter()
    try:
        reader.warm_up()
    except Exception as e:  # noqa: BLE001 - no model or weights: recorded, not faked
        for k in ("reader_load_s", "reader_ms_p50", "reader_ms_p95", "reader_cpu_ms_p50"):
            out[k] = None
            reasons[k] = f"the request reader is not available ({e})"
    else:
        out["reader_load_s"] = round(time.perf_counter() - t0, 3)
        times, cpu = [], []
        for _ in range(s.reps(10, 2)):
            for t in READER_INPUTS:
                c0 = time.process_time()
                times.append(_timed(partial(reader.read, t, "faces")))
                cpu.append((time.process_time() - c0) * 1000)
        out["reader_ms_p50"], out["reader_ms_p95"] = percentiles(times)
        # CPU time of the one thread: the wall time an idle core would take
        out["reader_cpu_ms_p50"], _ = percentiles(cpu)

    fallback = _import("dialogue.fallback", "the embedding fallback")
    if not fallback.warm_up():
        reasons["parse_fallback_ms_p50"] = reasons["parse_fallback_ms_p95"] = (
            "the sentence-embedding model is not available"
        )
        out["parse_fallback_ms_p50"] = out["parse_fallback_ms_p95"] = None
    else:
        texts = [t for t in FALLBACK_INPUTS if parser.parse(t, ctx).source != "grammar"]
        times = [_timed(partial(parser.parse, t, ctx)) for _ in range(s.reps(10, 2)) for t in texts]
        out["parse_fallback_ms_p50"], out["parse_fallback_ms_p95"] = percentiles(times)
    return {"values": out, "reasons": reasons}


def bench_turn(s: Settings) -> dict[str, Any]:
    manager = _import("dialogue.manager", "the dialogue manager")
    total, parse, render, rest, verify = [], [], [], [], []
    rounds = s.reps(5, 1)
    generator = None
    for r in range(rounds):
        m = manager.DialogueManager(domain="faces", seed=r, log_dir=s.tmp / "turn-logs")
        m.start()
        generator = m.state.generator
        for text in SCRIPT:
            t0 = time.perf_counter()
            res = m.turn(text)
            ms = (time.perf_counter() - t0) * 1000
            total.append(ms)
            p, rd = float(res.ms.get("parse", 0.0)), float(res.ms.get("render", 0.0))
            vf = float(res.ms.get("verify", 0.0))
            parse.append(p)
            render.append(rd)
            if res.verified is not None:  # a checked turn (dialogue/verify.py)
                verify.append(vf)
            rest.append(max(0.0, ms - p - rd - vf))
        m.close()
    out = {"turn_generator": generator}
    out["turn_ms_p50"], out["turn_ms_p95"] = percentiles(total)
    out["turn_parse_ms_p50"], _ = percentiles(parse)
    out["turn_render_ms_p50"], _ = percentiles(render)
    out["apply_log_ms_p50"], out["apply_log_ms_p95"] = percentiles(rest)
    if verify:
        out["verify_ms_p50"], out["verify_ms_p95"] = percentiles(verify)
        return {"values": out}
    out["verify_ms_p50"] = out["verify_ms_p95"] = None
    why = "no turn was checked (chairs, or no faces judge ships)"
    return {"values": out, "reasons": {"verify_ms_p50": why, "verify_ms_p95": why}}


def bench_render(s: Settings) -> dict[str, Any]:
    from generators import registry
    from sessions.state import ImageState

    by_domain: dict[str, dict[str, float]] = {}
    merged: dict[str, list[float]] = {}
    n = s.reps(20, 3)
    for domain in ("faces", "chairs"):
        for name in registry.available(domain):
            gen = registry.get_generator(name, domain)
            base = ImageState.new(domain, seed=0, generator=name)
            gen.render(base)  # load / warm up
            times = []
            for i in range(n):
                state = ImageState.new(domain, seed=i + 1, generator=name)
                times.append(_timed(partial(gen.render, state)))
            by_domain.setdefault(domain, {})[name] = percentiles(times)[0]
            merged.setdefault(name, []).extend(times)
    if not merged:
        raise Unavailable("no generator is available")
    return {
        "values": {
            "render_ms_p50": {k: percentiles(v)[0] for k, v in merged.items()},
            "render_ms_p50_by_domain": by_domain,
        }
    }


def bench_terminal(s: Settings) -> dict[str, Any]:
    try:
        from PIL import Image
        from rich.console import Console
        from textual_image.renderable.halfcell import Image as HalfCell
    except ImportError as e:
        raise Unavailable(f"textual-image is not available: {e}") from None
    rng = np.random.default_rng(0)
    times = []
    for _ in range(s.reps(30, 3)):
        img = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))

        def convert(img=img):
            buf = io.StringIO()
            console = Console(
                file=buf, width=80, height=40, force_terminal=True, color_system="truecolor"
            )
            console.print(HalfCell(img, width=64, height=32))  # 64 cols × 32 rows
            return buf.getvalue()

        times.append(_timed(convert))
    p50, p95 = percentiles(times)
    return {"values": {"image_to_terminal_ms_p50": p50, "image_to_terminal_ms_p95": p95}}


def _holochat(
    args: list[str], data_dir: Path, timeout: float
) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, HOLOCHAT_DATA_DIR=str(data_dir))
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "holochat", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return time.perf_counter() - t0, r


def bench_cold_run(s: Settings) -> dict[str, Any]:
    script = s.tmp / "cold.txt"
    script.write_text("\n".join(SCRIPT) + "\n", encoding="utf-8")
    times = []
    for i in range(s.reps(3, 1)):
        data = s.tmp / f"cold-data-{i}"
        dt, r = _holochat(
            ["run", str(script), "--jsonl", "--out", str(s.tmp / f"cold-out-{i}")], data, 120
        )
        if r.returncode != 0:
            raise Unavailable(
                f"`holochat run` exited {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}"
            )
        turns = [line for line in r.stdout.splitlines() if line.startswith("{")]
        if len(turns) < len(SCRIPT):
            raise Unavailable(
                f"`holochat run --jsonl` printed {len(turns)} turns for a {len(SCRIPT)}-line script"
            )
        times.append(dt)
    return {"values": {"cold_run_s": statistics.median(times)}}


def bench_app(s: Settings) -> dict[str, Any]:
    """Process launch → focused input (and → first image), in a fresh interpreter:
    interpreter start and imports plus ``measure_startup``'s headless start."""
    app = _import("holochat.app", "the app")
    if not hasattr(app, "measure_startup"):
        raise Unavailable("holochat.app has no measure_startup()")
    code = (
        "import json, os, time; from holochat.app import measure_startup; "
        "before = time.time() - float(os.environ['HOLOCHAT_BENCH_LAUNCH']); "
        "r = measure_startup(); r['before_s'] = before; print(json.dumps(r))"
    )
    ready, first, inner = [], [], []
    for i in range(s.reps(3, 1)):
        env = dict(os.environ, HOLOCHAT_DATA_DIR=str(s.tmp / f"app-data-{i}"))
        env["HOLOCHAT_BENCH_LAUNCH"] = repr(time.time())
        r = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
        )
        if r.returncode != 0:
            raise Unavailable(f"measure_startup failed: {r.stderr.strip()[-300:]}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
        if res.get("app_ready_s") is None:
            raise Unavailable("the app never focused its input within measure_startup's limit")
        ready.append(res["before_s"] + res["app_ready_s"])
        inner.append(res["app_ready_s"])
        if res.get("first_image_s") is not None:
            first.append(res["before_s"] + res["first_image_s"])
    values = {
        "app_ready_s": statistics.median(ready),
        "app_ready_after_import_s": statistics.median(inner),
        "first_image_s": statistics.median(first) if first else None,
    }
    reasons = {} if first else {"first_image_s": "the app showed no image within the limit"}
    return {"values": values, "reasons": reasons}


def bench_latency(s: Settings) -> dict[str, Any]:
    """Keypress-to-pixels and the first fallback line, in a fresh interpreter
    (so the embedding model is not loaded yet when the app starts)."""
    app = _import("holochat.app", "the app")
    if not hasattr(app, "measure_latency"):
        raise Unavailable("holochat.app has no measure_latency()")
    code = (
        "import json; from holochat.app import measure_latency; "
        f"print(json.dumps(measure_latency(rounds={s.reps(3, 1)})))"
    )
    env = dict(os.environ, HOLOCHAT_DATA_DIR=str(s.tmp / "latency-data"), HOLOCHAT_IMAGE="halfcell")
    env.pop("HOLOCHAT_WARMUP", None)
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    if r.returncode != 0:
        raise Unavailable(f"measure_latency failed: {r.stderr.strip()[-300:]}")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    samples = res.get("keypress_to_pixels_ms") or []
    if not samples:
        raise Unavailable("no new image was painted after a keypress")
    values: dict[str, Any] = {}
    values["keypress_to_pixels_ms_p50"], values["keypress_to_pixels_ms_p95"] = percentiles(samples)
    values["fallback_first_line_ms"] = res.get("fallback_first_ms")
    values["fallback_typed_after_start_s"] = res.get("fallback_typed_s")
    values["background_load_s"] = res.get("background_load_s")
    values["keypress_to_pixels_during_load_ms"] = res.get("during_load_ms")
    values["first_image_after_start_s"] = res.get("ready_s")
    conv = res.get("convert_ms") or []
    values["image_convert_ms_p50"], values["image_convert_ms_p95"] = (
        percentiles(conv) if conv else (None, None)
    )
    values["latency_generator"] = res.get("generator")
    reasons = (
        {}
        if conv
        else {
            "image_convert_ms_p50": "the cached half-cell widget was not used",
            "image_convert_ms_p95": "the cached half-cell widget was not used",
        }
    )
    return {"values": values, "reasons": reasons}


def bench_replay(s: Settings) -> dict[str, Any]:
    manager = _import("dialogue.manager", "the dialogue manager")
    replay = _import("sessions.replay", "session replay")
    log_dir = s.tmp / "replay-logs"
    m = manager.DialogueManager(domain="faces", seed=0, log_dir=log_dir)
    m.start()
    script = SCRIPT * s.reps(5, 1)
    for text in script:
        m.turn(text)
    m.close()
    if m.log_path is None:
        raise Unavailable("the dialogue manager wrote no session log")
    replay.replay(m.log_path)  # warm the generator caches
    t0 = time.perf_counter()
    result = replay.replay(m.log_path)
    dt = time.perf_counter() - t0
    turns = len(result.turns)
    return {"values": {"replay_turns_per_s": turns / dt, "replay_turns": turns}}


def bench_train(s: Settings) -> dict[str, Any]:
    import torch

    from generators.nets.dcgan import DCGANConfig
    from generators.training import dcgan, reference_dcgan

    cuda = s.device == "cuda"
    batch = s.train_batch or (256 if cuda else (8 if s.quick else 64))
    steps = s.train_steps or (50 if cuda else (2 if s.quick else 3))
    warmup = 10 if cuda else 1
    cfg = DCGANConfig()
    rng = np.random.default_rng(0)
    images = rng.integers(
        0,
        256,
        (max(2 * batch, 512 if cuda else 2 * batch), cfg.image_size, cfg.image_size, 3),
        dtype=np.uint8,
    )
    ours = dcgan.measure_throughput(
        cfg, images, batch=batch, steps=steps, warmup=warmup, device=s.device, compile=s.compile
    )
    ref = reference_dcgan.measure_throughput(
        cfg,
        images,
        batch=batch,
        steps=steps,
        warmup=warmup,
        device=s.device,
        workers=2 if cuda else 0,
        tmp_dir=s.tmp,
    )
    values: dict[str, Any] = {
        "train_batch": batch,
        "train_steps": steps,
        "train_images_per_s": {"dcgan": ours["images_per_s"]},
        "train_reference_images_per_s": {"dcgan": ref["images_per_s"]},
        "train_speedup_vs_reference": ours["images_per_s"] / ref["images_per_s"],
    }
    reasons: dict[str, str] = {}
    if cuda:
        flops = dcgan.step_flops(cfg, batch)
        peak = peak_flops(torch.cuda.get_device_name(0))
        values["train_flops_per_step"] = flops
        if peak is None:
            values["mfu"] = None
            reasons["mfu"] = f"peak FLOP/s unknown for {torch.cuda.get_device_name(0)}"
        else:
            values["mfu"] = {
                "dcgan": flops / ours["step_s"] / peak,
                "reference_dcgan": flops / ref["step_s"] / peak,
            }
            values["peak_bf16_flops"] = peak
    else:
        values["mfu"] = None
        reasons["mfu"] = "MFU is reported on CUDA only (no peak tensor FLOP/s for a CPU)"
    for model in ("convdeconv", "textgan"):
        try:
            values["train_images_per_s"][model] = _other_trainer(model, s, batch, steps, warmup)
        except Unavailable as e:
            values["train_images_per_s"][model] = None
            reasons[f"train_images_per_s.{model}"] = str(e)
    return {"values": values, "reasons": reasons}


def _other_trainer(model: str, s: Settings, batch: int, steps: int, warmup: int) -> float:
    """images/s of another engineer's trainer through its ``measure_throughput``."""
    mod = _import(f"generators.training.{model}", f"the {model} trainer")
    fn = getattr(mod, "measure_throughput", None)
    if fn is None:
        raise Unavailable(f"generators.training.{model} has no measure_throughput()")
    res = fn(batch=batch, steps=steps, warmup=warmup, device=s.device)
    return float(res["images_per_s"] if isinstance(res, dict) else res)


SECTIONS: dict[str, tuple[Callable[[Settings], dict[str, Any]], tuple[str, ...]]] = {
    "parse": (
        bench_parse,
        (
            "parse_grammar_ms_p50",
            "parse_grammar_ms_p95",
            "reader_load_s",
            "reader_ms_p50",
            "reader_ms_p95",
            "reader_cpu_ms_p50",
            "parse_fallback_ms_p50",
            "parse_fallback_ms_p95",
        ),
    ),
    "turn": (
        bench_turn,
        (
            "turn_ms_p50",
            "turn_ms_p95",
            "apply_log_ms_p50",
            "apply_log_ms_p95",
            "verify_ms_p50",
            "verify_ms_p95",
        ),
    ),
    "render": (bench_render, ("render_ms_p50",)),
    "terminal": (bench_terminal, ("image_to_terminal_ms_p50", "image_to_terminal_ms_p95")),
    "cold_run": (bench_cold_run, ("cold_run_s",)),
    "app": (bench_app, ("app_ready_s", "first_image_s")),
    "latency": (
        bench_latency,
        (
            "keypress_to_pixels_ms_p50",
            "keypress_to_pixels_ms_p95",
            "fallback_first_line_ms",
            "image_convert_ms_p50",
            "image_convert_ms_p95",
        ),
    ),
    "replay": (bench_replay, ("replay_turns_per_s",)),
    "train": (bench_train, ("train_images_per_s", "train_speedup_vs_reference", "mfu")),
}

#: acceptance limits (CPU): key -> (comparison, limit)
ACCEPTANCE_CPU = {
    "turn_ms_p50": ("<=", 15.0),
    "cold_run_s": ("<=", 6.0),
    "replay_turns_per_s": (">=", 50.0),
    "verify_ms_p50": ("<=", 3.0),
}
ACCEPTANCE_CUDA = {"train_speedup_vs_reference": (">=", 2.0)}


def acceptance(result: dict[str, Any]) -> dict[str, Any]:
    checks = dict(ACCEPTANCE_CPU if result["device"] == "cpu" else ACCEPTANCE_CUDA)
    out = {}
    for key, (op, limit) in checks.items():
        v = result.get(key)
        ok = None if v is None else (v <= limit if op == "<=" else v >= limit)
        out[key] = {"value": v, "limit": f"{op} {limit}", "pass": ok}
    return out


def run(settings: Settings, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every selected section; the result JSON (not yet written)."""
    if settings.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise Unavailable("--device cuda was asked for but no CUDA GPU is available")
    result: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "device": settings.device,
        "quick": settings.quick,
        "machine": machine(settings.device),
    }
    reasons: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name, (fn, keys) in SECTIONS.items():
        if settings.sections and name not in settings.sections:
            for k in keys:
                result[k] = None
                reasons[k] = f"section {name!r} not run (--only)"
            continue
        if progress:
            progress(name)
        t0 = time.perf_counter()
        try:
            out = fn(settings)
            result.update(out["values"])
            reasons.update(out.get("reasons", {}))
        except Unavailable as e:
            for k in keys:
                result[k] = None
                reasons[k] = str(e)
        except Exception as e:  # a broken dependency must not sink the other sections
            for k in keys:
                result[k] = None
                reasons[k] = f"{name} failed: {type(e).__name__}: {e}"
        seconds[name] = time.perf_counter() - t0
    result["null_reasons"] = reasons
    result["section_seconds"] = seconds
    result["acceptance"] = acceptance(result)
    return result


def results_dir() -> Path:
    """``benchmarks/results`` of the source checkout, else of the working folder."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").exists():
        return root / "benchmarks" / "results"
    return Path.cwd() / "benchmarks" / "results"


def write(result: dict[str, Any], folder: Path | None = None) -> Path:
    folder = folder or results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = result["time"].replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"bench-{stamp}-{result['device']}{'-quick' if result['quick'] else ''}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x, unit)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.3g}{unit}" if abs(v) < 100 else f"{v:.0f}{unit}"
    return f"{v}{unit}"


ROWS = (
    ("turn (grammar path, p50 / p95)", ("turn_ms_p50", "turn_ms_p95"), " ms"),
    ("parse, grammar (p50)", ("parse_grammar_ms_p50",), " ms"),
    ("parse, embedding fallback (p50)", ("parse_fallback_ms_p50",), " ms"),
    ("apply + log (p50)", ("apply_log_ms_p50",), " ms"),
    ("per-turn verification, checked turns (p50 / p95)", ("verify_ms_p50", "verify_ms_p95"), " ms"),
    ("render (p50)", ("render_ms_p50",), " ms"),
    ("image → terminal cells (p50)", ("image_to_terminal_ms_p50",), " ms"),
    ("cold `holochat run`, 10 lines", ("cold_run_s",), " s"),
    ("app ready (focused input)", ("app_ready_s",), " s"),
    (
        "keypress → new pixels in the app (p50 / p95)",
        ("keypress_to_pixels_ms_p50", "keypress_to_pixels_ms_p95"),
        " ms",
    ),
    ("first fallback line right after start-up", ("fallback_first_line_ms",), " ms"),
    (
        "  … typed at / background load done at (from the app's start)",
        ("fallback_typed_after_start_s", "background_load_s"),
        " s",
    ),
    (
        "keypress → pixels of a grammar line while the models load",
        ("keypress_to_pixels_during_load_ms",),
        " ms",
    ),
    (
        "image → cells, per new image (p50 / p95)",
        ("image_convert_ms_p50", "image_convert_ms_p95"),
        " ms",
    ),
    ("replay", ("replay_turns_per_s",), " turns/s"),
    ("training", ("train_images_per_s",), " img/s"),
    ("DCGAN trainer ÷ reference loop", ("train_speedup_vs_reference",), "×"),
    ("MFU (CUDA)", ("mfu",), ""),
)


def table(result: dict[str, Any]) -> str:
    """A Markdown table of the result (for the README)."""
    m = result["machine"]
    lines = [
        f"Device: {result['device']} — {m.get('device_name')} "
        f"({m.get('cores')} cores, torch {m.get('torch')}, Python {m.get('python')})",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for label, keys, unit in ROWS:
        lines.append(f"| {label} | {' / '.join(_fmt(result.get(k), unit) for k in keys)} |")
    return "\n".join(lines)
