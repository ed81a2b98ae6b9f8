// spdlog's implementation, compiled once into this program (KT_STATIC_DEPS).
//
// Debian ships spdlog as a shared library or as headers only. Linking the shared library costs
// every run of the program its symbol look-ups at start; header-only mode would compile spdlog's
// implementation into each of the ~25 files that log, doubling their compile time. So every file
// sees spdlog's declarations only (SPDLOG_COMPILED_LIB, set by cmake/static_deps.cmake) and this
// one holds the definitions. fmt is used header-only.
//
// Contract: the -inl.h files below cover the parts of spdlog this project uses (loggers, the
// registry and its default colour logger, pattern formatting, the stdout/stderr, colour, basic
// file and base sinks). The class templates whose members live in those files are instantiated
// here for the mutex types spdlog's _mt and _st aliases use. Using another sink needs its -inl.h
// and instantiation here; the linker names what is missing.
#if !defined(SPDLOG_COMPILED_LIB) || defined(SPDLOG_SHARED_LIB) || defined(SPDLOG_HEADER_ONLY)
#error "spdlog_lib.cpp is only for the compiled-in spdlog of KT_STATIC_DEPS"
#endif

#include <mutex>

#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/file_helper-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/basic_file_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/sinks/stdout_color_sinks-inl.h>
#include <spdlog/sinks/stdout_sinks-inl.h>
#include <spdlog/spdlog-inl.h>

namespace spdlog {
namespace sinks {

template class base_sink<std::mutex>;
template class base_sink<details::null_mutex>;

template class stdout_sink_base<details::console_mutex>;
template class stdout_sink_base<details::console_nullmutex>;
template class stdout_sink<details::console_mutex>;
template class stdout_sink<details::console_nullmutex>;
template class stderr_sink<details::console_mutex>;
template class stderr_sink<details::console_nullmutex>;

template class ansicolor_sink<details::console_mutex>;
template class ansicolor_sink<details::console_nullmutex>;
template class ansicolor_stdout_sink<details::console_mutex>;
template class ansicolor_stdout_sink<details::console_nullmutex>;
template class ansicolor_stderr_sink<details::console_mutex>;
template class ansicolor_stderr_sink<details::console_nullmutex>;

template class basic_file_sink<std::mutex>;
template class basic_file_sink<details::null_mutex>;

}  // namespace sinks
}  // namespace spdlog
