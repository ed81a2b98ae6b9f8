// The CNI plugin: one invocation = environment + stdin in, JSON on stdout + exit code out.
//
// handle() is the whole protocol (it is what tests drive); runPlugin() binds it to the process:
// getenv, stdin, stdout. Errors are printed as the CNI error object
//   {"cniVersion": ..., "code": N, "msg": ..., "details": ...}
// with exit code 1; see docs/cni.md for the codes. Log lines go to stderr and, when the network
// configuration has log_file, to that file.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cni/request.h"
#include "cni/spec.h"

namespace kt::cni {

// A failed command: the code and the message for the CNI error object.
struct CniError {
  ErrorCode code;
  std::string msg;
  std::string details;
};

// What a command produces: JSON for stdout (ADD, VERSION), nothing (DEL, CHECK, STATUS, GC), or
// an error.
struct Reply {
  std::optional<nlohmann::ordered_json> json;
  std::optional<CniError> error;

  static Reply ok(std::optional<nlohmann::ordered_json> json = std::nullopt) {
    return {std::move(json), std::nullopt};
  }
  // msg is the spec's text for the code; details the error with its context and hint.
  static Reply fail(ErrorCode code, const Error& error);
};

struct Invocation {
  EnvLookup env;
  std::string stdinData;
};

struct Outcome {
  int exitCode = 0;
  std::string out;  // exactly what goes to stdout
};

Outcome handle(const Invocation& invocation);

// The process entry point for argv[0] "kuma-cni" and `kuma-tproxy cni`; returns the exit code.
int runPlugin();

}  // namespace kt::cni
