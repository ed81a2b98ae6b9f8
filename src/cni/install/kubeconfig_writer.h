// The kubeconfig the installer writes for the plugin: one cluster (the in-cluster API service
// address, the service account's CA inline), one user (the service account token inline: the
// plugin runs on the host and cannot read the installer's token file).
#pragma once

#include <string>

#include "cni/secret.h"

namespace kt::cni {

// host may be an IPv6 literal (bracketed in the URL). Values are YAML double-quoted.
Secret renderPluginKubeconfig(const std::string& host, const std::string& port,
                              const std::string& caPem, const Secret& token);

}  // namespace kt::cni
