"""Replay: re-apply a session's logged ops and re-render every step.

Replay uses the logged ops, never the parser, so a later parser change never
alters an old session.  With ``verify`` every image hash is compared with the
log; the first differing turn is reported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generators import registry
from sessions.export import export_png, image_sha256
from sessions.log import LogError, load_log
from sessions.ops import OpError, op_from_json
from sessions.session import Session
from sessions.state import ImageState


@dataclass
class ReplayedTurn:
    turn: int
    input: str
    state: ImageState
    image: np.ndarray | None  # None when the step could not be drawn (``error``)
    sha256: str | None
    logged_sha256: str | None
    image_path: str | None = None
    error: str | None = None  # the step could not be drawn (a drawing's file is gone)

    @property
    def matches(self) -> bool:
        if self.error is not None:
            return False
        return self.logged_sha256 is None or self.logged_sha256 == self.sha256


@dataclass
class ReplayResult:
    turns: list[ReplayedTurn] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def first_mismatch(self) -> ReplayedTurn | None:
        return next((t for t in self.turns if not t.matches), None)


def render_state(state: ImageState, drawings=None) -> np.ndarray:
    """The picture of a state; a drawn state (``state.drawing``) is its sketch
    through pix2pix, found in ``drawings`` (a ``sessions.drawings.DrawingStore``)."""
    if state.drawing:
        from sessions.drawings import DrawingFileError, render_drawn

        if drawings is None:
            raise DrawingFileError("this step is a drawing, and no drawings folder was given")
        return render_drawn(state, drawings.get(state.drawing))
    return np.ascontiguousarray(
        registry.get_generator(state.generator, state.domain).render(state), dtype=np.uint8
    )


def iter_replay(
    path: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    warnings: list[str] | None = None,
    render: Callable[[ImageState], np.ndarray] | None = None,
) -> Iterator[ReplayedTurn]:
    """Yield every step of a logged session, re-applied and re-rendered.

    Drawn steps read their sketches from ``drawings/`` beside the log; a step
    whose drawing is missing or changed comes back with ``error`` set (and no
    image), and the steps after it are replayed as usual."""
    from sessions.drawings import DrawingFileError, DrawingStore

    if render is None:
        store = DrawingStore(read_dirs=[Path(path).parent])

        def render(state: ImageState) -> np.ndarray:
            return render_state(state, store)

    loaded = load_log(path)
    if warnings is not None:
        warnings.extend(loaded.warnings)
    records = loaded.records
    try:
        start = ImageState.from_json(records[0]["state"])
    except (KeyError, TypeError, ValueError) as e:
        raise LogError(f"{path}: the first record is not a session start ({e})") from None
    session = Session(start, records[0].get("start_seed", start.seed))
    session.history.every_turn_is_a_step = legacy_numbering(records)
    out = Path(out_dir) if out_dir is not None else None
    for i, rec in enumerate(records):
        if i > 0:
            try:
                ops = [op_from_json(o) for o in rec.get("ops", [])]
            except OpError as e:
                raise LogError(
                    f"{path}: turn {rec.get('turn', i)} has an unreadable op: {e}"
                ) from None
            session.play(ops)
        # the record's turn (every line typed); image steps are session.step
        turn = rec.get("turn", i) if isinstance(rec.get("turn", i), int) else i
        try:
            img = render(session.state)
        except DrawingFileError as e:
            yield ReplayedTurn(
                turn,
                rec.get("input", ""),
                session.state,
                None,
                None,
                rec.get("image_sha256"),
                None,
                str(e),
            )
            continue
        sha = image_sha256(img)
        p = None
        if out is not None:
            p = str(export_png(img, out / f"turn-{i:03d}.png"))
        yield ReplayedTurn(
            turn, rec.get("input", ""), session.state, img, sha, rec.get("image_sha256"), p
        )


def legacy_numbering(records: list[dict]) -> bool:
    """A log written before turns that change nothing stopped being image
    steps: its records have no "step" (its "go back to step N" count every turn)."""
    return len(records) > 1 and all("step" not in r for r in records[1:])


def replay(path: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> ReplayResult:
    res = ReplayResult()
    res.turns = list(iter_replay(path, out_dir, res.warnings))
    return res
