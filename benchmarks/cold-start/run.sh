#!/usr/bin/env bash
# Cold start: what one bin/convgrad run of each shape costs from process start to dx.npy written,
# against the same file-to-file job in PyTorch (torch_job.py, Debian's python3-torch), with and
# without the launcher's class-data archive; interleaved, medians over the runs, in milliseconds.
#   benchmarks/cold-start/run.sh [--runs N] [--shapes S1,S3]      (JAVA_HOME picks the JDK)
# Holds /tmp/convgrad-maven.lock (if flock is there) so that no build runs beside the timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=5
shapes="S1,S2,S3,S4,S5,S6"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --shapes) shapes="$2"; shift 2 ;;
    *) echo "cold-start: unknown option $1 (--runs N, --shapes S1,S3)" >&2; exit 2 ;;
  esac
done
python="${CONVGRAD_PYTHON:-/usr/bin/python3}"
"$python" -c 'import numpy, torch' 2>/dev/null ||
  { echo "cold-start: $python has no numpy or torch (apt-get install python3-numpy python3-torch)" >&2; exit 2; }
if [[ -z "${CONVGRAD_COLD_START_LOCKED:-}" ]] && command -v flock >/dev/null 2>&1; then
  CONVGRAD_COLD_START_LOCKED=1 exec flock /tmp/convgrad-maven.lock "$0" --runs "$runs" --shapes "$shapes"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" benchmarks/cold-start/inputs.py "$work" > "$work/shapes.txt"
threads="$(nproc)"

ms() {
  local start
  start="$(date +%s%N)"
  "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  echo $((($(date +%s%N) - start) / 1000000))
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
spread() { printf '%s (%s-%s)' "$(median "$@")" "$(printf '%s\n' "$@" | sort -n | head -1)" "$(printf '%s\n' "$@" | sort -n | tail -1)"; }

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
echo "cold start, $runs runs, $threads threads; $("$java" -version 2>&1 | head -1); torch $("$python" -c 'import torch; print(torch.__version__)')"
echo
echo "| shape | convgrad (ms) | convgrad, no archive (ms) | PyTorch (ms) | PyTorch / convgrad |"
echo "|---|---|---|---|---|"
while read -r name sizes stride padding; do
  [[ ",$shapes," == *",$name,"* ]] || continue
  IFS=, read -r _ h w _ <<< "$sizes"
  conv=(bin/convgrad backprop-input --input-sizes "$h,$w" --filter "$work/$name-w.npy"
    --out-backprop "$work/$name-dy.npy" --strides "$stride" --padding "$padding" --output "$work/$name-dx.npy")
  torch=("$python" benchmarks/cold-start/torch_job.py "$work/$name-w.npy" "$work/$name-dy.npy"
    "$work/$name-dx-torch.npy" "$h" "$w" "$stride" "$padding" "$threads")
  # Once each untimed: the files in the page cache, the launcher's archive made.
  ms "${conv[@]}" >/dev/null
  ms "${torch[@]}" >/dev/null
  "$python" - "$work/$name-dx.npy" "$work/$name-dx-torch.npy" <<'PY'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
err = float(np.abs(a - b).max() / max(1.0, float(np.abs(b).max())))
if a.shape != b.shape or err > 1e-5:
    sys.exit(f"cold-start: convgrad and PyTorch disagree: shapes {a.shape} {b.shape}, relative error {err}")
PY
  a=() b=() c=()
  for ((r = 0; r < runs; r++)); do
    a+=("$(ms "${conv[@]}")")
    b+=("$(ms env CONVGRAD_CDS=off "${conv[@]}")")
    c+=("$(ms "${torch[@]}")")
  done
  ratio="$(awk -v t="$(median "${c[@]}")" -v c="$(median "${a[@]}")" 'BEGIN { printf "%.2f", t / c }')"
  echo "| $name | $(spread "${a[@]}") | $(spread "${b[@]}") | $(spread "${c[@]}") | $ratio |"
done < "$work/shapes.txt"
