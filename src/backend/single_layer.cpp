#include "backend/single_layer.h"

#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::backend {

namespace {

class SingleLayer final : public Backend {
 public:
  SingleLayer(const config::Config& cfg, const config::RunOptions& run,
              std::unique_ptr<Backend> chosen)
      : cfg_(cfg), run_(run), chosen_(std::move(chosen)) {}

  std::string name() const override { return chosen_->name(); }
  Result<std::string> render() override { return chosen_->render(); }
  Status uninstall() override { return chosen_->uninstall(); }
  Result<std::vector<std::string>> installedState() override { return chosen_->installedState(); }

  Status install() override {
    // Read before the install: a failure here changes nothing.
    KT_ASSIGN_OR_RETURN(auto others, otherLayers());
    KT_TRY(chosen_->install());
    std::vector<std::string> removed;
    for (auto& o : others) {
      const std::string what = o.backend->name() + " (" + join(o.state, "; ") + ")";
      if (auto s = o.backend->uninstall(); !s) {
        Error err = std::move(s).takeError();
        std::string undo = "; the " + name() + " install was undone";
        if (auto u = chosen_->uninstall(); !u) {
          undo = "; undoing the " + name() + " install failed too: " + u.error().message();
        }
        std::string done = removed.empty() ? "" : "; already removed: " + join(removed, ", ");
        return Error(err.kind(), "removing the " + what + " interception left from before: " +
                                     err.message() + undo + done)
            .hint(
                "inspect with `kuma-tproxy verify`, remove the old layer with `kuma-tproxy "
                "uninstall --backend " +
                o.backend->name() + "` and install again");
      }
      spdlog::info("removed the {} interception that was installed before: {}", o.backend->name(),
                   join(o.state, "; "));
      removed.push_back(o.backend->name());
    }
    return okStatus();
  }

  Result<VerifyReport> verify() override {
    KT_ASSIGN_OR_RETURN(VerifyReport report, chosen_->verify());
    KT_ASSIGN_OR_RETURN(auto others, otherLayers());
    for (const auto& o : others) {
      for (const auto& line : o.state) {
        report.differences.push_back("+ unexpected: " + o.backend->name() +
                                     " state (another backend's layer): " + line);
      }
    }
    return report;
  }

 private:
  // Every other backend with state of ours here. A backend of the same name is the chosen one
  // (its uninstall form), whatever its own state.
  Result<std::vector<Present>> otherLayers() {
    KT_ASSIGN_OR_RETURN(auto present, presentBackends(cfg_, run_));
    std::vector<Present> out;
    for (auto& p : present)
      if (p.backend->name() != chosen_->name()) out.push_back(std::move(p));
    return out;
  }

  config::Config cfg_;
  config::RunOptions run_;
  std::unique_ptr<Backend> chosen_;
};

}  // namespace

std::unique_ptr<Backend> singleLayer(const config::Config& cfg, const config::RunOptions& run,
                                     std::unique_ptr<Backend> chosen) {
  return std::make_unique<SingleLayer>(cfg, run, std::move(chosen));
}

}  // namespace kt::backend
