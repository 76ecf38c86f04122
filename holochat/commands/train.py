"""``holochat train MODEL ...``: one sub-command per model.

The models of the training kernel (``train_recipe.KERNEL_MODELS``) share one
command line: a recipe and a handful of options.  Each other entry of
``MODELS`` names a module in ``holochat/commands/`` with
``configure_train(parser)`` and ``run_train(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib

from holochat.commands.train_recipe import KERNEL_MODELS

#: the other trainers, each a module with ``configure_train`` and ``run_train``
MODELS: dict[str, tuple[str, str]] = {
    "directions": (
        "holochat.commands.model_directions",
        "latent attribute directions of a DCGAN (read by the faces judge)",
    ),
    "reader": (
        "holochat.commands.model_reader",
        "request reader (a head over MiniLM token features)",
    ),
}
#: the entries of ``holochat eval`` beside those: the kernel models' evals and an eval-only one
EVALS: dict[str, tuple[str, str]] = {
    **{
        name: (f"holochat.commands.model_{name}", help_)
        for name, (_, help_) in KERNEL_MODELS.items()
    },
    "parser": (
        "holochat.commands.model_reader",
        "parse cascade on the held-out request corpus and the command corpus",
    ),
}


def _modules(evals: bool = False):
    for name, (module, help_) in (MODELS | EVALS if evals else MODELS).items():
        try:
            yield name, help_, importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise


def configure(p: argparse.ArgumentParser) -> None:
    from holochat.commands import train_recipe

    sub = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, (_, help_) in KERNEL_MODELS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        train_recipe.configure(sp, name)
        sp.set_defaults(_train=train_recipe.run)
    for name, help_, mod in _modules():
        sp = sub.add_parser(name, help=help_, description=help_)
        mod.configure_train(sp)
        sp.set_defaults(_train=mod.run_train)


def run(args: argparse.Namespace) -> int:
    return int(args._train(args) or 0)
