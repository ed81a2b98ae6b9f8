#include "kube_fixtures.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/enter_netns.h"
#include "sys/exec.h"

namespace kt::cni::test {

using nlohmann::json;

int runTool(const std::vector<std::string>& argv, std::string* output, int netnsFd) {
  auto path = sys::findExecutable(argv.at(0));
  if (!path) {
    if (output) *output = path.error().message();
    return 127;
  }
  sys::ExecRequest req;
  req.path = *path;
  req.args.assign(argv.begin() + 1, argv.end());
  req.timeout = std::chrono::seconds(60);
  int fd = netnsFd;
  if (netnsFd >= 0) {
    req.childSetup = ::kt::testing::enterNetnsInChild;
    req.childSetupArg = &fd;
  }
  auto r = sys::run(req);
  if (!r) {
    if (output) *output = r.error().message();
    return 126;
  }
  if (output) *output = r->out + r->err;
  return r->exitCode;
}

std::unique_ptr<Netns> newNetns(const std::string& tag) {
  return ::kt::testing::newNetns("cni-" + tag);
}

Pki::Pki(const TempDir& dir) {
  auto p = [&](const std::string& f) { return dir / f; };
  caCert = p("ca.crt");
  caKey = p("ca.key");
  serverCert = p("server.crt");
  serverKey = p("server.key");
  clientCert = p("client.crt");
  clientKey = p("client.key");
  otherCaCert = p("other-ca.crt");
  spit(p("server.ext"),
       "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
       "extendedKeyUsage=serverAuth\n");
  spit(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes"};
  auto ca = [&](const std::string& cert, const std::string& key, const std::string& cn) {
    std::vector<std::string> a = {"openssl", "req", "-x509"};
    a.insert(a.end(), ec.begin(), ec.end());
    a.insert(a.end(), {"-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn, "-addext",
                       "basicConstraints=critical,CA:TRUE", "-addext",
                       "keyUsage=critical,keyCertSign,cRLSign"});
    return runTool(a) == 0;
  };
  auto leaf = [&](const std::string& cert, const std::string& key, const std::string& cn,
                  const std::string& ext) {
    std::vector<std::string> a = {"openssl", "req"};
    a.insert(a.end(), ec.begin(), ec.end());
    a.insert(a.end(), {"-keyout", key, "-out", cert + ".csr", "-subj", "/CN=" + cn});
    if (runTool(a) != 0) return false;
    return runTool({"openssl", "x509", "-req", "-in", cert + ".csr", "-CA", caCert, "-CAkey", caKey,
                    "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext}) == 0;
  };
  ok = ca(caCert, caKey, "kt-cni-test-ca") && ca(otherCaCert, p("other-ca.key"), "other-ca") &&
       leaf(serverCert, serverKey, "kube-apiserver", p("server.ext")) &&
       leaf(clientCert, clientKey, "system:serviceaccount:kube-system:kuma-cni", p("client.ext"));
}

ApiStub::ApiStub(const TempDir& dir, const Pki& pki, const Netns& ns, const std::string& token,
                 bool requireClientCert) {
  fixtures_ = dir / "fixtures";
  log_ = dir / "api-requests.log";
  ::mkdir(fixtures_.c_str(), 0755);
  std::string portFile = dir / "api-stub.out";
  ChildOptions o;
  o.argv = {"/usr/bin/python3", KT_CNI_API_STUB, "--cert",  pki.serverCert, "--key",
            pki.serverKey,      "--fixtures",    fixtures_, "--log",        log_};
  if (!token.empty()) o.argv.insert(o.argv.end(), {"--token", token});
  if (requireClientCert) o.argv.insert(o.argv.end(), {"--client-ca", pki.caCert});
  o.env = {{"PATH", "/usr/bin:/bin"}};
  o.stdoutFile = portFile;
  o.stderrFile = dir / "api-stub.err";
  o.netnsFd = ns.fd();
  child_ = std::make_unique<Child>(o);
  waitFor([&] {
    std::istringstream in(slurp(portFile));
    std::string word;
    in >> word >> port_;
    return word == "PORT" && port_ > 0;
  });
}

void ApiStub::addPod(const json& pod) {
  std::string ns = pod["metadata"]["namespace"];
  std::string name = pod["metadata"]["name"];
  ::mkdir((fixtures_ + "/" + ns).c_str(), 0755);
  spit(fixtures_ + "/" + ns + "/" + name + ".json", pod.dump());
}

void ApiStub::setBehaviour(const std::string& ns, const std::string& name, const json& b) {
  ::mkdir((fixtures_ + "/" + ns).c_str(), 0755);
  spit(fixtures_ + "/" + ns + "/" + name + ".behaviour", b.dump());
}

void ApiStub::setListBehaviour(const json& b) {
  spit(fixtures_ + "/_list.behaviour", b.dump());
}

std::vector<json> ApiStub::requests() const {
  std::vector<json> out;
  std::istringstream in(slurp(log_));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

json makePod(const std::string& ns, const std::string& name, bool injected,
             const json& extraAnnotations) {
  json annotations = json::object();
  json containers = json::array({{{"name", "app"}, {"image", "app:1"}}});
  if (injected) {
    annotations["kuma.io/sidecar-injected"] = "true";
    annotations["kuma.io/transparent-proxying"] = "enabled";
    annotations["kuma.io/sidecar-uid"] = "5678";
    containers.push_back({{"name", "kuma-sidecar"}, {"image", "kuma-dp:2.9"}});
  }
  annotations.update(extraAnnotations);
  return {{"kind", "Pod"},
          {"apiVersion", "v1"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"annotations", annotations}}},
          {"spec", {{"containers", containers}}}};
}

std::string kubeconfigText(const std::string& server, const std::string& caFile,
                           const std::string& token, const std::string& clientCert,
                           const std::string& clientKey) {
  json user = json::object();
  if (!token.empty()) user["token"] = token;
  if (!clientCert.empty()) {
    user["client-certificate"] = clientCert;
    user["client-key"] = clientKey;
  }
  json kc = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters",
       {{{"name", "local"}, {"cluster", {{"server", server}, {"certificate-authority", caFile}}}}}},
      {"users", {{{"name", "kuma-cni"}, {"user", user}}}},
      {"contexts", {{{"name", "ctx"}, {"context", {{"cluster", "local"}, {"user", "kuma-cni"}}}}}},
      {"current-context", "ctx"}};
  return kc.dump(2);
}

}  // namespace kt::cni::test
