"""What a drawn turn reads back when the canvas is left as "sketch the current picture"
filled it (the studio's clean sketch of the state, unchanged): over N held-out studio faces,
the fraction of the drawn attributes (expression, eyewear, hat, beard) that
dialogue.drawn.read_back sets to the state's own values, and the yaw error; beside it the
same judge on the studio render (the ceiling).  Run from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/drawn_readback.py [N]

Prints one JSON object.  Attributes the studio itself does not show (studio.visible) are
left out, as in `holochat eval pix2pix`.
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

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
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
