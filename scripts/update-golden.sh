#!/usr/bin/env bash
# Regenerates every golden file under tests/golden/expected from the scenarios in
# tests/golden/scenarios: builds kuma-tproxy and the golden runner, then runs the runner with
# KT_UPDATE_GOLDEN=1, which writes each dry-run output instead of comparing it. Review the
# result with `git diff tests/golden/expected` before committing.
#
# Usage: scripts/update-golden.sh            (BUILD_DIR defaults to build)
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j 2 --target kt_golden_tests >&2
KT_UPDATE_GOLDEN=1 "$BUILD_DIR/tests/golden/kt_golden_tests" --gtest_filter='Scenarios/Golden.*' >&2
# The eBPF plans (*.ebpf) have their own runner (it gives the instance IPs and cgroup path).
cmake --build "$BUILD_DIR" -j 2 --target kt_ebpf_golden_tests >&2
KT_UPDATE_GOLDEN=1 "$BUILD_DIR/tests/ebpf/kt_ebpf_golden_tests" --gtest_filter='Scenarios/EbpfGolden.*' >&2
git status --short tests/golden/expected >&2 || true
