"""The chat log: the user's lines and holochat's replies."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from holochat.display import literal


class ChatLog(RichLog):
    """Append-only conversation view."""

    def __init__(self, **kw):
        super().__init__(
            wrap=True, min_width=1, markup=False, highlight=False, auto_scroll=True, **kw
        )

    def user(self, text: str, step: int | None = None) -> None:
        t = Text()
        t.append("you ", style="bold cyan")
        if step is not None:
            t.append(f"{step} ", style="dim")
        t.append_text(literal(text) if text.strip() else Text("(empty)", style="dim"))
        self.write(t)

    def reply(self, text: str, kind: str = "edit") -> None:
        style = {
            "unknown": "yellow",
            "clarify": "bold magenta",
            "error": "bold red",
            "empty": "dim",
        }.get(kind, "")
        t = Text()
        t.append("holo ", style="bold green")
        t.append_text(literal(text, style, multiline=True))
        self.write(t)

    def note(self, text: str) -> None:
        self.write(literal(text, "dim italic", multiline=True))
