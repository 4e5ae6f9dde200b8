#!/usr/bin/env bash
# On the device machine (16 cores, no JDK): the SIMD engine's speed-up over one thread at 1, 2, 4, 8
# and 16 threads on S1-S6, each result checked bit for bit against one thread's (Scaling), then
# PyTorch's CPU convolution on the same shapes and thread counts (torch_cpu.py). Tables into $OUT.
#   usage: run-on-device.sh BUNDLE [--rounds N] [--shapes S1,S6]   (BUNDLE from prepare.sh)
set -uo pipefail
BUNDLE="$(cd "${1:?usage: run-on-device.sh BUNDLE [options]}" && pwd)"
shift
LOGS="${OUT:-$BUNDLE/out}"
mkdir -p "$LOGS"
JAVA="$BUNDLE/jdk/bin/java"
CP="$(ls "$BUNDLE"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')"
THREADS=1
for t in 2 4 8 16 32 64; do
  if [ "$t" -le "$(nproc)" ]; then THREADS="$THREADS,$t"; fi
done

{ nproc; grep -m1 'model name' /proc/cpuinfo; grep -o -m1 -E 'avx512f|avx2' /proc/cpuinfo; "$JAVA" -version 2>&1 | head -1; } \
  | tee "$LOGS/machine.txt"
echo "== convgrad SIMD, threads $THREADS"
"$JAVA" --add-modules=jdk.incubator.vector -Xmx16g -cp "$CP" org.convgrad.bench.Scaling --threads "$THREADS" "$@" \
  2>&1 | grep -v 'incubator modules' | tee "$LOGS/scaling-convgrad.md"
status=${PIPESTATUS[0]}
echo "== PyTorch CPU, threads $THREADS"
PYTHONUNBUFFERED=1 python3 "$BUNDLE/torch_cpu.py" --threads "$THREADS" "$@" 2>&1 | tee "$LOGS/scaling-torch.md"
exit "$status"
