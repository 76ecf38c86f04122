"""Sessions: ImageState, edit ops, pure state transitions, the history tree,
the crash-safe session log, replay, scripts and export.  Imports generators
only.

The names below are importable from ``sessions`` directly; each loads its
module on first use, so ``import sessions.ops`` stays light.  The functions
``apply`` and ``replay`` share their modules' names: import them from
``sessions.apply`` and ``sessions.replay``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "ImageState": "sessions.state",
    "Op": "sessions.ops", "op_from_json": "sessions.ops", "op_to_json": "sessions.ops",
    "OpError": "sessions.ops",
    "Effect": "sessions.apply", "Change": "sessions.apply",
    "interpolate": "sessions.apply", "diff": "sessions.apply",
    "History": "sessions.history", "Node": "sessions.history",
    "Session": "sessions.session", "TurnOutcome": "sessions.session",
    "derived_seed": "sessions.session",
    "SessionLog": "sessions.log", "load_log": "sessions.log", "LoadedLog": "sessions.log",
    "LogError": "sessions.log", "LogWriteError": "sessions.log",
    "FORMAT_VERSION": "sessions.log",
    "iter_replay": "sessions.replay",
    "ReplayResult": "sessions.replay", "ReplayedTurn": "sessions.replay",
    "read_script": "sessions.script", "parse_script": "sessions.script",
    "ScriptError": "sessions.script",
    "image_sha256": "sessions.export", "export_png": "sessions.export",
    "export_gif": "sessions.export", "export_sheet": "sessions.export",
    "contact_sheet": "sessions.export",
    "data_dir": "sessions.paths", "sessions_dir": "sessions.paths",
    "exports_dir": "sessions.paths", "resolve_session": "sessions.paths",
    "check_name": "sessions.names", "name_problem": "sessions.names",
    "is_valid_name": "sessions.names", "InvalidNameError": "sessions.names",
    "MAX_NAME_LENGTH": "sessions.names",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sessions' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
