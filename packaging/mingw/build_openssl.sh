#!/usr/bin/env bash
# Builds OpenSSL 3 for Windows from the source of Debian 12's openssl
# package, as the Windows Agent builds its own (MinGW, `Configure mingw64
# shared`): DLLs named libssl-3-x64.dll and libcrypto-3-x64.dll, and their
# import libraries, so that libfwm.dll imports exactly what it imports in
# the Agent, and the test programs resolve them under Wine. Cached by the
# source's checksum and the options under $FWM_CACHE (default
# ~/.cache/fireworks-check): fresh clones on one machine build it once.
# Prints the install prefix on its last line. FWM_MINGW_OPENSSL, when set,
# names a prefix to use as it is (one built elsewhere, or offline).
set -euo pipefail
if [ -n "${FWM_MINGW_OPENSSL:-}" ]; then
  [ -f "$FWM_MINGW_OPENSSL/include/openssl/ssl.h" ] && [ -f "$FWM_MINGW_OPENSSL/bin/libssl-3-x64.dll" ] ||
    { echo "build_openssl: FWM_MINGW_OPENSSL=$FWM_MINGW_OPENSSL holds no mingw OpenSSL 3" >&2; exit 1; }
  echo "$FWM_MINGW_OPENSSL"
  exit 0
fi
CACHE=${FWM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fireworks-check}
# The Agent's options (deps/openssl.BUILD.bazel), without no-docs (OpenSSL 3.2 and later).
OPTIONS="mingw64 shared no-tests no-zlib no-uplink no-idea no-mdc2 no-rc5 no-ssl3 no-gost no-filenames"
JOBS=$(nproc)

work=$CACHE/openssl-source
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/cache"
# One build at a time per cache: two would share the index, the download and the prefix.
exec 9>"$CACHE/openssl.lock"
flock 9
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$work/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
LIST
# A sources list of our own: the machine's apt configuration is not touched.
apt=(apt-get -qq -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::Cache::Archives=$work/archives")

# The newest build made with these options (offline, the source's checksum is unknown).
newest_cached() {
  local d
  for d in $(ls -d "$CACHE"/openssl-mingw64-*/ 2>/dev/null | sort -rV); do
    [ -f "$d/.complete" ] && [ "$(cat "$d/.options" 2>/dev/null)" = "$OPTIONS" ] && { echo "${d%/}"; return; }
  done
}

if ! "${apt[@]}" update 2>"$work/update.log"; then
  prefix=$(newest_cached)
  [ -n "$prefix" ] || { echo "build_openssl: cannot read Debian's source index:" >&2; cat "$work/update.log" >&2; exit 1; }
  echo "build_openssl: Debian's source index is out of reach; using the cached $(basename "$prefix")" >&2
  echo "$prefix"
  exit 0
fi
line=$(cd "$work" && "${apt[@]}" source --print-uris --tar-only openssl 2>/dev/null | grep "^'" | head -1)
file=$(awk '{print $2}' <<<"$line")
sha=${line##*SHA256:}
[ -n "$file" ] && [ ${#sha} -eq 64 ] || { echo "build_openssl: no openssl source in Debian's index: $line" >&2; exit 1; }
key=$(printf '%s %s\n' "$sha" "$OPTIONS" | sha256sum | cut -c1-12)
prefix=$CACHE/openssl-mingw64-${file%.orig.tar.gz}-$key
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

started=$(date +%s)
(cd "$work" && rm -f ./*.orig.tar.gz* && "${apt[@]}" source --download-only --tar-only openssl 2>/dev/null)
echo "$sha  $work/$file" | sha256sum -c --quiet
build=$(mktemp -d "$CACHE/openssl-build.XXXXXX")
trap 'rm -rf "$build"' EXIT
tar -xzf "$work/$file" -C "$build" --strip-components=1
rm -rf "$prefix"
(
  cd "$build"
  # shellcheck disable=SC2086 # OPTIONS is a list of words
  ./Configure $OPTIONS --cross-compile-prefix=x86_64-w64-mingw32- --prefix="$prefix" --libdir=lib >"$build/configure.log"
  make -j"$JOBS" build_libs >"$build/make.log" 2>&1 || { tail -40 "$build/make.log" >&2; exit 1; }
  make install_dev >"$build/install.log" 2>&1 || { tail -40 "$build/install.log" >&2; exit 1; }
)
for dll in libssl-3-x64.dll libcrypto-3-x64.dll; do
  [ -f "$prefix/bin/$dll" ] || { echo "build_openssl: $dll was not built" >&2; exit 1; }
done
echo "$OPTIONS" >"$prefix/.options"
touch "$prefix/.complete"
echo "build_openssl: ${file%.orig.tar.gz} for mingw64 in $(( $(date +%s) - started )) s" >&2
echo "$prefix"
