"""A/B: fine-tune the shipped faces conv-deconv for STEPS steps with feature weight FW (and
perceptual PW, EMA), then measure on 300 held-out states: PSNR all / on feature pixels,
the shipped judge's expression / eyewear reading, and a sheet (/tmp/faces/ab/NAME.png).

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/ab_convdeconv_feature_weight.py NAME STEPS FW PW EMA

(docs/faces.md: base 0 0 0 0, fw0 300 0 0 0, fw8 300 8 0 0, fw8p 300 8 0.05 0)."""
import json, shutil, sys, time
from pathlib import Path
import numpy as np, torch
torch.set_num_threads(1)
from generators.datasets import cached_dataset, make_dataset
from generators.training.convdeconv import ConvDeconvTrainOptions, train_convdeconv
from generators.weights import weights_path
from generators.training.judge import load_judge
from generators.nets.judge import read_attributes
from generators.convdeconv_gen import ConvDeconvGenerator
from generators.studio import visible
name, steps, fw, pw, ema = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
out = Path(f"/tmp/faces/ab/{name}")
shutil.rmtree(out, ignore_errors=True)
if steps:
    shutil.copytree(weights_path("convdeconv", "faces"), out)
    from safetensors.torch import save_file
    save_file({"__step__": torch.tensor(1)}, str(out / "training_state.safetensors"))
    ds = cached_dataset("faces", 6000, seed=0, with_features=True)
    t = time.time()
    opts = ConvDeconvTrainOptions(domain="faces", steps=steps + 1, batch=64, lr=5e-4, out=str(out), resume=True,
                                  feature_weight=fw, perceptual=pw, ema=ema, progress=False, log_every=50,
                                  sample_every=10**6, checkpoint_every=10**6)
    m = train_convdeconv(opts, dataset=ds)
    print("train s", round(time.time() - t), m.train_log[-1], flush=True)
    gen = ConvDeconvGenerator("faces", str(out))
else:
    gen = ConvDeconvGenerator("faces", None)
test = make_dataset("faces", 300, seed=7, split="test", workers=1)
feats = test.features
from generators.nets.convdeconv import encode
with torch.no_grad():
    gen.model.eval()
    rgb, _ = gen.model(encode("faces", test.attributes))
g = (rgb.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
d2 = ((g.astype(float) - test.images) / 255) ** 2
psnr = -10 * np.log10(d2.mean()); psnr_f = -10 * np.log10(d2.mean(3)[feats].mean())
judge = load_judge(weights_path("judge", "faces"))
rows, _ = read_attributes(judge, g)
srows, _ = read_attributes(judge, test.images)
shown = [visible("faces", a) for a in test.attributes]
def acc(rs, k): 
    v = [r[k] == s[k] for r, s in zip(rs, shown) if s[k] is not None]; return round(float(np.mean(v)), 3)
res = {"name": name, "steps": steps, "fw": fw, "pw": pw, "ema": ema, "psnr": round(psnr, 2), "psnr_features": round(psnr_f, 2),
       **{f"gen_{k}": acc(rows, k) for k in ("expression", "eyewear", "hair_color", "beard")},
       **{f"studio_{k}": acc(srows, k) for k in ("expression", "eyewear")}}
print(json.dumps(res), flush=True)
from generators.studio.sheets import grid, save_png
save_png(grid(list(test.images[:12]) + list(g[:12]), 12), f"/tmp/faces/ab/{name}.png", 3)
