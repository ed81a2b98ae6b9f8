#include "app/logging.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::app {

namespace {

std::string jsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

// One JSON object per line: {"time":"...","level":"info","logger":"kuma-tproxy","msg":"..."}.
template <class Mutex>
class JsonSink : public spdlog::sinks::base_sink<Mutex> {
 public:
  explicit JsonSink(FILE* f) : f_(f) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto t = std::chrono::system_clock::to_time_t(msg.time);
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count() %
        1000000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[64];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(us));
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line = std::string("{\"time\":\"") + ts + "\",\"level\":\"" +
                       std::string(level.data(), level.size()) + "\",\"msg\":\"" +
                       jsonEscape(std::string_view(msg.payload.data(), msg.payload.size())) +
                       "\"}\n";
    std::fwrite(line.data(), 1, line.size(), f_);
  }
  void flush_() override { std::fflush(f_); }

 private:
  FILE* f_;
};

}  // namespace

Status setupLogging(const LogOptions& opt) {
  auto level = spdlog::level::from_str(toLower(opt.level));
  // from_str returns off for unknown names; only accept "off" when it was asked for.
  if (level == spdlog::level::off && toLower(opt.level) != "off") {
    return Error::config("--log-level: " + quoteForMessage(opt.level) +
                         " is not one of trace, debug, info, warn, error, off");
  }
  if (opt.format != "text" && opt.format != "json") {
    return Error::config("--log-format: " + quoteForMessage(opt.format) +
                         " is not one of text, json");
  }
  std::vector<spdlog::sink_ptr> sinks;
  if (opt.format == "json") {
    sinks.push_back(std::make_shared<JsonSink<std::mutex>>(stderr));
  } else {
    auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s->set_pattern("%^%L%$ %H:%M:%S.%e %v");
    sinks.push_back(s);
  }
  if (!opt.file.empty()) {
    try {
      auto f = std::make_shared<spdlog::sinks::basic_file_sink_mt>(opt.file, false);
      f->set_pattern("%Y-%m-%dT%H:%M:%S.%f %l [%P] %v");
      sinks.push_back(f);
    } catch (const spdlog::spdlog_ex& e) {
      return Error::runtime("opening log file " + opt.file + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("kuma-tproxy", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace kt::app
