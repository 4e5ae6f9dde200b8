# Shared by bin/convgrad and bin/convgrad-spark-submit (sourced, not run): the Java to run, the
# user's extra JVM options, and the one-time build. Every problem is one line on stderr, exit 2.

convgrad_fail() {
  echo "convgrad: $*" >&2
  exit 2
}

# CONVGRAD_JAVA: the java binary, from JAVA_HOME when it is set, else the PATH.
convgrad_find_java() {
  if [[ -n "${JAVA_HOME:-}" ]]; then
    [[ -x "$JAVA_HOME/bin/java" ]] ||
      convgrad_fail "JAVA_HOME=$JAVA_HOME holds no bin/java; point JAVA_HOME at a JDK 17 or newer, or unset it to use the java on the PATH"
    CONVGRAD_JAVA="$JAVA_HOME/bin/java"
  else
    command -v java >/dev/null 2>&1 ||
      convgrad_fail "no java on the PATH; install a JDK 17 or newer, or set JAVA_HOME to one"
    CONVGRAD_JAVA=java
  fi
}

# CONVGRAD_OPTS: CONVGRAD_JAVA_OPTS split as a shell would split it (quotes keep spaces:
# CONVGRAD_JAVA_OPTS='-Xmx8g "-Dsome.path=/a b"'), without running anything it holds.
convgrad_java_opts() {
  CONVGRAD_OPTS=()
  [[ -n "${CONVGRAD_JAVA_OPTS:-}" ]] || return 0
  printf '%s' "$CONVGRAD_JAVA_OPTS" | xargs -r printf '%s\0' >/dev/null 2>&1 ||
    convgrad_fail "CONVGRAD_JAVA_OPTS has an unmatched quote: $CONVGRAD_JAVA_OPTS"
  mapfile -d '' -t CONVGRAD_OPTS < <(printf '%s' "$CONVGRAD_JAVA_OPTS" | xargs -r printf '%s\0')
}

# Builds the project once when the runtime the launchers use is not there yet.
convgrad_build_if_needed() {
  local home="$1" shipped="$1/spark-job/target/spark-home"
  if ! ls "$shipped"/jars/convgrad-spark-job-*.jar "$1"/spark-job/target/convgrad-spark-job-*-app.jar >/dev/null 2>&1 \
      || [[ ! -f "$shipped/jvm.flags" ]]; then
    echo "convgrad: no build found; building it once with ./mvnw (the first time downloads dependencies)..." >&2
    (cd "$home" && ./mvnw -B -q -DskipTests package) >&2 || convgrad_fail "the build failed (see above)"
  fi
}
