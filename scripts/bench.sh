#!/usr/bin/env bash
# Benchmark of kuma-tproxy: start-up, rule apply, large lists and the data path. Not a test: it
# prints tables, it asserts nothing. Run as root on an otherwise idle machine:
#
#   sudo scripts/bench.sh            # about 4-5 minutes with the defaults
#
# Part A, rule-apply latency (tests/bench/apply_timer.h): every sample gets a fresh network
# namespace shaped like a pod (lo, eth0 with 10.0.0.1/24 and fd00::1/64; not timed), then
# fork + setns + exec + wait of the method's commands is timed, then the namespace is deleted
# and the kernel left to settle (not timed). Methods, each once per round in a rotating order:
#   floor        a bare process start + setns (/bin/true)
#   tproxy_start `kuma-tproxy version`: what starting the product binary costs by itself
#   tproxy_nft   kuma-tproxy install --backend nftables      (the product, native netlink batch)
#   nft_ref      kt-nft-ref (tests/bench/nft_reference.c): the same nftables ruleset written out
#                by hand with libnftnl and sent as one batch, nothing else: the least a program
#                can do. Only for the default BASE_FLAGS, and only when its table is checked equal
#                to ours first (nft list of both, set elements in one order)
#   nft_base     (scaling tables only) kuma-tproxy install --backend nftables of the base config,
#                so that the larger config's cost is a paired ratio to the default install
#   nft_ref_rbtree, nft_ref_pipapo  (scaling tables only) kt-nft-ref with the lists as interval
#                sets (rbtree), or the ports as an interval concatenation (pipapo; addresses
#                rbtree): what the hash sets of our ruleset save, in the x nft_ref column
#   tproxy_ipt   kuma-tproxy install --backend iptables      (the product, *-restore per family)
#   restore      iptables-nft-restore + ip6tables-nft-restore of the same rules (what Kuma does)
#   nft_f        nft -f of the same rules
#   ebpf_first   kuma-tproxy install --backend ebpf on a node without our pins: probes, loads and
#                attaches the node-wide programs, then configures the pod (a `prepare` step, not
#                timed, runs uninstall --ebpf-all before each sample)
#   ebpf_pod     kuma-tproxy install --backend ebpf on a node where they are attached: only the
#                pod's entry and its sk_lookup program
# The "same rules" come from `kuma-tproxy install --dry-run` of each backend. Tables give median,
# p90, min-max and paired ratios (median over rounds of the per-round ratio) to floor, to
# restore, to tproxy_nft and to nft_ref; the base config first, then with N excluded outbound
# ports for each N in $PORTS_NS (group pN), then with N excluded outbound ports and N excluded
# outbound IPs for each N in $NS (group nN). Last, the performance targets, each with its
# measured paired ratio and whether it holds here (defaultTargets() in tests/bench/targets.cpp):
#   nftables install / minimal batch program <= 1.3     (base, and p5000)
#   restore pair / nftables install >= 3                (base)
#   nftables install 5000 + 5000 / default install <= 8 (n5000, nft_base)
#   version / floor <= 1.5                              (base)
#   eBPF first pod <= 10 ms, further pod <= 3 ms        (base, medians)
#   iptables install / restore pair <= 1.3              (base)
#
# Part B, data path (IPv4): new connections per second (tests/bench/conn_bench.h, 64 B each way,
# one client, one single-threaded server) and bulk throughput (iperf3, one stream) per row, rows
# interleaved in rotating order, ratios to `direct`:
#   direct     no rules at all; the client connects to 127.0.0.1:15001
#   iptables   kuma-tproxy install --backend iptables; the client connects to 10.0.0.2:9999
#   nftables   kuma-tproxy install --backend nftables; same
#   ebpf       kuma-tproxy install --backend ebpf, client and server in a scratch cgroup v2
#              directory (the attach point); same
# A row is a setup function (setup_row_NAME) that fills ROW_NS, ROW_TARGET and optionally
# ROW_CGROUP (cgroup v2 directory the row's client and server join first, e.g. for eBPF); to add
# a row, define setup_row_NAME below and append NAME to ROWS (or set ROWS in the environment).
# More apply methods (e.g. an eBPF install) go into extra_apply_methods.
#
# Environment knobs: REPS (part A base rounds, 25), SREPS (scaling rounds, 15), NS ("10 1000
# 5000"), PORTS_NS ("5000"), EXCL_VIA (flags or file, see exclusion_flags), SETTLE_MS (30), BASE_FLAGS (install
# flags of the base config), CONN_REPS (7), CONN_COUNT (20000), IPERF_REPS (5), IPERF_T
# (seconds per iperf3 run, 3), SKIP_APPLY=1, SKIP_DATAPATH=1, ROWS, BUILD_DIR (build), JOBS,
# KUMA_SKIP_DEPS=1, OUT (raw samples TSV; default a temporary file, removed).
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "bench.sh: needs root (network namespaces, netfilter): run it with sudo" >&2
  exit 1
fi

REPS=${REPS:-25}
SREPS=${SREPS:-15}
NS=${NS:-"10 1000 5000"}
PORTS_NS=${PORTS_NS:-5000}
SETTLE_MS=${SETTLE_MS:-30}
# What a Kubernetes pod gets from a default control plane (kuma.md 2.6), with the uid explicit.
DEFAULT_BASE_FLAGS="--kuma-dp-user=5678 --redirect-all-dns-traffic --exclude-inbound-ports=9001"
BASE_FLAGS=${BASE_FLAGS:-$DEFAULT_BASE_FLAGS}
CONN_REPS=${CONN_REPS:-7}
CONN_COUNT=${CONN_COUNT:-20000}
IPERF_REPS=${IPERF_REPS:-5}
IPERF_T=${IPERF_T:-3}
read -r -a ROWS <<<"${ROWS:-direct iptables nftables ebpf}"
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

TPROXY=$(realpath -m "$BUILD_DIR/src/kuma-tproxy")
TOOL=$(realpath -m "$BUILD_DIR/tests/e2e/kt-e2e")
BENCH=$(realpath -m "$BUILD_DIR/tests/bench/kt-bench")
NFT_REF=$(realpath -m "$BUILD_DIR/tests/bench/kt-nft-ref")

WORK=$(mktemp -d "/tmp/ktbench-$$-XXXXXX")
OUT=${OUT:-$WORK/samples.tsv}
PREFIX=ktbench-$$
PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-" || true); do
    ip netns delete "$ns" 2>/dev/null || true
  done
  for cg in "${ROW_CGROUP[@]}"; do
    if [[ -n $cg ]]; then rmdir "$cg" 2>/dev/null || true; fi
  done
  ebpf_cleanup
  rm -rf "$WORK"
  exit "$rc"
}
declare -A ROW_NS=() ROW_TARGET=() ROW_CGROUP=()

# eBPF: one scratch cgroup v2 directory (the attach point, also the ebpf row's cgroup) and one
# scratch bpffs for the whole run; uninstall --ebpf-all detaches everything before unmounting.
EBPF_CG="" EBPF_FS=""
ebpf_cleanup() {
  if [[ -n $EBPF_FS ]] && mountpoint -q "$EBPF_FS"; then
    "$TPROXY" uninstall --ebpf-all --ebpf-bpffs-path="$EBPF_FS" >/dev/null 2>&1 || true
    umount "$EBPF_FS" || true
  fi
  if [[ -n $EBPF_CG ]]; then rmdir "$EBPF_CG" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "bench.sh: $*" >&2; }

# --- build -------------------------------------------------------------------------------------
scripts/install-deps.sh
# shellcheck source=scripts/lib/build.sh
source scripts/lib/build.sh
build_targets bench.sh kuma-tproxy kt-e2e kt-bench kt-nft-ref

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [[ -z $CG2 ]]; then
  log "no cgroup v2 mounted: the eBPF rows need one"
  exit 1
fi
EBPF_CG=$CG2/$PREFIX-ebpf
mkdir "$EBPF_CG"
EBPF_FS=$WORK/bpffs
mkdir "$EBPF_FS"
mount -t bpf bpf "$EBPF_FS"
EBPF_FLAGS="--ebpf-cgroup-path=$EBPF_CG --ebpf-bpffs-path=$EBPF_FS --ebpf-instance-ip=10.0.0.1"

# The pod-like shape of every namespace: eth0 is one end of a veth pair whose other end stays in
# the namespace, so 10.0.0.2 routes via eth0 without any other namespace.
cat >"$WORK/setup" <<'EOF'
link set lo up
link add eth0 type veth peer name eth1
addr add 10.0.0.1/24 dev eth0
addr add fd00::1/64 dev eth0 nodad
link set eth1 up
link set eth0 up
EOF

new_ns() {  # $1 = name suffix; prints the namespace path
  local name=$PREFIX-$1
  ip netns add "$name"
  ip -n "$name" -batch "$WORK/setup"
  echo "/run/netns/$name"
}

# --- part A: rule apply --------------------------------------------------------------------------
# N excluded outbound ports (spaced so no two merge into a range, from 20000 up so that none is
# a redirect port, which cannot be excluded) and N excluded outbound IPs. EXCL_VIA=flags (the
# default) passes them as two flag values, as Kuma's injector passes them to kuma-init; a value
# over one command-line argument's 128 KiB (N above about 9000) goes through a config file
# instead. EXCL_VIA=file always uses a config file (YAML flow sequences: ConfigMap mode).
# N <= 15000. tests/bench/nft_reference.c makes the same lists.
exclusion_flags() {  # $1 = number of ports, $2 = number of IPs; prints the extra install flags
  local np=$1 ni=$2 i ports=() ips=() file=$WORK/exclusions-$1-$2.yaml
  ((np + ni == 0)) && return 0
  for ((i = 0; i < np; i++)); do ports+=($((20000 + 3 * i))); done
  for ((i = 0; i < ni; i++)); do ips+=("10.200.$((i / 120)).$((2 * (i % 120) + 1))"); done
  local IFS=,
  if [[ ${EXCL_VIA:-flags} == flags ]] && ((ni * 14 < 120000)); then
    local out=()
    ((np > 0)) && out+=("--exclude-outbound-ports=${ports[*]}")
    ((ni > 0)) && out+=("--exclude-outbound-ips=${ips[*]}")
    local IFS=' '
    echo "${out[*]}"
    return 0
  fi
  {
    printf 'redirect:\n  outbound:\n'
    ((np > 0)) && printf '    excludePorts: [%s]\n' "${ports[*]}"
    ((ni > 0)) && printf '    excludePortsForIPs: [%s]\n' "${ips[*]}"
  } >"$file"
  echo "--config-file=$file"
}

# Whether kt-nft-ref with $2 ports and $3 IPs installs exactly the table `kuma-tproxy install
# --backend nftables $1` installs: `nft --debug=netlink list` (the bytecode) of both, compared
# with rule handles dropped and each set's elements in one order (a hash set lists them in the
# order of its random seed). Prints the difference on stderr when they differ.
same_as_reference() {  # $1 = flags, $2 = ports, $3 = IPs
  local ours theirs rc=0
  ours=$(new_ns "ref-ours-$RANDOM")
  theirs=$(new_ns "ref-theirs-$RANDOM")
  # shellcheck disable=SC2086 # flags are words on purpose
  "$TPROXY" install --backend=nftables $1 --netns "$ours" >/dev/null 2>&1 || rc=1
  ((rc != 0)) || ip netns exec "$(basename "$theirs")" "$NFT_REF" "$2" "$3" || rc=1
  if ((rc == 0)); then
    diff <(listed_table "$ours") <(listed_table "$theirs") >&2 || rc=1
  fi
  ip netns delete "$(basename "$ours")"
  ip netns delete "$(basename "$theirs")"
  return "$rc"
}

listed_table() {  # $1 = namespace path: the bytecode listing, handles dropped, elements sorted
  ip netns exec "$(basename "$1")" nft --debug=netlink list table inet kuma_mesh |
    sed -E 's/^(inet kuma_mesh [A-Za-z_]+)( [0-9]+)+$/\1/' |
    awk '/^\telement / { if (!sorting) fflush(); sorting = 1; print | "sort"; next }
         { if (sorting) close("sort"); sorting = 0; print }'
}

# Writes the dry-run artifacts for `flags` into $2 (v4, v6, nft) and prints the methods file.
# Fails (with kuma-tproxy's message on stderr) when kuma-tproxy rejects the configuration.
# $3 / $4: the number of excluded ports / IPs `flags` holds beyond BASE_FLAGS (for nft_ref and
# nft_base).
make_methods() {  # $1 = flags, $2 = directory, $3 = ports, $4 = IPs
  local flags=$1 dir=$2 np=${3:-0} ni=${4:-0} dry rc=0
  mkdir -p "$dir"
  dry=$(new_ns "dry-$RANDOM")
  # shellcheck disable=SC2086 # flags are words on purpose
  "$TPROXY" install --dry-run --backend=iptables $flags --netns "$dry" >"$dir/iptables.txt" \
    2>"$dir/dry-run.err" || rc=1
  # shellcheck disable=SC2086
  ((rc != 0)) || "$TPROXY" install --dry-run --backend=nftables $flags --netns "$dry" \
    >"$dir/nft" 2>>"$dir/dry-run.err" || rc=1
  ip netns delete "$(basename "$dry")"
  if ((rc != 0)); then
    grep -v '^I ' "$dir/dry-run.err" >&2 || true
    return 1
  fi
  # Kuma's dry-run format: "### IPv4 ###", the restore input, "### IPv6 ###", its input.
  awk -v v4="$dir/v4" -v v6="$dir/v6" '
    /^### IPv4 ###/ { out = v4; next }
    /^### IPv6 ###/ { out = v6; next }
    out != "" { print > out }' "$dir/iptables.txt"
  touch "$dir/v6"
  if ! grep -q COMMIT "$dir/v4" || ! grep -q table "$dir/nft"; then
    log "the dry-run output in $dir does not look like rules; see $dir/iptables.txt and $dir/nft"
    exit 1
  fi
  cat <<EOF
method floor bare process start + setns (/bin/true)
run true
method tproxy_start kuma-tproxy version (the product binary's start alone)
run $TPROXY version
method tproxy_nft kuma-tproxy install --backend nftables
run $TPROXY install --backend=nftables $flags
method tproxy_ipt kuma-tproxy install --backend iptables
run $TPROXY install --backend=iptables $flags
method restore iptables-nft-restore + ip6tables-nft-restore
run iptables-nft-restore --noflush < $dir/v4
run ip6tables-nft-restore --noflush < $dir/v6
method nft_f nft -f
run nft -f $dir/nft
EOF
  if [[ $BASE_FLAGS != "$DEFAULT_BASE_FLAGS" ]]; then
    log "no nft_ref row: kt-nft-ref writes the default BASE_FLAGS' ruleset only"
  elif same_as_reference "$flags" "$np" "$ni"; then
    printf 'method nft_ref minimal libnftnl batch program, same ruleset\nrun %s %d %d\n' \
      "$NFT_REF" "$np" "$ni"
  else
    log "no nft_ref row: kt-nft-ref's table differs from ours (above): fix nft_reference.c"
  fi
  if ((np + ni > 0)); then
    printf 'method nft_base kuma-tproxy install --backend nftables, base config\n'
    printf 'run %s install --backend=nftables %s\n' "$TPROXY" "$BASE_FLAGS"
    # The set type choice, measured: the same program with interval sets instead of hash sets.
    printf 'method nft_ref_rbtree the same program, lists as interval sets (rbtree)\n'
    printf 'run %s %d %d rbtree\n' "$NFT_REF" "$np" "$ni"
    printf 'method nft_ref_pipapo the same, ports as an interval concatenation (pipapo)\n'
    printf 'run %s %d %d pipapo\n' "$NFT_REF" "$np" "$ni"
  fi
  extra_apply_methods "$flags" "$dir"
}

# Hook: print more "method"/"prepare"/"run" lines (see tests/bench/apply_timer.h) for a config.
extra_apply_methods() {  # $1 = flags
  cat <<EOF
method ebpf_first kuma-tproxy install --backend ebpf, first pod on the node
prepare $TPROXY uninstall --ebpf-all --ebpf-bpffs-path=$EBPF_FS
run $TPROXY install --backend=ebpf $1 $EBPF_FLAGS
method ebpf_pod kuma-tproxy install --backend ebpf, a further pod
run $TPROXY install --backend=ebpf $1 $EBPF_FLAGS
EOF
}

apply_table() {  # $1 = group, $2 = title, $3 = flags, $4 = rounds, $5 = ports, $6 = IPs
  local dir=$WORK/$1 errors
  if ! errors=$(make_methods "$3" "$dir" "${5:-0}" "${6:-0}" 2>&1 >"$WORK/$1.methods"); then
    echo "== $2 =="
    echo "not measured: kuma-tproxy rejects this configuration:"
    while IFS= read -r line; do echo "  $line"; done <<<"$errors"
    echo
    return 0
  fi
  "$BENCH" apply --methods "$WORK/$1.methods" --setup "$WORK/setup" --reps "$4" \
    --settle-ms "$SETTLE_MS" --title "$2" --baseline floor --baseline restore \
    --baseline tproxy_nft --baseline nft_ref --raw "$OUT" --group "$1" --ns-prefix "$PREFIX-$1"
  echo
}

if [[ ${SKIP_APPLY:-0} != 1 ]]; then
  echo "Rule apply: fork + setns + exec + wait per sample, fresh namespace each, IPv4 + IPv6"
  echo "base config: $BASE_FLAGS"
  echo
  apply_table base "base config, $REPS rounds" "$BASE_FLAGS" "$REPS"
  for n in $PORTS_NS; do
    apply_table "p$n" "base config + $n excluded outbound ports, $SREPS rounds" \
      "$BASE_FLAGS $(exclusion_flags "$n" 0)" "$SREPS" "$n" 0
  done
  for n in $NS; do
    apply_table "n$n" "base config + $n excluded outbound ports and $n excluded outbound IPs, $SREPS rounds" \
      "$BASE_FLAGS $(exclusion_flags "$n" "$n")" "$SREPS" "$n" "$n"
  done
  if [[ -s $OUT ]]; then
    echo "load average at the end of part A: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$BENCH" targets --input "$OUT"
    echo
  fi
fi

# --- part B: data path ---------------------------------------------------------------------------
start_bg() {  # starts a helper in the background and waits for its "ready" line
  local fifo=$WORK/fifo-$RANDOM line=""
  mkfifo "$fifo"
  "$@" >"$fifo" &
  PIDS+=($!)
  read -r -t 10 line <"$fifo" || true
  rm -f "$fifo"
  [[ $line == ready ]] || { log "could not start: $*"; exit 1; }
}

placement() {  # $1 = row: the kt-e2e / kt-bench placement options of its processes
  local args=(--netns "${ROW_NS[$1]}")
  [[ -n ${ROW_CGROUP[$1]:-} ]] && args=(--cgroup "${ROW_CGROUP[$1]}" "${args[@]}")
  echo "${args[@]}"
}

setup_row_direct() {
  ROW_NS[direct]=$(new_ns row-direct)
  ROW_TARGET[direct]=127.0.0.1:15001
}
setup_row_iptables() {
  ROW_NS[iptables]=$(new_ns row-iptables)
  # shellcheck disable=SC2086
  "$TPROXY" install --backend=iptables $BASE_FLAGS --netns "${ROW_NS[iptables]}" 2>/dev/null
  ROW_TARGET[iptables]=10.0.0.2:9999
}
setup_row_nftables() {
  ROW_NS[nftables]=$(new_ns row-nftables)
  # shellcheck disable=SC2086
  "$TPROXY" install --backend=nftables $BASE_FLAGS --netns "${ROW_NS[nftables]}" 2>/dev/null
  ROW_TARGET[nftables]=10.0.0.2:9999
}

setup_row_ebpf() {
  ROW_NS[ebpf]=$(new_ns row-ebpf)
  ROW_CGROUP[ebpf]=$EBPF_CG
  # shellcheck disable=SC2086
  "$TPROXY" install --backend=ebpf $BASE_FLAGS $EBPF_FLAGS --netns "${ROW_NS[ebpf]}" 2>/dev/null
  ROW_TARGET[ebpf]=10.0.0.2:9999
}

rotated() {  # $1 = round: ROWS rotated by the round number
  local r=$1 n=${#ROWS[@]} i
  for ((i = 0; i < n; i++)); do echo "${ROWS[$(((i + r) % n))]}"; done
}

wait_listening() {  # $1 = row, $2 = port
  local i
  for ((i = 0; i < 100; i++)); do
    # shellcheck disable=SC2046
    if "$TOOL" $(placement "$1") exec -- ss -Hltn "sport = :$2" | grep -q LISTEN; then return 0; fi
    sleep 0.05
  done
  log "nothing listens on :$2 in row $1"
  exit 1
}

if [[ ${SKIP_DATAPATH:-0} != 1 ]]; then
  for row in "${ROWS[@]}"; do "setup_row_$row"; done

  # New connections per second: one conn-server on 15001 per row.
  server_pids=()
  for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2046
    start_bg "$BENCH" $(placement "$row") conn-server --port 15001
    server_pids+=("${PIDS[-1]}")
  done
  for ((r = 0; r < CONN_REPS; r++)); do
    for row in $(rotated "$r"); do
      # shellcheck disable=SC2046
      v=$("$BENCH" $(placement "$row") --uid 1000 conn-client --to "${ROW_TARGET[$row]}" --count "$CONN_COUNT")
      printf 'conn\t%s\t%d\t%s\n' "$row" "$r" "$v" >>"$OUT"
    done
  done
  for pid in "${server_pids[@]}"; do kill "$pid"; wait "$pid" || true; done

  # Bulk throughput: iperf3 server on 15001 per row.
  for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2046
    "$TOOL" $(placement "$row") exec -- iperf3 -s -p 15001 >/dev/null 2>&1 &
    PIDS+=($!)
    wait_listening "$row" 15001
  done
  for ((r = 0; r < IPERF_REPS; r++)); do
    for row in $(rotated "$r"); do
      host=${ROW_TARGET[$row]%:*}
      port=${ROW_TARGET[$row]##*:}
      # shellcheck disable=SC2046
      json=$("$TOOL" $(placement "$row") --uid 1000 exec -- iperf3 -c "$host" -p "$port" -t "$IPERF_T" -O 1 -J)
      v=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)' <<<"$json")
      printf 'iperf\t%s\t%d\t%s\n' "$row" "$r" "$v" >>"$OUT"
    done
  done

  echo "Data path (IPv4): rows interleaved in rotating order; ratios are medians of per-round ratios"
  echo
  "$BENCH" summarize --input "$OUT" --group conn --unit conn/s --baseline direct --no-p90 \
    --title "new connections per second ($CONN_COUNT per run, $CONN_REPS runs)"
  echo
  "$BENCH" summarize --input "$OUT" --group iperf --unit Gbit/s --baseline direct --no-p90 \
    --title "bulk throughput (iperf3, 1 stream, ${IPERF_T}s, $IPERF_REPS runs)"
fi
