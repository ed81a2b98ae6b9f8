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
#   4. the CNI image: its installer (the image's entrypoint, as the DaemonSet runs it) against a
#      temporary host tree copies the plugin and chains it into a conflist; the test CNI runtime
#      (tests/cni/support, kt-cni-run) runs that chain, Debian's bridge + host-local, loopback,
#      then the copied kuma-cni, against the stub API server (tests/cni/stub) serving an injected
#      pod: ADD, traffic checks, CHECK, DEL twice; SIGTERM to the installer restores the conflist.
#   5. the init image's eBPF backend loading the BPF objects shipped in the image (as root: the
#      eBPF mode's init container is privileged), in a scratch cgroup and bpffs.
# The host's own rules must be unchanged at the end. Prints every check; exits non-zero if any
# failed.
#
# usage: scripts/test-images.sh   (root; BUILD_DIR defaults to build; SKIP_BUILD=1 [TAG=...] tests
#                                  existing images instead of building)
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
# buildah's storage is machine-wide: a build here gets a tag of its own (removed at exit) so
# that a concurrent build of "dev" cannot swap the images under the test. SKIP_BUILD=1 tests the
# images of TAG (default dev) as they are.
OWN_IMAGES=0
if [[ -z ${TAG:-} ]]; then
  if [[ ${SKIP_BUILD:-0} == 1 ]]; then TAG=dev; else TAG=test-$$ OWN_IMAGES=1; fi
fi
export TAG
INIT_IMAGE=kuma-tproxy-init:$TAG
CNI_IMAGE=kuma-tproxy-cni:$TAG
TOOL=$BUILD_DIR/tests/e2e/kt-e2e
BPF_OBJECTS=/usr/lib/kuma-tproxy/bpf  # where scripts/image-rootfs.sh puts the BPF objects
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
# shellcheck source=scripts/lib/host.sh
source scripts/lib/host.sh

CTRS=()
MOUNTS=()
TMPS=()
CGROUPS=()
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  pod_cleanup  # first: it stops the CNI installer (SIGTERM) before its container goes
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  for c in "${CTRS[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  for g in "${CGROUPS[@]}"; do rmdir "$g" 2>/dev/null || true; done
  for t in "${TMPS[@]}"; do rm -rf "$t"; done
  ((OWN_IMAGES)) && buildah rmi "$INIT_IMAGE" "$CNI_IMAGE" >/dev/null 2>&1
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
cmake --build "$BUILD_DIR" -j "$(nproc)" --target kt-e2e kt-cni-run >/dev/null

HOST_BEFORE=$(host_state)

# Exactly NET_ADMIN and NET_RAW: buildah's default set minus everything else (see README).
# shellcheck disable=SC2054 # --cap-drop takes one comma-separated list: the commas are meant
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

descendant_named() {  # descendant_named PID COMM: prints the first descendant of PID named COMM
  local child children
  # The children files hold space-separated PIDs on one line; a task may exit while we read.
  read -r -d "" -a children < <(cat /proc/"$1"/task/*/children 2>/dev/null || true) || true
  for child in "${children[@]}"; do
    if [[ $(cat "/proc/$child/comm" 2>/dev/null) == "$2" ]]; then
      echo "$child"
      return 0
    fi
    descendant_named "$child" "$2" && return 0
  done
  return 1
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

echo "4. CNI image: its installer on a temporary node tree, then its plugin in a real chain"
# A node in a box: the "node" namespace ($PEER) holds the stub API server and the bridge; the
# installer runs from the image (buildah run, the DaemonSet's view: host directories under /host,
# the service account under /var/run/secrets) and copies its plugin into the host bin directory
# and chains it into the primary conflist; kt-cni-run (tests/cni/support) then runs that conflist
# like a container runtime: Debian's bridge + host-local, loopback, then the copied kuma-cni.
# host-local hands out exactly 10.0.0.1 / fd00::1 with the bridge as 10.0.0.2 / fd00::2, so the
# pod looks like sections 1-3's and the same probes apply.
pod_cleanup
POD=ktimg-$$-cnipod
PEER=ktimg-$$-node
CNI_RUN=$BUILD_DIR/tests/cni/kt-cni-run
cni=$(mktemp -d /tmp/ktimg-cni.XXXXXX)
TMPS+=("$cni")
host=$cni/host
mkdir -p "$host/etc/cni/net.d" "$host/opt/cni/bin" "$cni/sa" "$cni/pki" "$cni/fixtures/shop"

# The API server's PKI (throwaway CA, server certificate for 127.0.0.1) and the service account.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$cni/pki/ca.key" -out "$cni/pki/ca.crt" -days 2 \
  -subj /CN=ktimg-ca -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req "${ec[@]}" -keyout "$cni/pki/server.key" -out "$cni/pki/server.csr" \
  -subj /CN=kube-apiserver 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$cni/pki/server.ext"
openssl x509 -req -in "$cni/pki/server.csr" -CA "$cni/pki/ca.crt" -CAkey "$cni/pki/ca.key" \
  -CAcreateserial -out "$cni/pki/server.crt" -days 2 -extfile "$cni/pki/server.ext" 2>/dev/null
token=ktimg-token-$$-$RANDOM$RANDOM
printf '%s' "$token" >"$cni/sa/token"
cp "$cni/pki/ca.crt" "$cni/sa/ca.crt"
# The pod as the API returns it: injected, builtin DNS, one excluded outbound port.
cat >"$cni/fixtures/shop/web.json" <<'EOF_POD'
{"kind": "Pod", "apiVersion": "v1",
 "metadata": {"name": "web", "namespace": "shop",
              "annotations": {"kuma.io/sidecar-injected": "true", "kuma.io/sidecar-uid": "5678",
                              "kuma.io/transparent-proxying": "enabled",
                              "kuma.io/builtin-dns": "enabled",
                              "traffic.kuma.io/exclude-outbound-ports": "9090"}},
 "spec": {"containers": [{"name": "app", "image": "app:1"},
                         {"name": "kuma-sidecar", "image": "kuma-dp:2.9"}]}}
EOF_POD

ip netns add "$PEER"
ip -n "$PEER" link set lo up
# The bridge's fd00::2 is usable at once, not after duplicate address detection (the bridge
# plugin already turns DAD off on the pod's side).
ip netns exec "$PEER" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip netns add "$POD"
ip netns exec "$PEER" python3 tests/cni/stub/kube_api_stub.py --cert "$cni/pki/server.crt" \
  --key "$cni/pki/server.key" --token "$token" --fixtures "$cni/fixtures" \
  --log "$cni/api-requests.log" >"$cni/stub.out" 2>"$cni/stub.err" &
POD_PIDS+=($!)
api_port=""
for _ in $(seq 100); do
  api_port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$cni/stub.out")
  [[ -n $api_port ]] && break
  sleep 0.1
done
[[ -n $api_port ]] || { log "the stub API server did not start: $(cat "$cni/stub.err")"; exit 1; }

# The node's primary network: what the installer chains into, kept to compare after removal.
conflist=$host/etc/cni/net.d/10-ktimg.conflist
cat >"$conflist" <<EOF_NET
{
  "cniVersion": "1.0.0",
  "name": "ktimg",
  "plugins": [
    {"type": "bridge", "bridge": "ktimgbr0", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": "$cni/ipam",
              "ranges": [[{"subnet": "10.0.0.0/24", "rangeStart": "10.0.0.1",
                           "rangeEnd": "10.0.0.1", "gateway": "10.0.0.2"}],
                         [{"subnet": "fd00::/64", "rangeStart": "fd00::1",
                           "rangeEnd": "fd00::1", "gateway": "fd00::2"}]]}},
    {"type": "loopback"}
  ]
}
EOF_NET
cp "$conflist" "$cni/conflist.orig"

# The DaemonSet: the image's entrypoint with the host tree mounted, watching until SIGTERM.
ctr=$(buildah from --pull-never "$CNI_IMAGE")
CTRS+=("$ctr")
buildah run -v "$host:/host" -v "$cni/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
  -e CNI_NET_DIR="$host/etc/cni/net.d" -e KUBERNETES_SERVICE_HOST=127.0.0.1 \
  -e KUBERNETES_SERVICE_PORT="$api_port" -e READY_FILE=/host/ready \
  "$ctr" -- /install-cni 2>"$cni/installer.log" &
INSTALLER=$!
POD_PIDS+=("$INSTALLER")
for _ in $(seq 300); do
  [[ -e $host/ready ]] && break
  kill -0 "$INSTALLER" 2>/dev/null || break
  sleep 0.1
done
if [[ ! -e $host/ready ]]; then
  log "the installer did not become ready:"
  cat "$cni/installer.log" >&2
  exit 1
fi
INSTALLER_PID=$(descendant_named "$INSTALLER" install-cni) || { log "no install-cni process"; exit 1; }
POD_PIDS+=("$INSTALLER_PID")
image_root=$(buildah mount "$ctr")
plugin=$host/opt/cni/bin/kuma-cni
kubeconfig=$host/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig
expect "installer copied the image's plugin" "identical" \
  "$(cmp -s "$image_root/opt/cni/bin/kuma-cni" "$plugin" && echo identical || echo different)"
expect "conflist chain after install" "bridge loopback kuma-cni" \
  "$(python3 -c 'import json,sys; print(*[p["type"] for p in json.load(open(sys.argv[1]))["plugins"]])' "$conflist")"
expect "kubeconfig mode" "600" "$(stat -c %a "$kubeconfig" 2>/dev/null || echo missing)"
# The plugin runs on the node with the node's libraries (docs/cni.md, "The CNI image").
expect "plugin's libraries resolve on this host" "" "$(ldd "$plugin" | grep 'not found' || true)"

chain() {  # chain ADD|CHECK|DEL: the installed conflist, as a runtime would run it
  "$CNI_RUN" --conflist "$conflist" --cni-path "$host/opt/cni/bin:/usr/lib/cni" \
    --node-netns "/run/netns/$PEER" --netns "/run/netns/$POD" --container-id "ktimg$$" \
    --args "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=ktimg$$" \
    --cache "$cni/result.json" "$1" >"$cni/chain-$1.out" 2>"$cni/chain-$1.err"
}
status() { if "$@"; then echo ok; else echo "failed: $(cat "$cni/chain-${*: -1}.err")"; fi; }

expect "chain ADD" "ok" "$(status chain ADD)"
expect "pod addresses from host-local" "10.0.0.1/24 fd00::1/64" \
  "$(ip -n "$POD" -o addr show dev eth0 scope global | awk '{print $4}' | sort | xargs)"
expect "the plugin read the pod with the token" "200 True" \
  "$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(r[-1]["status"], r[-1]["token_ok"])' "$cni/api-requests.log" 2>/dev/null)"
pod_start_services
check_redirected "dns sidecar"
expect "app -> 10.0.0.2:9090 (excluded)" "direct peer" "$(pod_probe app connect --to 10.0.0.2:9090)"
expect "chain CHECK" "ok" "$(status chain CHECK)"
for t in iptables-nft iptables-legacy; do ip netns exec "$POD" "$t" -t nat -F 2>/dev/null || true; done
expect "chain CHECK after the nat rules were flushed" "error 100" \
  "$(if chain CHECK; then echo passed; elif grep -q '"code": *100' "$cni/chain-CHECK.err"; then
    echo "error 100"; else echo "other failure"; fi)"
expect "chain DEL" "ok" "$(status chain DEL)"
expect "pod rules after DEL" "" \
  "$(for t in iptables-nft-save ip6tables-nft-save iptables-legacy-save ip6tables-legacy-save \
      'nft list ruleset'; do
      # shellcheck disable=SC2086 # $t is a command with arguments
      ip netns exec "$POD" $t 2>/dev/null
    done | grep -i kuma || true)"
expect "chain DEL again" "ok" "$(status chain DEL)"

# SIGTERM to the DaemonSet's process (the kubelet signals the container's process; buildah run
# does not forward signals to it): entry, kubeconfig and binary go, the conflist's bytes return.
kill -TERM "$INSTALLER_PID"
wait "$INSTALLER" 2>/dev/null && rc=0 || rc=$?
expect "installer exit on SIGTERM" "0" "$rc"
expect "conflist restored byte for byte" "identical" \
  "$(cmp -s "$cni/conflist.orig" "$conflist" && echo identical || echo different)"
expect "plugin and kubeconfig removed" "gone gone" \
  "$([[ -e $plugin ]] && echo present || echo gone) $([[ -e $kubeconfig ]] && echo present || echo gone)"

echo "5. init image, eBPF backend from the shipped objects (--ebpf-programs-source-path $BPF_OBJECTS)"
# The eBPF mode's init container is privileged (CAP_BPF, CAP_SYS_ADMIN, the host's cgroup v2 and
# bpffs mounted in), so this runs the image's files as root in a chroot of a fresh container: a
# scratch cgroup of ours bind-mounted at /sys/fs/cgroup, a bpffs of ours at /sys/fs/bpf. The pod's
# processes run in that cgroup (POD_CGROUP, scripts/lib/pod.sh).
pod_cleanup
POD=ktimg-$$-bpfpod
PEER=ktimg-$$-bpfpeer
cgroup_root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [[ -z $cgroup_root ]]; then
  log "section 5 SKIPPED: no cgroup v2 mount on this machine"
else
  POD_CGROUP=$cgroup_root/ktimg-$$
  mkdir "$POD_CGROUP"
  CGROUPS+=("$POD_CGROUP")
  ctr=$(buildah from --pull-never "$INIT_IMAGE")
  CTRS+=("$ctr")
  root=$(buildah mount "$ctr")
  expect "objects in the image" "kuma_tproxy_cgroup.bpf.o kuma_tproxy_netns.bpf.o" \
    "$(cd "$root$BPF_OBJECTS" && echo *)"
  mkdir -p "$root/sys/fs/cgroup" "$root/sys/fs/bpf"
  mount --bind "$POD_CGROUP" "$root/sys/fs/cgroup" && MOUNTS+=("$root/sys/fs/cgroup")
  mount -t bpf bpf "$root/sys/fs/bpf" && MOUNTS+=("$root/sys/fs/bpf")
  mount -t proc proc "$root/proc" && MOUNTS+=("$root/proc")
  pod_create
  pod_start_services
  bpf_run() {
    ip netns exec "$POD" chroot "$root" /usr/bin/kuma-tproxy "$@" --ebpf-cgroup-path /sys/fs/cgroup \
      --ebpf-bpffs-path /sys/fs/bpf
  }
  bpf_run install --backend ebpf --ebpf-instance-ip 10.0.0.1 \
    --ebpf-programs-source-path "$BPF_OBJECTS" 2>"$cni/ebpf-install.log" ||
    { cat "$cni/ebpf-install.log" >&2; expect "eBPF install" "ok" "failed"; }
  expect "cgroup programs loaded from the image's file" "1" \
    "$(grep -c "object $BPF_OBJECTS/kuma_tproxy_cgroup.bpf.o" "$cni/ebpf-install.log" || true)"
  check_redirected "dns peer"
  bpf_run uninstall --ebpf-all 2>"$cni/ebpf-uninstall.log" ||
    { cat "$cni/ebpf-uninstall.log" >&2; expect "eBPF uninstall" "ok" "failed"; }
  check_direct
fi

expect "host rules unchanged" "$HOST_BEFORE" "$(host_state)"

if ((FAILED)); then
  log "FAILED"
  exit 1
fi
log "all checks passed"
