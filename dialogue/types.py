"""Types shared by the parser and the dialogue manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sessions.ops import Op


@dataclass(frozen=True)
class Clarification:
    question: str  # "Did you mean 'add sunglasses' or 'add glasses'?"
    options: tuple[tuple[str, tuple[Op, ...]], ...]  # (label shown to the user, ops) — usually 2


@dataclass(frozen=True)
class ParseContext:
    domain: str = "faces"
    attributes: Mapping[str, Any] = field(default_factory=dict)  # current state's attributes
    generator: str = "studio"
    pending: Clarification | None = None  # the open question from the previous turn


@dataclass(frozen=True)
class ParseResult:
    ops: tuple[Op, ...]  # empty for unknown / clarify / empty input
    source: str  # "grammar" | "reader" | "fallback" | "clarify" | "resolved"
    #                                    | "chat" | "cant" | "unknown" | "empty"
    score: float | None = None  # fallback similarity, None for grammar
    clarification: Clarification | None = None
    message: str | None = None  # for unknown: a short hint why
    matched: str | None = None  # the exemplar the fallback matched
