"""The history list: one line per step; selecting one goes back to it."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from holochat.display import literal


class HistoryList(OptionList):
    class StepChosen(Message):
        def __init__(self, step: int):
            self.step = step
            super().__init__()

    def show(self, entries, current: int) -> None:
        keys = [(e.step, e.input) for e in entries]
        known = getattr(self, "_keys", [])
        if known and keys[: len(known)] == known:
            new = entries[len(known) :]  # only the steps added since (no re-layout)
        else:
            self.clear_options()
            new = entries
        if new:
            self.add_options(
                [
                    Option(
                        literal(f"{e.step:>3}  {e.input or '(start)'}", limit=200),
                        id=f"step-{e.step}",
                    )
                    for e in new
                ]
            )
        self._keys = keys
        if entries:
            self.highlighted = min(current, len(entries) - 1)
            self.scroll_to_highlight()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("step-"):
            self.post_message(self.StepChosen(int(event.option.id[5:])))
