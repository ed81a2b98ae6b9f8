#!/usr/bin/env bash
# One command: install dependencies, configure, build and run every test tier (unit, kernel, e2e),
# the sanitizer pass and the image tests. Kernel and e2e tests need root; CI runs as root.
# Usage: scripts/test.sh [extra ctest args]
#
# Stages (each one's wall time is printed at the end, also when one fails; docs/development.md
# keeps the measured table):
#   install-deps     scripts/install-deps.sh
#   lint             scripts/lint.sh: shellcheck and the failure-report check of every script
#   format           clang-format check of every tracked C/C++ file
#   (background)     scripts/build-images.sh, niced, from the start until the images stage
#   configure+build  RelWithDebInfo, warnings as errors, everything (build/)
#   ctest            every test
#   asan build       ASan + UBSan (preset asan, build-asan/): only the unit and kernel test
#                    executables and the programs they run (targets kt_tests_unit, kt_tests_kernel)
#   asan tests       the unit and kernel tiers in that build
#   images           waits for the background image build, then scripts/test-images.sh
#
# Knobs: JOBS (build parallelism, default nproc), CTEST_JOBS (test parallelism, see below),
# KT_SKIP_SANITIZERS=1, KT_SANITIZER_LABELS (default unit|kernel), KT_SKIP_IMAGES=1,
# KT_ALLOW_SKIPS=1.
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# Most kernel and e2e tests wait on the kernel, on child programs and on the network rather than
# compute, so more of them than cores run at once; each names its namespaces, cgroups and mounts
# with its pid, and tests that must run alone are marked RUN_SERIAL.
CTEST_JOBS=${CTEST_JOBS:-$((2 * JOBS))}

log() { echo "test.sh: $*" >&2; }

# ---- Stage timing ----
STAGE_NAMES=()
STAGE_SECONDS=()
CURRENT_STAGE=""
CURRENT_START=0
stage_begin() {
  CURRENT_STAGE=$1
  CURRENT_START=$SECONDS
  log "== $1"
}
stage_end() {
  STAGE_NAMES+=("$CURRENT_STAGE")
  STAGE_SECONDS+=("$((SECONDS - CURRENT_START))")
  CURRENT_STAGE=""
}
# Runs "$@" as stage $1. A failure ends the script (set -e) with the stage marked as failed.
run_stage() {
  stage_begin "$1"
  shift
  "$@"
  stage_end
}
stage_skipped() {
  STAGE_NAMES+=("$1 (skipped: $2)")
  STAGE_SECONDS+=("-")
}
print_stage_times() {
  local i
  echo "test.sh: stage times (wall clock, seconds)" >&2
  for i in "${!STAGE_NAMES[@]}"; do
    printf 'test.sh:   %-40s %6s\n' "${STAGE_NAMES[$i]}" "${STAGE_SECONDS[$i]}" >&2
  done
  if [[ -n $CURRENT_STAGE ]]; then
    printf 'test.sh:   %-40s %6s\n' "$CURRENT_STAGE (FAILED)" "$((SECONDS - CURRENT_START))" >&2
  fi
  printf 'test.sh:   %-40s %6s\n' "total" "$SECONDS" >&2
}

# ---- Background image build ----
# scripts/build-images.sh (debootstrap of the base image the first time, apt-get of the build
# stage's packages, a Release build of the program inside the build image) is the longest step
# of the image tests and half of it waits on the network and the disk. It starts before the
# main build and runs niced next to the build and the tests, with its own tag (removed at exit)
# so that a concurrent build of another tag cannot swap the images under the test.
IMAGE_TAG=test-$$
IMAGE_PID=""
IMAGE_LOG=""
start_image_build() {
  IMAGE_LOG=$(mktemp /tmp/kt-build-images-XXXXXX.log)
  log "building the images in the background (tag $IMAGE_TAG, log $IMAGE_LOG)"
  # Its own process group (setsid), so that an early exit stops the whole build (buildah too).
  # shellcheck disable=SC2016  # expanded by the inner shell
  TAG=$IMAGE_TAG setsid bash -c 'start=$SECONDS
    nice -n 10 scripts/build-images.sh >"$1" 2>&1
    rc=$?
    echo "$((SECONDS - start))" >"$1.seconds"
    exit "$rc"' build-images "$IMAGE_LOG" &
  IMAGE_PID=$!
}
# Waits for the image build; its failure (with its log) fails the run.
wait_image_build() {
  local rc=0
  wait "$IMAGE_PID" || rc=$?
  IMAGE_PID=""
  STAGE_NAMES+=("image build (background)")
  STAGE_SECONDS+=("$(cat "$IMAGE_LOG.seconds" 2>/dev/null || echo '?')")
  if ((rc != 0)); then
    log "the image build failed (exit $rc); its log, $IMAGE_LOG:"
    cat "$IMAGE_LOG" >&2
    return "$rc"
  fi
  log "image build done: $(grep -c '' "$IMAGE_LOG") log lines in $IMAGE_LOG"
}
run_image_tests() {
  wait_image_build
  SKIP_BUILD=1 TAG=$IMAGE_TAG BUILD_DIR="$BUILD_DIR" scripts/test-images.sh
}

ctest_log=""
cleanup() {
  local rc=$?
  if [[ -n $IMAGE_PID ]]; then
    kill -TERM -- "-$IMAGE_PID" 2>/dev/null || true
    wait "$IMAGE_PID" 2>/dev/null || true
  fi
  if [[ -n $IMAGE_LOG ]] && command -v buildah >/dev/null; then
    buildah rmi "kuma-tproxy-init:$IMAGE_TAG" "kuma-tproxy-cni:$IMAGE_TAG" >/dev/null 2>&1 || true
  fi
  [[ -n $ctest_log ]] && rm -f "$ctest_log"
  print_stage_times
  exit "$rc"
}
trap cleanup EXIT

# ---- Stages ----
format_check() {
  # clang-format picks the nearest .clang-format (the root's; bpf/ has kernel style).
  local files
  mapfile -t files < <(git ls-files -- '*.c' '*.h' '*.cc' '*.cpp' '*.hpp')
  if ((${#files[@]} == 0)); then
    log "format: no tracked C/C++ files (not a git checkout?)"
    return 1
  fi
  if ! clang-format --dry-run --Werror "${files[@]}"; then
    log "format: the files above are not formatted; run clang-format -i on them"
    return 1
  fi
  log "format: ${#files[@]} files clean"
}

configure_and_build() {
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKT_WERROR=ON >&2
  cmake --build "$BUILD_DIR" -j "$JOBS" >&2
}

run_tests() {
  if [[ $(id -u) -ne 0 ]]; then
    log "not root: kernel and e2e tests will report themselves as skipped"
  fi
  ctest_log=$(mktemp /tmp/kt-ctest-XXXXXX.log)
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$CTEST_JOBS" "$@" | tee "$ctest_log"
  # As root nothing may skip (CTest reports a GTEST_SKIP as "Not Run", not as passed): a skipped
  # test is a test that did not prove anything. KT_ALLOW_SKIPS=1 accepts them.
  if [[ $(id -u) -eq 0 && ${KT_ALLOW_SKIPS:-0} != 1 ]] && grep -q "tests did not run" "$ctest_log"; then
    log "tests were skipped although running as root (see the list above)"
    return 1
  fi
}

# ---- Sanitizer pass ----
# The unit and kernel tiers again, built with AddressSanitizer + UndefinedBehaviorSanitizer (CMake
# preset `asan`, g++, -O1, build-asan/). The preset's test environment sets halt_on_error for
# both, so any sanitizer report fails the run. Only the tiers' executables and the programs they
# run are built: each tier has a build target kt_tests_<label> (cmake/KtTest.cmake).
SANITIZER_LABELS=${KT_SANITIZER_LABELS:-unit|kernel}
asan_build() {
  local targets=() labels=() label
  IFS='|' read -r -a labels <<<"$SANITIZER_LABELS"
  for label in "${labels[@]}"; do targets+=("kt_tests_$label"); done
  cmake --preset asan >&2
  cmake --build build-asan -j "$JOBS" --target "${targets[@]}" >&2
}
asan_tests() {
  ctest --preset asan -j "$CTEST_JOBS" -L "$SANITIZER_LABELS" "$@"
}

run_stage "install-deps" scripts/install-deps.sh
# Seconds: shellcheck and the failure-report check of every script, before the long build.
run_stage "lint" scripts/lint.sh
run_stage "format" format_check

images=0
if [[ $(id -u) -eq 0 && ${KT_SKIP_IMAGES:-0} != 1 ]] && command -v buildah >/dev/null; then
  images=1
  start_image_build
fi

run_stage "configure+build" configure_and_build
run_stage "ctest (unit, kernel, e2e)" run_tests "$@"

if [[ ${KT_SKIP_SANITIZERS:-0} != 1 ]]; then
  run_stage "asan build" asan_build
  run_stage "asan tests ($SANITIZER_LABELS)" asan_tests "$@"
else
  stage_skipped "asan" "KT_SKIP_SANITIZERS=1"
fi

# The images: built with buildah (above, in the background) and proven with real traffic.
if ((images)); then
  run_stage "images (wait for build + test-images.sh)" run_image_tests
elif [[ $(id -u) -ne 0 || ${KT_SKIP_IMAGES:-0} == 1 ]]; then
  stage_skipped "images" "need root; KT_SKIP_IMAGES=${KT_SKIP_IMAGES:-0}"
else
  # test-images.sh says why it cannot run (buildah missing) and exits 0.
  run_stage "images" scripts/test-images.sh
fi
