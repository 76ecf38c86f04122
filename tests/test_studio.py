"""The procedural studio: every attribute visibly changes the image, in the
expected place; rendering is deterministic; signs follow DESIGN.md."""

import numpy as np
import pytest

from generators.schema import BOOL, CATEGORY, CHAIRS, FACES, SEED
from generators.studio import StudioGenerator, render, render_chair, render_face

IDS = (0, 1, 7)


def _alt(attr, value):
    """A different legal value of an attribute (far from the default)."""
    if attr.kind == SEED:
        return value + 12345
    if attr.kind == BOOL:
        return not value
    if attr.kind == CATEGORY:
        return next(v for v in reversed(attr.values) if v != value)
    if attr.wraps:
        return (value + 90) % 360
    return attr.hi if abs(attr.hi - value) >= abs(value - attr.lo) else attr.lo


@pytest.mark.parametrize("domain,schema", [("faces", FACES), ("chairs", CHAIRS)])
def test_every_attribute_changes_the_picture(domain, schema):
    for attr in schema:
        for seed in IDS:
            base = schema.defaults(seed)
            if attr.name == "expression_strength":   # strength of a non-neutral expression
                base["expression"] = "happy"
            changed = dict(base)
            changed[attr.name] = _alt(attr, base[attr.name])
            diff = np.abs(render(domain, base).astype(int) - render(domain, changed).astype(int))
            changed_px = int((diff.max(2) > 30).sum())
            assert changed_px >= 15 and diff.mean() > 0.2, (
                f"{domain}.{attr.name} barely changes the image "
                f"({changed_px} pixels, mean {diff.mean():.2f})")


def _face_rows(size=64):
    """Head-frame height of every image row for a frontal face."""
    r = np.arange(size)
    return -((r + 0.5) / size * 2 - 1) * 1.15 - 0.05


REGIONS = {  # attribute, new value, band of head-frame y where the change belongs
    "eyewear": ("sunglasses", (-0.10, 0.32)),
    "hat": (True, (0.35, 1.2)),
    "beard": (True, (-1.0, -0.12)),
    "expression": ("happy", (-0.62, 0.32)),
}


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_local_attributes_change_the_right_region(name):
    value, (lo, hi) = REGIONS[name]
    y = _face_rows()
    band = (y >= lo) & (y <= hi)
    for seed in IDS:
        base = FACES.defaults(seed)
        changed = dict(base, **{name: value})
        if name == "expression":
            changed["expression_strength"] = 1.0
            base["expression_strength"] = 1.0
        diff = np.abs(render_face(base).astype(int) - render_face(changed).astype(int)).sum((1, 2))
        inside = diff[band].sum() / max(diff.sum(), 1)
        assert inside >= 0.7, f"{name}: only {inside:.0%} of the change is in its region"
    # mouth-only expressions stay in the lower half of the face
    base = FACES.defaults(3)
    sad = dict(base, expression="sad", expression_strength=1.0)
    d = np.abs(render_face(base).astype(int) - render_face(sad).astype(int)).sum((1, 2))
    assert d[y < -0.2].sum() > 0


def test_deterministic_and_sizes():
    for domain, schema in (("faces", FACES), ("chairs", CHAIRS)):
        a = schema.defaults(42)
        assert np.array_equal(render(domain, a), render(domain, a))
        big = render(domain, a, 128)
        assert big.shape == (128, 128, 3) and big.dtype == np.uint8


def test_light_moves_the_shadow_side():
    for seed in IDS:
        left = render_face(dict(FACES.defaults(seed), light_azimuth=-90)).astype(float)
        right = render_face(dict(FACES.defaults(seed), light_azimuth=90)).astype(float)
        assert left[:, 16:32].mean() > left[:, 32:48].mean() + 5
        assert right[:, 32:48].mean() > right[:, 16:32].mean() + 5


def _eye_whites(img):
    """Row/column centroid of the eye whites (bright, unsaturated pixels)."""
    f = img.astype(float)
    ys, xs = np.nonzero((f.min(2) > 190) & (f.max(2) - f.min(2) < 25))
    return xs.mean(), ys.mean()


def test_yaw_turns_toward_the_viewers_side():
    for seed in IDS:
        a = FACES.defaults(seed)
        x0 = _eye_whites(render_face(a))[0]
        xl = _eye_whites(render_face(dict(a, yaw=-45)))[0]
        xr = _eye_whites(render_face(dict(a, yaw=45)))[0]
        assert xl < x0 - 2 and xr > x0 + 2


def test_pitch_up_moves_features_up():
    for seed in IDS:
        a = FACES.defaults(seed)
        y0 = _eye_whites(render_face(a))[1]
        assert _eye_whites(render_face(dict(a, pitch=30)))[1] < y0 - 2
        assert _eye_whites(render_face(dict(a, pitch=-25)))[1] > y0 + 2


def _centroid(mask):
    ys, xs = np.nonzero(mask)
    return xs.mean(), ys.mean()


def test_chair_mask_zoom_and_shift():
    a = CHAIRS.defaults(5)
    img, m = render_chair(a, return_mask=True)
    assert m.dtype == bool and 0.03 < m.mean() < 0.8
    _, mz = render_chair(dict(a, zoom=1.6), return_mask=True)
    assert mz.sum() > 1.8 * m.sum()
    cx, cy = _centroid(m)
    lx, _ = _centroid(render_chair(dict(a, shift_x=-0.3), return_mask=True)[1])
    _, uy = _centroid(render_chair(dict(a, shift_y=0.3), return_mask=True)[1])
    assert lx < cx - 5 and uy < cy - 5          # left, and up (rows grow downward)
    # background outside the mask is untouched by colour transforms
    hue = render_chair(dict(a, hue=120, saturation=2.0))
    assert np.array_equal(hue[~m], img[~m]) and not np.array_equal(hue[m], img[m])


def test_chair_parts():
    a = CHAIRS.defaults(3)
    _, m = render_chair(a, return_mask=True)
    _, arms = render_chair(dict(a, armrests=True), return_mask=True)
    assert arms.sum() > m.sum()
    _, tall = render_chair(dict(a, back_height=1.0), return_mask=True)
    _, low = render_chair(dict(a, back_height=0.0), return_mask=True)
    assert tall.sum() > low.sum()


def test_generator_protocol():
    from sessions.state import ImageState  # only the test crosses layers
    g = StudioGenerator("chairs")
    s = ImageState.new("chairs", 9)
    assert np.array_equal(g.render(s), render_chair(s.attributes))


def test_chair_azimuth_turns_toward_the_viewers_side():
    """Positive azimuth turns the chair's front to the image's right, so its
    back (the tall part) shows on the left; "turn left" lowers azimuth."""
    for seed in IDS:
        a = dict(CHAIRS.defaults(seed), back_height=1.0, elevation=10.0)
        for az, back_left in ((90.0, True), (270.0, False)):
            _, m = render_chair(dict(a, azimuth=az), return_mask=True)
            cols = np.nonzero(m.any(0))[0]
            mid = (cols.min() + cols.max()) / 2
            heights = m.sum(0)
            left, right = heights[: int(mid)].max(), heights[int(mid) + 1:].max()
            assert (left > right) == back_left, (seed, az, left, right)
