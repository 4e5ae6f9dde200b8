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

# CONVGRAD_FLAGS: the JVM options the build wrote ($1, its jvm.flags), those this JDK does not take
# or warns about left out; a JDK older than 17 is refused in one line. The JDK's release file gives
# its version without starting a JVM.
convgrad_jvm_flags() {
  local java release major=0 f kept=()
  java="$(readlink -f "$(command -v "$CONVGRAD_JAVA")" 2>/dev/null)" || java=""
  release="$(dirname "$java")/../release"
  [[ -f "$release" ]] || release="$(dirname "$java")/../../release" # a JDK 8's java is in jre/bin
  if [[ -n "$java" && -f "$release" ]] && [[ "$(grep -m1 '^JAVA_VERSION=' "$release")" =~ ^JAVA_VERSION=\"(1\.)?([0-9]+) ]]; then
    major="${BASH_REMATCH[2]}"
    (( major >= 17 )) || convgrad_fail "$java is Java $major; convgrad needs a JDK 17 or newer (JAVA_HOME picks it)"
  fi
  read -r -a CONVGRAD_FLAGS < "$1"
  (( major > 0 )) || return 0 # an unknown JDK: the list as built, which ignores what the JVM does not know
  # With the version known, only what this JDK takes, so that the JVM refuses a mistyped option of
  # CONVGRAD_JAVA_OPTS (-XX:+IgnoreUnrecognizedVMOptions would ignore it too, silently).
  for f in "${CONVGRAD_FLAGS[@]}"; do
    case "$f" in
      -XX:+IgnoreUnrecognizedVMOptions) ;;
      --sun-misc-unsafe-memory-access=*) (( major < 23 )) || kept+=("$f") ;;
      # gone from JDK 25, though Spark's list of opens still names it: a warning line of its own
      --add-opens=java.base/sun.security.action=*) (( major >= 25 )) || kept+=("$f") ;;
      *) kept+=("$f") ;;
    esac
  done
  CONVGRAD_FLAGS=("${kept[@]}")
}

# CONVGRAD_OPTS: CONVGRAD_JAVA_OPTS split as a shell would split it (quotes keep spaces:
# CONVGRAD_JAVA_OPTS='-Xmx8g "-Dsome.path=/a b"'), without running anything it holds.
convgrad_java_opts() {
  CONVGRAD_OPTS=()
  convgrad_add_opts CONVGRAD_JAVA_OPTS "${CONVGRAD_JAVA_OPTS:-}"
}

# Appends the JVM options in $2 (named $1 in the error) to CONVGRAD_OPTS, split as above.
convgrad_add_opts() {
  local split=()
  [[ -n "$2" ]] || return 0
  printf '%s' "$2" | xargs -r printf '%s\0' >/dev/null 2>&1 || convgrad_fail "$1 has an unmatched quote: $2"
  mapfile -d '' -t split < <(printf '%s' "$2" | xargs -r printf '%s\0')
  CONVGRAD_OPTS+=(${split[@]+"${split[@]}"})
}

# The value of property $1 in the first of the Java properties files $2... that sets it (a file's
# last line for the key wins, as in java.util.Properties); nothing when none does.
convgrad_property() {
  local key="$1" file value
  shift
  for file in "$@"; do
    [[ -r "$file" ]] || continue
    value="$(sed -n -E "s/^[[:space:]]*${key//./\\.}([[:space:]]*[=:][[:space:]]*|[[:space:]]+)(.*[^[:space:]])[[:space:]]*\$/\\2/p" "$file" | tail -n 1)"
    if [[ -n "$value" ]]; then
      printf '%s' "$value"
      return 0
    fi
  done
}

# The -Xmx value for a Spark memory size: a number of MiB, or a number with k, m, g or t (kb, mb,
# gb, tb; b for bytes), any case.
convgrad_heap() {
  local size="${1,,}"
  [[ "$size" =~ ^([0-9]+)([kmgt]?)(b?)$ ]] ||
    convgrad_fail "driver memory '$1' (--driver-memory or spark.driver.memory) is not a size: expected, for example, 4g or 512m"
  if [[ -n "${BASH_REMATCH[2]}" ]]; then
    echo "${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
  elif [[ -n "${BASH_REMATCH[3]}" ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo "${BASH_REMATCH[1]}m"
  fi
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

# CONVGRAD_CDS_FLAGS, CONVGRAD_CDS_DUMP: class-data sharing for a launcher's JVM, to start faster
# (the classes a run loads are parsed and verified once, then mapped by every later run). The
# archives live in the build ($1/cds), one per launcher ($2), JDK, JVM options ($3) and set of
# jars. When there is none, CONVGRAD_CDS_DUMP names the temporary file this run dumps at exit, for
# convgrad_cds_commit to check and rename into place: no JVM ever maps a torn archive (one crashes
# the JVM). CONVGRAD_CDS=off, or -Xshare or an archive option of one's own, turns it off.
convgrad_cds() {
  local dir="$1/cds" java group version archive
  CONVGRAD_CDS_FLAGS=()
  CONVGRAD_CDS_DUMP=""
  [[ "${CONVGRAD_CDS:-on}" != off ]] || return 0
  case "${CONVGRAD_OPTS[*]-}" in *Xshare*|*SharedArchive*|*ArchiveClasses*|*AOTCache*) return 0 ;; esac
  java="$(readlink -f "$(command -v "$CONVGRAD_JAVA")")" || return 0
  mkdir -p "$dir" 2>/dev/null && [[ -w "$dir" ]] || return 0
  # A group's archive is replaced when the JDK or the jars change (version).
  group="$(echo "$java $3" | cksum | cut -d' ' -f1)"
  version="$( { stat -L -c '%n %Y %s' "$java" "$(dirname "$java")"/../lib/*/libjvm.so
    ls -l --time-style=+%s "$1/jars"; } 2>/dev/null | cksum | cut -d' ' -f1)"
  archive="$dir/$2-$group-$version.jsa"
  if [[ -f "$archive" ]]; then
    touch -c "$archive" 2>/dev/null || true # last used now: the archives kept are those last used
    CONVGRAD_CDS_FLAGS=(-Xlog:cds*=off -XX:SharedArchiveFile="$archive")
  elif convgrad_cds_fits "$dir"; then
    CONVGRAD_CDS_DUMP="$archive.tmp.$$"
    CONVGRAD_CDS_FLAGS=(-Xlog:cds*=off -XX:ArchiveClassesAtExit="$CONVGRAD_CDS_DUMP")
  fi
}

# Whether an archive (15-90 MB) can be written in $1: a JVM that cannot write its dump at exit
# prints four lines and exits 1, after the run's own work succeeded. So no dump under a file-size
# limit or with less than 256 MiB free; such runs start as they would without archives.
convgrad_cds_fits() {
  local free
  [[ "$(ulimit -f)" == unlimited ]] || return 1
  free="$(df -Pk "$1" 2>/dev/null | awk 'NR == 2 { print $4 }')" || return 1
  [[ "$free" =~ ^[0-9]+$ ]] && ((free >= 262144))
}

# After a run that dumped an archive: keeps it if a JVM maps it as it is ("$@": that JVM's options
# and class path, without the archive ones), else drops it; the group's stale archives go. A run
# that failed keeps its archive too (it holds fewer classes): each group dumps once, not once per
# failure (a Spark driver's dump takes seconds).
convgrad_cds_commit() {
  local dump="$CONVGRAD_CDS_DUMP" archive="${CONVGRAD_CDS_DUMP%.tmp.*}"
  [[ -n "$dump" && -f "$dump" ]] || return 0
  local dir="${archive%/*}" group="${archive%-*}"
  if "$CONVGRAD_JAVA" "$@" -Xlog:cds*=off -XX:ErrorFile="$dir/hs_err_%p.log" -Xshare:on \
      -XX:SharedArchiveFile="$dump" -version >/dev/null 2>&1 && mv -f "$dump" "$archive" 2>/dev/null; then
    # Housekeeping: another launcher pruning at the same time must not fail this one's run.
    find "$dir" -maxdepth 1 -ignore_readdir_race -name "${group##*/}-*.jsa" ! -path "$archive" -delete 2>/dev/null || true
    convgrad_cds_prune "$dir" "${group##*/}" || true
  fi
  rm -f "$dump"
}

# Keeps the launcher's 4 archives last used and removes the others:
# each holds 15-90 MB, and every set of JVM options (each --driver-memory, say) has its own.
# $2: an archive's name up to its group ("cli-123"), whose launcher's archives are counted.
convgrad_cds_prune() {
  local dir="$1" launcher="${2%-*}" f
  # Dumps of runs killed before their launcher could remove them (SIGKILL), an hour old.
  find "$dir" -maxdepth 1 -ignore_readdir_race -name "$launcher-*.jsa.tmp.*" -mmin +60 -delete 2>/dev/null || true
  find "$dir" -maxdepth 1 -ignore_readdir_race -name "$launcher-*.jsa" -printf '%T@ %p\n' 2>/dev/null | LC_ALL=C sort -rn |
    tail -n +5 | cut -d' ' -f2- | while IFS= read -r f; do rm -f -- "$f"; done
}

# Runs java with the archive convgrad_cds chose and the arguments after $1, of which the first $1
# are the JVM's options and class path: by exec, or, when this run dumps an archive, as a child
# whose exit status is the launcher's once the archive is committed.
convgrad_cds_exec() {
  local jvm="$1"
  shift
  if [[ -z "$CONVGRAD_CDS_DUMP" ]]; then
    exec "$CONVGRAD_JAVA" ${CONVGRAD_CDS_FLAGS[@]+"${CONVGRAD_CDS_FLAGS[@]}"} "$@"
  fi
  local rc=0 child="" stopped=""
  trap 'rm -f "$CONVGRAD_CDS_DUMP"' EXIT # an interrupted run leaves no dump behind
  # A signal to the launcher (Ctrl-C, a scheduler's SIGTERM to its pid) goes on to the JVM, which
  # stops as it would have stopped itself; bash alone would exit and leave it running. In the
  # background (where bash has it ignore SIGINT), with the launcher's standard input. The traps come
  # first, so that a signal during the start is not lost.
  trap 'stopped=130; [[ -z "$child" ]] || kill -TERM "$child" 2>/dev/null || true' INT
  trap 'stopped=143; [[ -z "$child" ]] || kill -TERM "$child" 2>/dev/null || true' TERM
  trap 'stopped=129; [[ -z "$child" ]] || kill -TERM "$child" 2>/dev/null || true' HUP
  "$CONVGRAD_JAVA" "${CONVGRAD_CDS_FLAGS[@]}" "$@" <&0 &
  child=$!
  [[ -z "$stopped" ]] || kill -TERM "$child" 2>/dev/null || true
  wait "$child" || rc=$?
  while kill -0 "$child" 2>/dev/null; do # the wait was cut short by a signal: the JVM is still stopping
    rc=0
    wait "$child" || rc=$?
  done
  trap - TERM INT HUP
  if [[ -n "$stopped" ]]; then
    exit "$stopped" # as the shell reports the signal (130 for Ctrl-C), whatever the JVM said
  fi
  convgrad_cds_commit "${@:1:$jvm}"
  exit "$rc"
}
