// Reading the plugin's kubeconfig: the current context's cluster (server URL, CA, TLS options)
// and user (bearer token or token file, client certificate and key).
//
// Supported fields: clusters[].cluster.{server, certificate-authority, certificate-authority-data,
// insecure-skip-tls-verify, tls-server-name}; users[].user.{token, tokenFile, client-certificate,
// client-certificate-data, client-key, client-key-data}; contexts[].context.{cluster, user};
// current-context (optional when there is exactly one context). Relative file paths are relative
// to the kubeconfig's directory, as kubectl resolves them. Exec/auth-provider plugins are not
// supported (the plugin must not run programs to get credentials) and are reported as such.
// insecure-skip-tls-verify is refused together with a CA or with a bearer token (token or
// tokenFile), as client-go refuses them: only a client certificate may go to an unverified
// server, since it proves who we are without handing over a reusable secret.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cni/secret.h"

namespace kt::cni {

struct KubeConfig {
  std::string server;  // "https://host:port[/prefix]"
  std::string caPem;   // empty = the system trust store
  bool insecureSkipTlsVerify = false;
  std::string tlsServerName;  // verify the certificate against this name instead of the host
  Secret token;               // inline bearer token
  std::string tokenFile;      // re-read for every request (projected tokens rotate)
  std::string clientCertPem;
  Secret clientKeyPem;
};

// Parses kubeconfig YAML (or JSON); `baseDir` resolves relative paths. Errors are kConfig and name
// the field; file read errors keep their kind. Neither the token nor the key appear in errors.
Result<KubeConfig> parseKubeConfig(std::string_view text, const std::string& baseDir);
Result<KubeConfig> loadKubeConfig(const std::string& path);

}  // namespace kt::cni
