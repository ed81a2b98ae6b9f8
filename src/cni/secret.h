// A credential (bearer token, private key) that must never reach a log line or an error message.
//
// Secret deliberately has no stream operator and no fmt formatter: passing one to spdlog or
// fmt::format is a compile error, so the only way to the bytes is an explicit reveal().
#pragma once

#include <string>
#include <utility>

namespace kt::cni {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret&) const = default;

 private:
  std::string value_;
};

}  // namespace kt::cni
