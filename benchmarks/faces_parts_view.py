"""What a faces conv-deconv with a parts layer classifies, beside what the studio draws
(docs/faces.md, section 12).  Run from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/faces_parts_view.py OUT.png WEIGHTS [WEIGHTS ...]

Six held-out faces (angry, sad and neutral at strength 0.8, frontal and turned, no
eyewear), the eye-and-mouth crop zoomed 5×.  Rows: the studio's render, then per
WEIGHTS folder its render, the argmax of its part logits in the studio's part colours
(white eye, blue pupil, red brow, magenta mouth, yellow teeth) and its confidence that a
pixel is a part (1 − p(none), white = sure); last, the studio's own part map.
"""

import sys

import numpy as np
import torch
from PIL import Image

from generators.convdeconv_gen import ConvDeconvGenerator
from generators.datasets import make_dataset, render_attributes
from generators.evaluation.convdeconv import _predict
from generators.nets.convdeconv import encode
from generators.studio import feature_parts

PALETTE = np.array(
    [[0, 0, 0], [255, 255, 255], [0, 0, 255], [255, 0, 0], [255, 0, 255], [255, 255, 0],
     [0, 255, 0], [0, 255, 255], [128, 128, 128]],
    np.uint8,
)


def states() -> list[dict]:
    ds = make_dataset("faces", 6, seed=0, split="test", workers=1)
    shown = ["angry", "sad", "angry", "sad", "neutral", "angry"]
    yaws = [0, 10, -15, 0, 0, 25]
    return [
        dict(a, expression=e, expression_strength=0.8, yaw=y, eyewear="none", hat=False)
        for a, e, y in zip(ds.attributes, shown, yaws)
    ]


def rows_for(folder: str, faces: list[dict]) -> list[list[np.ndarray]]:
    gen = ConvDeconvGenerator("faces", folder)
    rendered = list(_predict(gen, faces)[0])
    if gen.model.parts is None:
        return [rendered]
    logits: list[torch.Tensor] = []
    with torch.no_grad():
        gen.model.eval()
        gen.model(encode("faces", faces), logits)
    p = torch.softmax(logits[0].float(), 1)
    classes = [PALETTE[m] for m in p.argmax(1).numpy()]
    sure = [(255 * (1 - q[0])).clamp(0, 255).byte().numpy()[..., None].repeat(3, 2) for q in p]
    return [rendered, classes, sure]


def main(out: str, folders: list[str]) -> None:
    torch.set_num_threads(1)
    faces = states()
    rows = [list(render_attributes("faces", faces, 64, workers=1)[0])]
    for folder in folders:
        rows += rows_for(folder, faces)
    rows.append([PALETTE[feature_parts(s)] for s in faces])
    img = np.concatenate([np.concatenate([im[8:48, 12:52] for im in r], 1) for r in rows], 0)
    Image.fromarray(img).resize((img.shape[1] * 5, img.shape[0] * 5), Image.NEAREST).save(out)
    print(out)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
