#!/usr/bin/env bash
# Run HERE (JDK and Maven, no GPU needed): adds the benchmark classes and the scaling scripts to the
# GPU bundle (engine/src/test/gpu/prepare-bundle.sh: a jlinked JDK and the engine's jars), which the
# device machine, with its 16 cores and no JDK, runs:
#
#   benchmarks/scaling/prepare.sh
#   then, with the device tool: run(command="bash benchmarks/scaling/run-on-device.sh engine/target/gpu-bundle",
#                                   carry=["engine/target/gpu-bundle"], timeout_s=420)
#
# JAVA_HOME picks the JDK that is jlinked (JDK 25: JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUNDLE="$ROOT/engine/target/gpu-bundle"
bash "$ROOT/engine/src/test/gpu/prepare-bundle.sh"
(cd "$ROOT" && flock /tmp/convgrad-maven.lock ./mvnw -B -q -pl benchmarks -am compile)
# The benchmark classes alone: Scaling needs only the engine; TensorFlow and oneDNN stay behind.
jar cf "$BUNDLE/lib/convgrad-benchmarks.jar" -C "$ROOT/benchmarks/target/classes" .
cp "$HERE/torch_cpu.py" "$HERE/run-on-device.sh" "$BUNDLE/"
du -sb "$BUNDLE" | awk '{ if ($1 > 60 * 1024 * 1024) { print "bundle over 60 MiB: too large to carry"; exit 1 } }'
