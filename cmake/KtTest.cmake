# Test executables: one function declares a GoogleTest executable and its CTest tests
# (included by tests/CMakeLists.txt).
#
#   kt_add_test(<target> LABEL unit|kernel|e2e SOURCES <files...>
#               [LIBS <libraries...>]      linked PRIVATE besides GTest::gtest_main and kt_warnings
#               [DEFINES <definitions...>] compile definitions (e.g. the path of a program it runs)
#               [INCLUDES <dirs...>]       include directories
#               [RUNS <targets...>]        programs the tests execute: built before the tests
#               [PROPERTIES <props...>])   more CTest properties (TIMEOUT 300, RUN_SERIAL TRUE)
#
# Every test of the executable is one CTest test (gtest_discover_tests) with the label, so
# `ctest -L <label>` selects a tier. Each tier also has a build target, kt_tests_<label>, that
# builds the tier's executables and the programs they run and nothing else: the sanitizer pass in
# scripts/test.sh builds kt_tests_unit and kt_tests_kernel only.
#
# KT_PCH (default OFF): test sources compile with one shared precompiled header of the two
# headers every test source parses, GoogleTest and spdlog (with fmt), built once by kt_test_pch
# and reused by every test executable (REUSE_FROM). Measured with g++ 12, -O2 -g (CPU seconds
# of single sources, docs/development.md): this header takes 15-25% off a test source's compile
# time, and a larger one that also held gmock, nlohmann/json and CLI11 made every test source
# 40-70% slower (GCC loads the whole header for each source). It is OFF because with it g++ 12
# reports -Warray-bounds false positives (std::string concatenation inlined from libstdc++) in
# sources that compile cleanly without it, and the normal build has -Werror.

option(KT_PCH "Precompile GoogleTest and spdlog for the test sources (see cmake/KtTest.cmake)" OFF)

# Adds `target` (an executable or a library) to the build target of tier `label`.
function(kt_tier_target label target)
  if(NOT TARGET kt_tests_${label})
    add_custom_target(kt_tests_${label})
  endif()
  add_dependencies(kt_tests_${label} ${target})
endfunction()

# ccache caches a compilation that uses a precompiled header only when told that the header's
# macros and time stamps may differ (its "sloppiness"); without it every such compilation is a
# cache miss. A launcher of ccache gets that setting for the targets that use the header.
function(kt_ccache_for_pch target)
  if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
    set_property(TARGET ${target} PROPERTY CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${CMAKE_CXX_COMPILER_LAUNCHER})
  endif()
endfunction()

if(KT_PCH)
  # Compiled with the flags every test source has (warnings, sanitizers, spdlog's definitions),
  # so that GCC accepts the header for each of them.
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/kt_test_pch.cpp "// Builds the tests' precompiled header.\n")
  add_library(kt_test_pch OBJECT ${CMAKE_CURRENT_BINARY_DIR}/kt_test_pch.cpp)
  target_link_libraries(kt_test_pch PRIVATE GTest::gtest spdlog::spdlog kt_warnings)
  target_precompile_headers(kt_test_pch PRIVATE <gtest/gtest.h> <spdlog/spdlog.h>)
  kt_ccache_for_pch(kt_test_pch)
endif()

# Uses the shared precompiled header in `target` (a test executable or test support library).
function(kt_use_test_pch target)
  if(KT_PCH)
    target_precompile_headers(${target} REUSE_FROM kt_test_pch)
    # The header was made with these; the target's sources see the same declarations.
    target_link_libraries(${target} PRIVATE GTest::gtest spdlog::spdlog)
    kt_ccache_for_pch(${target})
  endif()
endfunction()

function(kt_add_test target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "LABEL" "SOURCES;LIBS;DEFINES;INCLUDES;RUNS;PROPERTIES")
  if(NOT ARG_LABEL MATCHES "^(unit|kernel|e2e)$")
    message(FATAL_ERROR "kt_add_test(${target}): LABEL must be unit, kernel or e2e")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "kt_add_test(${target}): no SOURCES")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kt_add_test(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()

  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest_main kt_warnings)
  if(ARG_DEFINES)
    target_compile_definitions(${target} PRIVATE ${ARG_DEFINES})
  endif()
  if(ARG_INCLUDES)
    target_include_directories(${target} PRIVATE ${ARG_INCLUDES})
  endif()
  if(ARG_RUNS)
    add_dependencies(${target} ${ARG_RUNS})
  endif()
  kt_use_test_pch(${target})
  kt_tier_target(${ARG_LABEL} ${target})

  gtest_discover_tests(${target} PROPERTIES LABELS ${ARG_LABEL} ${ARG_PROPERTIES}
    DISCOVERY_TIMEOUT 30)
endfunction()
