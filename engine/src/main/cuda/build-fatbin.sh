#!/usr/bin/env bash
# Builds convgrad.fatbin, the engine's CUDA kernels (cubins for sm_80, sm_86, sm_89, sm_90 and PTX
# for compute_90, so newer GPUs JIT it), from the .cu/.cuh files beside this script, and writes the
# stamp beside it: the nvcc version, the flags, a SHA-256 of the sources and one of the fatbin.
# Both files are committed, so that a machine without nvcc builds the engine.
#
#   build-fatbin.sh            rebuild the fatbin and its stamp (after editing a kernel)
#   build-fatbin.sh --check    what the engine's Maven build runs (generate-resources): fails when
#                              the sources, the flags or the fatbin differ from the stamp; where
#                              nvcc is present and its version is the stamp's, also rebuilds into
#                              a temporary file and compares bytes (nvcc 13.0 output was checked to
#                              be byte-reproducible, also from another directory); where cuobjdump
#                              is present, checks that the fatbin lists the cubins and PTX it claims.
#   build-fatbin.sh --check=hash   the same without the rebuild (quicker local builds)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="$HERE/../resources/org/convgrad/engine/kernel/gpu"
FATBIN="$OUT_DIR/convgrad.fatbin"
STAMP="$OUT_DIR/convgrad.fatbin.stamp"
NVCC="${NVCC:-nvcc}"
ARCHS="80 86 89 90"
PTX_ARCH=90

# Every flag that changes the code. --fmad=false with the kernels' explicit fmaf keeps the GPU's
# roundings those of the host emulation.
FLAGS="-fatbin -std=c++17 -O3 --fmad=false"
for a in $ARCHS; do FLAGS="$FLAGS -gencode arch=compute_$a,code=sm_$a"; done
FLAGS="$FLAGS -gencode arch=compute_$PTX_ARCH,code=compute_$PTX_ARCH"

die() { echo "convgrad.fatbin: $*" >&2; exit 1; }

sources_sha() {
  # The name and contents of each kernel source, in a fixed order.
  (cd "$HERE" && LC_ALL=C ls -1 -- *.cu *.cuh | while read -r f; do
    printf '%s %s\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)"
  done) | sha256sum | cut -d' ' -f1
}

nvcc_version() { "$NVCC" --version | sed -n 's/.*release [0-9.]*, V\([0-9.]*\).*/\1/p'; }

stamp_value() { sed -n "s/^$1=//p" "$STAMP"; }

build() {  # build <output>
  (cd "$HERE" && "$NVCC" $FLAGS -o "$1" convgrad.cu)
}

check_listing() {
  local list
  list="$(cuobjdump --list-elf --list-ptx "$FATBIN")"
  for a in $ARCHS; do
    grep -q "sm_$a" <<<"$(grep -i elf <<<"$list")" || die "cuobjdump lists no cubin for sm_$a: $list"
  done
  grep -i ptx <<<"$list" | grep -q "sm_$PTX_ARCH" || die "cuobjdump lists no PTX for compute_$PTX_ARCH: $list"
  echo "convgrad.fatbin: cuobjdump lists cubins for sm_${ARCHS// /, sm_} and PTX for compute_$PTX_ARCH"
}

case "${1:-}" in
  "")
    command -v "$NVCC" >/dev/null || die "nvcc not found (set NVCC or put it on the PATH)"
    mkdir -p "$OUT_DIR"
    build "$FATBIN"
    {
      echo "# Written by engine/src/main/cuda/build-fatbin.sh; checked by the engine's build (build-fatbin.sh --check)."
      echo "nvcc=$(nvcc_version)"
      echo "flags=$FLAGS"
      echo "sources=$(sources_sha)"
      echo "fatbin=$(sha256sum < "$FATBIN" | cut -d' ' -f1)"
    } > "$STAMP"
    echo "convgrad.fatbin: built $(stat -c %s "$FATBIN") bytes with nvcc $(nvcc_version)"
    ;;
  --check|--check=full|--check=hash)
    [[ -f "$FATBIN" && -f "$STAMP" ]] || die "missing $FATBIN or its stamp: run $0"
    [[ "$(sources_sha)" == "$(stamp_value sources)" ]] ||
      die "STALE: the kernel sources in src/main/cuda changed since the fatbin was built; run engine/src/main/cuda/build-fatbin.sh and commit the fatbin and its stamp"
    [[ "$FLAGS" == "$(stamp_value flags)" ]] ||
      die "STALE: build-fatbin.sh's flags changed since the fatbin was built ('$(stamp_value flags)'); run engine/src/main/cuda/build-fatbin.sh"
    [[ "$(sha256sum < "$FATBIN" | cut -d' ' -f1)" == "$(stamp_value fatbin)" ]] ||
      die "the fatbin's SHA-256 is not the one its stamp records: it was not written by build-fatbin.sh; run engine/src/main/cuda/build-fatbin.sh"
    if [[ "$1" == "--check=hash" ]]; then
      echo "convgrad.fatbin: sources, flags and fatbin match the stamp (byte comparison not asked for)"
    elif ! command -v "$NVCC" >/dev/null; then
      echo "convgrad.fatbin: sources, flags and fatbin match the stamp; no nvcc here, so no byte comparison"
    elif [[ "$(nvcc_version)" != "$(stamp_value nvcc)" ]]; then
      echo "convgrad.fatbin: sources, flags and fatbin match the stamp; nvcc $(nvcc_version) is not the stamp's $(stamp_value nvcc), so no byte comparison" >&2
    else
      tmp="$(mktemp -d)"
      trap 'rm -rf "$tmp"' EXIT
      build "$tmp/convgrad.fatbin"
      cmp -s "$tmp/convgrad.fatbin" "$FATBIN" ||
        die "STALE: a fresh build with nvcc $(nvcc_version) differs from the committed fatbin; run engine/src/main/cuda/build-fatbin.sh"
      echo "convgrad.fatbin: matches its sources (stamp, and a fresh nvcc $(nvcc_version) build byte for byte)"
    fi
    if command -v cuobjdump >/dev/null; then check_listing; fi
    ;;
  *)
    echo "usage: $0 [--check[=full|=hash]]" >&2
    exit 2
    ;;
esac
