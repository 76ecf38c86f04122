"""``holochat eval MODEL ...``: one sub-command per model (see ``train.MODELS``);
each module has ``configure_eval(parser)`` and ``run_eval(args) -> int``."""

from __future__ import annotations

import argparse

from holochat.commands.train import _modules


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, help_, mod in _modules():
        if hasattr(mod, "configure_eval"):
            sp = sub.add_parser(name, help=help_, description=f"measure the {help_}")
            mod.configure_eval(sp)
            sp.set_defaults(_eval=mod.run_eval)


def run(args: argparse.Namespace) -> int:
    return int(args._eval(args) or 0)
