#!/usr/bin/env bash
# The project's whole test suite: Python (training pipeline) then TypeScript (engine and app).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== Python tests (native-models/training) =="
(cd native-models/training && python3 -m pytest -q)
echo "== TypeScript tests =="
npx vitest run
