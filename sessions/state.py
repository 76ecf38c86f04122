"""ImageState: the immutable value one session image is rendered from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from generators.protocol import Z_DIM, z_from_seed
from generators.schema import get_schema

STATE_SIZES = (64, 128)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _frozen(d: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True, eq=True)
class ImageState:
    """domain, generator, schema attributes, latent ``z`` (numbers, not only a
    seed), named latent offsets, free conditioning text and output size.

    Satisfies ``generators.protocol.Renderable``.  Equal states render equal
    images on the same machine; ``to_json``/``from_json`` are lossless.
    """

    domain: str
    generator: str
    attributes: Mapping[str, Any]
    z: tuple[float, ...]
    offsets: Mapping[str, float] = field(default_factory=dict)
    text: str = ""
    size: int = 64
    #: a drawn turn's sketch (its SHA-256, hex; the file ``drawings/<sha>.png``
    #: beside the session log, sessions/drawings.py): the picture is that
    #: drawing through pix2pix until the next edit; "" for every other state
    drawing: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", _frozen(self.attributes))
        object.__setattr__(self, "offsets", _frozen(self.offsets))
        object.__setattr__(self, "z", tuple(float(x) for x in self.z))

    # -- construction -----------------------------------------------------
    @classmethod
    def new(
        cls, domain: str, seed: int = 0, generator: str = "studio", size: int = 64
    ) -> ImageState:
        schema = get_schema(domain)
        return cls(
            domain=domain,
            generator=generator,
            attributes=schema.defaults(seed),
            z=z_from_seed(seed),
            size=size,
        )

    def evolve(self, **changes: Any) -> ImageState:
        """A copy with fields replaced (``attributes`` may be a partial update
        via ``set_attributes``)."""
        return replace(self, **changes)

    def set_attributes(self, **values: Any) -> ImageState:
        merged = dict(self.attributes)
        merged.update(values)
        return replace(self, attributes=merged)

    @property
    def seed(self) -> int:
        return int(self.attributes[get_schema(self.domain).seed_attribute])

    # -- JSON -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "generator": self.generator,
            "attributes": dict(self.attributes),
            "z": list(self.z),
            "offsets": dict(self.offsets),
            "text": self.text,
            "size": self.size,
            **({"drawing": self.drawing} if self.drawing else {}),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ImageState:
        """Rebuild a state; raises ``ValueError`` with a clear message when the
        data is not a valid state (unknown names, wrong kinds, bad z)."""
        if not isinstance(d, Mapping):
            raise ValueError("state must be a JSON object")
        try:
            domain = d["domain"]
            schema = get_schema(domain)
            attrs_in = d["attributes"]
            if not isinstance(attrs_in, Mapping):
                raise ValueError("state.attributes must be an object")
            missing = [n for n in schema.names if n not in attrs_in]
            if missing:
                raise ValueError(f"state.attributes lacks {', '.join(missing)}")
            attrs, clamps = schema.validate(attrs_in)
            if clamps:
                raise ValueError(f"state attribute out of range: {clamps[0].name}")
            z = d.get("z")
            if (
                not isinstance(z, list)
                or len(z) != Z_DIM
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in z)
            ):
                raise ValueError(f"state.z must be a list of {Z_DIM} numbers")
            offsets = d.get("offsets", {})
            if not isinstance(offsets, Mapping) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in offsets.values()
            ):
                raise ValueError("state.offsets must map names to numbers")
            text = d.get("text", "")
            if not isinstance(text, str):
                raise ValueError("state.text must be a string")
            size = d.get("size", 64)
            if size not in STATE_SIZES:
                raise ValueError(f"state.size must be one of {STATE_SIZES}")
            generator = d.get("generator", "studio")
            if not isinstance(generator, str):
                raise ValueError("state.generator must be a string")
            drawing = d.get("drawing", "")
            if not isinstance(drawing, str) or (drawing and not _SHA256.fullmatch(drawing)):
                raise ValueError("state.drawing must be a SHA-256 (64 hex digits)")
        except KeyError as e:
            raise ValueError(f"state lacks {e}") from None
        return cls(
            domain=domain,
            generator=generator,
            attributes=attrs,
            z=tuple(float(x) for x in z),
            offsets={str(k): float(v) for k, v in offsets.items()},
            text=text,
            size=int(size),
            drawing=drawing,
        )
