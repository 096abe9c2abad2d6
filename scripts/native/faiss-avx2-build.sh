#!/usr/bin/env bash
# Builds a static libfaiss with AVX2/FMA/F16C kernels from Debian's own faiss
# source package (install.sh step 4, INSTALL-NOTES "Route B"):
#   faiss-avx2-build.sh SOURCE_VERSION PREFIX WORKDIR "CXXFLAGS"
# Debian's libfaiss-dev is compiled for baseline x86-64 (SSE2 only), so every
# distance kernel is scalar/SSE: one IVF search scanning 16k 512-d templates
# costs ~6 ms of CPU there and ~1.5 ms with these flags (src/SERVICE.md).
# The source comes through apt from the URIs, suites and components of this
# machine's own apt sources, as deb-src entries in a private list (the
# system's lists and cache are not touched), so it needs no other network.
# Only the `faiss` library target is built (GPU, Python, C API, tests off),
# with OpenBLAS and OpenMP, on every core; it is installed under PREFIX
# (lib/libfaiss.a, include/faiss/*.h). Exits non-zero on any failure: the
# caller falls back to Debian's prebuilt library.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: faiss-avx2-build.sh SOURCE_VERSION PREFIX WORKDIR CXXFLAGS" >&2; exit 2; }
VERSION="$1" PREFIX="$2" WORK="$3" FLAGS="$4"
rm -rf "$WORK"
# The work folder (apt lists, sources, objects: ~300 MB) goes whatever happens.
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/apt/parts" "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/get"

# deb-src twins of the enabled sources (deb822 .sources and one-line .list files).
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$WORK/apt/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f" >> "$WORK/apt/parts/facegate-src.list"
done
shopt -u nullglob
APT=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$WORK/apt/parts"
     -o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache" -o "Debug::NoLocking=1"
     -o "APT::Sandbox::User=$(id -un)")
apt-get "${APT[@]}" -qq update
(cd "$WORK/get" && apt-get "${APT[@]}" -qq source --download-only "faiss=$VERSION")
# dpkg-source applies Debian's patches (the same tree Debian's libfaiss-dev is built from).
(cd "$WORK/get" && dpkg-source -q -x faiss_*.dsc "$WORK/src")

# FAISS_OPT_LEVEL=generic with the flags on every file: the whole library gets
# the __AVX2__ code paths (faiss's own "avx2" level would build both variants).
cmake -S "$WORK/src" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
  -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DFAISS_ENABLE_C_API=OFF -DBUILD_TESTING=OFF \
  -DBUILD_SHARED_LIBS=OFF -DFAISS_OPT_LEVEL=generic -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DBLA_VENDOR=OpenBLAS "-DCMAKE_CXX_FLAGS=$FLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" >/dev/null
cmake --build "$WORK/build" --target faiss -j"$(nproc)"
cmake --install "$WORK/build" >/dev/null
test -f "$PREFIX/lib/libfaiss.a" && test -f "$PREFIX/include/faiss/IndexIVFFlat.h"
