# CMake toolchain for the portable library: Zig targeting glibc 2.17
# (manylinux2014) on FWM_TARGET_ARCH (x86_64 or aarch64), with Debian's
# headers (Boost, RapidJSON, OpenSSL) and its multiarch OpenSSL and zlib for
# the target. See packaging/build_wheels.sh.
if(NOT FWM_TARGET_ARCH)
  set(FWM_TARGET_ARCH "$ENV{FWM_TARGET_ARCH}")
endif()
if(NOT FWM_TARGET_ARCH MATCHES "^(x86_64|aarch64)$")
  message(FATAL_ERROR "FWM_TARGET_ARCH must be x86_64 or aarch64, not '${FWM_TARGET_ARCH}'")
endif()
# Seen again in try_compile projects.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FWM_TARGET_ARCH)

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${FWM_TARGET_ARCH})
set(CMAKE_LIBRARY_ARCHITECTURE ${FWM_TARGET_ARCH}-linux-gnu)
set(_zig ${CMAKE_CURRENT_LIST_DIR})
set(CMAKE_C_COMPILER ${_zig}/${FWM_TARGET_ARCH}-cc)
set(CMAKE_CXX_COMPILER ${_zig}/${FWM_TARGET_ARCH}-c++)
set(CMAKE_AR ${_zig}/${FWM_TARGET_ARCH}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${_zig}/${FWM_TARGET_ARCH}-ranlib CACHE FILEPATH "")

# Debian's headers, after the target's own C and C++ library headers: with
# -I/usr/include glibc 2.36's headers would come before libc++'s. CMake
# drops include directories it believes implicit, so Boost::headers'
# /usr/include is not emitted as -I.
set(_after "-idirafter /usr/include/${FWM_TARGET_ARCH}-linux-gnu -idirafter /usr/include")
set(CMAKE_C_FLAGS_INIT "${_after}")
set(CMAKE_CXX_FLAGS_INIT "${_after}")
set(CMAKE_C_IMPLICIT_INCLUDE_DIRECTORIES /usr/include /usr/include/${FWM_TARGET_ARCH}-linux-gnu)
set(CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES /usr/include /usr/include/${FWM_TARGET_ARCH}-linux-gnu)

# Libraries for the target only; headers and Boost's CMake package from the host.
set(OPENSSL_INCLUDE_DIR /usr/include)
set(OPENSSL_SSL_LIBRARY /usr/lib/${FWM_TARGET_ARCH}-linux-gnu/libssl.so)
set(OPENSSL_CRYPTO_LIBRARY /usr/lib/${FWM_TARGET_ARCH}-linux-gnu/libcrypto.so)
set(FWM_ZLIB_STATIC /usr/lib/${FWM_TARGET_ARCH}-linux-gnu/libz.a CACHE FILEPATH "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# Boost is used for its headers only: the host's CMake package describes them.
execute_process(COMMAND uname -m OUTPUT_VARIABLE _host OUTPUT_STRIP_TRAILING_WHITESPACE)
set(Boost_DIR /usr/lib/${_host}-linux-gnu/cmake/Boost-1.81.0 CACHE PATH "")

# Test programs for another architecture run under qemu's user mode, with
# Debian's multiarch C library and OpenSSL for it (libc6:arm64, libssl3:arm64).
if(NOT FWM_TARGET_ARCH STREQUAL _host)
  find_program(FWM_QEMU qemu-${FWM_TARGET_ARCH}-static REQUIRED)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${FWM_QEMU} -L /)
endif()

# A portable build is not the host's: it stages nothing in python_shim/, and
# its tests use Boost.Test's header-only form (Debian's library is the host's).
set(FWM_PORTABLE ON CACHE BOOL "")
