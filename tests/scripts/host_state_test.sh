#!/usr/bin/env bash
# scripts/lib/host.sh must not depend on what the host's firewall holds: host_state works in a
# brand-new network namespace that has never had a table (a fresh machine), and with foreign
# iptables (legacy and nf_tables) and nftables rules present, whose changes it notices. Everything
# runs in network namespaces of its own (unshare -n): the host's rules are never touched, and the
# namespaces vanish with their processes. Needs root (exit 77 = skipped without).
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/../../scripts/lib/errtrap.sh"
cd "$(dirname "$0")/../.."

if [[ $(id -u) -ne 0 ]]; then
  echo "host_state_test: SKIPPED: needs root (network namespaces)" >&2
  exit 77
fi

fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then
    echo "ok   $1"
  else
    echo "FAIL $1: expected '$2', got '$3'"
    fail=1
  fi
}

# Runs host_state in a new, empty network namespace, optionally after COMMANDS (one script
# argument) have planted rules there. Prints the hash, or "failed (exit N)".
state_in_fresh_netns() {
  # shellcheck disable=SC2016 # the script is expanded by the inner bash, in the new namespace
  unshare -n bash -c '
    source scripts/lib/errtrap.sh
    source scripts/lib/host.sh
    eval "$1" >/dev/null
    host_state' _ "${1:-}" 2>/dev/null || echo "failed (exit $?)"
}

empty=$(state_in_fresh_netns)
check "no rules at all: a hash" 1 "$(grep -cE '^[0-9a-f]{64}$' <<<"$empty" || true)"
check "no rules at all: the same hash again" "$empty" "$(state_in_fresh_netns)"

legacy='iptables-legacy -t nat -A OUTPUT -p tcp --dport 9 -j RETURN'
nftcmd='iptables-nft -t filter -A INPUT -p udp --dport 9 -j ACCEPT'
nfttable='nft add table inet foreign; nft add chain inet foreign c { type filter hook output priority 0 \; }'
for rules in "$legacy" "$nftcmd" "$nfttable"; do
  with=$(state_in_fresh_netns "$rules")
  check "foreign rules ($rules): a hash" 1 "$(grep -cE '^[0-9a-f]{64}$' <<<"$with" || true)"
  check "foreign rules ($rules): differs from no rules" 1 "$([[ $with != "$empty" ]] && echo 1 || echo 0)"
  check "foreign rules ($rules): stable" "$with" "$(state_in_fresh_netns "$rules")"
done

exit "$fail"
