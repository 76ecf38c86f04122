"""Where the faces judge misreads a renderer's expressions (docs/faces.md, section 11).  Run
from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/faces_expression_reads.py RENDERER [N]

RENDERER is a faces conv-deconv weights folder, "shipped" (the shipped decoder) or
"studio-4x" (the studio drawn with smooth edges, ``faces_sharpness.smooth_studio``).  On the
text GAN eval's N random states (default 1,000; ``random_states(N, 0)``), the shipped judge
reads the expression of the renderer's picture and of the studio's.  Printed: the share read
right on the faces whose expression the studio shows (``studio.visible``), by shown
expression, by strength, by |yaw|, with and without a beard, and the renderer's most common
confusions (shown → read).  One JSON object.
"""

import json
import os
import sys
from collections import Counter, defaultdict

import torch

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, os.path.dirname(__file__))

from faces_sharpness import smooth_studio  # noqa: E402

from generators.convdeconv_gen import ConvDeconvGenerator  # noqa: E402
from generators.evaluation.convdeconv import _predict  # noqa: E402
from generators.evaluation.textgan import _visible, random_states, studio_renderer  # noqa: E402
from generators.nets.judge import read_attributes  # noqa: E402
from generators.training.judge import load_judge  # noqa: E402
from generators.weights import weights_path  # noqa: E402


def pictures(renderer: str, attrs: list[dict]):
    if renderer == "studio-4x":
        return smooth_studio(attrs)
    gen = ConvDeconvGenerator("faces", None if renderer == "shipped" else renderer)
    return _predict(gen, attrs)[0]


def groups(a: dict, shown: str) -> list[str]:
    s = a["expression_strength"]
    out = [f"shown {shown}", "all", "beard" if a["beard"] else "no beard"]
    out.append("|yaw| < 20" if abs(a["yaw"]) < 20 else "|yaw| >= 20")
    if shown != "neutral":
        out.append(f"strength {'< 0.5' if s < 0.5 else '< 0.75' if s < 0.75 else '>= 0.75'}")
    return out


def main(renderer: str, n: int) -> dict:
    judge = load_judge(weights_path("judge", "faces"))
    attrs, _ = random_states(n, 0)
    got, _ = read_attributes(judge, pictures(renderer, attrs))
    ref, _ = read_attributes(judge, studio_renderer().render_batch(attrs))
    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses: Counter = Counter()
    for a, g, r in zip(attrs, got, ref):
        shown = _visible(a)["expression"]
        if shown is None:
            continue
        for k in groups(a, shown):
            hits[k].append((g["expression"] == shown, r["expression"] == shown))
        if g["expression"] != shown:
            misses[f"{shown} -> {g['expression']}"] += 1
    return {
        "renderer": renderer,
        "n": n,
        "right": {
            k: {
                "n": len(v),
                "renderer": round(sum(x for x, _ in v) / len(v), 3),
                "studio": round(sum(y for _, y in v) / len(v), 3),
            }
            for k, v in sorted(hits.items())
        },
        "misses": dict(misses.most_common(8)),
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)))
