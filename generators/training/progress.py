"""The progress bar the training loops share (rich), or nothing when disabled."""

from __future__ import annotations

import contextlib


def progress_bar(enabled: bool):
    """A context manager yielding a ``rich.progress.Progress`` (or ``None``)."""
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    TimeRemainingColumn())
