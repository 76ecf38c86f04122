"""What a drawn turn reads back (dialogue.drawn.read_back).  Run from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/drawn_readback.py [N]            faces
    OMP_NUM_THREADS=1 python benchmarks/drawn_readback.py --chairs [N]   chairs

Faces: the canvas left as "sketch the current picture" filled it (the studio's clean
sketch of the state, unchanged), over N held-out studio faces: the fraction of the drawn
attributes (expression, eyewear, hat, beard) read as the studio shows them
(studio.visible; what it does not show is left out, as in `holochat eval pix2pix`), and
the yaw error; beside it the same judge on the studio render (the ceiling).

Chairs (generators/sketch_reader.py, no judge): N held-out studio chairs, each drawn in a
random sketch style (as the pix2pix eval's held-out sketches), read against the same chair
("same": a drawing over the chair on screen) and against the next chair of the set
("other": a chair drawn from scratch): legs and armrests accuracy, and the view it would
read (azimuth error, within 15°, elevation error) to show why the view is not taken.

Prints one JSON object.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.getcwd())

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from dialogue.drawn import read_back  # noqa: E402
from generators.datasets import _plan  # noqa: E402
from generators.studio import render_face, visible  # noqa: E402
from sessions.drawings import render_drawn, sketch_of_state  # noqa: E402
from sessions.state import ImageState  # noqa: E402

CHAIRS = "--chairs" in sys.argv
args = [a for a in sys.argv[1:] if a != "--chairs"]
N = int(args[0]) if args else 200


def chairs() -> None:
    from generators.sketch_reader import read_chair_drawing
    from generators.studio.sketch import sketch
    plan = _plan("chairs", N, 7, "test")
    out = {"n": N}
    for case in ("same", "other"):
        t = time.time()
        legs = arms = 0
        az, el = [], []
        for i, a in enumerate(plan):
            drawing = sketch("chairs", a, [7, 1, 0, i])           # a random style
            on_screen = a if case == "same" else plan[(i + 1) % N]
            got, _ = read_chair_drawing(drawing, dict(on_screen))
            legs += got["legs"] == a["legs"]
            arms += got["armrests"] == a["armrests"]
            az.append(abs((got["azimuth"] - a["azimuth"] + 180) % 360 - 180))
            el.append(abs(got["elevation"] - a["elevation"]))
        out[case] = {"legs": round(legs / N, 3), "armrests": round(arms / N, 3),
                     "azimuth_mae": round(float(np.mean(az)), 1),
                     "azimuth_within_15": round(float(np.mean(np.array(az) <= 15)), 3),
                     "elevation_mae": round(float(np.mean(el)), 1),
                     "s_per_read": round((time.time() - t) / N, 2)}
    out["prior"] = {"legs_four": round(float(np.mean([a["legs"] == "four" for a in plan])), 3),
                    "armrests": round(float(np.mean([bool(a["armrests"]) for a in plan])), 3)}
    print(json.dumps(out))


if CHAIRS:
    chairs()
    sys.exit(0)
DRAWN = ("expression", "eyewear", "hat", "beard")
t0 = time.time()
hits = {k: [0, 0] for k in DRAWN}
studio_hits = {k: [0, 0] for k in DRAWN}
yaw_err, studio_yaw_err = [], []
for attrs in _plan("faces", N, 7, "test"):
    state = ImageState.new("faces", 0).set_attributes(**attrs)
    shown = visible("faces", dict(attrs))
    got, _ = read_back("faces", render_drawn(state, sketch_of_state(state)), dict(attrs))
    ref, _ = read_back("faces", render_face(dict(attrs), 64), dict(attrs))
    for k in DRAWN:
        if shown.get(k) is None:
            continue
        for table, reading in ((hits, got), (studio_hits, ref)):
            table[k][0] += reading.get(k) == shown[k]
            table[k][1] += 1
    yaw_err.append(abs(got["yaw"] - attrs["yaw"]))
    studio_yaw_err.append(abs(ref["yaw"] - attrs["yaw"]))


def frac(table):
    return {k: round(a / b, 3) if b else None for k, (a, b) in table.items()}


print(json.dumps({
    "n": N, "seconds": round(time.time() - t0, 1),
    "canvas_as_sketched": {"per_attribute": frac(hits),
                           "drawn": round(sum(a for a, _ in hits.values())
                                          / sum(b for _, b in hits.values()), 3),
                           "yaw_mae": round(float(np.mean(yaw_err)), 1)},
    "studio_render": {"per_attribute": frac(studio_hits),
                      "drawn": round(sum(a for a, _ in studio_hits.values())
                                     / sum(b for _, b in studio_hits.values()), 3),
                      "yaw_mae": round(float(np.mean(studio_yaw_err)), 1)},
}))
