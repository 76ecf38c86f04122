"""The latent-GAN DCGAN's directions without the judge.  Run from the repository root:

    OMP_NUM_THREADS=1 python benchmarks/dcgan_head_flips.py [WEIGHTS_DIR] [N]

For every yes/no direction of a ``synthesis = "convdeconv"`` DCGAN (default: the shipped
generators/weights/dcgan-faces), N sampled latents (seed 5) whose *code* lacks the value
(the head's argmax, or the boolean's sign) are moved one calibrated unit along the
direction, as a state's offset moves them; the head flip rate is the fraction whose code
then takes the value.  Beside ``holochat eval dcgan``'s success (the judge's reading of the
render) it separates what the latent geometry does from what the judge sees.  Also the
gap between each category's two largest logits (mean ± sd): how tight the values sit.

Prints one JSON object.
"""

import json
import os
import sys

sys.path.insert(0, os.getcwd())

import torch  # noqa: E402

torch.set_num_threads(1)

from generators.dcgan_gen import DCGANGenerator  # noqa: E402
from generators.latent.directions import USED  # noqa: E402
from generators.nets.latent_gan import CATEGORIES  # noqa: E402
from generators.schema import get_schema  # noqa: E402


def main() -> None:
    args = sys.argv[1:]
    gen = DCGANGenerator(path=args[0]) if args else DCGANGenerator()
    n = int(args[1]) if len(args) > 1 else 2000
    if gen.cfg.synthesis != "convdeconv" or gen.directions is None:
        sys.exit("needs a latent-GAN DCGAN (synthesis convdeconv) with fitted directions")
    head, d = gen.G.main.head, gen.directions
    z = torch.randn(n, gen.cfg.z_dim, generator=torch.Generator().manual_seed(5))
    names = [c for c, _ in CATEGORIES] + ["hat", "beard", "expression"]
    with torch.no_grad():
        w = gen.G.to_w(z)
        base = dict(zip(names, head.linear(w).split(head.sizes, 1)[1:-1]))
    schema = get_schema("faces")
    flips, gaps = {}, {}
    for name, logits in base.items():
        if logits.shape[1] > 1:
            top = logits.sort(1, descending=True).values
            g = top[:, 0] - top[:, 1]
            gaps[name] = [round(float(g.mean()), 2), round(float(g.std()), 2)]
    for info in d.infos:
        if info.kind != "binary":
            continue
        v = torch.tensor(d.scale(info.name) * d.vector(info.name, USED), dtype=torch.float32)
        with torch.no_grad():
            after = dict(zip(names, head.linear(w + v).split(head.sizes, 1)[1:-1]))
        if info.attr in ("hat", "beard"):
            neg = base[info.attr][:, 0] <= 0
            ok = after[info.attr][neg, 0] > 0
        else:
            k = list(schema.get(info.attr).values).index(info.value)
            neg = base[info.attr].argmax(1) != k
            ok = after[info.attr][neg].argmax(1) == k
        flips[info.name] = round(float(ok.float().mean()), 3)
    print(
        json.dumps(
            {"weights": str(gen.path), "n": n, "head_flip_rate": flips, "logit_gap_mean_sd": gaps}
        )
    )


if __name__ == "__main__":
    main()
