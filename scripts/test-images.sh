#!/usr/bin/env bash
# Proves the images do the job: builds them (scripts/build-images.sh), then in a throwaway pod/peer
# namespace pair runs the init image's entrypoint with only CAP_NET_ADMIN and CAP_NET_RAW and
# checks with real traffic (tests/e2e's kt-e2e helper, scripts/lib/pod.sh) that interception works:
#   1. the default configuration, as Kuma's injector runs it (`kumactl install transparent-proxy`);
#   2. an annotations file mounted into the container (downward API), selecting builtin DNS, an
#      excluded port and the nftables engine;
#   3. a read-only root filesystem (the image's root bind-mounted read-only, /tmp a tmpfs, as
#      readOnlyRootFilesystem + an emptyDir on /tmp): buildah run cannot do this here (it must
#      write mount points into the root and crashes on a read-only one), so the image's files run
#      under capsh --chroot with the same two capabilities.
# The host's own rules must be unchanged at the end. Exits non-zero on the first failed check.
#
# usage: scripts/test-images.sh      (root; BUILD_DIR defaults to build; SKIP_BUILD=1 reuses images)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
TAG=${TAG:-dev}
INIT_IMAGE=kuma-tproxy-init:$TAG
CNI_IMAGE=kuma-tproxy-cni:$TAG
TOOL=$BUILD_DIR/tests/e2e/kt-e2e
POD=ktimg-$$-pod
PEER=ktimg-$$-peer
export BUILDAH_ISOLATION=chroot

log() { echo "test-images: $*" >&2; }

if ! command -v buildah >/dev/null; then
  log "SKIPPED: buildah is not installed (scripts/install-deps.sh installs it)"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || { log "needs root"; exit 1; }

# shellcheck source=scripts/lib/pod.sh
source scripts/lib/pod.sh

CTRS=()
MOUNTS=()
TMPS=()
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  for c in "${CTRS[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  pod_cleanup
  for t in "${TMPS[@]}"; do rm -rf "$t"; done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  scripts/build-images.sh >&2
fi
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" --target kt-e2e >/dev/null

host_state() {
  { iptables-nft-save; ip6tables-nft-save; iptables-legacy-save; ip6tables-legacy-save; nft list ruleset; } 2>/dev/null |
    grep -v '^#' | sha256sum
}
HOST_BEFORE=$(host_state)

# Exactly NET_ADMIN and NET_RAW: buildah's default set minus everything else (see README).
CAPS=(--cap-drop CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT
  --cap-add CAP_NET_ADMIN --cap-add CAP_NET_RAW)

FAILED=0
expect() {  # expect LABEL WANT GOT
  if [[ "$3" == "$2" ]]; then
    printf '  ok    %-48s %s\n' "$1" "$3"
  else
    printf '  FAIL  %-48s want "%s", got "%s"\n' "$1" "$2" "$3"
    FAILED=1
  fi
}

# Runs the init image in the pod namespace with the two capabilities; extra buildah run options
# before "--", the command after it.
run_init() {
  local opts=() ctr
  while [[ $1 != -- ]]; do opts+=("$1"); shift; done
  shift
  ctr=$(buildah from --pull-never "$INIT_IMAGE")
  CTRS+=("$ctr")
  ip netns exec "$POD" buildah run "${CAPS[@]}" "${opts[@]}" "$ctr" -- "$@"
}

check_redirected() {  # $1 = expected DNS outcome
  expect "app -> 10.0.0.2:8080" "sidecar :15001 10.0.0.2:8080" "$(pod_probe app connect --to 10.0.0.2:8080)"
  expect "app -> [fd00::2]:8080" "sidecar :15001 [fd00::2]:8080" "$(pod_probe app connect --to '[fd00::2]:8080')"
  expect "peer -> 10.0.0.1:80" "sidecar :15006 10.0.0.1:80" "$(pod_probe peer connect --to 10.0.0.1:80)"
  expect "peer -> [fd00::1]:80" "sidecar :15010 [fd00::1]:80" "$(pod_probe peer connect --to '[fd00::1]:80')"
  expect "uid 5678 -> 10.0.0.2:8080" "direct peer" "$(pod_probe sidecar connect --to 10.0.0.2:8080)"
  expect "app asks 10.0.0.2:53" "$1" "$(pod_probe app dns --to 10.0.0.2:53)"
}
check_direct() {
  expect "app -> 10.0.0.2:8080" "direct peer" "$(pod_probe app connect --to 10.0.0.2:8080)"
  expect "peer -> 10.0.0.1:80" "direct app" "$(pod_probe peer connect --to 10.0.0.1:80)"
}

pod_create
pod_start_services

echo "1. init image, default configuration: kumactl install transparent-proxy"
run_init -- /usr/bin/kumactl install transparent-proxy
check_redirected "dns peer"
run_init -- /usr/bin/kumactl uninstall transparent-proxy
check_direct

echo "2. init image with an annotations file mounted at /etc/podinfo/annotations"
annotations_dir=$(mktemp -d /tmp/ktimg-annotations.XXXXXX)
TMPS+=("$annotations_dir")
cat >"$annotations_dir/annotations" <<'EOF_ANN'
kuma.io/builtin-dns="enabled"
kuma.io/sidecar-injected="true"
kuma.io/transparent-proxying-experimental-engine="enabled"
traffic.kuma.io/exclude-outbound-ports="9090"
EOF_ANN
run_init -v "$annotations_dir:/etc/podinfo:ro" -- /usr/bin/kuma-tproxy install --annotations-file /etc/podinfo/annotations
check_redirected "dns sidecar"
expect "app -> 10.0.0.2:9090 (excluded)" "direct peer" "$(pod_probe app connect --to 10.0.0.2:9090)"
expect "backend chosen by the annotation" "table inet kuma_mesh" "$(ip netns exec "$POD" nft list tables | grep kuma_mesh || true)"
run_init -- /usr/bin/kuma-tproxy uninstall
check_direct

echo "3. init image files on a read-only root filesystem, /tmp writable, NET_ADMIN + NET_RAW only"
ctr=$(buildah from --pull-never "$INIT_IMAGE")
CTRS+=("$ctr")
image_root=$(buildah mount "$ctr")
ro=$(mktemp -d /tmp/ktimg-ro.XXXXXX)
TMPS+=("$ro")
mount --bind "$image_root" "$ro" && MOUNTS+=("$ro")
mount -o remount,bind,ro "$ro"
mount -t proc proc "$ro/proc" && MOUNTS+=("$ro/proc")
mount --bind /dev "$ro/dev" && MOUNTS+=("$ro/dev")
mount -t tmpfs -o size=10m tmpfs "$ro/tmp" && MOUNTS+=("$ro/tmp")
drop=""
for ((i = 0; i <= $(cat /proc/sys/kernel/cap_last_cap); i++)); do
  [[ $i == 12 || $i == 13 ]] || drop+="${drop:+,}$i"  # 12 = NET_ADMIN, 13 = NET_RAW
done
CAPSH=$(command -v capsh)
ro_run() {
  # No XTABLES_LOCKFILE: legacy tools must find a writable lock file by themselves.
  ip netns exec "$POD" env -i \
    "$CAPSH" --chroot="$ro" --drop="$drop" --caps=cap_net_admin,cap_net_raw+eip --shell=/usr/bin/kuma-tproxy -- "$@"
}
if touch "$ro/probe" 2>/dev/null; then expect "root is read-only" "read-only" "writable"; else expect "root is read-only" "read-only" "read-only"; fi
for backend in iptables-legacy iptables-nft nftables; do
  echo "   backend $backend"
  ro_run install --backend "$backend"
  check_redirected "dns peer"
  ro_run uninstall
  check_direct
done

expect "host rules unchanged" "$HOST_BEFORE" "$(host_state)"

if buildah inspect --type image "$CNI_IMAGE" >/dev/null 2>&1; then
  echo "4. CNI image files: see tests/cni (the plugin binary is the same program)"
fi

if ((FAILED)); then
  log "FAILED"
  exit 1
fi
log "all checks passed"
