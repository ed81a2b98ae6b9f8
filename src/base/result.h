// Errors as values: kt::Error and kt::Result<T>.
//
// Every fallible function returns Result<T> (or Status = Result<void>). An Error carries what
// failed, the errno (copied right after the failing call), a kind that decides the exit code and
// the CNI error code, an optional operator hint ("hint: ..."), and context added on the way up
// ("installing IPv6 nat rules: ..."). Exceptions are reserved for CLI parse errors and programmer
// bugs; only main() and the CNI entry point turn an Error into an exit code or error JSON.
#pragma once

#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace kt {

enum class ErrorKind {
  kRuntime,      // system or kernel I/O failed (exit 1)
  kConfig,       // invalid input; nothing was changed (exit 2)
  kPermission,   // a privilege or capability is missing (exit 1)
  kUnsupported,  // the kernel or a tool lacks a needed feature (exit 1)
  kTransient,    // worth retrying later: a lock is held, an API is unavailable (exit 1)
  kNotFound,     // something looked up does not exist (exit 1)
};

class Error {
 public:
  Error(ErrorKind kind, std::string message, int errnum = 0)
      : kind_(kind), message_(std::move(message)), errnum_(errnum) {}

  static Error runtime(std::string message) { return {ErrorKind::kRuntime, std::move(message)}; }
  static Error config(std::string message) { return {ErrorKind::kConfig, std::move(message)}; }
  // A failed system call: `what` names the call and its object, errnum is the copied errno.
  static Error system(std::string what, int errnum) {
    ErrorKind kind = ErrorKind::kRuntime;
    if (errnum == EPERM || errnum == EACCES) kind = ErrorKind::kPermission;
    if (errnum == ENOENT) kind = ErrorKind::kNotFound;
    if (errnum == EAGAIN || errnum == EBUSY) kind = ErrorKind::kTransient;
    return {kind, std::move(what), errnum};
  }

  // Prepends "ctx: " to the message. Use when passing an error up a layer.
  Error&& context(const std::string& ctx) && {
    message_ = ctx + ": " + message_;
    return std::move(*this);
  }
  Error& context(const std::string& ctx) & {
    message_ = ctx + ": " + message_;
    return *this;
  }
  Error&& hint(std::string hint) && {
    hint_ = std::move(hint);
    return std::move(*this);
  }
  Error&& kind(ErrorKind kind) && {
    kind_ = kind;
    return std::move(*this);
  }

  ErrorKind kind() const { return kind_; }
  int errnum() const { return errnum_; }
  const std::string& hint() const { return hint_; }
  // The message with the errno text appended: "ctx: what: Operation not permitted".
  std::string message() const {
    if (errnum_ == 0) return message_;
    return message_ + ": " + std::strerror(errnum_);
  }

 private:
  ErrorKind kind_;
  std::string message_;
  int errnum_ = 0;
  std::string hint_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error takeError() && { return std::get<1>(std::move(v_)); }

  Result context(const std::string& ctx) && {  // by value: KT_TRY(f().context(..)) must not dangle
    if (!ok()) std::get<1>(v_).context(ctx);
    return std::move(*this);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Error takeError() && { return std::move(error_); }
  Result context(const std::string& ctx) && {  // by value: KT_TRY(f().context(..)) must not dangle
    if (!ok_) error_.context(ctx);
    return std::move(*this);
  }

 private:
  Error error_{ErrorKind::kRuntime, ""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status okStatus() {
  return {};
}

}  // namespace kt

#define KT_CONCAT_INNER(a, b) a##b
#define KT_CONCAT(a, b) KT_CONCAT_INNER(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define KT_TRY(expr)                                                        \
  do {                                                                      \
    auto&& kt_try_result_ = (expr);                                         \
    if (!kt_try_result_.ok()) return std::move(kt_try_result_).takeError(); \
  } while (0)

// `KT_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value or returns its error.
#define KT_ASSIGN_OR_RETURN(lhs, expr) \
  KT_ASSIGN_OR_RETURN_IMPL(KT_CONCAT(kt_result_, __LINE__), lhs, expr)
#define KT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).takeError(); \
  lhs = std::move(tmp).value()
