#include "cni/plugin.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "app/logging.h"
#include "cni/commands.h"
#include "cni/net_conf.h"

namespace kt::cni {

using nlohmann::ordered_json;

namespace {

Outcome errorOutcome(const CniError& e, const std::string& version) {
  ordered_json j = ordered_json::object();
  j["cniVersion"] = version;
  j["code"] = static_cast<int>(e.code);
  j["msg"] = e.msg;
  if (!e.details.empty()) j["details"] = e.details;
  spdlog::error("{}: {}", e.msg, e.details);
  // error_handler_t::replace: invalid UTF-8 from hostile input must not make dump() throw.
  return {1, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

Outcome fromReply(const Reply& r, const std::string& version) {
  if (r.error) return errorOutcome(*r.error, version);
  if (!r.json) return {0, ""};
  return {0, r.json->dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

Outcome fail(ErrorCode code, const Error& e, const std::string& version) {
  return fromReply(Reply::fail(code, e), version);
}

Outcome versionInfo() {
  ordered_json j = ordered_json::object();
  j["cniVersion"] = newestVersion();
  j["supportedVersions"] = supportedVersions();
  return {0, j.dump() + "\n"};
}

}  // namespace

Reply Reply::fail(ErrorCode code, const Error& error) {
  std::string details = error.message();
  if (!error.hint().empty()) details += " (hint: " + error.hint() + ")";
  return {std::nullopt, CniError{code, errorCodeMessage(code), std::move(details)}};
}

Outcome handle(const Invocation& inv) {
  auto req = requestFromEnv(inv.env);
  if (!req) return fail(ErrorCode::kInvalidEnvironment, req.error(), newestVersion());
  if (req->command == Command::kVersion) return versionInfo();

  auto doc = decodeJson(inv.stdinData);
  if (!doc) return fail(ErrorCode::kDecodeFailure, doc.error(), newestVersion());
  auto version = configVersion(*doc);
  if (!version) return fail(ErrorCode::kIncompatibleVersion, version.error(), newestVersion());
  auto conf = parseNetConf(*doc);
  if (!conf) return fail(ErrorCode::kInvalidNetworkConfig, conf.error(), *version);
  if (auto s = commandAllowedIn(req->command, *version); !s) {
    return fail(ErrorCode::kIncompatibleVersion, s.error(), *version);
  }

  app::LogOptions logOpts;
  logOpts.level = conf->logLevel;
  logOpts.file = conf->logFile;
  if (auto s = app::setupLogging(logOpts); !s) {
    // Losing the log file must not fail the pod; stderr still works.
    logOpts.file.clear();
    (void)app::setupLogging(logOpts);
    spdlog::warn("log_file: {}", s.error().message());
  }
  spdlog::debug("{} container={} netns={} ifname={} pod={}/{} cniVersion={}",
                commandName(req->command), req->containerId, req->netns, req->ifname,
                req->podNamespace(), req->podName(), *version);

  Reply reply;
  switch (req->command) {
    case Command::kAdd:
      reply = cmdAdd(*req, *conf);
      break;
    case Command::kCheck:
      reply = cmdCheck(*req, *conf);
      break;
    case Command::kDel:
      reply = cmdDel(*req, *conf);
      break;
    case Command::kStatus:
      reply = cmdStatus(*conf);
      break;
    case Command::kGc:
    case Command::kVersion:
      reply = Reply::ok();
      break;
  }
  return fromReply(reply, *version);
}

int runPlugin() {
  std::string input;
  bool readFailed = false;
  int readErrno = 0;
  // VERSION may come without stdin; reading an empty or closed stdin is fine either way.
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      readFailed = true;
      readErrno = errno;
      break;
    }
    if (n == 0) break;
    input.append(buf, static_cast<size_t>(n));
    if (input.size() > kMaxStdinBytes) break;  // decodeJson reports the size
  }
  Outcome out;
  auto env = processEnv();
  auto command = env("CNI_COMMAND");
  if (readFailed && command != "VERSION") {
    out = fail(ErrorCode::kIoFailure, Error::system("reading stdin", readErrno), newestVersion());
  } else {
    out = handle({env, std::move(input)});
  }
  std::fwrite(out.out.data(), 1, out.out.size(), stdout);
  std::fflush(stdout);
  return out.exitCode;
}

}  // namespace kt::cni
