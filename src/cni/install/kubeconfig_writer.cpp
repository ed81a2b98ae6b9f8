#include "cni/install/kubeconfig_writer.h"

#include <cstdio>

#include "cni/base64.h"

namespace kt::cni {

namespace {

std::string yamlQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
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
