# shellcheck shell=bash
# What a script reads of the current network namespace's firewall (sourced by test-images.sh,
# checked by tests/scripts/host_state_test.sh in an empty namespace and in one with foreign rules).

# Prints one SHA-256 of every rule in the current network namespace: iptables and ip6tables in
# both modes (legacy, nf_tables) and the nftables ruleset, without the save tools' comment lines
# (they carry timestamps). Works the same with no rule or table at all (a fresh machine) and with
# some of the tools missing: only a hash that cannot be computed is an error.
host_state() {
  local dump
  dump=$({
    iptables-nft-save
    ip6tables-nft-save
    iptables-legacy-save
    ip6tables-legacy-save
    nft list ruleset
  } 2>/dev/null || true)
  # sed, not `grep -v`: with no rules there is no line to keep, and grep would exit 1.
  printf '%s\n' "$dump" | sed '/^#/d' | sha256sum | cut -d' ' -f1
}
