"""``holochat weights import BUNDLE``: install weights trained elsewhere (a
lease's ``NAME.tar``) only when the model's own acceptance eval says they beat
the installed ones; ``holochat weights show BUNDLE`` prints what a bundle holds.

Import unpacks the bundle into a scratch folder, loads it on the CPU, fits
what the model derives after training (a DCGAN's attribute directions), runs
``holochat eval MODEL`` (its fast default) on the bundle and on the installed
weights with the same settings, and compares them on the acceptance figures of
``generators.bundles.FIGURES``.  Better: the files replace the installed ones
(the eval and the bundle's training record stored in config.json).  Worse,
level, damaged or foreign: a message says why, nothing changes, exit 1 (2 for
a bundle that cannot be read).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import shutil
import sys
import tempfile
from pathlib import Path


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import",
        help="install a bundle if its eval beats the installed weights",
        description="install a weights bundle only if its eval beats the "
        "installed weights on the model's acceptance figures",
    )
    imp.add_argument("bundle", help="a NAME.tar from `holochat lease` / scripts/gpu-train.sh")
    imp.add_argument(
        "--target",
        default=None,
        metavar="DIR",
        help="the weights folder to compare with and replace (default: the "
        "shipped folder the bundle names)",
    )
    imp.add_argument(
        "--eval-args",
        default="",
        metavar="ARGS",
        help="extra arguments for both evals, e.g. '--n 300' (same for both)",
    )
    imp.add_argument("--dry-run", action="store_true", help="measure and compare, install nothing")
    imp.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
    show = sub.add_parser("show", help="print a bundle's manifest")
    show.add_argument("bundle")


def _fail(msg: str, code: int = 2) -> int:
    print(f"holochat weights: {msg}", file=sys.stderr)
    return code


def _eval(model: str, domain: str, weights: Path, extra: list[str]) -> dict:
    """``holochat eval MODEL --weights DIR --json`` in-process; its JSON result."""
    from holochat.cli import main

    argv = ["eval", model, "--weights", str(weights), "--json", *extra]
    if model in ("convdeconv", "judge", "pix2pix"):
        argv += ["--domain", domain]
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        rc = main(argv)
    if rc != 0:
        raise RuntimeError(
            f"`holochat {' '.join(argv)}` failed: {err.getvalue().strip()[-400:] or f'exit {rc}'}"
        )
    for line in reversed(buf.getvalue().strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"`holochat {' '.join(argv)}` printed no JSON result")


def _derive(model: str, weights: Path) -> None:
    """What a model needs beside its weights before it can be measured."""
    if model == "dcgan" and not (weights / "directions.safetensors").exists():
        from holochat.cli import main

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            rc = main(["train", "directions", "--weights", str(weights)])
        if rc != 0:
            raise RuntimeError("fitting the DCGAN's attribute directions failed")


def _load_check(model: str, domain: str, weights: Path) -> None:
    """Load the weights on the CPU the way the app will (raises on any mismatch)."""
    from generators import checkpoint

    meta = checkpoint.read_config(weights)
    if meta.get("model") != model:
        raise ValueError(
            f"the bundle's config.json holds {meta.get('model')!r} weights, not {model}"
        )
    if model == "judge":
        from generators.training.judge import load_judge

        load_judge(weights)
        return
    import importlib

    classes = {
        "convdeconv": ("generators.convdeconv_gen", "ConvDeconvGenerator"),
        "textgan": ("generators.textgan_gen", "TextGANGenerator"),
        "dcgan": ("generators.dcgan_gen", "DCGANGenerator"),
        "pix2pix": ("generators.pix2pix_gen", "Pix2PixGenerator"),
    }
    if model in classes:
        module, cls = classes[model]
        gen = getattr(importlib.import_module(module), cls)(domain, weights)
        getattr(gen, "load", lambda: None)()
        return
    raise ValueError(f"holochat does not know how to load {model!r} weights")


def run(args: argparse.Namespace) -> int:
    from generators.bundles import BundleError, compare, read_manifest, unpack

    if args.action == "show":
        try:
            print(json.dumps(read_manifest(args.bundle), indent=1))
        except BundleError as e:
            return _fail(str(e))
        return 0
    try:
        manifest = read_manifest(args.bundle)
    except BundleError as e:
        return _fail(f"refused: {e}")
    model, domain = manifest.get("model"), manifest.get("domain")
    if not isinstance(model, str) or not isinstance(domain, str):
        return _fail(f"refused: {args.bundle} does not say which model and domain it holds")
    from generators.weights import weights_path

    name = manifest.get("name") or f"{model}-{domain}"
    if not args.target and name != f"{model}-{domain}":
        return _fail(
            f"refused: {args.bundle} holds {name!r}, not the shipped {model}-{domain}; "
            f"give --target DIR to measure or install it elsewhere"
        )
    target = Path(args.target) if args.target else weights_path(model, domain)
    extra = shlex.split(args.eval_args)
    with tempfile.TemporaryDirectory(prefix="holochat-import-") as tmp:
        new = Path(tmp) / "bundle"
        try:
            unpack(args.bundle, new)
            _load_check(model, domain, new)
        except Exception as e:  # BundleError, WeightsError, shape mismatches, ...
            return _fail(
                f"refused: {args.bundle} does not load as {model} ({domain}) weights: "
                f"{str(e)[:300]}"
            )
        print(
            f"{args.bundle}: {model} ({domain}), step {manifest.get('step')}, trained on "
            f"{manifest.get('gpu') or manifest.get('device')}; measuring it and "
            f"{target} ...",
            file=sys.stderr,
        )
        try:
            _derive(model, new)
            new_eval = _eval(model, domain, new, extra)
            old_eval = None
            if (target / "model.safetensors").exists():
                old = Path(tmp) / "installed"
                shutil.copytree(target, old)
                _derive(model, old)
                old_eval = _eval(model, domain, old, extra)
        except (RuntimeError, ValueError, OSError) as e:
            return _fail(f"refused: {e}", 1)
        verdict = compare(model, domain, old_eval, new_eval)
        result = {
            "bundle": str(args.bundle),
            "model": model,
            "domain": domain,
            "target": str(target),
            "better": verdict.better,
            "reason": verdict.reason,
            "figures": verdict.rows,
            "installed": False,
        }
        if verdict.better and not args.dry_run:
            _install(new, target, new_eval, manifest)
            result["installed"] = True
        if args.json:
            print(json.dumps(result))
        else:
            for r in verdict.rows:
                a = "—" if r["shipped"] is None else f"{r['shipped']:.4g}"
                b = "—" if r["bundle"] is None else f"{r['bundle']:.4g}"
                print(f"  {r['figure']:28s} installed {a:>9s}  bundle {b:>9s}  {r['verdict']}")
            if result["installed"]:
                print(f"Installed into {target}: {verdict.reason}.")
            elif verdict.better:
                print(f"Would install (dry run): {verdict.reason}.")
            else:
                print(f"Refused, nothing changed: {verdict.reason}.")
    return 0 if verdict.better else 1


def _install(new: Path, target: Path, eval_result: dict, manifest: dict) -> None:
    """Replace ``target``'s files with the bundle's, the eval recorded; the old
    folder is swapped out whole, so a failure leaves one or the other."""
    from generators.checkpoint import record_eval, store_half

    cfg = json.loads((new / "config.json").read_text())
    cfg.setdefault("extra", {})["lease"] = {
        k: manifest.get(k)
        for k in (
            "name",
            "device",
            "gpu",
            "torch",
            "step",
            "seconds",
            "images_per_s",
            "args",
            "from_shipped",
        )
    }
    (new / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    record_eval(new, eval_result)
    if manifest.get("dtype") == "float16":  # it travelled in float16: ship it so (lossless)
        store_half(new)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".incoming")
    shutil.rmtree(staged, ignore_errors=True)
    # the weights and what the model derives from them; the sample sheet is not shipped
    shutil.copytree(new, staged, ignore=shutil.ignore_patterns("*.png"))
    old = target.with_name(target.name + ".replaced")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staged.rename(target)
    shutil.rmtree(old, ignore_errors=True)
