"""Where a faces decoder's judged figures fall short of the studio's.  Run from the
repository root (docs/faces.md, section 9.3):

    OMP_NUM_THREADS=1 python benchmarks/faces_readback.py expression [WEIGHTS]
    OMP_NUM_THREADS=1 python benchmarks/faces_readback.py glasses WEIGHTS [SHEET.png [JUDGE]]

``expression``: the 1,000 random states of ``holochat eval textgan`` (held-out identities),
rendered by the studio and by the conv-deconv faces decoder (the shipped one, or WEIGHTS),
read by the shipped faces judge: the share of each expression read right by strength
(every state, faint ones included).

``glasses``: 200 held-out faces, each without and with glasses, rendered by the studio, the
shipped decoder and WEIGHTS: how the judge reads their eyewear (true -> read: count), and
optionally a sheet of the candidate's glasses read as sunglasses (studio above, candidate
below, 3x); JUDGE reads them instead of the shipped judge (use "" for no sheet).

Prints one JSON object.
"""

import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.getcwd())

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from generators.convdeconv_gen import ConvDeconvGenerator  # noqa: E402
from generators.datasets import render_attributes  # noqa: E402
from generators.evaluation.textgan import random_states  # noqa: E402
from generators.nets.judge import read_attributes  # noqa: E402
from generators.training.judge import load_judge  # noqa: E402

STRENGTHS = ((0.0, 0.3), (0.3, 0.6), (0.6, 1.01))


def studio(attrs):
    return render_attributes("faces", attrs, 64, workers=1)[0]


def expression(weights=None):
    judge = load_judge("generators/weights/judge-faces")
    attrs, _ = random_states(1000, 0)
    right = {}
    for name, imgs in (
        ("studio", studio(attrs)),
        ("decoder", ConvDeconvGenerator("faces", weights).render_batch(attrs)),
    ):
        rows, _ = read_attributes(judge, imgs)
        right[name] = np.array([r["expression"] == a["expression"] for a, r in zip(attrs, rows)])
    out = {}
    for e in ("neutral", "happy", "sad", "angry", "surprised"):
        for lo, hi in STRENGTHS:
            idx = [
                i
                for i, a in enumerate(attrs)
                if a["expression"] == e and lo <= a["expression_strength"] < hi
            ]
            out[f"{e} {lo:.1f}-{min(hi, 1):.1f}"] = {
                "n": len(idx),
                **{k: round(float(v[idx].mean()), 3) for k, v in right.items()},
            }
    return out


def glasses(weights, sheet=None, judge_path="generators/weights/judge-faces"):
    judge = load_judge(judge_path)
    attrs, _ = random_states(200, 0)
    attrs = [dict(a, eyewear=e) for a in attrs for e in ("none", "glasses")]
    imgs = {
        "studio": studio(attrs),
        "shipped": ConvDeconvGenerator("faces").render_batch(attrs),
        "candidate": ConvDeconvGenerator("faces", weights).render_batch(attrs),
    }
    out, reads = {}, {}
    for name, im in imgs.items():
        reads[name], _ = read_attributes(judge, im)
        count = Counter(f"{a['eyewear']} -> {r['eyewear']}" for a, r in zip(attrs, reads[name]))
        out[name] = dict(sorted(count.items()))
    if sheet:  # "" or None: no sheet
        from PIL import Image

        bad = [
            i
            for i, (a, r) in enumerate(zip(attrs, reads["candidate"]))
            if a["eyewear"] == "glasses" and r["eyewear"] == "sunglasses"
        ][:12]
        if bad:
            rows = [np.concatenate([imgs[k][i] for i in bad], 1) for k in ("studio", "candidate")]
            grid = np.concatenate(rows, 0)
            big = Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), 0)
            big.save(sheet)
    return out


if __name__ == "__main__":
    what, rest = sys.argv[1], sys.argv[2:]
    result = expression(*rest[:1]) if what == "expression" else glasses(*rest[:3])
    print(json.dumps(result, indent=1))
