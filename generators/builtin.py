"""Registers the built-in generators with the registry (imported lazily)."""

from __future__ import annotations

from generators.registry import Entry, register


def _studio(domain: str):
    from generators.studio import StudioGenerator
    return StudioGenerator(domain)


register(Entry("studio", ("faces", "chairs"), _studio, lambda d: True,
               "procedural ground-truth renderer (numpy)"))
