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

# GPUWISE_SMOKE_QUIT: the app closes its window once fully started (charts, monitor, torch loaded, devices found)
# and exits 0 (ui/app.py); a start that never completes hits the timeout and fails.
t0=$(ms)
QT_QPA_PLATFORM=offscreen GPUWISE_SMOKE_QUIT=1 timeout 120 "$exe" gui
t1=$(ms)
echo "window: started fully (offscreen) and closed in $((t1 - t0)) ms"
echo "size: $(du -sh "$(dirname "$exe")" | cut -f1) ($(dirname "$exe"))"
