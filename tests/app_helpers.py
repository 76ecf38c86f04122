"""Driving the Textual app in Pilot tests: wait for a turn, type a line."""

from __future__ import annotations

import time


async def idle(app, pilot, timeout: float = 60.0, *, check: bool = False) -> None:
    """Wait until the app has a session and no turn runs (or it could not
    start: ``app.dead``); with ``check``, fail if that did not happen in time."""
    t0 = time.perf_counter()
    while (
        (app.manager is None or app.busy)
        and app.dead is None
        and time.perf_counter() - t0 < timeout
    ):
        await pilot.pause(0.02)
    await pilot.pause(0.05)
    if check:
        assert app.manager is not None and not app.busy, "the app did not finish its work in time"


async def type_line(pilot, text: str) -> None:
    """Type ``text`` key by key into the focused input and press enter."""
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.press("enter")
