#!/usr/bin/env bash
# Run ON THE GPU MACHINE (an H200 with driver 580, PyTorch with cuDNN, no JDK), from the
# repository root, with the bundle prepare-bundle.sh made:
#   bash engine/src/test/gpu/run-on-gpu.sh engine/target/gpu-bundle [seconds per measurement]
# 1. the GPU tests (GpuDeviceTest: every strategy against the reference kernel over the emulated
#    tests' problems; determinism over 3 runs and 2 chunkings; engine and AUTO on the device) and
#    the probe tests, through JUnit's console launcher;
# 2. the benchmark of S1-S6: convgrad (GpuBenchmark) and PyTorch's cuDNN (torch_bench.py: float32
#    with TF32 off and on, half), joined by report.py into TFLOP/s and ratios.
# Everything it prints also goes to $OUT (when set) as gpu-tests.log, convgrad.jsonl, torch.jsonl, report.md.
set -uo pipefail
BUNDLE="$(cd "${1:?usage: run-on-gpu.sh BUNDLE [seconds]}" && pwd)"
SECONDS_PER="${2:-1.0}"
LOGS="${OUT:-$BUNDLE/out}"
mkdir -p "$LOGS"
JAVA="$BUNDLE/jdk/bin/java"
CP="$(ls "$BUNDLE"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')"
FLAGS="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED"

nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv | tee "$LOGS/gpu.txt"
"$JAVA" -version 2>&1 | head -1

echo "== GPU tests"
"$JAVA" $FLAGS -jar "$BUNDLE"/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" \
  --select-class org.convgrad.engine.kernel.gpu.GpuDeviceTest \
  --select-class org.convgrad.engine.kernel.gpu.GpuProbeTest \
  --select-class org.convgrad.engine.kernel.gpu.FatbinTest \
  --details=summary --disable-banner 2>&1 | tee "$LOGS/gpu-tests.log"
tests=${PIPESTATUS[0]}

echo "== convgrad benchmark (S1-S6)"
"$JAVA" $FLAGS -cp "$CP" org.convgrad.engine.kernel.gpu.GpuBenchmark --seconds "$SECONDS_PER" \
  --dtypes float32,half,bfloat16 2>&1 | tee "$LOGS/convgrad.jsonl"
echo "== PyTorch cuDNN benchmark (S1-S6)"
PYTHONUNBUFFERED=1 python3 "$BUNDLE/torch_bench.py" --seconds "$SECONDS_PER" 2>&1 | tee "$LOGS/torch.jsonl"
echo "== report"
python3 "$BUNDLE/report.py" "$LOGS/convgrad.jsonl" "$LOGS/torch.jsonl" | tee "$LOGS/report.md"
exit "$tests"
