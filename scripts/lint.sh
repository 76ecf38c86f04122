#!/usr/bin/env bash
# Lint, format check and type check of the core packages (holochat, dialogue,
# sessions, generators), as configured in pyproject.toml.  Run from anywhere;
# uses the ruff and mypy on PATH (the `test` extra installs them).
# Exit status: non-zero when any of the three fails; all three always run.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
echo "== ruff check" && ruff check || rc=1
echo "== ruff format --check" && ruff format --check || rc=1
echo "== mypy" && mypy || rc=1
exit "$rc"
