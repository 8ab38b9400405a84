#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/gpuwise/ with PyInstaller and PyTorch's CPU-only build, then smoke-test
# it (packaging/smoke.sh). Linux/macOS; on Windows run the same pip and pyinstaller lines in a venv.
#
#   packaging/build.sh                 # CPU torch from PyTorch's CPU wheel index (the default)
#   TORCH_INDEX= packaging/build.sh    # torch from the usual indexes (pip's config: a local wheel, or PyPI)
#
# A CPU torch keeps the bundle around 1 GB: the CUDA build adds ~3 GB of nvidia-* libraries, and a bundle
# estimates GPUs rather than driving them. Not run in CI: it takes minutes and downloads torch.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_INDEX="${TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
BUILD_VENV="${BUILD_VENV:-.venv-build}"

python3 -m venv "$BUILD_VENV"
. "$BUILD_VENV/bin/activate"
pip install -q --upgrade pip
if [ -n "$TORCH_INDEX" ]; then
  pip install -q torch --index-url "$TORCH_INDEX"
fi
pip install -q . "pyinstaller>=6.10"
python - <<'PY'
import torch
# A CUDA torch here would make a multi-GB bundle: say so instead of building it.
if torch.version.cuda:
    raise SystemExit(f"torch {torch.__version__} is a CUDA build: set TORCH_INDEX to PyTorch's CPU index")
print(f"torch {torch.__version__} (CPU build)")
PY
start=$(date +%s)
pyinstaller --noconfirm --log-level WARN packaging/gpuwise.spec
echo "built dist/gpuwise/ in $(( $(date +%s) - start )) s: $(du -sh dist/gpuwise | cut -f1)"
packaging/smoke.sh dist/gpuwise/gpuwise
