# CMake toolchain for the Windows library: Debian's mingw-w64 GCC (posix
# threads) targeting x86_64 Windows, with Debian's Boost, RapidJSON and
# fast_float headers, its mingw zlib, and an OpenSSL 3 built for mingw by
# packaging/mingw/build_openssl.sh (FWM_MINGW_OPENSSL: its prefix). Test
# programs run under Wine. See packaging/build_wheels.sh.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER /usr/bin/x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER /usr/bin/x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER /usr/bin/x86_64-w64-mingw32-windres)
set(CMAKE_AR /usr/bin/x86_64-w64-mingw32-ar CACHE FILEPATH "")
set(CMAKE_RANLIB /usr/bin/x86_64-w64-mingw32-ranlib CACHE FILEPATH "")

if(NOT FWM_MINGW_OPENSSL)
  set(FWM_MINGW_OPENSSL "$ENV{FWM_MINGW_OPENSSL}" CACHE PATH "The prefix of a mingw OpenSSL 3")
endif()
if(NOT EXISTS "${FWM_MINGW_OPENSSL}/include/openssl/ssl.h")
  message(FATAL_ERROR "FWM_MINGW_OPENSSL must name the prefix of a mingw OpenSSL 3 (packaging/mingw/build_openssl.sh), not '${FWM_MINGW_OPENSSL}'")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FWM_MINGW_OPENSSL)

# Only the header-only libraries of Debian's /usr/include: the whole folder
# would put glibc's headers behind mingw's, and a POSIX header missing on
# Windows would be found there instead of failing.
set(_headers ${CMAKE_BINARY_DIR}/fwm-host-headers)
file(MAKE_DIRECTORY ${_headers})
foreach(_dir boost rapidjson fast_float)
  if(NOT EXISTS ${_headers}/${_dir})
    file(CREATE_LINK /usr/include/${_dir} ${_headers}/${_dir} SYMBOLIC)
  endif()
endforeach()
set(CMAKE_C_FLAGS_INIT "-isystem ${_headers}")
set(CMAKE_CXX_FLAGS_INIT "-isystem ${_headers}")
# Boost::headers names /usr/include: lib/CMakeLists.txt points it here instead.
set(FWM_HOST_HEADERS ${_headers} CACHE PATH "")

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${FWM_MINGW_OPENSSL} ${_headers})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE NEVER)

# The import libraries of libssl-3-x64.dll and libcrypto-3-x64.dll, the
# Agent's own names; never OpenSSL's static archives.
set(OPENSSL_INCLUDE_DIR ${FWM_MINGW_OPENSSL}/include)
set(OPENSSL_SSL_LIBRARY ${FWM_MINGW_OPENSSL}/lib/libssl.dll.a)
set(OPENSSL_CRYPTO_LIBRARY ${FWM_MINGW_OPENSSL}/lib/libcrypto.dll.a)
set(FWM_ZLIB_STATIC /usr/x86_64-w64-mingw32/lib/libz.a CACHE FILEPATH "")
set(RAPIDJSON_INCLUDE_DIR ${_headers} CACHE PATH "")
set(FAST_FLOAT_INCLUDE_DIR ${_headers} CACHE PATH "")
# Boost is used for its headers only: the host's CMake package describes them.
execute_process(COMMAND uname -m OUTPUT_VARIABLE _host OUTPUT_STRIP_TRAILING_WHITESPACE)
set(Boost_DIR /usr/lib/${_host}-linux-gnu/cmake/Boost-1.81.0 CACHE PATH "")

# Test programs run under Wine, which finds the OpenSSL DLLs and libfwm.dll
# through WINEPATH.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run ${FWM_MINGW_OPENSSL}/bin ${CMAKE_BINARY_DIR}/lib --)

# Not the host's build: nothing staged in python_shim/, header-only Boost.Test.
set(FWM_PORTABLE ON CACHE BOOL "")
