"""Procedural faces: a ray-cast, Lambert-shaded head built from ellipsoids.

Camera: orthographic, x to the image's right, y up, z away from the viewer.
The head lives in its own frame (front = -z) and is turned by yaw (about y)
and pitch (about x); rays are transformed into the head frame, so every
surface feature (eyes, brows, mouth, beard, glasses) is a decal in head
coordinates and turns with the head.  Identity seeds vary the geometry.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

SKIN = {"light": (0.96, 0.80, 0.68), "medium": (0.80, 0.58, 0.42), "dark": (0.45, 0.30, 0.20)}
HAIR = {
    "black": (0.08, 0.07, 0.07),
    "brown": (0.40, 0.24, 0.12),
    "blond": (0.93, 0.80, 0.45),
    "red": (0.75, 0.25, 0.10),
    "gray": (0.65, 0.65, 0.66),
}
BACKGROUND = {
    "white": (0.96, 0.96, 0.96),
    "gray": (0.55, 0.55, 0.57),
    "blue": (0.25, 0.40, 0.80),
    "green": (0.25, 0.62, 0.32),
    "red": (0.80, 0.22, 0.20),
    "yellow": (0.92, 0.82, 0.25),
}


FEATURES_VERSION = 1  # bumped when feature_mask's pixels change (cached masks)

# the part each pixel of a render shows (``render_face(info=...)["labels"]``)
PART_LABELS = {
    0: "background",
    1: "head",
    2: "nose",
    3: "hair",
    4: "ear",
    5: "hat crown",
    6: "hat brim",
    10: "eye white",
    11: "pupil",
    12: "brow",
    13: "mouth",
    14: "teeth",
    15: "beard",
    16: "sunglasses",
    17: "glasses rim",
    18: "glasses bridge / temple",
}


@lru_cache(maxsize=4096)
def identity_params(identity: int) -> np.ndarray:
    """Geometry of one identity as a float vector (all in head units).

    [head_w, head_h, head_d, jaw, eye_dx, eye_y, nose_len, nose_w, hair_line, hair_vol,
     mouth_w, brow_h]
    """
    r = np.random.default_rng(int(identity) % (2**32) + 7919)
    return np.array(
        [
            r.uniform(0.52, 0.66),  # 0 head half-width
            r.uniform(0.72, 0.84),  # 1 head half-height
            r.uniform(0.58, 0.70),  # 2 head half-depth
            r.uniform(0.0, 0.35),  # 3 jaw narrowing
            r.uniform(0.17, 0.25),  # 4 eye half-spacing
            r.uniform(0.06, 0.16),  # 5 eye height
            r.uniform(0.10, 0.20),  # 6 nose length (protrusion)
            r.uniform(0.07, 0.11),  # 7 nose half-width
            r.uniform(0.30, 0.52),  # 8 hair line height
            r.uniform(1.04, 1.14),  # 9 hair volume
            r.uniform(0.15, 0.23),  # 10 mouth half-width
            r.uniform(0.07, 0.11),  # 11 brow height above eye
        ],
        dtype=np.float64,
    )


@lru_cache(maxsize=8)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    x, y = np.meshgrid(c, -c)  # y up
    return x.ravel() * 1.15, y.ravel() * 1.15


def _rot(yaw: float, pitch: float) -> np.ndarray:
    """Head-to-camera rotation: yaw < 0 turns the face toward the image's left,
    pitch > 0 tilts it up."""
    a, b = np.radians(-yaw), np.radians(pitch)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return ry @ rx


def _ellipsoid_hit(o: np.ndarray, d: np.ndarray, c, r) -> np.ndarray:
    """Ray parameter of the first hit of rays o + t d with an axis-aligned
    ellipsoid (centre c, radii r); inf where missed.  o: N×3, d: 3."""
    oc = (o - np.asarray(c)) / np.asarray(r)
    dd = d / np.asarray(r)
    a = dd @ dd
    b = 2 * oc @ dd
    cc = np.einsum("ij,ij->i", oc, oc) - 1
    disc = b * b - 4 * a * cc
    t = np.full(o.shape[0], np.inf)
    ok = disc > 0
    t[ok] = (-b[ok] - np.sqrt(disc[ok])) / (2 * a)
    return t


def _at(o: np.ndarray, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points o + t d, with misses (t = inf) put at the ray origin."""
    return o + np.where(np.isfinite(t), t, 0.0)[:, None] * d


def render_face(
    attributes: Mapping, size: int = 64, info: dict | None = None, return_features: bool = False
):
    """Render a face (H×W×3 uint8).  ``info``, when given, receives
    ``hair_pixels``: how many pixels show the hair colour (hair, brows,
    beard), which a hat can bring to zero, what ``recolour_hair`` needs,
    ``feature_mask`` (H×W bool, see ``feature_mask``) and ``labels``: H×W
    int8, which part each pixel shows (``PART_LABELS``; the outlines of
    ``generators/studio/sketch.py``).  With ``return_features``: (image,
    feature mask)."""
    a = attributes
    p = (
        a["_shape"] if "_shape" in a else identity_params(int(a["identity"]))
    )  # blends: render(params=)
    hw, hh, hd, jaw, edx, ey, nlen, nw, hline, hvol, mw, bh = p
    R = _rot(float(a["yaw"]), float(a["pitch"]))
    x, y = _grid(size)
    n = x.size
    o_cam = np.stack([x, y - 0.05, np.full(n, -5.0)], 1)
    o = o_cam @ R  # into the head frame (R orthonormal)
    d = np.array([0.0, 0.0, 1.0]) @ R

    # --- geometry: head, hair shell, nose, ears, hat ----------------------
    t_head = _ellipsoid_hit(o, d, (0, 0, 0), (hw, hh, hd))
    P = _at(o, d, t_head)
    # narrow the jaw: carve the lower sides away
    lower = P[:, 1] < -0.15
    carve = lower & (np.abs(P[:, 0]) > hw * (1 - jaw * (-P[:, 1] - 0.15) / (hh - 0.15 + 1e-6)))
    t_head[carve] = np.inf
    t_nose = _ellipsoid_hit(o, d, (0, -0.08 + 0.0, -hd + 0.02), (nw, 0.16, nlen + 0.04))
    t_hair = _ellipsoid_hit(o, d, (0, 0.06, 0.04), (hw * hvol, hh * 1.02 + 0.02, hd * hvol))
    Ph = _at(o, d, t_hair)
    # hair covers the top and back only: above the hair line in front, all of the back
    front_cut = (Ph[:, 2] < -hd * 0.25) & (Ph[:, 1] < hline)
    side_cut = Ph[:, 1] < -0.25 + 0.35 * (Ph[:, 2] < 0)
    t_hair[front_cut | side_cut] = np.inf
    ears = np.minimum(
        _ellipsoid_hit(o, d, (hw * 0.98, -0.02, 0.05), (0.07, 0.14, 0.07)),
        _ellipsoid_hit(o, d, (-hw * 0.98, -0.02, 0.05), (0.07, 0.14, 0.07)),
    )
    parts = [t_head, t_nose, t_hair, ears]
    hat = bool(a["hat"])
    if hat:
        t_crown = _ellipsoid_hit(o, d, (0, hh * 0.72, 0.02), (hw * 1.12, 0.36, hd * 1.12))
        Pc = _at(o, d, t_crown)
        t_crown[Pc[:, 1] < hh * 0.55] = np.inf
        t_brim = _ellipsoid_hit(o, d, (0, hh * 0.55, -0.15), (hw * 1.35, 0.05, hd * 1.45))
        parts += [t_crown, t_brim]
    T = np.stack(parts, 0)
    which = np.argmin(T, 0)
    t = T[which, np.arange(n)]
    hit = np.isfinite(t)
    P = _at(o, d, t)

    # normals in the head frame, per part
    centres = [(0, 0, 0), (0, -0.08, -hd + 0.02), (0, 0.06, 0.04), (0, -0.02, 0.05)]
    radii = [
        (hw, hh, hd),
        (nw, 0.16, nlen + 0.04),
        (hw * hvol, hh * 1.02 + 0.02, hd * hvol),
        (0.07, 0.14, 0.07),
    ]
    if hat:
        centres += [(0, hh * 0.72, 0.02), (0, hh * 0.55, -0.15)]
        radii += [(hw * 1.12, 0.36, hd * 1.12), (hw * 1.35, 0.05, hd * 1.45)]
    C = np.asarray(centres)[which]
    Rr = np.asarray(radii)[which]
    e = which == 3  # ears are mirrored: put their centre on the hit's side
    C[e, 0] = np.sign(P[e, 0]) * hw * 0.98
    N = (P - C) / Rr**2
    N /= np.linalg.norm(N, axis=1, keepdims=True) + 1e-9

    # --- albedo -----------------------------------------------------------
    skin = np.array(SKIN[a["skin_tone"]])
    hair_c = np.array(HAIR[a["hair_color"]])
    col = np.tile(skin, (n, 1))
    lab = np.where(np.isfinite(t), which + 1, 0).astype(np.int8)  # part labels (sketches)
    col[which == 2] = hair_c
    hairy = (which == 2) & np.isfinite(t)
    if hat:
        col[which >= 4] = (0.15, 0.18, 0.35)
    face = (which <= 1) | (which == 3)
    px, py, pz = P[:, 0], P[:, 1], P[:, 2]
    front = face & (pz < -hd * 0.2)

    feat = np.zeros(n, bool)  # the small features (see feature_mask)
    expr = a["expression"]
    s = float(a["expression_strength"])
    # eyes
    eye_r = 0.055 * (
        1 + (0.5 * s if expr == "surprised" else 0) - (0.3 * s if expr == "happy" else 0)
    )
    for sx in (-1, 1):
        ex = sx * edx
        dist2 = ((px - ex) / 0.085) ** 2 + ((py - ey) / eye_r) ** 2
        white = front & (dist2 < 1)
        col[white] = (0.97, 0.97, 0.95)
        feat |= white
        pupil = front & (((px - ex) / 0.04) ** 2 + ((py - ey) / 0.04) ** 2 < 1)
        col[pupil] = (0.10, 0.08, 0.06)
        lab[white] = 10
        lab[pupil] = 11
        # brows: tilt with expression (angry: inner ends down; sad: inner ends up)
        tilt = {"angry": -0.9, "sad": 0.8, "surprised": 0.0}.get(expr, 0.0) * s
        lift = 0.07 * s if expr == "surprised" else 0.0
        rel = (px - ex) * sx  # + toward the outer side
        brow_y = ey + bh + lift - tilt * (0.09 - rel) * 0.6
        brow = front & (np.abs(rel) < 0.11) & (np.abs(py - brow_y) < 0.032)
        col[brow] = hair_c * 0.8
        lab[brow] = 12
        hairy |= brow
        feat |= brow
    # mouth: a curve whose ends follow the expression
    my = -0.40
    curve = {"happy": 1.4, "sad": -1.3, "angry": -0.7}.get(expr, 0.0) * s
    rel = px / mw
    mouth_y = my + curve * 0.14 * (rel**2) - curve * 0.04
    half_open = (
        0.03 + (0.09 * s if expr == "surprised" else 0.0) + (0.035 * s if expr == "happy" else 0)
    )
    if expr == "surprised":
        mouth = front & ((px / (mw * 0.55)) ** 2 + ((py - my) / half_open) ** 2 < 1)
    else:
        mouth = front & (np.abs(rel) < 1) & (np.abs(py - mouth_y) < half_open * (1 - 0.6 * rel**2))
    col[mouth] = (0.55, 0.12, 0.14) if expr != "happy" else (0.45, 0.08, 0.10)
    feat |= mouth
    lab[mouth] = 13
    if expr == "happy":
        teeth = mouth & (py > mouth_y)
        col[teeth] = (0.95, 0.93, 0.90)
        lab[teeth] = 14
    # beard: lower face, around (not over) the mouth
    if a["beard"]:
        bz = face & (py < -0.22) & (pz < hd * 0.3) & ~mouth
        bz &= ~(front & (np.abs(px) < mw * 0.9) & (np.abs(py - my) < 0.045))
        col[bz] = hair_c * 0.85
        lab[bz] = 15
        hairy |= bz
        if info is not None or return_features:
            bzi = (bz & np.isfinite(t)).reshape(size, size)
            feat |= (_dilate(bzi) & ~_erode(bzi)).ravel()  # the beard's edge
    # eyewear
    ew = a["eyewear"]
    if ew != "none":
        for sx in (-1, 1):
            ex = sx * edx
            dist2 = ((px - ex) / 0.12) ** 2 + ((py - ey) / 0.095) ** 2
            if ew == "sunglasses":
                lens = front & (dist2 < 1)
                col[lens] = (0.05, 0.05, 0.07)
                lab[lens] = 16
            else:
                lens = front & (dist2 < 1) & (dist2 > 0.62)
                col[lens] = (0.12, 0.12, 0.14)
                lab[lens] = 17
            feat |= lens
        bridge = front & (np.abs(px) < edx - 0.10) & (np.abs(py - ey - 0.03) < 0.018)
        col[bridge] = (0.1, 0.1, 0.12)
        temple = face & (np.abs(np.abs(px) - hw * 0.92) < 0.06) & (np.abs(py - ey - 0.03) < 0.018)
        col[temple & ~front] = (0.1, 0.1, 0.12)
        feat |= bridge | (temple & ~front)
        lab[bridge | (temple & ~front)] = 18

    # --- shading ----------------------------------------------------------
    laz, lel = np.radians(float(a["light_azimuth"])), np.radians(float(a["light_elevation"]))
    L = np.array([np.sin(laz) * np.cos(lel), np.sin(lel), -np.cos(laz) * np.cos(lel)])
    Nc = N @ R.T  # normals into camera space
    lam = np.clip(Nc @ L, 0, 1)
    shade = 0.30 + 0.80 * lam
    img = col * shade[:, None]
    bg = np.array(BACKGROUND[a["background"]])
    img[~hit] = bg
    # shoulders/neck silhouette would need more primitives; keep the bust simple
    img = img + 0.35 * float(a["brightness"])
    img = np.clip(img, 0, 1)
    if info is not None:
        # hair-coloured pixels that nothing (eyewear, hat) painted over later,
        # with the tone factor of each (hair 1, brows 0.8, beard 0.85) and the
        # shading, so another hair colour can be painted without a new render
        factors = np.array([1.0, 0.8, 0.85])
        tones = factors[:, None] * hair_c[None]  # 3×3
        match = np.abs(col[:, None, :] - tones[None]).max(2) < 1e-6  # n×3
        shown = hairy & hit & match.any(1)
        info["hair_pixels"] = int(shown.sum())
        info["hair_mask"] = shown
        info["hair_tone"] = factors[match.argmax(1)]
        info["shade"] = shade
        info["brightness"] = float(a["brightness"])
        info["labels"] = np.where(hit, lab, 0).astype(np.int8).reshape(size, size)
    out = (img.reshape(size, size, 3) * 255 + 0.5).astype(np.uint8)
    if info is not None or return_features:
        fm = _dilate((feat & hit).reshape(size, size))
        if info is not None:
            info["feature_mask"] = fm
        if return_features:
            return out, fm
    return out


def _dilate(m: np.ndarray) -> np.ndarray:
    """A 2-D bool mask grown by one pixel (4-neighbourhood)."""
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    out[:, 1:] |= m[:, :-1]
    out[:, :-1] |= m[:, 1:]
    return out


def _erode(m: np.ndarray) -> np.ndarray:
    return ~_dilate(~m)


def feature_mask(attributes: Mapping, size: int = 64) -> np.ndarray:
    """H×W bool: the pixels of the face's small features as rendered, grown by
    one pixel: eye whites and pupils, brows, the mouth (teeth included),
    glasses rims, sunglasses lenses, the bridge and temples, and the beard's
    edge.  Where a learned generator blurs first (docs/faces.md); its
    training loss weights these pixels up."""
    return render_face(attributes, size, return_features=True)[1]


# The small features as classes 1..8 (0: none), in ``feature_parts`` order: what a
# decoder with a parts layer (``ConvDeconvConfig.parts``) learns to classify
FEATURE_PARTS = (10, 11, 12, 13, 14, 16, 17, 18)


def feature_parts(attributes: Mapping, size: int = 64) -> np.ndarray:
    """H×W int8: which small feature each pixel of the render shows, as the
    index into ``FEATURE_PARTS`` plus one (eye white, pupil, brow, mouth,
    teeth, sunglasses, glasses rim, bridge / temple); 0 elsewhere."""
    info: dict = {}
    render_face(attributes, size, info=info)
    lut = np.zeros(256, np.int8)
    lut[list(FEATURE_PARTS)] = np.arange(1, len(FEATURE_PARTS) + 1)
    return lut[info["labels"].astype(np.uint8)]


def recolour_hair(image: np.ndarray, info: Mapping, hair_color: str) -> np.ndarray:
    """The render ``image`` (filled ``info``) with another hair colour: the
    same pixels ``render_face`` would give, without ray casting again."""
    flat = image.reshape(-1, 3).copy()
    m = info["hair_mask"]
    c = np.asarray(HAIR[hair_color])[None] * info["hair_tone"][m, None] * info["shade"][m, None]
    c = np.clip(c + 0.35 * info["brightness"], 0, 1)
    flat[m] = (c * 255 + 0.5).astype(np.uint8)
    return flat.reshape(image.shape)
