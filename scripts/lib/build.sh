# shellcheck shell=bash
# Building what a script needs (sourced by demo.sh and bench.sh). A first build on a fresh
# machine takes minutes, so it says so and shows its progress instead of one silent line; the
# compiler's output goes to a log that is printed only when the build fails.

# build_targets WHO TARGET...: configures $BUILD_DIR if needed (RelWithDebInfo) and builds the
# targets with $JOBS jobs. WHO prefixes the messages (stderr). Returns the build's status.
build_targets() {
  local who=$1 log rc=0
  shift
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    echo "$who: configuring $BUILD_DIR" >&2
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log=$(mktemp /tmp/kt-build-XXXXXX.log)
  echo "$who: building $* in $BUILD_DIR: a first build takes about $KT_FIRST_BUILD_MINUTES" \
    "minutes on 2 cores, a rebuild seconds" >&2
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "$@" 2>&1 | build_progress "$who" "$log" || rc=$?
  if ((rc != 0)); then
    cat "$log" >&2
    echo "$who: build failed (exit $rc); the compiler's output is above" >&2
  fi
  rm -f "$log"
  return "$rc"
}

# How long a first build of kuma-tproxy and kt-e2e takes on a 2-core machine: from an empty build
# directory, without ccache, it used 6.7 CPU-minutes (user + system), so about 4-5 minutes of
# wall time on two idle cores (linking is serial); a loaded machine takes longer.
KT_FIRST_BUILD_MINUTES=${KT_FIRST_BUILD_MINUTES:-5}

# Reads the build's output on stdin, keeps it in the log file $2, and prints the progress of the
# compiling and linking steps (a build with nothing to do prints none): on a
# terminal one line that is rewritten, otherwise a line every 10 percent.
build_progress() {
  local who=$1 log=$2 line pct last=-10 start=$SECONDS tty=0
  [[ -t 2 ]] && tty=1
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$log"
    [[ $line =~ ^\[\ *([0-9]+)%\]\ (Building|Linking) ]] || continue
    pct=${BASH_REMATCH[1]}
    if ((tty)); then
      printf '\r%s: build %3d%% after %ds ' "$who" "$pct" $((SECONDS - start)) >&2
    elif ((pct >= last + 10)); then
      printf '%s: build %3d%% after %ds\n' "$who" "$pct" $((SECONDS - start)) >&2
      last=$pct
    fi
  done
  if ((tty)); then printf '\n' >&2; fi
}
