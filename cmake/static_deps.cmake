# KT_STATIC_DEPS: how the program links its dependencies (included by the top CMakeLists.txt).
#
# kuma-tproxy runs once per pod start (init container, CNI ADD), so its start-up is part of
# every install. With shared libraries the dynamic loader resolves thousands of symbols of
# libstdc++, spdlog, fmt, yaml-cpp and libnftnl before main(); that was most of a bare start.
# ON: link statically whatever Debian ships as an archive (libnftnl, libbpf with libelf and
# libz, yaml-cpp, OpenSSL), compile spdlog in (src/base/spdlog_lib.cpp) with fmt header-only,
# and link libstdc++ and libgcc statically into the program. glibc and libmnl (no archive in
# Debian) stay shared.
# OFF (distribution packages): the system's shared libraries, as found by pkg-config and CMake.
#
# Defines: spdlog::spdlog and yaml-cpp (the same target names in both modes), kt_program_link
# (link options for the shipped program, kuma-tproxy) and re-points PkgConfig::LIBNFTNL and
# PkgConfig::LIBBPF at their archives.

find_package(fmt CONFIG REQUIRED)

# Link options of the shipped program in both modes: optimized hash tables, and no DT_NEEDED
# entry (a library loaded at every start) for a library nothing in the program uses.
add_library(kt_program_link INTERFACE)
target_link_options(kt_program_link INTERFACE -Wl,-O1 -Wl,--as-needed)

# KT_PIE=OFF: a fixed-address program. A position-independent one makes the dynamic loader
# apply ~25 000 relative relocations at every start, and each writes into .data.rel.ro (410 KiB,
# mostly OpenSSL's tables): ~110 copy-on-write page faults. Measured (perf stat, `version`,
# loaded machine): 242 page faults and 1.45 ms task clock with PIE, 127 and 0.92 ms without;
# /bin/true 73 and 0.76 ms. The price is the randomized placement of the program's own code
# (libraries, stack and heap stay randomized), hence ON by default.
if(NOT KT_PIE)
  target_link_options(kt_program_link INTERFACE -no-pie)
endif()

if(NOT KT_STATIC_DEPS)
  find_package(spdlog CONFIG REQUIRED)
  find_package(yaml-cpp CONFIG REQUIRED)
  return()
endif()

# Points the imported target of a pkg-config module at the archives of the module and of its
# private dependencies (pkg-config --static order); a dependency without an archive stays shared.
function(kt_prefer_archives prefix)
  set(libs "")
  foreach(name IN LISTS ${prefix}_STATIC_LIBRARIES)
    find_library(KT_ARCHIVE_${name} NAMES lib${name}.a HINTS ${${prefix}_STATIC_LIBRARY_DIRS})
    if(KT_ARCHIVE_${name})
      list(APPEND libs ${KT_ARCHIVE_${name}})
    else()
      message(STATUS "KT_STATIC_DEPS: no lib${name}.a, linking lib${name} shared")
      list(APPEND libs ${name})
    endif()
  endforeach()
  set_property(TARGET PkgConfig::${prefix} PROPERTY INTERFACE_LINK_LIBRARIES "${libs}")
endfunction()
kt_prefer_archives(LIBNFTNL)
kt_prefer_archives(LIBBPF)

# OpenSSL (the CNI plugin's API client; src/cni finds it): its archives, when installed. The
# shared libcrypto alone cost more relocations at start than the rest of the program, and the
# plugin binary that cni-install copies to a node then needs no libssl there.
set(OPENSSL_USE_STATIC_LIBS TRUE)

find_library(KT_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a)
if(KT_YAML_CPP_ARCHIVE)
  find_path(KT_YAML_CPP_INCLUDE yaml-cpp/yaml.h REQUIRED)
  add_library(yaml-cpp STATIC IMPORTED)
  set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION ${KT_YAML_CPP_ARCHIVE}
    INTERFACE_INCLUDE_DIRECTORIES ${KT_YAML_CPP_INCLUDE})
else()
  message(STATUS "KT_STATIC_DEPS: no libyaml-cpp.a, linking yaml-cpp shared")
  find_package(yaml-cpp CONFIG REQUIRED)
endif()

# spdlog compiled into one object of ours; every user sees declarations only.
find_path(KT_SPDLOG_INCLUDE spdlog/spdlog.h REQUIRED)
add_library(kt_spdlog STATIC ${PROJECT_SOURCE_DIR}/src/base/spdlog_lib.cpp)
target_include_directories(kt_spdlog SYSTEM PUBLIC ${KT_SPDLOG_INCLUDE})
target_compile_definitions(kt_spdlog PUBLIC SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)
target_link_libraries(kt_spdlog PUBLIC fmt::fmt-header-only Threads::Threads)
add_library(spdlog::spdlog ALIAS kt_spdlog)

# The C++ runtime inside the program. Not with sanitizers: their runtimes replace operator new
# and friends, which a static libstdc++ would define a second time.
if(NOT KT_SANITIZE)
  target_link_options(kt_program_link INTERFACE -static-libstdc++ -static-libgcc)
endif()
