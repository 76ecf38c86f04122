"""The vocabulary as data: one record per attribute, read from ``<domain>.toml``.

A record holds everything a new attribute needs outside its renderer: the
schema fields (kind, range, default, step, unit), the words people use for it
and its values, direction words, how replies say it and (for attributes with no
hand-written caption templates) caption phrases.  ``generators.schema`` builds
the schemas from these records; the parser's word lists, the fallback's
exemplars, the replies and the captions read them too.  Things outside the
schema (age, bangs, a cat) are records of ``unsupported``, each naming the
nearest supported things.

``extended(domain, toml_text)`` adds records for a while (tests of a toy
attribute); modules that cache derived tables register ``on_change`` hooks.
"""

from __future__ import annotations

import contextlib
import functools
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

DOMAINS = ("faces", "chairs")


@dataclass(frozen=True)
class Reply:
    noun: str = ""  # "the hat"
    thing: str = ""  # "a hat" ("They already have a hat.")
    on: str = ""  # "put on a hat"
    off: str = ""  # "took off the hat"
    set: str = ""  # "made the hair {value}"


@dataclass(frozen=True)
class Record:
    name: str
    kind: str
    lo: float | None = None
    hi: float | None = None
    values: tuple[str, ...] = ()
    default: Any = None
    step: float | None = None
    wraps: bool = False
    unit: str = ""
    names: tuple[str, ...] = ()
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bare_values: bool = False
    colour: bool = False
    object: bool = False
    pronoun: str = "it"
    neg: tuple[str, ...] = ()
    pos: tuple[str, ...] = ()
    reply: Reply = Reply()
    caption: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    phrases: Mapping[str, str] = field(default_factory=dict)  # "redhead" -> "red hair_color"
    strength: str = ""  # the attribute that says how strong a value is shown

    @property
    def spoken(self) -> str:
        """What replies call it ("hair colour" for hair_color without a noun)."""
        return self.reply.noun or "the " + self.name.replace("_", " ")

    def value_words(self) -> dict[str, str]:
        """word -> value, the values themselves included."""
        out = {v: v for v in self.values}
        for v, ws in self.words.items():
            for w in ws:
                out.setdefault(w, v)
        return out


@dataclass(frozen=True)
class Unsupported:
    name: str  # "age"
    words: tuple[str, ...]  # words that ask for it
    nearest: tuple[str, ...]  # supported commands to offer instead

    def matches(self, text: str) -> str | None:
        """The word of ``text`` (lowercase, cleaned) that asks for this, if any."""
        m = _phrase_re(self.words).search(text)
        return m.group(0) if m else None


@dataclass(frozen=True)
class Vocabulary:
    domain: str
    subject: str
    pronoun: str
    seed_attribute: str
    records: tuple[Record, ...]
    unsupported: tuple[Unsupported, ...] = ()

    def get(self, name: str) -> Record | None:
        return next((r for r in self.records if r.name == name), None)

    def __iter__(self):
        return iter(self.records)

    def out_of_schema(self, text: str) -> tuple[Unsupported, str] | None:
        """The first unsupported thing ``text`` asks for, with the word that asked."""
        for u in self.unsupported:
            w = u.matches(text)
            if w:
                return u, w
        return None


@functools.lru_cache(maxsize=256)
def _phrase_re(words: tuple[str, ...]) -> re.Pattern:
    alts = sorted(set(words), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in alts) + r")(?![\w-])")


def _tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def record_from_dict(name: str, d: Mapping[str, Any]) -> Record:
    rng = d.get("range") or (None, None)
    rep = d.get("reply", {})
    return Record(
        name=name,
        kind=d["kind"],
        lo=None if rng[0] is None else rng[0],
        hi=None if rng[1] is None else rng[1],
        values=_tuple(d.get("values", ())),
        default=d.get("default"),
        step=d.get("step"),
        wraps=bool(d.get("wraps", False)),
        unit=d.get("unit", ""),
        names=_tuple(d.get("names", (name.replace("_", " "),))),
        words={k: _tuple(v) for k, v in d.get("words", {}).items()},
        bare_values=bool(d.get("bare_values", False)),
        colour=bool(d.get("colour", False)),
        object=bool(d.get("object", False)),
        pronoun=d.get("pronoun", "it"),
        neg=_tuple(d.get("neg", ())),
        pos=_tuple(d.get("pos", ())),
        reply=Reply(**{k: str(v) for k, v in rep.items()}),
        caption={k: _tuple(v) for k, v in d.get("caption", {}).items()},
        phrases={str(k): str(v) for k, v in d.get("phrases", {}).items()},
        strength=str(d.get("strength", "")),
    )


def vocabulary_from_dict(domain: str, d: Mapping[str, Any]) -> Vocabulary:
    return Vocabulary(
        domain=domain,
        subject=d.get("subject", domain),
        pronoun=d.get("pronoun", "it"),
        seed_attribute=d.get("seed_attribute", ""),
        records=tuple(record_from_dict(k, v) for k, v in d.get("attributes", {}).items()),
        unsupported=tuple(
            Unsupported(u["name"], _tuple(u["words"]), _tuple(u.get("nearest", ())))
            for u in d.get("unsupported", ())
        ),
    )


@functools.cache
def _raw(domain: str) -> dict:
    if domain not in DOMAINS:
        raise KeyError(domain)
    text = resources.files(__package__).joinpath(f"{domain}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


_EXTRA: dict[str, list[dict]] = {d: [] for d in DOMAINS}
_HOOKS: list[Callable[[], None]] = []


def _merged(domain: str) -> dict:
    base = _raw(domain)
    if not _EXTRA[domain]:
        return base
    out = dict(base)
    attrs = dict(base.get("attributes", {}))
    uns = list(base.get("unsupported", ()))
    for extra in _EXTRA[domain]:
        attrs.update(extra.get("attributes", {}))
        uns += list(extra.get("unsupported", ()))
    out["attributes"], out["unsupported"] = attrs, uns
    return out


_CACHE: dict[str, Vocabulary] = {}


def vocabulary(domain: str) -> Vocabulary:
    """The vocabulary of ``domain`` (with any records ``extended`` added)."""
    v = _CACHE.get(domain)
    if v is None:
        v = _CACHE[domain] = vocabulary_from_dict(domain, _merged(domain))
    return v


def record(domain: str, name: str) -> Record | None:
    return vocabulary(domain).get(name)


def all_records() -> Iterator[tuple[str, Record]]:
    for d in DOMAINS:
        for r in vocabulary(d):
            yield d, r


def on_change(hook: Callable[[], None]) -> Callable[[], None]:
    """Register a function that drops tables derived from the vocabulary
    (once: registering it again changes nothing)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


def _changed() -> None:
    _CACHE.clear()
    for hook in list(_HOOKS):
        hook()


@contextlib.contextmanager
def extended(domain: str, toml_text: str):
    """Add the records of ``toml_text`` to ``domain`` inside the block (tests)."""
    extra = tomllib.loads(toml_text)
    _EXTRA[domain].append(extra)
    _changed()
    try:
        yield vocabulary(domain)
    finally:
        _EXTRA[domain].remove(extra)
        _changed()
