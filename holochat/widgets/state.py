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


VALUE_WIDTH = 12  # "● sunglasses", "● surprised", "convdeconv"


class StatePanel(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.zebra_stripes = True
        # a fixed value column: an auto-sized one is measured only when the table
        # next goes idle, so a busy app could show "● sungl" for a moment
        self.add_column("attribute", key="attribute")
        self.add_column("value", width=VALUE_WIDTH, key="value")

    def show(
        self,
        domain: str,
        generator: str,
        attributes: Mapping[str, Any],
        changed: set[str] | None = None,
        moves: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        """``moves``: (direction, label, amount) rows of the latent moves so
        far (dcgan mode), listed before the attributes, which they leave as
        they were."""
        changed = changed or set()
        rows: list[tuple[str, str]] = [("domain", domain), ("generator", generator)]
        for name, label, amount in moves:
            rows.append((label, ("● " if name in changed else "") + amount))
        for k, v in attributes.items():
            rows.append((k, ("● " if k in changed else "") + _fmt(v)))
        known: list[tuple[str, str]] = getattr(self, "_rows", [])
        if [n for n, _ in known] == [n for n, _ in rows]:
            # the same attributes: only the values that differ are redrawn (a
            # cleared table re-renders every row in the next frame)
            for i, ((_, old), (_, value)) in enumerate(zip(known, rows)):
                if old != value:  # values may come from a file: shown literally
                    self.update_cell(f"row-{i}", "value", literal(value, limit=40))
        else:
            self.clear()
            for i, (name, value) in enumerate(rows):
                self.add_row(literal(name, limit=40), literal(value, limit=40), key=f"row-{i}")
        self._rows = rows
