#!/usr/bin/env bash
# The main job in one command: intercept a throwaway pod's traffic, show where it went, undo it.
#
#   sudo scripts/demo.sh [install flags...]        e.g.  sudo scripts/demo.sh --backend nftables
#
# Installs the dependencies (scripts/install-deps.sh), builds kuma-tproxy and the kt-e2e helper
# if needed, then creates two network namespaces joined by a veth pair:
#   pod   10.0.0.1 fd00::1   a fake sidecar (uid 5678) on 15001/15006/15010/15053,
#                            the application's server (uid 1000) on :80
#   peer  10.0.0.2 fd00::2   a server on :8080 and a DNS resolver on :53
# runs `kuma-tproxy install` in the pod (default backend, your flags appended), shows where the
# application's outbound, inbound and DNS traffic goes, runs `kuma-tproxy uninstall`, shows the
# same traffic going direct, and removes everything it created (also on Ctrl-C or failure).
# With --backend ebpf (or --ebpf-enabled) the demo is also the node: it creates a scratch cgroup v2
# directory for the pod's processes and a scratch bpffs, passes them as --ebpf-cgroup-path and
# --ebpf-bpffs-path (and --ebpf-instance-ip 10.0.0.1), and removes every program and pin at the end.
# Environment: BUILD_DIR (default build), JOBS (build parallelism, default nproc),
# KUMA_SKIP_DEPS=1 (skip install-deps.sh).
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: sudo scripts/demo.sh [install flags...]      e.g.  sudo scripts/demo.sh --backend nftables

Creates a throwaway pod and peer (two network namespaces), runs `kuma-tproxy install` in the pod
with the flags given (default backend when none), shows where the pod's outbound, inbound and DNS
traffic goes, runs `kuma-tproxy uninstall`, shows the same traffic going direct, and removes
everything it created. Needs root. Builds kuma-tproxy and kt-e2e first when needed.

  -h, --help   this text (nothing is built or installed)

Environment: BUILD_DIR (default build), JOBS (build parallelism, default nproc),
KUMA_SKIP_DEPS=1 (skip scripts/install-deps.sh).
EOF
}
for arg in "$@"; do
  case $arg in -h | --help) usage; exit 0 ;; esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: needs root (network namespaces, netfilter): run it with sudo" >&2
  exit 1
fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
TPROXY=$BUILD_DIR/src/kuma-tproxy
TOOL=$BUILD_DIR/tests/e2e/kt-e2e

POD=ktdemo-$$-pod
PEER=ktdemo-$$-peer
# shellcheck source=scripts/lib/pod.sh
source scripts/lib/pod.sh
# shellcheck source=scripts/lib/build.sh
source scripts/lib/build.sh

EBPF=0
for arg in "$@"; do
  case $arg in --backend=ebpf | --ebpf-enabled | --ebpf-enabled=true) EBPF=1 ;; esac
done
prev=""
for arg in "$@"; do
  if [[ $prev == --backend && $arg == ebpf ]]; then EBPF=1; fi
  prev=$arg
done
BPFFS=""
POD_CGROUP=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  pod_cleanup
  if [[ -n $BPFFS ]]; then
    # A throwaway node: detach and unpin everything of ours, then drop the scratch mount.
    "$TPROXY" uninstall --backend ebpf --ebpf-all --ebpf-bpffs-path "$BPFFS" 2>/dev/null || true
    umount "$BPFFS" 2>/dev/null || true
    rmdir "$BPFFS" 2>/dev/null || true
  fi
  if [[ -n $POD_CGROUP ]]; then rmdir "$POD_CGROUP" 2>/dev/null || true; fi
  if ((rc == 0)); then echo; echo "done: namespaces and processes removed"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
  if [[ -t 1 ]]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi
}

# --- dependencies and build (progress shown; the compiler's output only on failure) -------------
scripts/install-deps.sh
build_targets demo.sh kuma-tproxy kt-e2e

# --- the pod and its peer ----------------------------------------------------------------------
ebpf_args=()
if ((EBPF)); then
  cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  if [[ -z $cgroup2 ]]; then
    echo "demo.sh: the eBPF backend needs cgroup v2, and none is mounted (see /proc/mounts)" >&2
    exit 1
  fi
  POD_CGROUP=$cgroup2/ktdemo-$$
  mkdir "$POD_CGROUP"
  BPFFS=$(mktemp -d /tmp/ktdemo-$$-bpffs-XXXXXX)
  mount -t bpf bpf "$BPFFS"
  ebpf_args=(--ebpf-cgroup-path "$POD_CGROUP" --ebpf-bpffs-path "$BPFFS" --ebpf-instance-ip 10.0.0.1)
fi
pod_create
pod_start_services

# --- what to show ------------------------------------------------------------------------------
# One line per attempt: what was tried, and where it ended up according to whoever answered.
describe() {  # $1 = pod_where result
  case $1 in
    sidecar*) read -r _ port orig <<<"$1"; echo "sidecar $port, original destination $orig" ;;
    "direct "*) echo "${1#direct } directly" ;;
    "dns sidecar") echo "the sidecar's DNS proxy" ;;
    "dns peer") echo "the peer's resolver" ;;
    *) echo "no answer" ;;
  esac
}
probe() {  # $1 = label, $2 = what, rest = pod_probe arguments
  local label=$1 what=$2
  shift 2
  printf '  %-9s %-30s -> %s\n' "$label" "$what" "$(describe "$(pod_probe "$@")")"
}
show() {
  probe outbound "app -> 10.0.0.2:8080" app connect --to 10.0.0.2:8080
  probe outbound "app -> [fd00::2]:8080" app connect --to "[fd00::2]:8080"
  probe inbound "peer -> 10.0.0.1:80" peer connect --to 10.0.0.1:80
  probe inbound "peer -> [fd00::1]:80" peer connect --to "[fd00::1]:80"
  probe DNS "app asks 10.0.0.2:53" app dns --to 10.0.0.2:53
  probe DNS "app asks [fd00::2]:53" app dns --to "[fd00::2]:53" --type AAAA
  probe sidecar "uid 5678 -> 10.0.0.2:8080" sidecar connect --to 10.0.0.2:8080
}

echo
echo "pod  $POD: 10.0.0.1 fd00::1, fake sidecar (uid 5678), app on :80 (uid 1000)"
echo "peer $PEER: 10.0.0.2 fd00::2, server on :8080, DNS resolver on :53"

install_args=(install --netns "/run/netns/$POD" --kuma-dp-user=5678 --redirect-all-dns-traffic "${ebpf_args[@]}" "$@")
step "kuma-tproxy ${install_args[*]}"
if ! "$TPROXY" "${install_args[@]}"; then
  echo "demo.sh: kuma-tproxy install failed (see above)" >&2
  exit 1
fi
# An install can succeed without installing (--dry-run, transparent proxying disabled): what
# follows would then show direct traffic under the install heading. Ask what is there.
check_args=(uninstall --dry-run --netns "/run/netns/$POD")
if ((EBPF)); then check_args+=(--ebpf-bpffs-path "$BPFFS"); fi
if ! installed=$("$TPROXY" "${check_args[@]}" 2>/dev/null) || [[ -z $installed ]]; then
  echo "demo.sh: kuma-tproxy install exited 0 but installed nothing in the pod (a --dry-run or" \
    "a disabling flag among the arguments?): stopping" >&2
  exit 1
fi
show

uninstall_args=(uninstall --netns "/run/netns/$POD")
if ((EBPF)); then uninstall_args+=(--ebpf-bpffs-path "$BPFFS"); fi
step "kuma-tproxy ${uninstall_args[*]}"
if ! "$TPROXY" "${uninstall_args[@]}"; then
  echo "demo.sh: kuma-tproxy uninstall failed (see above)" >&2
  exit 1
fi
show
