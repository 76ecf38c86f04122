"""The history tree of a session.

Every state a session reaches is a node; a node's parent is the node it was
edited from.  Undo moves to the parent, redo to the child most recently
visited, and a new edit after undo starts a new branch without discarding the
old one.  Steps are image steps: ``steps[n]`` is the node the session stood on
after the n-th turn that moved it (step 0 is the start; turns that changed
nothing make no step), so any step can be revisited.

A turn can be taken back before it is logged (``begin_turn`` /
``rollback_turn``): the session uses this when the new state cannot be
rendered, so the tree never holds a state the user never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sessions.state import ImageState


@dataclass
class Node:
    id: int
    parent: int | None
    state: ImageState
    step: int  # the turn that created it
    children: list[int] = field(default_factory=list)
    last_child: int | None = None  # where redo goes


class History:
    def __init__(self, start: ImageState):
        self.nodes: dict[int, Node] = {0: Node(0, None, start, 0)}
        self.cursor = 0
        self.steps: list[int] = [0]
        # what the current turn changed, so that it can be rolled back
        self._turn_start: tuple[int, int] = (0, 1)  # (cursor, node count)
        self._journal: list[tuple[int, int | None]] = []  # (node id, old last_child)
        # logs written before image steps (no "step" in their records) numbered
        # every turn as a step; replaying one keeps its numbering
        self.every_turn_is_a_step = False

    # -- reading ------------------------------------------------------------
    @property
    def current(self) -> Node:
        return self.nodes[self.cursor]

    @property
    def state(self) -> ImageState:
        return self.current.state

    @property
    def last_step(self) -> int:
        return len(self.steps) - 1

    def state_at(self, step: int) -> ImageState:
        if not 0 <= step < len(self.steps):
            raise IndexError(step)
        return self.nodes[self.steps[step]].state

    def branches(self) -> int:
        """How many leaves the tree has (1 = no branching)."""
        return sum(1 for n in self.nodes.values() if not n.children)

    # -- moving -------------------------------------------------------------
    def push(self, state: ImageState) -> Node:
        """A new node, child of the current one, for the turn about to end."""
        node = Node(len(self.nodes), self.cursor, state, len(self.steps))
        parent = self.current
        parent.children.append(node.id)
        self._set_last_child(parent, node.id)
        self.nodes[node.id] = node
        self.cursor = node.id
        return node

    def undo(self) -> Node | None:
        parent = self.current.parent
        if parent is None:
            return None
        self._set_last_child(self.nodes[parent], self.cursor)
        self.cursor = parent
        return self.current

    def redo(self) -> Node | None:
        child = self.current.last_child
        if child is None:
            return None
        self.cursor = child
        return self.current

    def _set_last_child(self, node: Node, child: int) -> None:
        self._journal.append((node.id, node.last_child))
        node.last_child = child

    def begin_turn(self) -> None:
        """Mark where this turn starts (for ``rollback_turn``)."""
        self._turn_start = (self.cursor, len(self.nodes))
        self._journal.clear()

    def rollback_turn(self) -> None:
        """Take back everything since ``begin_turn``: the nodes pushed, the
        redo pointers moved and the cursor.  Call before ``end_turn``."""
        cursor, count = self._turn_start
        for node_id, old in reversed(self._journal):
            if node_id in self.nodes:
                self.nodes[node_id].last_child = old
        self._journal.clear()
        for node_id in range(count, len(self.nodes)):
            node = self.nodes.pop(node_id)
            if node.parent is not None and node.parent in self.nodes:
                self.nodes[node.parent].children.remove(node_id)
        self.cursor = cursor

    def end_turn(self) -> int:
        """Record the node the session stands on after this turn as a new image
        step when the turn moved it; returns the step shown now.  A turn that
        changed nothing (a question, help, a refusal) makes no step."""
        if self.cursor != self.steps[-1] or self.every_turn_is_a_step:
            self.steps.append(self.cursor)
        return len(self.steps) - 1
