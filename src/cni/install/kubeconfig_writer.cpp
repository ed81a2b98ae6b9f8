#include "cni/install/kubeconfig_writer.h"

#include "base/strings.h"
#include "cni/base64.h"

namespace kt::cni {

namespace {

std::string yamlQuote(const std::string& s) {
  return escapeQuoted(s, '"');
}

}  // namespace

Secret renderPluginKubeconfig(const std::string& host, const std::string& port,
                              const std::string& caPem, const Secret& token) {
  std::string hostPart = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string text =
      "# Written by kuma-tproxy cni-install for the kuma-cni plugin; rewritten when the token\n"
      "# changes and removed when the installer stops. Do not edit.\n"
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: local\n"
      "  cluster:\n"
      "    server: " +
      yamlQuote("https://" + hostPart + ":" + port) +
      "\n"
      "    certificate-authority-data: " +
      yamlQuote(base64Encode(caPem)) +
      "\n"
      "users:\n"
      "- name: kuma-cni\n"
      "  user:\n"
      "    token: " +
      yamlQuote(token.reveal()) +
      "\n"
      "contexts:\n"
      "- name: kuma-cni-context\n"
      "  context:\n"
      "    cluster: local\n"
      "    user: kuma-cni\n"
      "current-context: kuma-cni-context\n";
  return Secret(std::move(text));
}

}  // namespace kt::cni
