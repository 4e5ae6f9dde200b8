#!/bin/sh
# Builds the benchmark module and runs convgrad against TensorFlow and oneDNN (see README.md).
# Extra arguments go to the benchmark, e.g. --shapes S1,S3 --threads 2 --runs 9; MAIN picks another
# benchmark main of the module (org.convgrad.bench.WinogradVsDirect).
# Holds /tmp/convgrad-maven.lock (if flock is there) so that no build on this machine runs beside the timing.
set -e
cd "$(dirname "$0")/.."
JAVA="${JAVA:-java}"
MAIN="${MAIN:-org.convgrad.bench.BackpropInputBenchmark}"
LOCK=""
if command -v flock >/dev/null 2>&1; then LOCK="flock /tmp/convgrad-maven.lock"; fi
$LOCK ./mvnw -B -q -Pbench -pl benchmarks -am package -DskipTests
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
exec $LOCK "$JAVA" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+IgnoreUnrecognizedVMOptions -Djava.awt.headless=true -Xmx8g \
  -cp "benchmarks/target/classes:benchmarks/target/lib/*" "$MAIN" "$@"
