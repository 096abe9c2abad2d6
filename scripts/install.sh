#!/usr/bin/env bash
# facegate's install step: `bash scripts/install.sh [--test]`.
#
# Installs the npm dependencies and the native parts they need on a machine that
# reaches only the npm registry and Debian's apt (it works the same with full
# internet):
#   - Debian packages it needs, only when missing (--test adds the ones tests
#     use: chromium, postgresql, redis-server, coturn);
#   - npm ci with install scripts off, then each native part on its own:
#     * mediasoup: the C++ worker, built against Debian libraries through the
#       shim subprojects in scripts/native/ and the DTLS patch, cached by
#       mediasoup version + hash of those files (cold ~13 min, warm seconds);
#     * faiss-node: the addon, built against Debian's libfaiss with a patch that
#       frees its buffers (cached too);
#     * onnxruntime-node: nothing to do; its postinstall only fetches CUDA
#       files (see .npmrc), the CPU runtime ships in the package;
#     * esbuild, protobufjs, @ffmpeg-installer: their own small scripts;
#   - the browser SDK bundle.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATIVE="$ROOT/scripts/native"
cd "$ROOT"
WITH_TEST=0
IF_NEEDED=0
for a in "$@"; do
  case "$a" in
    --test) WITH_TEST=1 ;;
    --if-needed) IF_NEEDED=1 ;;
    *) echo "usage: scripts/install.sh [--test] [--if-needed]" >&2; exit 2 ;;
  esac
done
log() { printf '[install] %s\n' "$*"; }
CACHE="${FACEGATE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/facegate}"
mkdir -p "$CACHE"

# 1. Debian packages -----------------------------------------------------------
PKGS=(g++ make cmake pkg-config python3 python3-pip patch
      libuv1-dev libssl-dev libsrtp2-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler
      libfaiss-dev libopenblas-dev patchelf)
[ "$WITH_TEST" = 1 ] && PKGS+=(chromium postgresql redis-server coturn)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done

# --if-needed (README's `npm test` uses it): nothing to do when every package is
# there and node_modules was installed by this script from the same lockfile,
# install step and native patches (the stamp below).
STAMP=node_modules/.facegate-install.stamp
STAMP_KEY="$(cat package-lock.json scripts/install.sh | sha256sum | cut -c1-16)-$(cd "$NATIVE" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
if [ "$IF_NEEDED" = 1 ] && [ ${#missing[@]} -eq 0 ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$STAMP_KEY" ]; then
  log "up to date"
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "[install] missing system packages: ${missing[*]} (no apt-get here: install them by hand)" >&2
    exit 1
  fi
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  log "apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. npm packages, no install scripts (faiss-node's and mediasoup's download) ---
export ONNXRUNTIME_NODE_INSTALL=skip
log "npm ci"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npm rebuild --loglevel=error esbuild protobufjs @ffmpeg-installer/linux-x64 >/dev/null 2>&1 || \
  npm rebuild --loglevel=error esbuild protobufjs >/dev/null

key_of() { (cd "$NATIVE" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12; }
ver_of() { node -p "require('./node_modules/$1/package.json').version"; }

# 3. mediasoup worker ---------------------------------------------------------
MS_DIR=node_modules/mediasoup
MS_BIN="$MS_DIR/worker/out/Release/mediasoup-worker"
MS_KEY="$(ver_of mediasoup)-$(key_of mediasoup-shims meson-offline.sh mediasoup-3.27.1-dtls-drain-bio.patch)"
MS_CACHED="$CACHE/mediasoup-worker/$MS_KEY/mediasoup-worker"
if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  log "mediasoup: using MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN"
elif [ -x "$MS_CACHED" ]; then
  log "mediasoup: cached worker $MS_KEY"
else
  log "mediasoup: building the worker against Debian libraries (13-22 min on 2 cores)"
  PYMESON="$CACHE/pymeson"
  if [ ! -x "$PYMESON/bin/meson" ] || [ ! -x "$PYMESON/bin/ninja" ]; then
    python3 -m pip install --disable-pip-version-check -q --retries 0 --timeout 10 --target "$PYMESON" meson==1.12.1 ninja==1.13.2
  fi
  # The worker built against Debian's libssl crashes in the first DTLS handshake
  # on mediasoup's BIO write-callback path; the patch drains the memory BIO instead.
  (cd "$MS_DIR" && patch -p1 -N -s < "$NATIVE/mediasoup-3.27.1-dtls-drain-bio.patch")
  (cd "$MS_DIR" && FACEGATE_PYMESON="$PYMESON" MESON="$NATIVE/meson-offline.sh" \
     MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD=1 node npm-scripts.mjs postinstall)
  mkdir -p "$(dirname "$MS_CACHED")"
  cp "$MS_BIN" "$MS_CACHED.tmp" && mv "$MS_CACHED.tmp" "$MS_CACHED"
fi
if [ -z "${MEDIASOUP_WORKER_BIN:-}" ]; then
  mkdir -p "$(dirname "$MS_BIN")"
  cp "$MS_CACHED" "$MS_BIN"
  test -x "$MS_BIN"
fi

# 4. faiss-node addon ---------------------------------------------------------
# Its own install script downloads a prebuilt addon, then git-clones faiss. We
# build the addon with cmake-js against Debian's libfaiss through a small shim
# (scripts/native/faiss-shim); the post-build step copies OpenBLAS & co. beside
# the addon. The whole build/Release folder is cached, keyed by the shim and the
# patch too, so a changed patch rebuilds it once.
FN_DIR=node_modules/faiss-node
FN_OUT="$FN_DIR/build/Release"
FN_PATCH="$NATIVE/faiss-node-0.5.1-buffers.patch"
FN_KEY="$(ver_of faiss-node)-$(dpkg-query -W -f='${Version}' libfaiss-dev 2>/dev/null | tr -c 'A-Za-z0-9.\n' '_')-$(key_of faiss-shim faiss-node-0.5.1-buffers.patch)"
FN_CACHED="$CACHE/faiss-node/$FN_KEY"
if [ ! -f "$FN_CACHED/faiss-node.node" ]; then
  log "faiss-node: building the addon against Debian's libfaiss"
  mkdir -p "$FN_DIR/deps/faiss"
  cp "$NATIVE/faiss-shim/"* "$FN_DIR/deps/faiss/"
  # The bindings never free toBuffer()'s writer, fromBuffer()'s reader or a
  # search's query (the index's size leaked per snapshot); the patch frees
  # them. Applied unless already there (patch -N alone exits 1 on a rerun).
  if ! (cd "$FN_DIR" && patch -p1 -R -s -f --dry-run < "$FN_PATCH" >/dev/null 2>&1); then
    (cd "$FN_DIR" && patch -p1 -N -s < "$FN_PATCH")
  fi
  (cd "$FN_DIR" && "$ROOT/node_modules/.bin/cmake-js" compile --log-level error >"$CACHE/faiss-build.log" 2>&1) || {
    tail -n 30 "$CACHE/faiss-build.log" >&2; exit 1; }
  rm -rf "$FN_CACHED.tmp" && mkdir -p "$FN_CACHED.tmp"
  cp -a "$FN_OUT/." "$FN_CACHED.tmp/" && rm -rf "$FN_CACHED" && mv "$FN_CACHED.tmp" "$FN_CACHED"
else
  log "faiss-node: cached addon $FN_KEY"
  mkdir -p "$FN_OUT"
  cp -a "$FN_CACHED/." "$FN_OUT/"
fi
node -e "new (require('faiss-node').IndexFlatIP)(4)" || { echo "[install] faiss-node does not load" >&2; exit 1; }

# 5. Browser SDK bundle -------------------------------------------------------
if [ -f scripts/cli/build-sdk.ts ]; then
  log "browser SDK"
  npm run --silent build:sdk
fi
echo "$STAMP_KEY" > "$STAMP"
log "done"
