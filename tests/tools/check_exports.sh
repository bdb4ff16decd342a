#!/bin/sh
# Asserts that the shared library exports only fwm_ symbols and needs nothing
# beyond glibc and OpenSSL (libstdc++ and libgcc are linked in statically).
set -eu
lib=$1
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
[ -n "$exported" ] || { echo "no exported symbols in $lib"; exit 1; }
others=$(printf '%s\n' "$exported" | grep -v '^fwm_' || true)
if [ -n "$others" ]; then
  echo "symbols exported without the fwm_ prefix:"; printf '%s\n' "$others" | head -20; exit 1
fi
for want in fwm_version_number fwm_version_string fwm_status_name fwm_status_string fwm_parse \
            fwm_client_create fwm_client_message fwm_client_collect fwm_client_free fwm_result_next_batch \
            fwm_result_message fwm_result_summary fwm_result_samples fwm_result_free; do
  printf '%s\n' "$exported" | grep -qx "$want" || { echo "missing export: $want"; exit 1; }
done
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for n in $needed; do
  case "$n" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|ld-linux*|libssl.so.3|libcrypto.so.3) ;;
    libstdc++.so.*|libgcc_s.so.*|libasan.so.*|libubsan.so.*|libtsan.so.*)
      [ "${FWM_ALLOW_LIBSTDCXX:-0}" = 1 ] || { echo "unexpected dependency: $n"; exit 1; } ;;
    *) echo "unexpected dependency: $n"; exit 1 ;;
  esac
done
echo "$(printf '%s\n' "$exported" | wc -l) exported symbols, all fwm_; needs: $(echo $needed)"
