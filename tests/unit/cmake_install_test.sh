#!/usr/bin/env bash
# `cmake --install` with the default options: no kumactl name in the prefix (it would shadow
# Kuma's own kumactl), an existing kumactl left exactly as it was, the program and kuma-cni in
# place. Usage: cmake_install_test.sh BUILD_DIR (a built tree).
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/../../scripts/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
build=$1
tmp=$(mktemp -d /tmp/kt-install-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

mkdir -p "$tmp/with/bin" "$tmp/empty"
printf '#!/bin/sh\necho the real kumactl\n' >"$tmp/with/bin/kumactl"
chmod +x "$tmp/with/bin/kumactl"
cp "$tmp/with/bin/kumactl" "$tmp/expected"

cmake --install "$build" --prefix "$tmp/with" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "cmake --install"; }
[[ -L $tmp/with/bin/kumactl ]] && fail "the existing kumactl was replaced by a symlink"
cmp -s "$tmp/expected" "$tmp/with/bin/kumactl" || fail "the existing kumactl was changed"
[[ -x $tmp/with/bin/kuma-tproxy ]] || fail "kuma-tproxy not installed"

cmake --install "$build" --prefix "$tmp/empty" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "cmake --install"; }
[[ -e $tmp/empty/bin/kumactl || -L $tmp/empty/bin/kumactl ]] && fail "kumactl installed by default"
[[ $(readlink "$tmp/empty/bin/kuma-cni") == kuma-tproxy ]] || fail "kuma-cni link missing in the prefix"
echo "ok: no kumactl by default, an existing one untouched"
