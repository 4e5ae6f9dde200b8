#!/usr/bin/env bash
# Run HERE (a machine with the JDK and Maven, no GPU needed): assembles what run-on-gpu.sh needs on
# the GPU machine, which has no JDK, into engine/target/gpu-bundle (git-ignored, under the 64 MiB a
# device call may carry): a jlinked Java runtime, the engine's jars and test classes, JCuda (its
# natives jar cut down to the driver binding), slf4j, JUnit's console launcher, and the scripts.
#
#   engine/src/test/gpu/prepare-bundle.sh
#   then, with the device tool: run(command="bash engine/src/test/gpu/run-on-gpu.sh engine/target/gpu-bundle",
#                                   carry=["engine/target/gpu-bundle"], timeout_s=540)
set -euo pipefail
ENGINE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
ROOT="$(cd "$ENGINE/.." && pwd)"
OUT="$ENGINE/target/gpu-bundle"
rm -rf "$OUT"
mkdir -p "$OUT/lib"

(cd "$ROOT" && flock /tmp/convgrad-maven.lock ./mvnw -B -q -pl engine install -DskipTests)
cp "$ENGINE"/target/convgrad-engine-*-tests.jar "$OUT/lib/"
cp "$(ls "$ENGINE"/target/convgrad-engine-*.jar | grep -v tests)" "$OUT/lib/"
(cd "$ENGINE" && flock /tmp/convgrad-maven.lock "$ROOT/mvnw" -B -q dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$OUT/deps" -DexcludeArtifactIds=tensorflow-core-api,tensorflow-core-native,kotlin-stdlib)
for artifact in org.junit.platform:junit-platform-console-standalone:1.14.4 org.slf4j:slf4j-simple:2.0.20; do
  (cd "$ENGINE" && flock /tmp/convgrad-maven.lock "$ROOT/mvnw" -B -q dependency:copy -DoutputDirectory="$OUT/deps" \
    -Dartifact="$artifact")
done
mv "$OUT"/deps/*.jar "$OUT/lib/"
rmdir "$OUT/deps"

# JCuda's natives jar holds four libraries (26 MB); the engine loads only the driver binding.
natives="$(ls "$OUT"/lib/jcuda-natives-*-linux-x86_64.jar)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && unzip -q "$natives" 'lib/libJCudaDriver-*' 'META-INF/*' && rm "$natives" && zip -q -r "$natives" .)

JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$OUT/jdk"
cp "$ENGINE"/src/test/gpu/*.sh "$ENGINE"/src/test/gpu/*.py "$OUT/"
du -sh "$OUT"
du -sb "$OUT" | awk '{ if ($1 > 60 * 1024 * 1024) { print "bundle over 60 MiB: too large to carry"; exit 1 } }'
