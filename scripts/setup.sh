#!/usr/bin/env bash
# One-command setup: Node dependencies (without Electron's or onnxruntime's CUDA downloads,
# which need hosts other than the package registries) and the Python training pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip
if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
python3 -m pip install --quiet -r native-models/training/requirements.txt
npm run build --silent  # the `nvg` CLI in dist/
