"""Procedural chairs: boxes and cylinders ray-cast with a z-buffer.

Chair frame: y up, the seat's front faces -z.  The camera is orthographic;
``azimuth`` turns the chair about the vertical axis (0 = front view, "turn
left" lowers it), ``elevation`` raises the camera.  The 2-D transforms (zoom,
shift, hue, saturation, brightness) apply to the image plane and the chair's
colours; the foreground mask follows zoom and shift.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

COLORS = {
    "brown": (0.50, 0.31, 0.16),
    "black": (0.13, 0.13, 0.14),
    "white": (0.90, 0.90, 0.87),
    "red": (0.78, 0.16, 0.13),
    "blue": (0.18, 0.32, 0.74),
    "green": (0.20, 0.56, 0.26),
}
BACKGROUND = (0.97, 0.97, 0.97)
EXTENT = 0.9  # half-width of the view in chair units at zoom 1
_LIGHT = np.array([-0.45, 0.75, -0.5]) / np.linalg.norm([-0.45, 0.75, -0.5])


@lru_cache(maxsize=4096)
def style_params(style: int) -> np.ndarray:
    """Proportions of one chair style as a float vector:
    [seat_hw, seat_hd, seat_t, leg_len, leg_t, back_t, back_scale, arm_h, ped_r, base_r]"""
    r = np.random.default_rng(int(style) % (2**32) + 104729)
    return np.array(
        [
            r.uniform(0.30, 0.46),  # 0 seat half-width
            r.uniform(0.28, 0.42),  # 1 seat half-depth
            r.uniform(0.035, 0.08),  # 2 seat thickness (half)
            r.uniform(0.32, 0.55),  # 3 leg length
            r.uniform(0.025, 0.05),  # 4 leg half-thickness
            r.uniform(0.025, 0.055),  # 5 back half-thickness
            r.uniform(0.75, 1.1),  # 6 back height scale
            r.uniform(0.16, 0.26),  # 7 armrest height above the seat
            r.uniform(0.04, 0.07),  # 8 pedestal column radius
            r.uniform(0.24, 0.36),  # 9 pedestal base radius
        ]
    )


def _shape(a: Mapping) -> np.ndarray:
    """The style's shape parameters, or the blended ones the caller passed
    (``render(..., params=...)``; see generators/blend.py)."""
    return a["_shape"] if "_shape" in a else style_params(int(a["style"]))


def _boxes(a: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Box centres and half-sizes (K×3 each) of the chair, centred on its bounds."""
    sw, sd, st, ll, lt, bt, bs, ah, _, _ = _shape(a)
    back_h = (0.15 + 0.65 * float(a["back_height"])) * bs
    seat_y = ll + st
    boxes = [
        ((0, seat_y, 0), (sw, st, sd)),  # seat
        ((0, seat_y + st + back_h / 2, sd - bt), (sw, back_h / 2, bt)),
    ]  # back
    if a["legs"] == "four":
        for sx in (-1, 1):
            for sz in (-1, 1):
                boxes.append(((sx * (sw - lt), ll / 2, sz * (sd - lt)), (lt, ll / 2, lt)))
    if a["armrests"]:
        for sx in (-1, 1):
            boxes.append(((sx * (sw + 0.02), seat_y + st + ah, 0.0), (0.035, 0.022, sd * 0.95)))
            boxes.append(
                ((sx * (sw + 0.02), seat_y + st + ah / 2, -sd * 0.75), (0.022, ah / 2, 0.022))
            )
    c = np.array([b[0] for b in boxes], float)
    h = np.array([b[1] for b in boxes], float)
    return c, h


def _height(a: Mapping) -> float:
    sw, sd, st, ll, lt, bt, bs, ah, _, _ = _shape(a)
    return ll + 2 * st + (0.15 + 0.65 * float(a["back_height"])) * bs


@lru_cache(maxsize=8)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    x, y = np.meshgrid(c, -c)
    return x.ravel(), y.ravel()


def _camera(azimuth: float, elevation: float) -> np.ndarray:
    """Chair-to-camera rotation.  Azimuth 0 shows the chair's front; a positive
    azimuth turns its front toward the image's right (so "turn left" lowers it)."""
    a, e = np.radians(-azimuth), np.radians(elevation)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(e), np.sin(e)], [0, -np.sin(e), np.cos(e)]])
    return rx @ ry


def _hue_sat(rgb: np.ndarray, hue_deg: float, sat: float) -> np.ndarray:
    """Rotate hue (YIQ rotation) and scale saturation of N×3 colours."""
    to_yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    h = np.radians(hue_deg)
    rot = np.array(
        [[1, 0, 0], [0, np.cos(h) * sat, -np.sin(h) * sat], [0, np.sin(h) * sat, np.cos(h) * sat]]
    )
    m = np.linalg.inv(to_yiq) @ rot @ to_yiq
    return rgb @ m.T


def render_chair(
    attributes: Mapping, size: int = 64, return_mask: bool = False, info: dict | None = None
):
    """Render a chair (H×W×3 uint8; with ``return_mask`` also its H×W bool
    mask).  ``info``, when given, receives ``labels``: H×W int16, which part
    and face each pixel shows (0 background; 1 + 3·box + axis for the boxes,
    100 + 2·cylinder + cap for a pedestal's column and base): the outlines of
    ``generators/studio/sketch.py``."""
    a = attributes
    R = _camera(float(a["azimuth"]), float(a["elevation"]))
    x, y = _grid(size)
    zoom = float(a["zoom"])
    u = (x - float(a["shift_x"])) * EXTENT / zoom
    v = (y - float(a["shift_y"])) * EXTENT / zoom
    n = u.size
    centre_y = _height(a) / 2
    o_cam = np.stack([u, v, np.full(n, -5.0)], 1)
    o = o_cam @ R + np.array([0, centre_y, 0])  # into the chair frame
    d = np.array([0.0, 0.0, 1.0]) @ R

    c, h = _boxes(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(np.abs(d) < 1e-9, 1e-9, d)
        t1 = (c[:, None, :] - h[:, None, :] - o[None]) * inv  # K×N×3
        t2 = (c[:, None, :] + h[:, None, :] - o[None]) * inv
    tn = np.minimum(t1, t2)
    tf = np.maximum(t1, t2)
    t_near = tn.max(2)
    t_far = tf.min(2)
    hitk = t_near <= t_far
    T = np.where(hitk, t_near, np.inf)  # K×N
    axis = tn.argmax(2)  # K×N: face hit
    best = T.argmin(0)
    t = T[best, np.arange(n)]
    ax = axis[best, np.arange(n)]
    normal = np.zeros((n, 3))
    normal[np.arange(n), ax] = -np.sign(d[ax])
    part = 1 + 3 * best + ax  # labels (sketches)

    if a["legs"] == "pedestal":
        sw, sd, st, ll, lt, bt, bs, ah, pr, br = _shape(a)
        for cyl, (radius, y0, y1) in enumerate(((pr, 0.05, ll), (br, 0.0, 0.05))):
            # vertical cylinder about the y axis
            A = d[0] ** 2 + d[2] ** 2
            B = 2 * (o[:, 0] * d[0] + o[:, 2] * d[2])
            Cq = o[:, 0] ** 2 + o[:, 2] ** 2 - radius**2
            disc = B * B - 4 * A * Cq
            ok = disc > 0
            tc = np.full(n, np.inf)
            tc[ok] = (-B[ok] - np.sqrt(disc[ok])) / (2 * A)
            py = o[:, 1] + tc * d[1]
            side_ok = ok & (py >= y0) & (py <= y1)
            t_side = np.where(side_ok, tc, np.inf)
            # top cap
            with np.errstate(divide="ignore", invalid="ignore"):
                tt = (y1 - o[:, 1]) / d[1] if abs(d[1]) > 1e-9 else np.full(n, np.inf)
            px, pz = o[:, 0] + tt * d[0], o[:, 2] + tt * d[2]
            t_cap = np.where((px**2 + pz**2 <= radius**2) & (tt > 0), tt, np.inf)
            for tnew, is_cap in ((t_side, False), (t_cap, True)):
                closer = tnew < t
                t = np.where(closer, tnew, t)
                part = np.where(closer, 100 + 2 * cyl + int(is_cap), part)
                if is_cap:
                    normal[closer] = (0, 1, 0)
                else:
                    P = o[closer] + tnew[closer, None] * d
                    nn = np.stack([P[:, 0], np.zeros(len(P)), P[:, 2]], 1)
                    normal[closer] = nn / (np.linalg.norm(nn, axis=1, keepdims=True) + 1e-9)

    hit = np.isfinite(t)
    Nc = normal @ R.T
    lam = np.clip(Nc @ _LIGHT, 0, 1)
    base = np.array(COLORS[a["color"]])
    col = base[None, :] * (0.38 + 0.72 * lam)[:, None]
    col = _hue_sat(col, float(a["hue"]), float(a["saturation"]))
    col = col + 0.35 * float(a["brightness"])
    img = np.tile(np.array(BACKGROUND), (n, 1))
    img[hit] = col[hit]
    img = (np.clip(img, 0, 1).reshape(size, size, 3) * 255 + 0.5).astype(np.uint8)
    if info is not None:
        info["labels"] = np.where(hit, part, 0).astype(np.int16).reshape(size, size)
    if return_mask:
        return img, hit.reshape(size, size)
    return img
