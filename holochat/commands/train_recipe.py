"""``holochat train MODEL`` for the models that train on the kernel
(``generators/training/kernel.py``): a recipe and a handful of options.

    holochat train MODEL [--recipe NAME[:cpu|gpu|smoke]] [--set KEY=VALUE ...]
                         [--steps N] [--minutes M] [--resume] [--out DIR] [--device D]
    holochat train MODEL --show-recipe NAME[:SETTING]

A recipe (``generators/recipes/MODEL-NAME.toml``) holds every setting of a
run, for the CPU, a GPU and a smoke test; ``--set`` changes any of them.
Multi-GPU: ``torchrun --nproc_per_node N -m holochat train dcgan ...``.
"""

from __future__ import annotations

import argparse
import json
import sys

from generators.training.recipes import MODELS

_HELP = {
    "convdeconv": "conv-deconv generator (chairs / faces)",
    "judge": "attribute-reading judge (faces / chairs)",
    "dcgan": "unconditional DCGAN (studio faces or a folder)",
    "textgan": "text-conditioned face GAN (GAN-CLS)",
    "pix2pix": "sketch-to-picture U-Net + PatchGAN (pix2pix)",
}
#: model -> (trainer module, help)
KERNEL_MODELS: dict[str, tuple[str, str]] = {
    name: (module, _HELP.get(name, name)) for name, module in MODELS.items()
}


def configure(p: argparse.ArgumentParser, model: str) -> None:
    from generators.training import recipes

    known = ", ".join(recipes.names(model))
    p.add_argument(
        "--recipe",
        metavar="NAME[:SETTING]",
        default=None,
        help=f"the recipe ({known}; default {recipes.default_name(model)}) and its "
        "setting: cpu, gpu or smoke (default: gpu with --device cuda, else cpu)",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one setting of the recipe (repeatable; --show-recipe lists them)",
    )
    p.add_argument(
        "--steps", type=int, default=None, help="total steps (a resumed run continues to it)"
    )
    p.add_argument(
        "--minutes", type=float, default=None, help="train for this long, then checkpoint and stop"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="continue the checkpoint in --out exactly where it stopped",
    )
    p.add_argument("--out", metavar="DIR", default=None, help="checkpoint folder")
    p.add_argument("--device", default=None, help="cpu or cuda (default: the setting's)")
    p.add_argument(
        "--show-recipe",
        metavar="NAME[:SETTING]",
        default=None,
        help="print every setting of this recipe and stop",
    )


def run(args: argparse.Namespace) -> int:
    from generators.errors import GeneratorError
    from generators.training import recipes
    from generators.training.kernel import TrainingError

    model = args.model

    def fail(msg: str) -> int:
        print(f"holochat train {model}: {msg}", file=sys.stderr)
        return 2

    if args.minutes is not None and not args.minutes > 0:
        return fail("--minutes must be positive")
    if args.steps is not None and args.steps < 1:
        return fail("--steps must be positive")
    if args.device is not None and args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            return fail(f"--device {args.device}: no CUDA GPU is available here")
    try:
        spec = args.show_recipe or args.recipe
        base = None
        if args.resume and args.out and not args.show_recipe:
            base = recipes.recorded(args.out)  # continue with the checkpoint's settings
        r = recipes.resolve(
            model,
            spec,
            device=args.device,
            sets=args.sets,
            steps=args.steps,
            base=base,
            resume=args.resume,
            out=args.out,
            time_limit_s=args.minutes * 60 if args.minutes else None,
        )
        if args.show_recipe:
            print(recipes.show(r, *recipes.build_for(model, r)))
            return 0
        if r.values.get("device", "cpu").startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                return fail(
                    f"the {r.label} setting trains on CUDA and there is no GPU here; "
                    "pass --device cpu or choose the cpu setting"
                )
        if not r.values.get("out") and not r.values.get("name"):
            return fail("give --out DIR (the checkpoint folder)")
        values = {**r.values, "progress": sys.stderr.isatty(), "echo": not sys.stderr.isatty()}
        r = recipes.Resolved(r.model, r.name, r.setting, values)
        recipes.build_for(model, r)  # every setting checked before any work
        run = recipes.train(r)
    except (recipes.RecipeError, TrainingError, GeneratorError, ValueError) as e:
        return fail(str(e))
    if run.dist.is_main:
        print(json.dumps({"out": run.loop.out, "step": run.step_count, **run.last_log}))
    return 0
