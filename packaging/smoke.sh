#!/usr/bin/env bash
# Smoke-test a built bundle: `--version` answers, and the window opens (offscreen) and closes by itself.
#   packaging/smoke.sh [dist/gpuwise/gpuwise]
# Prints the bundle's size and both start times (wall clock, first run after a build includes a cold disk cache).
set -euo pipefail
exe="${1:-dist/gpuwise/gpuwise}"
[ -x "$exe" ] || { echo "smoke: no executable at $exe (run packaging/build.sh first)" >&2; exit 1; }
ms() { date +%s%3N; }

t0=$(ms)
version=$("$exe" --version)
t1=$(ms)
case "$version" in gpuwise\ *) ;; *) echo "smoke: --version printed '$version'" >&2; exit 1 ;; esac
echo "--version: '$version' in $((t1 - t0)) ms"

# GPUWISE_SMOKE_QUIT: the app closes its window once it is fully built (charts, monitor) and exits 0 (ui/app.py).
t0=$(ms)
QT_QPA_PLATFORM=offscreen GPUWISE_SMOKE_QUIT=1 timeout 120 "$exe" gui
t1=$(ms)
echo "window: shown offscreen and closed in $((t1 - t0)) ms"
echo "size: $(du -sh "$(dirname "$exe")" | cut -f1) ($(dirname "$exe"))"
