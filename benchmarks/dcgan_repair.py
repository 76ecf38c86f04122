"""The app's "repair …" beside the eval's completion.  Run from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/dcgan_repair.py [POOL] [STEPS] [RESTARTS] [SPACE]

For 8 held-out studio faces (seed 7, as ``holochat eval dcgan``'s completion draws them)
and the left half and the centre square missing, the shipped DCGAN completes the face
(SPACE "z": ``complete_state_z``, what the app does, since a state holds z; "w": the
eval's search in w).  The app shows the whole new render, not a blend, so beside the gain
in the hole over mean fill this prints the PSNR of the whole render against the face.
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

from generators.datasets import make_dataset  # noqa: E402
from generators.dcgan_gen import DCGANGenerator  # noqa: E402
from generators.latent.completion import (  # noqa: E402
    complete,
    complete_state_z,
    mean_fill,
    psnr_masked,
    region_mask,
)


def main() -> None:
    pool, steps, restarts = (int(a) for a in (sys.argv[1:4] + ["512", "400", "8"][len(sys.argv[1:4]):]))
    space = sys.argv[4] if len(sys.argv) > 4 else "z"
    gen = DCGANGenerator("faces")
    faces = make_dataset("faces", 8, seed=7, split="test", workers=1).images
    gains, whole = [], []
    t = time.perf_counter()
    for i, face in enumerate(faces):
        for region in ("left", "center"):
            missing = region_mask(region)
            kw = dict(seed=i, steps=steps, restarts=restarts, pool=pool)
            if space == "z":
                _, _, after = complete_state_z(gen.G, gen.D, face, region, **kw)
            else:
                after = complete(gen.G, gen.D, face, missing, space="w", **kw).generated
            gains.append(psnr_masked(after, face, missing)
                         - psnr_masked(mean_fill(face, missing), face, missing))
            mse = np.mean(((after.astype(np.float64) - face) / 255.0) ** 2)
            whole.append(10 * np.log10(1 / max(mse, 1e-10)))
    n = len(gains)
    print(json.dumps({
        "space": space, "pool": pool, "steps": steps, "restarts": restarts, "repairs": n,
        "hole_gain_db": round(float(np.mean(gains)), 2),
        "hole_gain_db_se": round(float(np.std(gains, ddof=1) / np.sqrt(n)), 2),
        "whole_render_psnr_db": round(float(np.mean(whole)), 2),
        "seconds_per_repair": round((time.perf_counter() - t) / n, 1),
    }))


if __name__ == "__main__":
    main()
