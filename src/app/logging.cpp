#include "app/logging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::app {

namespace {

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
                       escapeJson(std::string_view(msg.payload.data(), msg.payload.size())) +
                       "\"}\n";
    std::fwrite(line.data(), 1, line.size(), f_);
  }
  void flush_() override { std::fflush(f_); }

 private:
  FILE* f_;
};

// Appends formatted lines to a file this sink owns (opened by openLogFile).
class AppendFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit AppendFileSink(FILE* f) : f_(f) {}
  ~AppendFileSink() override { std::fclose(f_); }
  AppendFileSink(const AppendFileSink&) = delete;
  AppendFileSink& operator=(const AppendFileSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), f_);
  }
  void flush_() override { std::fflush(f_); }

 private:
  FILE* f_;
};

// Opens the log file for appending, the way a file written as root on an administrator's
// behalf must be opened: never through a symbolic link (O_NOFOLLOW: whoever can plant one in
// the directory would otherwise choose which file root appends to), without blocking on a FIFO
// or device (O_NONBLOCK, then only a regular file is accepted), created 0600 (log lines name
// pods and namespaces). An existing file keeps its mode and owner.
Result<FILE*> openLogFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
                  0600);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP) {
      return Error(ErrorKind::kPermission,
                   "log file " + path + " is a symbolic link, which is not followed")
          .hint("point log_file at the real file");
    }
    return Error::system("opening log file " + path, err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::config("log file " + path + " is not a regular file");
  }
  // Regular files ignore O_NONBLOCK, but later writes must not depend on that.
  ::fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
  FILE* f = ::fdopen(fd, "a");
  if (!f) {
    int err = errno;
    ::close(fd);
    return Error::system("opening log file " + path, err);
  }
  return f;
}

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
    KT_ASSIGN_OR_RETURN(FILE * file, openLogFile(opt.file));
    auto f = std::make_shared<AppendFileSink>(file);
    f->set_pattern("%Y-%m-%dT%H:%M:%S.%f %l [%P] %v");
    sinks.push_back(f);
  }
  auto logger = std::make_shared<spdlog::logger>("kuma-tproxy", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace kt::app
