"""What the training loops share: the progress bar (rich), or nothing when
disabled, and a lease's deadline."""

from __future__ import annotations

import contextlib
import os
import time

ENV_DEADLINE = "HOLOCHAT_DEADLINE"  # unix seconds by which a lease's trainer must have saved


def lease_time_limit(limit_s: float | None) -> float | None:
    """The training time a loop may take from now: ``limit_s``, capped by
    what is left before ``$HOLOCHAT_DEADLINE`` (set by ``holochat lease``, so
    trainers that spent longer rendering their data still stop and save in
    time, and clock-following schedules span the time they really get)."""
    env = os.environ.get(ENV_DEADLINE)
    if not env:
        return limit_s
    try:
        left = max(1.0, float(env) - time.time())
    except ValueError:
        return limit_s
    return left if limit_s is None else min(limit_s, left)


def progress_bar(enabled: bool):
    """A context manager yielding a ``rich.progress.Progress`` (or ``None``)."""
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
