// The node administrator's transparent-proxy policy in the kuma-cni network configuration: which
// configuration pods get, and which node-level settings and backends they may choose themselves
// (docs/security.md has the whole model).
//
// Keys (next to those of net_conf.h):
//   tproxy_config          object in the --config-file schema: the administrator's layer, below
//                          the pod's annotations; every key allowed, node-level ones included
//   allow_pod_settings     array of canonical keys of node-level settings pods MAY set by
//                          annotation (default: none); an unknown key is an error
//   allowed_backends       array of backend names pods may choose (default: any)
//   ebpf_programs_sha256   object: eBPF object file name -> hex SHA-256 accepted from a programs
//                          source path besides copies of the embedded objects
//   state_dir              ours: where ADD records what it created for each container, for DEL
//                          (root-only; default kDefaultStateDir)
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "config/loader.h"

namespace kt::cni {

inline constexpr const char* kDefaultStateDir = "/run/kuma-tproxy/cni";

struct AdminPolicy {
  config::PodPolicy pod;  // adminConfig holds tproxy_config as JSON text
  std::map<std::string, std::string> ebpfProgramsSha256;
  std::string stateDir = kDefaultStateDir;
};

// Reads the keys above from the network configuration `doc`. Every problem is one entry of
// `problems` ("allow_pod_settings: ..."), for net_conf.cpp to report with the others;
// tproxy_config is checked by loading it, so its bad values fail every command early.
AdminPolicy parseAdminPolicy(const nlohmann::json& doc, std::vector<std::string>& problems);

}  // namespace kt::cni
