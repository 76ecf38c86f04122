"""Continuous blends of a state's discrete parts, kept in ``state.offsets``.

A chair's style and a face's identity are integer seeds, and categories
(colour, expression, ...) are discrete, so "halfway between this chair and the
previous one" cannot be written in the attributes alone.  The sessions layer
records such blends as named offsets:

- ``"mix:<seed>"`` = w: the shape parameters are those of the state's own
  seed moved by w toward those of ``<seed>`` (``style_params`` /
  ``identity_params``): p = p(own) + Σ w_s · (p(s) − p(own));
- ``"blend:<attr>=<value>"`` = w: weight w of ``value`` in the category
  ``attr``; the attribute's own value keeps 1 − Σ w.

Generators that condition on shape parameters and one-hots (the studio for
shape, the conv-deconv network for both) read them through this module; the
attributes still hold the nearest discrete reading, so every generator can
render the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from generators.schema import get_schema

MIX = "mix:"
BLEND = "blend:"


def _params_fn(domain: str):
    if domain == "chairs":
        from generators.studio.chairs import style_params

        return style_params
    from generators.studio.faces import identity_params

    return identity_params


def mixes(offsets: Mapping[str, float] | None) -> dict[int, float]:
    """{seed: weight} of the ``mix:`` offsets (malformed names are ignored)."""
    out: dict[int, float] = {}
    for k, w in (offsets or {}).items():
        if k.startswith(MIX):
            try:
                out[int(k[len(MIX) :])] = float(w)
            except ValueError:
                continue
    return out


def shape_params(
    domain: str, attributes: Mapping[str, Any], offsets: Mapping[str, float] | None = None
) -> np.ndarray:
    """The identity / style shape parameters of a state, blends included."""
    fn = _params_fn(domain)
    own = fn(int(attributes[get_schema(domain).seed_attribute]))
    p = own.astype(np.float64).copy()
    for seed, w in mixes(offsets).items():
        p += w * (fn(seed) - own)
    return p


def category_weights(
    domain: str,
    attributes: Mapping[str, Any],
    name: str,
    offsets: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Weights over the values of category ``name`` (sums to 1)."""
    values = get_schema(domain).get(name).values
    w = np.zeros(len(values))
    prefix = f"{BLEND}{name}="
    for k, amount in (offsets or {}).items():
        if k.startswith(prefix) and k[len(prefix) :] in values:
            w[values.index(k[len(prefix) :])] += float(amount)
    w = np.clip(w, 0.0, 1.0)
    w[values.index(attributes[name])] += max(0.0, 1.0 - w.sum())
    return w / w.sum()


def is_blend(name: str) -> bool:
    return name.startswith(MIX) or name.startswith(BLEND)
