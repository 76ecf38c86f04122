"""The command line: up/down recall earlier commands; completion from the
schema vocabulary (accept with →)."""

from __future__ import annotations

from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Input


class CommandInput(Input):
    BINDINGS = [
        Binding("up", "recall(-1)", "previous", show=False),
        Binding("down", "recall(1)", "next", show=False),
    ]

    def __init__(self, **kw):
        super().__init__(placeholder="type a command — e.g. add sunglasses, turn left, undo", **kw)
        self.recalled: list[str] = []
        self._pos = 0

    def set_vocabulary(self, words: list[str]) -> None:
        self.suggester = SuggestFromList(sorted(set(words)), case_sensitive=False)

    def remember(self, text: str) -> None:
        if text and (not self.recalled or self.recalled[-1] != text):
            self.recalled.append(text)
        self._pos = len(self.recalled)

    def action_recall(self, delta: int) -> None:
        if not self.recalled:
            return
        self._pos = max(0, min(len(self.recalled), self._pos + delta))
        self.value = self.recalled[self._pos] if self._pos < len(self.recalled) else ""
        self.cursor_position = len(self.value)
