#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for SECONDS each (default 60), one after the other
# (niced: the machine is shared), and merges the inputs that add coverage into the checked-in
# corpus tests/fuzz/corpus/<target>/. Builds the targets first with the `fuzz` CMake preset
# (clang, ASan + UBSan) in build-fuzz/.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]        (no TARGET = all of them)
# Environment: FUZZ_JOBS (build parallelism, default 2), FUZZ_NICE (default 10),
#              FUZZ_RSS_MB (memory limit per input, default 2048), FUZZ_TIMEOUT (seconds per
#              input before it counts as a hang, default 10), FUZZ_NO_MERGE=1 (leave the corpus alone).
#
# A finding (crash, sanitizer report, invariant violation, hang, memory blow-up) stops that
# target: its input is kept as build-fuzz/artifacts/<target>/<kind>-<sha1>, the other targets
# still run, and the script exits 1 listing the findings. Reproduce one with
#   build-fuzz/tests/fuzz/kt_fuzz_<target> build-fuzz/artifacts/<target>/crash-...
# then fix it and copy the input into tests/fuzz/corpus/<target>/ as a regression test (the
# corpus replay CTest tests run it in every build). Per-target statistics (executions, corpus
# growth) are appended to build-fuzz/fuzz-stats.txt; docs/fuzz.md records the campaign numbers.
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
shift || true
if ! [[ $SECONDS_EACH =~ ^[0-9]+$ ]] || ((SECONDS_EACH == 0)); then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
JOBS=${FUZZ_JOBS:-2}
NICE=${FUZZ_NICE:-10}
RSS_MB=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-10}
BUILD_DIR=build-fuzz
FUZZ_DIR=tests/fuzz

mapfile -t all_targets < <(find "$FUZZ_DIR/targets" -name '*.cpp' -printf '%f\n' | sed 's/\.cpp$//' | sort)
targets=("$@")
if ((${#targets[@]} == 0)); then targets=("${all_targets[@]}"); fi
for t in "${targets[@]}"; do
  if [[ ! -f $FUZZ_DIR/targets/$t.cpp ]]; then
    echo "fuzz.sh: no target '$t' (have: ${all_targets[*]})" >&2
    exit 2
  fi
done

# Longest input per target: whole files get room, single values less (shorter inputs = more
# executions per second).
max_len() {
  case $1 in
    annotations_file | config_file | pod_manifest | cni_stdin | conflist | kubeconfig | http_response) echo 16384 ;;
    setting_value) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

# Dictionaries (tests/fuzz/dicts/*.dict) that fit each target, concatenated into one file.
dicts() {
  case $1 in
    annotations_file | pod_annotations) echo annotations ;;
    pod_manifest) echo annotations yaml ;;
    config_file) echo config_file yaml ;;
    cli_flags) echo cli_flags ;;
    iptables_save) echo iptables_save ;;
    kubeconfig) echo kubeconfig yaml ;;
    cni_stdin | conflist | http_response | json_depth) echo json ;;
    *) ;;
  esac
}

cmake --preset fuzz >&2
build_targets=()
for t in "${targets[@]}"; do build_targets+=("kt_fuzz_$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${build_targets[@]}" >&2

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

stats_file=$BUILD_DIR/fuzz-stats.txt
findings=()
for t in "${targets[@]}"; do
  bin=$BUILD_DIR/tests/fuzz/kt_fuzz_$t
  corpus=$FUZZ_DIR/corpus/$t
  artifacts=$BUILD_DIR/artifacts/$t
  work=$(mktemp -d "/tmp/kt-fuzz-$t-$$-XXXXXX")
  mkdir -p "$corpus" "$artifacts"
  trap 'rm -rf "$work"' EXIT

  dict_args=()
  dict_names=$(dicts "$t")
  if [[ -n $dict_names ]]; then
    for d in $dict_names; do cat "$FUZZ_DIR/dicts/$d.dict"; done >"$work/dict"
    dict_args=(-dict="$work/dict")
  fi

  before=$(find "$corpus" -type f | wc -l)
  echo "fuzz.sh: $t for ${SECONDS_EACH}s (corpus: $before files)" >&2
  # New inputs go to $work/new (the first directory); the checked-in corpus is read only here.
  mkdir -p "$work/new"
  rc=0
  nice -n "$NICE" "$bin" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" \
    -rss_limit_mb="$RSS_MB" -max_len="$(max_len "$t")" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict_args[@]}" "$work/new" "$corpus" \
    >"$work/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  if ((rc != 0)); then
    findings+=("$t")
    echo "fuzz.sh: $t: FINDING (exit $rc); log tail:" >&2
    tail -40 "$work/log" >&2
    cp "$work/log" "$artifacts/last.log"
  elif [[ ${FUZZ_NO_MERGE:-0} != 1 ]]; then
    # Keep only the new inputs that add coverage to the checked-in corpus.
    nice -n "$NICE" "$bin" -merge=1 -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
      "$corpus" "$work/new" >"$work/merge.log" 2>&1 || {
      echo "fuzz.sh: $t: merge failed; log tail:" >&2
      tail -20 "$work/merge.log" >&2
      findings+=("$t(merge)")
    }
  fi
  after=$(find "$corpus" -type f | wc -l)
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $t: ${execs:-?} execs in ${SECONDS_EACH}s, corpus $before -> $after files, exit $rc"
  echo "fuzz.sh: $line" >&2
  echo "$line" >>"$stats_file"
  rm -rf "$work"
  trap - EXIT
done

if ((${#findings[@]} > 0)); then
  echo "fuzz.sh: findings in: ${findings[*]} (inputs under $BUILD_DIR/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: no findings" >&2
