"""The history tree of a session.

Every state a session reaches is a node; a node's parent is the node it was
edited from.  Undo moves to the parent, redo to the child most recently
visited, and a new edit after undo starts a new branch without discarding the
old one.  Steps are turns: ``steps[n]`` is the node the session stood on after
turn ``n`` (step 0 is the start), so any step can be revisited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sessions.state import ImageState


@dataclass
class Node:
    id: int
    parent: int | None
    state: ImageState
    step: int                       # the turn that created it
    children: list[int] = field(default_factory=list)
    last_child: int | None = None   # where redo goes


class History:
    def __init__(self, start: ImageState):
        self.nodes: dict[int, Node] = {0: Node(0, None, start, 0)}
        self.cursor = 0
        self.steps: list[int] = [0]

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
        parent.last_child = node.id
        self.nodes[node.id] = node
        self.cursor = node.id
        return node

    def undo(self) -> Node | None:
        parent = self.current.parent
        if parent is None:
            return None
        self.nodes[parent].last_child = self.cursor
        self.cursor = parent
        return self.current

    def redo(self) -> Node | None:
        child = self.current.last_child
        if child is None:
            return None
        self.cursor = child
        return self.current

    def end_turn(self) -> int:
        """Record the node the session stands on after this turn; returns the step."""
        self.steps.append(self.cursor)
        return len(self.steps) - 1

    def restore_turn(self, step: int, node_id: int, parent: int | None, state: ImageState) -> None:
        """Rebuild from a log record (resume): node ``node_id`` holds ``state``."""
        if node_id not in self.nodes:
            node = Node(node_id, parent, state, step)
            self.nodes[node_id] = node
            if parent is not None and parent in self.nodes:
                self.nodes[parent].children.append(node_id)
                self.nodes[parent].last_child = node_id
        self.cursor = node_id
        self.steps.append(node_id)
