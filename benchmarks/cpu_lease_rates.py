"""The lease recipes of holochat/lease.py on one CPU thread for 40 s each (docs/training.md): images/s
beside the GPU figures of a lease. Run from the repository root: python benchmarks/cpu_lease_rates.py"""
import json
import os
import subprocess
import sys
import time
sys.path.insert(0, os.getcwd())
from holochat.lease import JOBS
small = {"judge-faces": ["--n-train", "2000"], "pix2pix-faces": ["--n-train", "1000", "--variants", "1", "--workers", "1"],
         "pix2pix-chairs": ["--n-train", "1000", "--variants", "1", "--workers", "1"],
         "pix2pix-faces-l1": ["--n-train", "1000", "--variants", "1", "--workers", "1"],
         "convdeconv-faces": ["--n-train", "2000"], "dcgan-faces": ["--n-images", "2000"],
         "textgan-faces": ["--n-train", "2000"], "convdeconv-chairs": ["--n-train", "2000"]}
env = dict(os.environ, OMP_NUM_THREADS="1", HOLOCHAT_CACHE_DIR="/tmp/holochat-cpurate/cache", HOLOCHAT_DATA_DIR="/tmp/holochat-cpurate/data", HOLOCHAT_WORKERS="2")
out = {}
for j in JOBS:
    args = [a for a in j.gpu]
    cmd = [sys.executable, "-m", "holochat", "train", j.model, "--out", f"/tmp/holochat-cpurate/{j.name}", "--device", "cpu", *args, *small.get(j.name, []), "--time-limit", "40"]
    if "--steps" not in cmd: cmd += ["--steps", "10000000"]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=os.getcwd())
    last = {}
    for line in reversed(r.stdout.strip().splitlines()):
        if line.startswith("{"):
            try: last = json.loads(line); break
            except Exception: pass
    out[j.name] = {"rc": r.returncode, "step": last.get("step"), "images_per_s": last.get("images_per_s"), "wall": round(time.time()-t,1), "err": r.stderr[-300:] if r.returncode else ""}
    print(j.name, out[j.name], flush=True)
json.dump(out, open("/tmp/holochat-cpurate/result.json", "w"), indent=1)
