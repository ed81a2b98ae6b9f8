// Shared helpers of the iptables backend tests: running the backend inside a scratch namespace,
// capturing log lines, loading foreign rules and snapshotting *-save output.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "backend/backend.h"
#include "backend/iptables/iptables_backend.h"
#include "backend/pod_network.h"
#include "config/facts.h"
#include "kernel/flock_holder.h"
#include "support/scratch_netns.h"

namespace kt::testing {

// Collects formatted log lines while alive; `onLine` runs synchronously for each line.
class LogCapture {
 public:
  explicit LogCapture(std::function<void(const std::string&)> onLine = {}) {
    auto sink = std::make_shared<Sink>(this);
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
    onLine_ = std::move(onLine);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& l : lines_)
      out += l + "\n";
    return out;
  }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    explicit Sink(LogCapture* owner) : owner_(owner) {}

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      std::string line(msg.payload.data(), msg.payload.size());
      {
        std::lock_guard<std::mutex> lock(owner_->mu_);
        owner_->lines_.push_back(line);
      }
      if (owner_->onLine_) owner_->onLine_(line);
    }
    void flush_() override {}

   private:
    LogCapture* owner_;
  };
  std::shared_ptr<spdlog::logger> previous_;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::function<void(const std::string&)> onLine_;
};

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

inline std::string modeTool(const std::string& mode, Family f, const char* suffix = "") {
  return std::string(f == Family::kV4 ? "iptables-" : "ip6tables-") + mode + suffix;
}

// *-save output without comment lines (timestamps, iptables-nft's legacy warning) and with the
// chain counters, which legacy save prints and traffic (IPv6 neighbour discovery) moves, zeroed.
inline std::string snapshot(ScratchNetns& ns, const std::string& saveTool) {
  auto out = ns.check(saveTool, {});
  if (!out) {
    ADD_FAILURE() << out.error().message();
    return {};
  }
  std::string kept;
  size_t pos = 0;
  while (pos < out->size()) {
    size_t end = out->find('\n', pos);
    if (end == std::string::npos) end = out->size();
    std::string line = out->substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == ':') line = line.substr(0, line.rfind('[')) + "[0:0]";
    kept += line + "\n";
  }
  return kept;
}

// Rules other software put in raw, nat and mangle, for one family.
inline std::string foreignRules(Family f) {
  std::string host = f == Family::kV4 ? "192.0.2.10/32" : "2001:db8::10/128";
  return "*raw\n"
         "-A PREROUTING -s " +
         host +
         " -j CT --notrack\n"
         "-A OUTPUT -p udp -m udp --dport 5353 -j CT --notrack\n"
         "COMMIT\n"
         "*nat\n"
         "-N FOREIGN_CHAIN\n"
         "-A PREROUTING -p tcp -m tcp --dport 2222 -j REDIRECT --to-ports 22\n"
         "-A OUTPUT -d " +
         host +
         " -j FOREIGN_CHAIN\n"
         "-A OUTPUT -p tcp -m tcp --dport 53 -j RETURN\n"
         "-A FOREIGN_CHAIN -p tcp -m comment --comment \"kuma/mesh/lookalike\" -j RETURN\n"
         "-A POSTROUTING -o kt0 -j MASQUERADE\n"
         "COMMIT\n"
         "*mangle\n"
         "-A PREROUTING -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xffffffff\n"
         "-A OUTPUT -m comment --comment \"foreign rule\" -j RETURN\n"
         "COMMIT\n";
}

inline Status loadForeign(ScratchNetns& ns, const std::string& mode, Family f) {
  KT_ASSIGN_OR_RETURN(auto r,
                      ns.run(modeTool(mode, f, "-restore"), {"--noflush"}, foreignRules(f)));
  if (!r.success()) return Error::runtime("loading foreign rules: " + r.describe());
  return okStatus();
}

// A configuration for tests: quick failure (no retries), default everything else.
inline config::Config testConfig() {
  config::Config cfg;
  cfg.retry.maxRetries = 0;
  cfg.kumaDpUser = config::SidecarUser::ofUid(5678);
  return cfg;
}

inline backend::iptables::Mode modeOf(const std::string& mode) {
  return mode == "legacy" ? backend::iptables::Mode::kLegacy : backend::iptables::Mode::kNft;
}

// make() + one operation inside the namespace.
inline Result<std::unique_ptr<backend::Backend>> makeIn(ScratchNetns& ns, const config::Config& cfg,
                                                        backend::iptables::Mode mode,
                                                        const config::RunOptions& run = {}) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(ns.path()));
  KT_ASSIGN_OR_RETURN(auto facts, config::gatherFacts(cfg, run));
  KT_ASSIGN_OR_RETURN(facts, backend::podNetworkFacts(cfg, run, std::move(facts)));
  return backend::iptables::make(cfg, run, facts, mode);
}

inline Status installIn(ScratchNetns& ns, const config::Config& cfg, backend::iptables::Mode mode,
                        const config::RunOptions& run = {}) {
  KT_ASSIGN_OR_RETURN(auto b, makeIn(ns, cfg, mode, run));
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(ns.path()));
  return b->install();
}

inline Result<backend::VerifyReport> verifyIn(ScratchNetns& ns, const config::Config& cfg,
                                              backend::iptables::Mode mode,
                                              const config::RunOptions& run = {}) {
  KT_ASSIGN_OR_RETURN(auto b, makeIn(ns, cfg, mode, run));
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(ns.path()));
  return b->verify();
}

// What `kuma-tproxy uninstall` does for the iptables backends: every mode that has tools.
inline Status uninstallIn(ScratchNetns& ns, const config::Config& cfg,
                          const config::RunOptions& run = {}) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(ns.path()));
  for (auto& b : backend::iptables::forUninstall(cfg, run))
    KT_TRY(b->uninstall());
  return okStatus();
}

}  // namespace kt::testing
