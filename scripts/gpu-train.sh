#!/usr/bin/env bash
# Spend a GPU lease: train every generator concurrently on the one GPU and
# write one bundle per model plus summary.json into --out (default $OUT).
# Runs in a copy of the repository with the machine's own Python packages:
#   scripts/gpu-train.sh [--minutes 8] [--from-shipped] [--only a,b] [--set JOB:ARGS] [--smoke]
# Then, back home:  holochat weights import OUT/NAME.tar   (installs only if better)
# See docs/training.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false
PY="${PYTHON:-python3}"
exec "$PY" -m holochat lease "$@"
