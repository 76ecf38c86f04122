"""``holochat train MODEL ...``: one sub-command per model.

Each entry of ``MODELS`` names a module in ``holochat/commands/`` with
``configure_train(parser)`` and ``run_train(args) -> int``; add a model by
adding an entry.
"""

from __future__ import annotations

import argparse
import importlib

MODELS: dict[str, tuple[str, str]] = {
    "convdeconv": ("holochat.commands.model_convdeconv", "conv-deconv generator (chairs / faces)"),
    "judge": ("holochat.commands.model_judge", "attribute-reading judge (faces / chairs)"),
    "dcgan": ("holochat.commands.model_dcgan", "unconditional DCGAN (studio faces or a folder)"),
    "textgan": ("holochat.commands.model_textgan", "text-conditioned face GAN (GAN-CLS)"),
    "directions": ("holochat.commands.model_directions",
                   "latent attribute directions of a DCGAN (read by the faces judge)"),
    "pix2pix": ("holochat.commands.model_pix2pix", "sketch-to-picture U-Net + PatchGAN (pix2pix)"),
    "reader": ("holochat.commands.model_reader", "request reader (a head over MiniLM token "
               "features)"),
}
#: eval-only entries of ``holochat eval``
EVALS: dict[str, tuple[str, str]] = {
    "parser": ("holochat.commands.model_reader",
               "parse cascade on the held-out request corpus and the command corpus"),
}


def _modules(evals: bool = False):
    for name, (module, help_) in (MODELS | EVALS if evals else MODELS).items():
        try:
            yield name, help_, importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, help_, mod in _modules():
        sp = sub.add_parser(name, help=help_, description=help_)
        mod.configure_train(sp)
        sp.set_defaults(_train=mod.run_train)


def run(args: argparse.Namespace) -> int:
    return int(args._train(args) or 0)
