#!/usr/bin/env bash
# Build a one-folder desktop bundle in dist/gpuwise (Linux/macOS; on Windows run the pyinstaller line in a venv).
# Set TORCH_INDEX to PyTorch's CPU-only wheel index to keep the bundle small (~1 GB instead of several).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-build
. .venv-build/bin/activate
pip install -q --upgrade pip
if [ -n "${TORCH_INDEX:-}" ]; then pip install -q torch --index-url "$TORCH_INDEX"; fi
pip install -q . pyinstaller
pyinstaller --noconfirm packaging/gpuwise.spec
echo "built: dist/gpuwise/gpuwise"
