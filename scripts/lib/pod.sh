# shellcheck shell=bash
# A throwaway "pod" and "peer" for scripts (sourced by demo.sh and test-images.sh; the C++ e2e suites
# use tests/e2e/harness instead). Needs root and the kt-e2e helper ($TOOL).
#
#   pod   10.0.0.1 fd00::1   fake sidecar (uid 5678) on 15001/15006/15010/15053, app server (uid 1000) on :80
#   peer  10.0.0.2 fd00::2   a server on :8080 and :9090 and a DNS resolver on :53
#
# The caller sets POD, PEER and TOOL, calls pod_create, pod_start_services, then probes; pod_cleanup
# (from the caller's EXIT trap) stops the processes and deletes the namespaces. With POD_CGROUP set
# (a cgroup v2 directory, host view), the pod's processes (sidecar, app server, app and sidecar
# probes) run in that cgroup, as the eBPF backend's cgroup programs need.

POD_PIDS=()
POD_CGROUP=${POD_CGROUP:-}

pod_place() {  # the kt-e2e placement options of a process in the pod, as uid $1
  [[ -n $POD_CGROUP ]] && printf '%s\n' --cgroup "$POD_CGROUP"
  printf '%s\n' --netns "/run/netns/$POD" --uid "$1"
}

pod_create() {
  ip netns add "$POD"
  ip netns add "$PEER"
  # Distinct interface indexes: see tests/e2e/harness/topology.cpp (IPv6 is usable at once).
  ip -n "$POD" link add eth0 index 11 type veth peer name eth0 index 12 netns "$PEER"
  ip -n "$POD" -batch - <<EOF_POD
link set lo up
addr add 10.0.0.1/24 dev eth0
addr add fd00::1/64 dev eth0 nodad
link set eth0 up
EOF_POD
  ip -n "$PEER" -batch - <<EOF_PEER
link set lo up
addr add 10.0.0.2/24 dev eth0
addr add fd00::2/64 dev eth0 nodad
link set eth0 up
EOF_PEER
}

# Starts a kt-e2e server in the background and waits for its "ready" line.
pod_start() {
  local fifo line=""
  fifo=$(mktemp -u "/tmp/ktpod-$$-XXXXXX")
  mkfifo "$fifo"
  "$TOOL" "$@" >"$fifo" &
  POD_PIDS+=($!)
  read -r -t 10 line <"$fifo" || true
  rm -f "$fifo"
  if [[ $line != ready ]]; then
    echo "could not start: kt-e2e $*" >&2
    return 1
  fi
}

pod_start_services() {
  local sidecar app
  mapfile -t sidecar < <(pod_place 5678)
  mapfile -t app < <(pod_place 1000)
  pod_start "${sidecar[@]}" sidecar
  pod_start "${app[@]}" server --name app --port 80
  pod_start --netns "/run/netns/$PEER" --uid 1000 server --name peer --port 8080 --dns-port 53
  pod_start --netns "/run/netns/$PEER" --uid 1000 server --name peer --port 9090
}

pod_cleanup() {
  local pid
  for pid in "${POD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${POD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  POD_PIDS=()
  ip netns delete "$POD" 2>/dev/null || true
  ip netns delete "$PEER" 2>/dev/null || true
}

# Where a probe ended up, from the reply line of kt-e2e (empty = no answer):
#   "sidecar :15001 10.0.0.2:8080" | "direct peer" | "direct app" | "dns sidecar" | "dns peer" | "none"
pod_where() {
  local line=$1
  case $line in
    sidecar*)
      echo "sidecar :$(sed -n 's/.* port=\([^ ]*\).*/\1/p' <<<"$line") $(sed -n 's/.* orig=\([^ ]*\).*/\1/p' <<<"$line")" ;;
    server*) echo "direct $(sed -n 's/.* name=\([^ ]*\).*/\1/p' <<<"$line")" ;;
    dns*)
      case $(sed -n 's/.*answer=\([^ ]*\).*/\1/p' <<<"$line") in
        10.99.99.99 | fd99::99) echo "dns sidecar" ;;
        10.88.88.88 | fd88::88) echo "dns peer" ;;
        *) echo "dns unknown" ;;
      esac ;;
    *) echo none ;;
  esac
}

# pod_probe WHO ARGS...: WHO is app (pod, uid 1000), sidecar (pod, uid 5678) or peer; prints pod_where.
pod_probe() {
  local who=$1 out
  shift
  local place
  case $who in
    app) mapfile -t place < <(pod_place 1000) ;;
    sidecar) mapfile -t place < <(pod_place 5678) ;;
    peer) place=(--netns "/run/netns/$PEER" --uid 1000) ;;
  esac
  out=$("$TOOL" "${place[@]}" "$@" --timeout-ms 2000 2>/dev/null) || true
  pod_where "$out"
}
