import math

import pytest

from generators.schema import (CHAIRS, FACES, SCHEMAS, InvalidValueError,
                               UnknownAttributeError, get_schema)

# DESIGN.md tables, restated: name -> (kind, lo, hi, default, step)
FACES_TABLE = {
    "identity": ("seed", None, None, None, None),
    "yaw": ("degrees", -60, 60, 0, 15),
    "pitch": ("degrees", -30, 30, 0, 10),
    "light_azimuth": ("degrees", -90, 90, 0, 30),
    "light_elevation": ("degrees", -30, 60, 20, 15),
    "brightness": ("float", -1, 1, 0, 0.2),
    "expression": ("category", None, None, "neutral", None),
    "expression_strength": ("float", 0, 1, 0.5, 0.25),
    "eyewear": ("category", None, None, "none", None),
    "hat": ("bool", None, None, False, None),
    "beard": ("bool", None, None, False, None),
    "hair_color": ("category", None, None, "brown", None),
    "skin_tone": ("category", None, None, "medium", None),
    "background": ("category", None, None, "gray", None),
}
CHAIRS_TABLE = {
    "style": ("seed", None, None, None, None),
    "azimuth": ("degrees", 0, 360, 30, 30),
    "elevation": ("degrees", 0, 60, 20, 10),
    "armrests": ("bool", None, None, False, None),
    "back_height": ("float", 0, 1, 0.5, 0.25),
    "legs": ("category", None, None, "four", None),
    "color": ("category", None, None, "brown", None),
    "zoom": ("float", 0.5, 2, 1, 0.15),
    "shift_x": ("float", -0.5, 0.5, 0, 0.1),
    "shift_y": ("float", -0.5, 0.5, 0, 0.1),
    "hue": ("degrees", -180, 180, 0, 30),
    "saturation": ("float", 0, 2, 1, 0.25),
    "brightness": ("float", -1, 1, 0, 0.2),
}


@pytest.mark.parametrize("schema,table", [(FACES, FACES_TABLE), (CHAIRS, CHAIRS_TABLE)])
def test_schema_matches_design(schema, table):
    assert list(schema.names) == list(table)
    for name, (kind, lo, hi, default, step) in table.items():
        a = schema.get(name)
        assert a.kind == kind, name
        assert a.lo == lo and a.hi == hi and a.step == step, name
        assert a.default == default, name


def test_category_values():
    assert FACES.get("expression").values == ("neutral", "happy", "sad", "angry", "surprised")
    assert FACES.get("eyewear").values == ("none", "glasses", "sunglasses")
    assert FACES.get("hair_color").values == ("black", "brown", "blond", "red", "gray")
    assert FACES.get("skin_tone").values == ("light", "medium", "dark")
    assert FACES.get("background").values == ("white", "gray", "blue", "green", "red", "yellow")
    assert CHAIRS.get("legs").values == ("four", "pedestal")
    assert CHAIRS.get("color").values == ("brown", "black", "white", "red", "blue", "green")


def test_unknown_attribute_lists_valid_names():
    with pytest.raises(UnknownAttributeError) as e:
        FACES.get("sunglasses")
    msg = str(e.value)
    assert "sunglasses" in msg and "eyewear" in msg and "yaw" in msg
    with pytest.raises(KeyError):
        get_schema("cars")


def test_clamp_is_reported():
    v, c = FACES.coerce("yaw", -100)
    assert v == -60 and c is not None and c.limit == "min" and c.requested == -100
    v, c = FACES.coerce("yaw", 20)
    assert v == 20 and c is None
    v, c = CHAIRS.coerce("zoom", 5)
    assert v == 2 and c.limit == "max"


def test_azimuth_wraps_instead_of_clamping():
    assert CHAIRS.coerce("azimuth", 390) == (30.0, None)
    assert CHAIRS.coerce("azimuth", -30) == (330.0, None)
    assert CHAIRS.coerce("azimuth", 360) == (0.0, None)


@pytest.mark.parametrize("name,value", [
    ("yaw", "left"), ("yaw", float("nan")), ("yaw", math.inf), ("hat", "maybe"),
    ("eyewear", "monocle"), ("identity", 1.5), ("yaw", True),
])
def test_invalid_values_raise(name, value):
    with pytest.raises(InvalidValueError):
        FACES.coerce(name, value)


def test_defaults_and_validate():
    for schema in SCHEMAS.values():
        d = schema.defaults(seed=7)
        assert d[schema.seed_attribute] == 7
        out, clamps = schema.validate(d)
        assert out == d and clamps == []
    assert FACES.coerce("yaw", -0.0)[0] == 0.0
