"""Put a new faces decoder behind a trained latent GAN (the faces DCGAN).

    python scripts/latent_gan_decoder.py DECODER [--weights DIR] --out DIR

The latent GAN learns the distribution of the studio's decoder input codes
(its mapping network and code head); the frozen conv-deconv decoder only
draws them.  A better decoder, trained on the same codes, can therefore
replace the old one without retraining the GAN: this writes a copy of the
DCGAN folder (default: the shipped faces DCGAN) whose config names the new
decoder's shape (``decoder_channels``, ``decoder_parts``, ...) and whose
decoder weights are the new decoder's; the mapping, the head, both
discriminators and the directions file are copied unchanged.  The folder's
recorded evaluation is dropped (it measured the old decoder): measure the
copy with ``holochat eval dcgan --weights OUT --record``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("decoder", help="conv-deconv faces weights folder")
    ap.add_argument("--weights", help="DCGAN folder (default: the shipped faces DCGAN)")
    ap.add_argument("--out", required=True, help="folder to write (must not exist)")
    args = ap.parse_args(argv)

    from generators.checkpoint import save_pretrained, store_half
    from generators.nets.dcgan import ARCH_VERSION, DCGAN
    from generators.nets.latent_gan import LATENT_DECODER_SETTINGS
    from generators.training.dcgan import read_model
    from generators.training.textgan import load_decoder
    from generators.weights import weights_path

    src = Path(args.weights or weights_path("dcgan", "faces"))
    out = Path(args.out)
    if out.exists():
        print(f"{out} exists: name a new folder", file=sys.stderr)
        return 2
    old_cfg, old_tensors = read_model(src)
    if old_cfg.synthesis != "convdeconv":
        print(f"{src} is a pixel DCGAN: it has no decoder to replace", file=sys.stderr)
        return 2
    dec = load_decoder(args.decoder)  # a faces conv-deconv, or an error that says so
    if dec.cfg.refine:
        print("the latent GAN takes no refinement stage", file=sys.stderr)
        return 2
    cfg = replace(
        old_cfg,
        **{LATENT_DECODER_SETTINGS[k]: getattr(dec.cfg, k) for k in LATENT_DECODER_SETTINGS},
    )
    new = DCGAN(cfg)
    keep = {k: v for k, v in old_tensors.items() if ".decoder." not in k}
    missing, unexpected = new.load_state_dict(keep, strict=False)
    if unexpected or any(".decoder." not in k for k in missing):
        print(f"the DCGAN's other weights do not fit: {missing + unexpected}", file=sys.stderr)
        return 2
    # the config was built from the decoder's own, so its weights fit as they are
    new.generator.main.decoder.load_state_dict(dec.state_dict())
    meta = json.loads((src / "config.json").read_text())
    extra = {k: v for k, v in meta.get("extra", {}).items() if k != "eval"}
    extra["decoder"] = {
        "from": str(args.decoder),
        "replaced": str(src),
        "note": "mapping and head trained over the earlier decoder",
    }
    save_pretrained(new, cfg, out, model_name="dcgan", code_version=ARCH_VERSION, extra=extra)
    for f in src.iterdir():
        if f.name not in ("config.json", "model.safetensors"):
            shutil.copy2(f, out / f.name)
    if meta.get("dtype") == "float16":
        store_half(out)
    print(f"wrote {out}: measure it with holochat eval dcgan --weights {out} --record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
