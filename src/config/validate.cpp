#include "config/validate.h"

#include <algorithm>

#include "base/strings.h"

namespace kt::config {

namespace {

bool contains(const std::vector<PortRange>& ranges, uint16_t port) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [port](const PortRange& r) { return r.first <= port && port <= r.last; });
}

class Checker {
 public:
  Checker(const Config& cfg, bool cniMode, const std::map<std::string, Source>& provenance,
          Problems& problems, std::vector<std::string>& warnings)
      : cfg_(cfg), cniMode_(cniMode), prov_(provenance), problems_(problems), warnings_(warnings) {}

  void run() {
    redirectPorts();
    excludedRedirectPorts();
    includeAndExclude();
    ebpfBackend();
    cniUser();
    if (cfg_.dns.captureAll && !cfg_.dns.enabled) {
      warnings_.push_back("redirect.dns.captureAll " + from("redirect.dns.captureAll") +
                          " has no effect while redirect.dns.enabled is false " +
                          from("redirect.dns.enabled"));
    }
  }

 private:
  // "(flag --x)" / "(default)".
  std::string from(const std::string& key) const {
    auto it = prov_.find(key);
    return "(" + (it == prov_.end() ? std::string("default") : it->second.describe()) + ")";
  }

  void redirectPorts() {
    struct Use {
      const char* key;
      uint16_t port;
    };
    std::vector<Use> uses;
    if (cfg_.inbound.enabled) {
      uses.push_back({"redirect.inbound.port", cfg_.inbound.port});
      if (cfg_.ipv6Requested()) uses.push_back({"redirect.inbound.portIPv6", cfg_.inbound.portV6});
    }
    if (cfg_.outbound.enabled) uses.push_back({"redirect.outbound.port", cfg_.outbound.port});
    if (cfg_.dns.enabled) uses.push_back({"redirect.dns.port", cfg_.dns.port});
    for (size_t i = 0; i < uses.size(); ++i) {
      for (size_t j = i + 1; j < uses.size(); ++j) {
        if (uses[i].port != uses[j].port) continue;
        // IPv4 and IPv6 inbound traffic may share one listener (Kuma's default since 2.7).
        std::string_view a = uses[i].key, b = uses[j].key;
        if (a == "redirect.inbound.port" && b == "redirect.inbound.portIPv6") continue;
        problems_.add(std::string(a) + " " + from(uses[i].key) + " and " + std::string(b) + " " +
                      from(uses[j].key) + " are both " + std::to_string(uses[i].port) +
                      "; each redirection needs its own port");
      }
    }
  }

  void excludedRedirectPorts() {
    auto check = [&](const char* portKey, uint16_t port, const char* listKey,
                     const std::vector<PortRange>& list) {
      if (!contains(list, port)) return;
      problems_.add(std::string(portKey) + " " + std::to_string(port) + " " + from(portKey) +
                    " is also in " + listKey + " " + from(listKey) +
                    "; a redirect port cannot be excluded");
    };
    if (cfg_.inbound.enabled) {
      check("redirect.inbound.port", cfg_.inbound.port, "redirect.inbound.excludePorts",
            cfg_.inbound.excludePorts);
      if (cfg_.ipv6Requested() && cfg_.inbound.portV6 != cfg_.inbound.port) {
        check("redirect.inbound.portIPv6", cfg_.inbound.portV6, "redirect.inbound.excludePorts",
              cfg_.inbound.excludePorts);
      }
      uint16_t probe = cfg_.inbound.applicationProbeProxyPort;
      if (probe != 0) {
        check("redirect.inbound.port", cfg_.inbound.port, "applicationProbeProxyPort",
              {PortRange{probe, probe}});
        if (cfg_.ipv6Requested() && cfg_.inbound.portV6 != cfg_.inbound.port) {
          check("redirect.inbound.portIPv6", cfg_.inbound.portV6, "applicationProbeProxyPort",
                {PortRange{probe, probe}});
        }
      }
    }
    if (cfg_.outbound.enabled) {
      check("redirect.outbound.port", cfg_.outbound.port, "redirect.outbound.excludePorts",
            cfg_.outbound.excludePorts);
    }
  }

  void includeAndExclude() {
    auto check = [&](const char* dir, const std::vector<PortRange>& include,
                     const std::vector<PortRange>& exclude) {
      if (include.empty() || exclude.empty()) return;
      std::string inc = std::string("redirect.") + dir + ".includePorts";
      std::string exc = std::string("redirect.") + dir + ".excludePorts";
      problems_.add(inc + " " + from(inc) + " and " + exc + " " + from(exc) +
                    " are both set; use only one of them for the " + dir + " direction");
    };
    check("inbound", cfg_.inbound.includePorts, cfg_.inbound.excludePorts);
    check("outbound", cfg_.outbound.includePorts, cfg_.outbound.excludePorts);
  }

  void ebpfBackend() {
    if (!cfg_.ebpf.enabled) return;
    if (cfg_.backend == Backend::kAuto || cfg_.backend == Backend::kEbpf) return;
    problems_.add(std::string("ebpf.enabled ") + from("ebpf.enabled") +
                  " selects the eBPF backend, but backend is " + backendName(cfg_.backend) + " " +
                  from("backend") + "; choose one");
  }

  void cniUser() {
    const std::string& user = cfg_.kumaDpUser.name;
    if (!cniMode_ || user.empty()) return;
    problems_.add(std::string("kumaDPUser ") + from("kumaDPUser") + ": " + quoteForMessage(user) +
                  " is a user name, but CNI mode accepts only numeric uids");
  }

  const Config& cfg_;
  bool cniMode_;
  const std::map<std::string, Source>& prov_;
  Problems& problems_;
  std::vector<std::string>& warnings_;
};

}  // namespace

void validate(const Config& cfg, bool cniMode, const std::map<std::string, Source>& provenance,
              Problems& problems, std::vector<std::string>& warnings) {
  Checker(cfg, cniMode, provenance, problems, warnings).run();
}

}  // namespace kt::config
