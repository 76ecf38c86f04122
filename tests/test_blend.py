"""Identity / style and category blends: "halfway between this chair and the
previous one" is a real blend of shapes (and colours, expressions) for the
generators that can draw one, and an explicit edit ends it."""

import numpy as np
import pytest

from generators.blend import category_weights, mixes, shape_params
from generators.studio import StudioGenerator
from generators.studio.chairs import style_params
from generators.studio.faces import identity_params
from sessions import ops as O
from sessions.apply import apply, interpolate
from sessions.state import ImageState


def _state(domain, seed, **attrs):
    s = ImageState.new(domain, seed, "studio")
    return s.set_attributes(**attrs) if attrs else s


@pytest.mark.parametrize("domain,fn", [("chairs", style_params), ("faces", identity_params)])
def test_halfway_blends_the_shape_parameters(domain, fn):
    a, b, c = _state(domain, 3), _state(domain, 11), _state(domain, 29)
    ab = interpolate(a, b, 0.5)
    assert np.allclose(shape_params(domain, ab.attributes, ab.offsets), (fn(3) + fn(11)) / 2)
    # the ends are the ends, with no blend left over
    for t, end, seed in ((0.0, a, 3), (1.0, b, 11)):
        s = interpolate(a, b, t)
        assert not mixes(s.offsets) and np.allclose(shape_params(domain, s.attributes, s.offsets), fn(seed))
        assert s.attributes == end.attributes
    # blends compose: halfway from (a|b) to c is a quarter a, a quarter b, half c
    abc = interpolate(ab, c, 0.5)
    assert np.allclose(shape_params(domain, abc.attributes, abc.offsets),
                       0.25 * fn(3) + 0.25 * fn(11) + 0.5 * fn(29))
    # state JSON keeps the blend
    assert ImageState.from_json(abc.to_json()) == abc


def test_category_blend_and_explicit_edits_end_it():
    a = _state("faces", 5, expression="happy")
    b = _state("faces", 5, expression="sad")
    mid = interpolate(a, b, 0.5)
    w = category_weights("faces", mid.attributes, "expression", mid.offsets)
    values = ("neutral", "happy", "sad", "angry", "surprised")
    assert w[values.index("happy")] == pytest.approx(0.5) and w[values.index("sad")] == pytest.approx(0.5)
    smiled, eff = apply(mid, O.Set("expression", "happy"))
    assert eff.changed
    assert category_weights("faces", smiled.attributes, "expression", smiled.offsets)[1] == 1.0
    # another person is not a blend of the old ones
    ab = interpolate(_state("faces", 3), _state("faces", 11), 0.5)
    fresh, _ = apply(ab, O.NewSeed(77))
    assert not mixes(fresh.offsets)


def test_the_studio_draws_the_blend():
    a, b = _state("chairs", 3), _state("chairs", 11)
    gen = StudioGenerator("chairs")
    ia, ib, mid = gen.render(a), gen.render(b), gen.render(interpolate(a, b, 0.4))
    assert not np.array_equal(mid, ia) and not np.array_equal(mid, ib)


def test_the_convdeconv_encoding_reads_blends():
    from generators.nets.convdeconv import encode
    a = _state("chairs", 3, color="red")
    b = _state("chairs", 11, color="blue")
    mid = interpolate(a, b, 0.5)
    x = encode("chairs", [dict(mid.attributes)], [dict(mid.offsets)])
    ends = encode("chairs", [dict(a.attributes), dict(b.attributes)])
    assert np.allclose(x["_palette"][0].numpy(), ends["_palette"].mean(0).numpy())
    assert np.allclose(x["style"][0].numpy(), ends["style"].mean(0).numpy(), atol=1e-5)


def test_halfway_between_this_chair_and_the_previous_one_end_to_end(tmp_path):
    from dialogue.manager import DialogueManager
    m = DialogueManager("chairs", seed=1, generator="studio", log=False)
    m.start()
    m.turn("another chair")
    r = m.turn("make it halfway between this chair and the previous one")
    assert r.changed and "blended halfway toward the previous image" in r.reply.lower()
    assert mixes(m.state.offsets)
