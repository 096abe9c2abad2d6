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
#     * faiss-node: the addon, with a patch that frees its buffers, built
#       against faiss compiled here with AVX2 from Debian's faiss source where
#       the CPU has AVX2, else against Debian's libfaiss (both cached);
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
      libfaiss-dev libopenblas-dev patchelf dpkg-dev)
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
# npm ci empties node_modules first: where it is a link to another checkout's
# (a git worktree sharing one install), that would wipe the other checkout's.
if [ -L node_modules ]; then
  echo "[install] node_modules is a symbolic link ($(readlink node_modules)): npm ci would empty the checkout it points to. Run the install there, or replace the link with a real directory." >&2
  exit 1
fi
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
# build the addon with cmake-js through a small shim (scripts/native/faiss-shim)
# against one of two static libfaiss builds:
#   B: where the CPU has AVX2, FMA and F16C, faiss built here from Debian's own
#      source package with those kernels (scripts/native/faiss-avx2-build.sh;
#      1.6-4 min on 2 cores; IVF searches ~4x and exact flat ~5x faster);
#   A: otherwise, or when that source cannot be fetched or built, Debian's
#      prebuilt libfaiss-dev (baseline x86-64, no AVX2).
# The post-build step copies OpenBLAS & co. beside the addon. The AVX2 library
# and the addon's build/Release folder are cached, keyed by the faiss version,
# the flags, the build script, the shim and the patch, so a warm install copies.
# FACEGATE_FAISS_ROUTE=A forces route A (a host image shared by older CPUs).
FN_DIR=node_modules/faiss-node
FN_OUT="$FN_DIR/build/Release"
FN_PATCH="$NATIVE/faiss-node-0.5.1-buffers.patch"
FAISS_SRC_VER="$(dpkg-query -W -f='${source:Version}' libfaiss-dev 2>/dev/null || true)"
FAISS_FLAGS="-mavx2 -mfma -mf16c -mpopcnt"
FN_LIB=()
FN_ROUTE="A-$(dpkg-query -W -f='${Version}' libfaiss-dev 2>/dev/null | tr -c 'A-Za-z0-9.\n' '_')"
cpu_has() { grep -qw "$1" /proc/cpuinfo; }
if [ "${FACEGATE_FAISS_ROUTE:-}" = A ]; then
  log "faiss: FACEGATE_FAISS_ROUTE=A: Debian's prebuilt libfaiss"
elif ! cpu_has avx2 || ! cpu_has fma || ! cpu_has f16c; then
  log "faiss: this CPU lacks AVX2/FMA/F16C: Debian's prebuilt libfaiss (route A, slower searches)"
elif [ -z "$FAISS_SRC_VER" ]; then
  log "faiss: no libfaiss-dev source version: Debian's prebuilt libfaiss (route A)"
else
  FS_KEY="$(printf '%s' "$FAISS_SRC_VER" | tr -c 'A-Za-z0-9.' '_')-$( (printf '%s' "$FAISS_FLAGS"; cat "$NATIVE/faiss-avx2-build.sh") | sha256sum | cut -c1-12)"
  FS_LIB="$CACHE/faiss-avx2/$FS_KEY"
  if [ ! -f "$FS_LIB/lib/libfaiss.a" ]; then
    log "faiss: building faiss $FAISS_SRC_VER from Debian's source with $FAISS_FLAGS (2-4 min)"
    t0=$SECONDS
    if bash "$NATIVE/faiss-avx2-build.sh" "$FAISS_SRC_VER" "$FS_LIB.tmp" "$CACHE/faiss-avx2/work" "$FAISS_FLAGS" >"$CACHE/faiss-avx2-build.log" 2>&1; then
      rm -rf "$FS_LIB" && mv "$FS_LIB.tmp" "$FS_LIB"
      log "faiss: AVX2 library built in $((SECONDS - t0)) s"
    else
      rm -rf "$FS_LIB.tmp"
      log "faiss: the AVX2 build failed (last lines below, all in $CACHE/faiss-avx2-build.log): falling back to Debian's prebuilt libfaiss (route A, slower searches)"
      tail -n 8 "$CACHE/faiss-avx2-build.log" | sed 's/^/[install]   /'
    fi
  fi
  if [ -f "$FS_LIB/lib/libfaiss.a" ]; then
    FN_ROUTE="B-$FS_KEY"
    FN_LIB=("--CDFAISS_STATIC_LIB=$FS_LIB/lib/libfaiss.a" "--CDFAISS_INCLUDE_DIR=$FS_LIB/include")
  fi
fi
FN_KEY="$(ver_of faiss-node)-$FN_ROUTE-$(key_of faiss-shim faiss-node-0.5.1-buffers.patch)"
FN_CACHED="$CACHE/faiss-node/$FN_KEY"
if [ ! -f "$FN_CACHED/faiss-node.node" ]; then
  log "faiss-node: building the addon (route ${FN_ROUTE%%-*})"
  mkdir -p "$FN_DIR/deps/faiss"
  cp "$NATIVE/faiss-shim/"* "$FN_DIR/deps/faiss/"
  # The bindings never free toBuffer()'s writer, fromBuffer()'s reader or a
  # search's query (the index's size leaked per snapshot); the patch frees
  # them. Applied unless already there (patch -N alone exits 1 on a rerun).
  if ! (cd "$FN_DIR" && patch -p1 -R -s -f --dry-run < "$FN_PATCH" >/dev/null 2>&1); then
    (cd "$FN_DIR" && patch -p1 -N -s < "$FN_PATCH")
  fi
  # A fresh CMake cache: the library path of the other route must not stick.
  rm -rf "$FN_DIR/build"
  (cd "$FN_DIR" && "$ROOT/node_modules/.bin/cmake-js" compile --log-level error "${FN_LIB[@]}" >"$CACHE/faiss-build.log" 2>&1) || {
    tail -n 30 "$CACHE/faiss-build.log" >&2; exit 1; }
  rm -rf "$FN_CACHED.tmp" && mkdir -p "$FN_CACHED.tmp"
  cp -a "$FN_OUT/." "$FN_CACHED.tmp/" && rm -rf "$FN_CACHED" && mv "$FN_CACHED.tmp" "$FN_CACHED"
else
  log "faiss-node: cached addon $FN_KEY"
  rm -rf "$FN_OUT" && mkdir -p "$FN_OUT"
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
