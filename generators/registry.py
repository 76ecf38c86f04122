"""The generator registry: which generators exist, which can render a domain,
and which one is the default.

Learned generators register a factory and an ``available`` check (their shipped
weights exist); the studio is always available and is the fallback, never the
preferred default (DESIGN.md, "Generators").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from generators.errors import UnknownGeneratorError
from generators.protocol import Generator
from generators.schema import get_schema


@dataclass(frozen=True)
class Entry:
    name: str
    domains: tuple[str, ...]
    factory: Callable[[str], Generator]  # domain -> generator
    available: Callable[[str], bool]  # domain -> has what it needs
    description: str = ""
    # domain -> whether it may be the default: learned generators take over as
    # defaults only when their shipped weights passed their acceptance eval
    default_ok: Callable[[str], bool] = lambda domain: True
    # named variants "NAME:VARIANT" (personal models, e.g. "dcgan:alice"):
    # domain -> variant names that exist, and (domain, variant) -> generator
    variants: Callable[[str], list[str]] | None = None
    variant_factory: Callable[[str, str], Generator] | None = None
    # what the generator can do beyond rendering a state, for the dialogue to
    # choose how to read edits (named variants share their generator's):
    # LATENT_EDITS, COMPLETION
    capabilities: frozenset[str] = frozenset()


#: it renders ``z`` plus latent-direction offsets and ignores the schema
#: attributes, so the dialogue turns edits into moves along its directions
LATENT_EDITS = "latent-edits"
#: it can find the ``z`` whose render best completes a region of an image
COMPLETION = "completion"


_REGISTRY: dict[str, Entry] = {}
_CACHE: dict[tuple[str, str], Generator] = {}
_LOCK = threading.Lock()

# preference order of defaults per domain; the first available wins
PREFERRED: dict[str, tuple[str, ...]] = {
    "faces": ("textgan", "convdeconv", "dcgan", "studio"),
    "chairs": ("convdeconv", "studio"),
}


def register(entry: Entry) -> None:
    _REGISTRY[entry.name] = entry


def _ensure_builtin() -> None:
    if _REGISTRY:
        return
    import generators.builtin  # noqa: F401  (registers the built-in generators)


def _variant_names(entry: Entry, domain: str) -> list[str]:
    if entry.variants is None or domain not in entry.domains:
        return []
    return [f"{entry.name}:{v}" for v in entry.variants(domain)]


def names(domain: str | None = None) -> list[str]:
    """Every registered generator (that can render ``domain``, if given), and
    the named variants (personal models) of ``domain``."""
    _ensure_builtin()
    out = [e.name for e in _REGISTRY.values() if domain is None or domain in e.domains]
    if domain is not None:
        out += [v for e in _REGISTRY.values() for v in _variant_names(e, domain)]
    return out


def available(domain: str) -> list[str]:
    """Generators that can render ``domain`` right now (weights present)."""
    get_schema(domain)
    _ensure_builtin()
    out = [e.name for e in _REGISTRY.values() if domain in e.domains and e.available(domain)]
    return out + [v for e in _REGISTRY.values() for v in _variant_names(e, domain)]


def capabilities(name: str) -> frozenset[str]:
    """What the generator ``name`` (or the named variant "NAME:VARIANT")
    declares it can do; empty for an unknown name."""
    _ensure_builtin()
    entry = _REGISTRY.get(name.partition(":")[0])
    return entry.capabilities if entry is not None else frozenset()


def default_generator(domain: str) -> str:
    avail = available(domain)
    for name in PREFERRED.get(domain, ()):
        if name in avail and _REGISTRY[name].default_ok(domain):
            return name
    return "studio"


def get_generator(name: str, domain: str) -> Generator:
    """The (cached) generator ``name`` for ``domain``; clear errors otherwise."""
    get_schema(domain)
    _ensure_builtin()
    base, _, variant = name.partition(":") if isinstance(name, str) else (name, "", "")
    entry = _REGISTRY.get(base)
    if variant and entry is not None:
        return _get_variant(entry, name, variant, domain)
    if entry is None:
        raise UnknownGeneratorError(
            f"unknown generator {name!r}; known generators: {', '.join(sorted(_REGISTRY))}"
        )
    if domain not in entry.domains:
        raise UnknownGeneratorError(
            f"generator {name!r} does not render {domain}; it renders {', '.join(entry.domains)}"
        )
    key = (name, domain)
    with _LOCK:
        gen = _CACHE.get(key)
        if gen is None:
            gen = entry.factory(domain)
            _CACHE[key] = gen
        return gen


def _get_variant(entry: Entry, name: str, variant: str, domain: str) -> Generator:
    if entry.variant_factory is None or entry.variants is None:
        raise UnknownGeneratorError(
            f"the {entry.name} generator has no named variants like {name!r}"
        )
    if domain not in entry.domains:
        raise UnknownGeneratorError(f"generator {name!r} does not render {domain}")
    known = entry.variants(domain)
    if variant not in known:
        raise UnknownGeneratorError(
            f"there is no {entry.name} model called {variant!r}"
            + (f"; yours: {', '.join(f'{entry.name}:{v}' for v in known)}" if known else "")
        )
    key = (name, domain)
    with _LOCK:
        gen = _CACHE.get(key)
        if gen is None:
            gen = entry.variant_factory(domain, variant)
            _CACHE[key] = gen
        return gen


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
