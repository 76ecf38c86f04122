"""``holochat eval MODEL ...``: one sub-command per model (see ``train.MODELS``);
each module has ``configure_eval(parser)`` and ``run_eval(args) -> int``."""

from __future__ import annotations

import argparse
import json

from holochat.commands.train import _modules


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, help_, mod in _modules(evals=True):
        if hasattr(mod, "configure_eval"):
            sp = sub.add_parser(name, help=help_, description=f"measure the {help_}")
            mod.configure_eval(sp)
            sp.set_defaults(_eval=mod.run_eval)


def run(args: argparse.Namespace) -> int:
    return int(args._eval(args) or 0)


def print_result(res: dict, as_json: bool, width: int = 30, digits: int = 3) -> None:
    """An eval result as one JSON object, or as aligned "name value" lines."""
    if as_json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k:{width}s} {v:.{digits}f}" if isinstance(v, float) else f"{k:{width}s} {v}")
