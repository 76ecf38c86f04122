"""Attribute schemas of the two domains (faces, chairs).

This module is the single source of truth for attribute names, kinds, ranges,
defaults and steps (DESIGN.md, "Domains and their attribute schemas").  The
parser's vocabulary, the captions, the state panel and the judges all derive
from ``SCHEMAS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# attribute kinds
SEED = "seed"  # int seed (identity / style)
DEGREES = "degrees"  # float, degrees
FLOAT = "float"  # float
CATEGORY = "category"  # one of `values`
BOOL = "bool"  # True / False


class UnknownAttributeError(KeyError):
    """An attribute name that the domain's schema does not have."""

    def __init__(self, domain: str, name: str, valid: Iterable[str]):
        self.domain, self.name, self.valid = domain, name, tuple(valid)
        super().__init__(name)

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return (
            f"unknown {self.domain} attribute {self.name!r}; "
            f"valid attributes: {', '.join(self.valid)}"
        )


class InvalidValueError(ValueError):
    """A value of the wrong kind (e.g. an unknown category or a non-number)."""


@dataclass(frozen=True)
class Clamp:
    """Reported when a requested value fell outside an attribute's range."""

    name: str
    requested: float
    value: float
    limit: str  # "min" | "max"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "requested": self.requested,
            "value": self.value,
            "limit": self.limit,
        }


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: str
    lo: float | None = None
    hi: float | None = None
    values: tuple[str, ...] = ()
    default: Any = None  # None for seeds: drawn at random
    step: float | None = None
    wraps: bool = False  # angles that wrap around (chair azimuth)
    unit: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in (DEGREES, FLOAT)

    @property
    def bounds(self) -> tuple[float, float]:
        """``(lo, hi)`` of a numeric attribute (a TypeError for the others)."""
        if self.lo is None or self.hi is None:
            raise TypeError(f"{self.name} has no numeric range")
        return float(self.lo), float(self.hi)

    @property
    def step_size(self) -> float:
        """The step of a numeric attribute ("a bit" moves half of it)."""
        if self.step is None:
            raise TypeError(f"{self.name} has no step")
        return float(self.step)

    def coerce(self, value: Any) -> tuple[Any, Clamp | None]:
        """Return ``(value, clamp)``: the value in this attribute's kind and range.

        Numbers outside the range are clamped (or wrapped for wrapping angles)
        and the clamp is reported; values of the wrong kind raise
        ``InvalidValueError``.
        """
        if self.kind == SEED:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise InvalidValueError(f"{self.name} must be an integer seed, got {value!r}")
            if isinstance(value, float) and not value.is_integer():
                raise InvalidValueError(f"{self.name} must be an integer seed, got {value!r}")
            return int(value) % (2**31), None
        if self.kind == BOOL:
            if isinstance(value, bool):
                return value, None
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true", None
            raise InvalidValueError(f"{self.name} is true or false, got {value!r}")
        if self.kind == CATEGORY:
            if isinstance(value, str) and value.lower() in self.values:
                return value.lower(), None
            raise InvalidValueError(
                f"{self.name} must be one of {', '.join(self.values)}; got {value!r}"
            )
        # numeric
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValueError(f"{self.name} must be a number, got {value!r}")
        v = float(value)
        if v != v or v in (float("inf"), float("-inf")):
            raise InvalidValueError(f"{self.name} must be a finite number, got {value!r}")
        if v == 0.0:
            v = 0.0  # fold -0.0
        lo, hi = self.bounds
        if self.wraps:
            span = hi - lo
            w = (v - lo) % span + lo
            return (0.0 if w == 0 else w), None
        if v < lo:
            return lo, Clamp(self.name, v, lo, "min")
        if v > hi:
            return hi, Clamp(self.name, v, hi, "max")
        return v, None


@dataclass(frozen=True)
class Schema:
    domain: str
    attributes: tuple[Attribute, ...]
    seed_attribute: str
    subject: str  # "person" | "chair": used in replies
    _index: Mapping[str, Attribute] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {a.name: a for a in self.attributes})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self):
        return iter(self.attributes)

    def get(self, name: str) -> Attribute:
        try:
            return self._index[name]
        except KeyError:
            raise UnknownAttributeError(self.domain, name, self.names) from None

    def of_kind(self, *kinds: str) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.kind in kinds)

    def coerce(self, name: str, value: Any) -> tuple[Any, Clamp | None]:
        return self.get(name).coerce(value)

    def defaults(self, seed: int = 0) -> dict[str, Any]:
        """Default attribute values; the seed attribute takes ``seed``."""
        out: dict[str, Any] = {}
        for a in self.attributes:
            out[a.name] = int(seed) % (2**31) if a.kind == SEED else a.default
        return out

    def validate(self, attributes: Mapping[str, Any]) -> tuple[dict[str, Any], list[Clamp]]:
        """Coerce a full or partial mapping; unknown names raise, clamps are returned."""
        out: dict[str, Any] = {}
        clamps: list[Clamp] = []
        for k, v in attributes.items():
            out[k], c = self.coerce(k, v)
            if c is not None:
                clamps.append(c)
        return out, clamps


def schema_from_vocabulary(domain: str) -> Schema:
    """The schema of ``domain`` built from its vocabulary records
    (generators/vocabulary/<domain>.toml): names, kinds, ranges, defaults, steps."""
    from generators import vocabulary as V

    voc = V.vocabulary(domain)
    attrs = []
    for r in voc.records:
        default = r.default
        if r.kind in (DEGREES, FLOAT) and default is not None:
            default = float(default)
        attrs.append(
            Attribute(
                r.name,
                r.kind,
                r.lo,
                r.hi,
                values=tuple(r.values),
                default=default,
                step=r.step,
                wraps=r.wraps,
                unit=r.unit,
            )
        )
    return Schema(
        domain=domain,
        attributes=tuple(attrs),
        seed_attribute=voc.seed_attribute,
        subject=voc.subject,
    )


FACES = schema_from_vocabulary("faces")
CHAIRS = schema_from_vocabulary("chairs")

SCHEMAS: dict[str, Schema] = {"faces": FACES, "chairs": CHAIRS}
DOMAINS: tuple[str, ...] = tuple(SCHEMAS)


def _rebuild() -> None:
    """A vocabulary record was added or taken away (``vocabulary.extended``)."""
    for d in DOMAINS:
        SCHEMAS[d] = schema_from_vocabulary(d)


def _register() -> None:
    from generators import vocabulary as V

    V.on_change(_rebuild)


_register()


class UnknownDomainError(KeyError):
    def __init__(self, domain: str):
        self.domain = domain
        super().__init__(domain)

    def __str__(self) -> str:
        return f"unknown domain {self.domain!r}; valid domains: {', '.join(DOMAINS)}"


def get_schema(domain: str) -> Schema:
    try:
        return SCHEMAS[domain]
    except KeyError:
        raise UnknownDomainError(domain) from None
