#include "cni/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include "base/strings.h"
#include "cni/base64.h"
#include "cni/files.h"

namespace kt::cni {

namespace {

constexpr size_t kMaxCredentialFile = 1 << 20;

// Finds the entry named `name` in a kubeconfig list (clusters, users, contexts) and returns its
// `inner` map (cluster, user, context).
Result<YAML::Node> findNamed(const YAML::Node& root, const char* list, const char* inner,
                             const std::string& name) {
  YAML::Node items = root[list];
  if (!items || !items.IsSequence()) return Error::config(std::string("no ") + list + " list");
  for (const auto& item : items) {
    if (!item.IsMap()) continue;
    YAML::Node n = item["name"];
    if (n && n.IsScalar() && n.Scalar() == name) {
      YAML::Node v = item[inner];
      if (!v || !v.IsMap()) {
        return Error::config(std::string(list) + " entry " + quoteForMessage(name) + " has no " +
                             inner);
      }
      return v;
    }
  }
  return Error::config(std::string(list) + ": no entry named " + quoteForMessage(name));
}

std::string scalar(const YAML::Node& map, const char* key) {
  YAML::Node v = map[key];
  if (v && v.IsScalar()) return v.Scalar();
  return "";
}

std::string resolve(const std::string& baseDir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return joinPath(baseDir, path);
}

// "<field>-data" (base64) wins over "<field>" (a file), as in client-go.
Result<std::string> dataOrFile(const YAML::Node& map, const std::string& field,
                               const std::string& baseDir) {
  std::string data = scalar(map, (field + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64Decode(data);
    if (!decoded) return Error::config(field + "-data is not valid base64");
    return *decoded;
  }
  std::string file = scalar(map, field.c_str());
  if (file.empty()) return std::string();
  auto content = readFile(resolve(baseDir, file), kMaxCredentialFile);
  if (!content) return std::move(content).takeError().context(field);
  return content;
}

Result<KubeConfig> parseTree(const YAML::Node& root, const std::string& baseDir) {
  if (!root.IsMap()) return Error::config("not a kubeconfig (the document is not a map)");
  std::string contextName = scalar(root, "current-context");
  YAML::Node contexts = root["contexts"];
  if (contextName.empty()) {
    if (!contexts || !contexts.IsSequence() || contexts.size() != 1) {
      return Error::config("current-context is not set and there is not exactly one context");
    }
    contextName = scalar(contexts[0], "name");
  }
  KT_ASSIGN_OR_RETURN(YAML::Node ctx, findNamed(root, "contexts", "context", contextName));
  KT_ASSIGN_OR_RETURN(YAML::Node cluster,
                      findNamed(root, "clusters", "cluster", scalar(ctx, "cluster")));
  KubeConfig kc;
  kc.server = scalar(cluster, "server");
  if (kc.server.empty()) return Error::config("the cluster has no server");
  if (!startsWith(kc.server, "https://")) {
    return Error::config("server " + quoteForMessage(kc.server) + " is not an https:// URL")
        .hint("the plugin talks to the API server over TLS only");
  }
  KT_ASSIGN_OR_RETURN(kc.caPem, dataOrFile(cluster, "certificate-authority", baseDir));
  std::string insecure = scalar(cluster, "insecure-skip-tls-verify");
  kc.insecureSkipTlsVerify = insecure == "true";
  kc.tlsServerName = scalar(cluster, "tls-server-name");

  std::string userName = scalar(ctx, "user");
  if (!userName.empty()) {
    KT_ASSIGN_OR_RETURN(YAML::Node user, findNamed(root, "users", "user", userName));
    if (user["exec"] || user["auth-provider"]) {
      return Error::config("user " + quoteForMessage(userName) +
                           " uses an exec or auth-provider plugin, which kuma-cni does not run")
          .hint("give the plugin a kubeconfig with a token, tokenFile or client certificate");
    }
    kc.token = Secret(scalar(user, "token"));
    kc.tokenFile = resolve(baseDir, scalar(user, "tokenFile"));
    KT_ASSIGN_OR_RETURN(kc.clientCertPem, dataOrFile(user, "client-certificate", baseDir));
    KT_ASSIGN_OR_RETURN(std::string key, dataOrFile(user, "client-key", baseDir));
    kc.clientKeyPem = Secret(std::move(key));
    if (kc.clientCertPem.empty() != kc.clientKeyPem.empty()) {
      return Error::config("user " + quoteForMessage(userName) +
                           " has a client certificate without a key or a key without a "
                           "certificate");
    }
  }
  if (kc.insecureSkipTlsVerify) {
    // The combinations client-go refuses: a CA that would not be used, and a bearer token sent
    // to a server whose identity nobody checked (whoever answers gets the token).
    if (!kc.caPem.empty()) {
      return Error::config(
                 "the cluster sets both a certificate authority and insecure-skip-tls-verify")
          .hint("remove insecure-skip-tls-verify so the CA is used to verify the server");
    }
    if (!kc.token.empty() || !kc.tokenFile.empty()) {
      return Error::config(
                 "the cluster sets insecure-skip-tls-verify and the user has a bearer token: the "
                 "token would be sent to a server whose certificate is not verified")
          .hint(
              "give the cluster its CA (certificate-authority-data) instead of skipping "
              "verification");
    }
  }
  return kc;
}

}  // namespace

Result<KubeConfig> parseKubeConfig(std::string_view text, const std::string& baseDir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // e.mark locates the problem; e.msg never quotes the document's content.
    return Error::config("not valid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                         e.msg);
  }
  try {
    return parseTree(root, baseDir);
  } catch (const YAML::Exception& e) {
    return Error::config(std::string("unexpected structure: ") + e.msg);
  }
}

Result<KubeConfig> loadKubeConfig(const std::string& path) {
  auto text = readFile(path, kMaxCredentialFile);
  if (!text) return std::move(text).takeError().context("reading kubeconfig");
  return parseKubeConfig(*text, dirName(path)).context("kubeconfig " + path);
}

}  // namespace kt::cni
