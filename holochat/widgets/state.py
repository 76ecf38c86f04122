"""The state panel: the current attributes, generator and domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.widgets import DataTable

from holochat.display import literal


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"
    return str(v)


VALUE_WIDTH = 12          # "● sunglasses", "● surprised", "convdeconv"


class StatePanel(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.zebra_stripes = True
        # a fixed value column: an auto-sized one is measured only when the table
        # next goes idle, so a busy app could show "● sungl" for a moment
        self.add_column("attribute")
        self.add_column("value", width=VALUE_WIDTH)

    def show(self, domain: str, generator: str, attributes: Mapping[str, Any],
             changed: set[str] | None = None,
             moves: Sequence[tuple[str, str, str]] = ()) -> None:
        """``moves``: (direction, label, amount) rows of the latent moves so
        far (dcgan mode), listed before the attributes, which they leave as
        they were."""
        changed = changed or set()
        self.clear()
        def row(name: str, value: str) -> None:      # values may come from a file
            self.add_row(literal(name, limit=40), literal(value, limit=40))

        row("domain", domain)
        row("generator", generator)
        for name, label, amount in moves:
            mark = "● " if name in changed else ""
            row(label, mark + amount)
        for k, v in attributes.items():
            mark = "● " if k in changed else ""
            row(k, mark + _fmt(v))
