"""Lossless JSON round trips of states, ops and whole sessions (property tests)."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from generators.protocol import Z_DIM
from generators.schema import BOOL, CATEGORY, SEED, SCHEMAS
from sessions import ops as O
from sessions.apply import apply
from sessions.state import ImageState

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def states(draw):
    domain = draw(st.sampled_from(sorted(SCHEMAS)))
    attrs = {}
    for a in SCHEMAS[domain]:
        if a.kind == SEED:
            attrs[a.name] = draw(st.integers(0, 2**31 - 1))
        elif a.kind == BOOL:
            attrs[a.name] = draw(st.booleans())
        elif a.kind == CATEGORY:
            attrs[a.name] = draw(st.sampled_from(a.values))
        else:
            attrs[a.name] = draw(st.floats(a.lo, a.hi, exclude_max=a.wraps))
    return ImageState(domain=domain, generator=draw(st.sampled_from(["studio", "convdeconv"])),
                      attributes=attrs, z=draw(st.lists(finite, min_size=Z_DIM, max_size=Z_DIM)),
                      offsets=draw(st.dictionaries(st.text(min_size=1, max_size=8), finite,
                                                   max_size=3)),
                      text=draw(st.text(max_size=40)), size=draw(st.sampled_from([64, 128])))


@settings(max_examples=40, deadline=None)
@given(states())
def test_state_json_round_trip_is_lossless(state):
    back = ImageState.from_json(json.loads(json.dumps(state.to_json())))
    assert back == state and back.to_json() == state.to_json()


edits = st.one_of(
    st.builds(O.Set, st.sampled_from(["yaw", "eyewear", "hat", "azimuth", "nope"]),
              st.one_of(finite, st.booleans(), st.sampled_from(["glasses", "red", "x"]))),
    st.builds(O.Adjust, st.sampled_from(["yaw", "pitch", "brightness", "zoom", "hat"]), finite),
    st.builds(O.Toggle, st.sampled_from(["hat", "beard", "armrests", "yaw"])),
    st.builds(O.LatentMove, st.sampled_from(["smile", "glasses"]), finite),
    st.builds(O.NewSeed, st.integers(0, 2**31 - 1)),
    st.builds(O.SwitchDomain, st.sampled_from(["faces", "chairs"]), st.integers(0, 99)),
)


@settings(max_examples=100, deadline=None)
@given(states(), edits)
def test_apply_never_raises_and_ops_round_trip(state, op):
    assert O.op_from_json(json.loads(json.dumps(op.to_json()))) == op
    new, effect = apply(state, op)
    if effect.error or not effect.changes:
        assert new == state
    else:
        assert ImageState.from_json(json.loads(json.dumps(new.to_json()))) == new
