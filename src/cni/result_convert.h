// Converting a previous plugin's result to the cniVersion the runtime asked for, so a chained
// plugin can pass prevResult through (ADD output).
//
// Results of 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0 are accepted. The output keeps only the fields
// the target version defines, as libcni's typed conversion does:
//   interfaces[]  name, mac, sandbox (+ mtu, socketPath, pciID in 1.1.0)
//   ips[]         address, gateway, interface (+ version "4"/"6" before 1.0.0, derived from the
//                 address when the input has none)
//   routes[]      dst, gw (+ mtu, advmss, priority, table, scope in 1.1.0)
//   dns           nameservers, domain, search, options
// A malformed result (wrong types, an address that is not a CIDR, a version that contradicts
// its address) is a decode error (code 6).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/net.h"
#include "base/result.h"

namespace kt::cni {

Result<nlohmann::ordered_json> convertResult(const nlohmann::json& result,
                                             std::string_view toVersion);

// What a plugin without prevResult prints on ADD: no interfaces, no addresses.
nlohmann::ordered_json emptyResult(std::string_view version);

// The pod's address in a result (without the prefix length): the first IPv4 address of an
// interface inside the sandbox (one with "sandbox" set), else the first IPv6 one, else the first
// address at all; nullopt when the result has none. Used as the eBPF instance IP.
std::optional<IpAddress> podAddress(const nlohmann::json& result);

}  // namespace kt::cni
