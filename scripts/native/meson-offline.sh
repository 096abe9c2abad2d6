#!/bin/sh
# MESON wrapper for mediasoup's worker/tasks.py (mediasoup honours $MESON).
# mediasoup's meson.build pulls six subprojects as wraps that download sources
# from the internet. Before meson runs we seed worker/subprojects/ with the shim
# projects in mediasoup-shims/ (same folder names as 3.27.1's wrap directories),
# which expose Debian's system libraries under the variable names mediasoup
# expects, so meson never downloads anything. Then we run meson >= 1.1 from
# FACEGATE_PYMESON (Debian bookworm's meson 1.0.1 is too old).
set -eu
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
SHIMS="$HERE/mediasoup-shims"
PYDIR=${FACEGATE_PYMESON:?FACEGATE_PYMESON must point at the pip --target dir holding meson and ninja}
if [ -f meson.build ] && [ -f subprojects/libsrtp3.wrap ]; then
  for d in "$SHIMS"/*/; do
    name=$(basename "$d")
    [ -d "subprojects/$name" ] || cp -R "$d" "subprojects/$name"
  done
fi
# tasks.py points NINJA at its own pip folder, which we never filled; use ours.
export NINJA="$PYDIR/bin/ninja"
export PYTHONPATH="$PYDIR${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYDIR/bin/meson" "$@"
