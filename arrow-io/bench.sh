#!/bin/sh
# Runs the arrow-io benchmark (org.convgrad.io.bench.ArrowIoBenchmark): Arrow <-> tensor conversion
# and .npy/.arrow file throughput on a 1 GB batch against System.arraycopy and OS baselines in
# the same run, then peak memory while streaming a 4 GB directory dataset.
#   arrow-io/bench.sh [--dir DIR] [--gb 1] [--dataset-gb 4] [--reps 5]
# Needs about 6 GB of heap and 2x dataset-gb of free disk under DIR (default: java.io.tmpdir);
# everything it writes is deleted at the end. Holds /tmp/convgrad-maven.lock (the machine's build lock) while
# it builds and measures, when flock is available.
set -e
cd "$(dirname "$0")/.."
LOCK=""
if command -v flock >/dev/null 2>&1; then LOCK="flock /tmp/convgrad-maven.lock"; fi
$LOCK ./mvnw -B -q -pl arrow-io -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
FLAGS=$(sed -n 's:.*<convgrad.jvm.flags>\(.*\)</convgrad.jvm.flags>.*:\1:p' pom.xml)
# shellcheck disable=SC2086
exec $LOCK java -Xmx6g $FLAGS \
  -cp "arrow-io/target/classes:arrow-io/target/test-classes:$(cat arrow-io/target/bench-classpath.txt)" \
  org.convgrad.io.bench.ArrowIoBenchmark "$@"
