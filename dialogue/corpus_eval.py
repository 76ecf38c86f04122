"""Grade the parse cascade on a corpus of requests: right / asked / wrong.

Two corpus formats (both JSONL, one request per line):

- requests (``tests/data/requests_heldout.jsonl``): ``text``, ``domain``, an optional
  starting ``attributes`` (partial; the rest are the schema's defaults) and ``expect``:
  either the attributes that must hold afterwards (every other attribute unchanged),
  or ``"cant"`` (nothing changes and the reply says the thing cannot be changed),
  ``"chat"`` (nothing changes, a short conversational reply) or ``"unchanged"``.
- commands (``tests/data/commands.jsonl``): ``text``, ``domain``, ``ops`` (the exact ops).

right: the expected outcome.  asked: nothing changed while a change or another kind of
reply was expected (a clarifying question or "didn't understand": the person rephrases).
wrong: ops were read and the result is not the expected one (a reading that changed
nothing, e.g. "add sunglasses" while wearing them for "swap the shades for glasses",
counts as wrong too).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from dialogue.types import ParseContext, ParseResult
from sessions.apply import apply
from sessions.ops import op_to_json
from sessions.state import ImageState

NO_CHANGE = ("cant", "chat", "unchanged")


def load(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-6)
    return a == b


def start_state(row: Mapping[str, Any]) -> ImageState:
    return ImageState.new(row["domain"], seed=0).set_attributes(**row.get("attributes", {}))


def outcome(row: Mapping[str, Any], res: ParseResult) -> str:
    """ "right" | "asked" | "wrong" for one request row and the cascade's result."""
    state = start_state(row)
    after = state
    for op in res.ops:
        after, _ = apply(after, op)
    expect = row.get("expect")
    if "ops" in row and expect is None:  # the command corpus
        if not res.ops:
            return "right" if not row["ops"] else "asked"
        return "right" if _same([op_to_json(o) for o in res.ops], row["ops"]) else "wrong"
    changed = after.domain != state.domain or any(
        not _same(after.attributes[k], v) for k, v in state.attributes.items()
    )
    if expect in NO_CHANGE:
        if changed or res.ops:
            return "wrong"
        if expect == "unchanged":
            return "right"
        return "right" if res.source == expect else "asked"
    want = dict(state.attributes)
    want.update(expect or {})
    if not res.ops:
        return "asked"
    if not changed:  # a confident reading that happens to change nothing
        return "wrong"
    ok = after.domain == state.domain and all(
        _same(after.attributes[k], want[k]) for k in want if k != seed_name(state)
    )
    return "right" if ok else "wrong"


def seed_name(state: ImageState) -> str:
    from generators.schema import get_schema

    return get_schema(state.domain).seed_attribute


def grade(
    rows: Iterable[Mapping[str, Any]],
    parse: Callable[[str, ParseContext], ParseResult] | None = None,
) -> dict[str, Any]:
    """Counts, rates and the misses of ``parse`` (default: the full cascade) on ``rows``."""
    if parse is None:
        from dialogue.parser import parse as cascade

        parse = cascade
    counts = {"right": 0, "asked": 0, "wrong": 0}
    by_category: dict[str, dict[str, int]] = {}
    misses: list[dict[str, Any]] = []
    for row in rows:
        state = start_state(row)
        res = parse(
            row["text"], ParseContext(domain=row["domain"], attributes=dict(state.attributes))
        )
        got = outcome(row, res)
        counts[got] += 1
        cat = by_category.setdefault(
            row.get("category", row.get("tag", "-")), {"right": 0, "asked": 0, "wrong": 0}
        )
        cat[got] += 1
        if got != "right":
            misses.append(
                {
                    "text": row["text"],
                    "domain": row["domain"],
                    "outcome": got,
                    "source": res.source,
                    "ops": [op_to_json(o) for o in res.ops],
                    "reply": (res.clarification.question if res.clarification else res.message),
                }
            )
    n = max(1, sum(counts.values()))
    return {
        "n": sum(counts.values()),
        **counts,
        "right_rate": round(counts["right"] / n, 4),
        "asked_rate": round(counts["asked"] / n, 4),
        "wrong_rate": round(counts["wrong"] / n, 4),
        "by_category": by_category,
        "misses": misses,
    }
