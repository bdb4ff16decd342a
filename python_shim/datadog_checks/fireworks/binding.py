# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The ctypes binding to libfwm, the check's C++ core.

This module alone knows the C ABI (lib/include/fwm/fwm.h): it finds the
library, checks its version, declares every function's signature, and wraps
handles in objects that free them.
"""
import ctypes
import json
import os
import sys

from .__about__ import __version__

LIBRARY_ENV = 'FWM_LIBRARY'
LIBRARY_NAME = 'libfwm.dll' if os.name == 'nt' else 'libfwm.so'
# LoadLibraryEx flags: the DLL's own folder, the application's, System32 and
# the folders added with os.add_dll_directory.
_LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR = 0x00000100
_LOAD_LIBRARY_SEARCH_DEFAULT_DIRS = 0x00001000

FWM_OK = 0
FWM_ERR_INVALID_OPTIONS = 2
FWM_ERR_CANCELLED = 20


class LibraryError(RuntimeError):
    """The library is missing, cannot be loaded, or has the wrong version."""


class FwmError(RuntimeError):
    """A call into the library failed; `status` is the fwm_status name."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class ClientClosed(RuntimeError):
    """The client was closed (the check was cancelled) before the call."""


def loads(data):
    """JSON from a library buffer. The library only writes valid UTF-8; if
    that promise ever broke, a replaced character beats losing the run."""
    return json.loads(data.decode('utf-8', 'replace'))


class _Result(ctypes.Structure):
    """Opaque fwm_result."""


class _Client(ctypes.Structure):
    """Opaque fwm_client."""


_ResultPtr = ctypes.POINTER(_Result)
_ClientPtr = ctypes.POINTER(_Client)
_SIGNATURES = {
    'fwm_version_number': (ctypes.c_uint, []),
    'fwm_version_string': (ctypes.c_char_p, []),
    'fwm_status_name': (ctypes.c_char_p, [ctypes.c_int]),
    'fwm_status_string': (ctypes.c_char_p, [ctypes.c_int]),
    'fwm_parse': (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(_ResultPtr)]),
    'fwm_result_message': (ctypes.c_char_p, [_ResultPtr]),
    'fwm_result_summary': (
        ctypes.c_int,
        [_ResultPtr, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
    ),
    'fwm_result_samples': (
        ctypes.c_int,
        [_ResultPtr, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
    ),
    'fwm_result_next_batch': (
        ctypes.c_int,
        [_ResultPtr, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t),
         ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)],
    ),
    'fwm_result_free': (None, [_ResultPtr]),
    'fwm_client_create': (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_ClientPtr)]),
    'fwm_client_message': (ctypes.c_char_p, [_ClientPtr]),
    'fwm_client_collect': (ctypes.c_int, [_ClientPtr, ctypes.c_char_p, ctypes.POINTER(_ResultPtr)]),
    'fwm_client_free': (None, [_ClientPtr]),
}

_lib = None


def library_path():
    """Where the library is loaded from: $FWM_LIBRARY when set, else this package."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def openssl_dll_directories(prefixes=None):
    """Windows: the embedded Python's DLLs folders, where the Agent keeps its
    libssl-3-x64.dll and libcrypto-3-x64.dll. Windows does not look there for
    a ctypes load's imports unless told."""
    if prefixes is None:
        prefixes = (sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable or ''))
    out = []
    for prefix in prefixes:
        if not prefix:
            continue
        folder = os.path.join(prefix, 'DLLs')
        if folder not in out and os.path.isdir(folder):
            out.append(folder)
    return out


def _open(path):
    if os.name != 'nt':
        return ctypes.CDLL(path)
    for folder in openssl_dll_directories():
        os.add_dll_directory(folder)  # kept for the process: the library's imports resolve once, at load
    # LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR takes a full path (ctypes makes one only without winmode).
    return ctypes.CDLL(os.path.abspath(path), winmode=_LOAD_LIBRARY_SEARCH_DEFAULT_DIRS | _LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR)


def _load():
    path = library_path()
    if not os.path.exists(path):
        raise LibraryError(
            'the fwm library was not found at {} (build it with `cmake -S . -B build && cmake --build build`, '
            'which places it in the package, or set {} to its path)'.format(path, LIBRARY_ENV)
        )
    try:
        lib = _open(path)
    except OSError as e:
        where = ''
        if os.name == 'nt':
            where = ' (its OpenSSL DLLs, libssl-3-x64.dll and libcrypto-3-x64.dll, were looked for in: {})'.format(
                ', '.join(openssl_dll_directories()) or "the folders Windows searches")
        raise LibraryError('the fwm library at {} could not be loaded: {}{}'.format(path, e, where)) from None
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibraryError('the fwm library at {} lacks {}: it is too old for this check'.format(path, name)) from None
        fn.restype = restype
        fn.argtypes = argtypes
    loaded = lib.fwm_version_string().decode()
    if int(lib.fwm_version_number()) // 10000 != int(__version__.split('.')[0]):
        raise LibraryError(
            'the fwm library at {} is version {}, but this check needs {}.x'.format(
                path, loaded, __version__.split('.')[0]
            )
        )
    return lib


def lib():
    """The loaded library (loaded once per process)."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def version():
    return lib().fwm_version_string().decode()


def _buffer(fn, handle):
    data = ctypes.c_void_p()
    size = ctypes.c_size_t()
    status = fn(handle, ctypes.byref(data), ctypes.byref(size))
    if status != FWM_OK:
        raise FwmError(lib().fwm_status_name(status).decode(), 'could not read the result buffer')
    if not size.value:
        return b''
    return ctypes.string_at(data.value, size.value)


class _Owned(object):
    """Owns one library handle: freed by close(), at the end of a `with`, or
    when collected. Subclasses name the free function in _FREE."""

    _FREE = None
    _handle = None

    def close(self):
        handle, self._handle = self._handle, None
        if handle and _lib is not None:
            getattr(_lib, self._FREE)(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # At interpreter shutdown module globals may already be gone.
        try:
            self.close()
        except Exception:
            pass


class ParseResult(_Owned):
    """Owns an fwm_result; use as a context manager or call close()."""

    _FREE = 'fwm_result_free'

    def __init__(self, handle):
        self._handle = handle

    def summary(self):
        """The summary dict documented in fwm.h (counts and the first errors)."""
        return loads(_buffer(lib().fwm_result_summary, self._checked()))

    def samples_json(self):
        """The samples as JSON-lines bytes (empty unless parsed with samples=True)."""
        return _buffer(lib().fwm_result_samples, self._checked())

    def batches(self):
        """The run's submissions, one batch at a time, as (structure, values)
        laid out as fwm.h says: structure is {"names": [...], "groups":
        [[tags, gauge_names, count_names, bucket_names], ...]} and values a
        list of floats that the groups consume in order (gauge values, count
        values, then count, lower, upper per bucket). Each batch is decoded
        only when asked for; the library frees what it handed out."""
        fn = lib().fwm_result_next_batch
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        values = ctypes.c_void_p()
        count = ctypes.c_size_t()
        while self._handle:
            status = fn(self._handle, ctypes.byref(data), ctypes.byref(size), ctypes.byref(values),
                        ctypes.byref(count))
            if status != FWM_OK:
                raise FwmError(lib().fwm_status_name(status).decode(), 'could not read a batch of submissions')
            if not size.value:
                return
            numbers = memoryview(ctypes.string_at(values.value, count.value * 8)).cast('d').tolist()
            yield loads(ctypes.string_at(data.value, size.value)), numbers

    def groups(self):
        """The run's groups as readable dicts: {"tags", "gauges": [[name,
        value], ...], "counts": [...], "buckets": [[name, count, lower,
        upper], ...]}. For tests and the command line; the check uses
        batches()."""
        for batch, values in self.batches():
            names = batch['names']
            it = iter(values)
            for tags, gauge_names, count_names, bucket_names in batch['groups']:
                yield {
                    'tags': tags,
                    'gauges': [[names[n], v] for n, v in zip(gauge_names, it)],
                    'counts': [[names[n], v] for n, v in zip(count_names, it)],
                    'buckets': [[names[n], c, lo, up] for n, c, lo, up in zip(bucket_names, it, it, it)],
                }

    def samples(self):
        """The samples as a list of dicts."""
        return [loads(line) for line in self.samples_json().splitlines()]

    def _checked(self):
        if not self._handle:
            raise ValueError('this result is closed')
        return self._handle


def parse(data, format='auto', samples=False, max_errors=8, reject_duplicate_series=True, mapping=None):
    """Parses an exposition payload (bytes) without any network access.

    With `mapping` (a dict of mapping options, possibly empty) the result also
    holds the submissions a first run would make (batches(), groups())."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    options = {
        'format': format,
        'samples': samples,
        'max_errors': max_errors,
        'reject_duplicate_series': reject_duplicate_series,
    }
    if mapping is not None:
        options['mapping'] = mapping
    options = json.dumps(options).encode()
    handle = _ResultPtr()
    status = lib().fwm_parse(data, len(data), options, ctypes.byref(handle))
    result = ParseResult(handle)
    if status != FWM_OK:
        message = lib().fwm_result_message(handle).decode('utf-8', 'replace') if handle else ''
        result.close()
        raise FwmError(lib().fwm_status_name(status).decode(), message or lib().fwm_status_string(status).decode())
    return result


class CollectResult(ParseResult):
    """An fwm_result from a collection: its status and message come with it.
    Without memory for a result the library hands back the status alone; the
    buffers are then empty."""

    def __init__(self, handle, status):
        super().__init__(handle)
        self.status = lib().fwm_status_name(status).decode()
        self.ok = status == FWM_OK
        self.cancelled = status == FWM_ERR_CANCELLED
        self.message = lib().fwm_result_message(handle).decode('utf-8', 'replace') if handle else ''
        if not self.message and not self.ok:
            self.message = lib().fwm_status_string(status).decode('utf-8', 'replace')

    def summary_or_none(self):
        """The summary, or None when the library had no memory to build it."""
        if not self._handle:
            return None
        data = _buffer(lib().fwm_result_summary, self._handle)
        if not data:
            return None
        try:
            return loads(data)
        except ValueError:
            return None

    def collection(self):
        """The "collection" member of the summary (see fwm.h)."""
        return self.summary()['collection']


class Client(_Owned):
    """Owns an fwm_client: one instance's scraper, sharing the library's I/O thread.

    `config` is a dict with the client options of fwm.h (times in seconds).
    Raises FwmError with the option's name when the configuration is wrong.
    close() may be called from any thread while collect() runs in another:
    the collection then ends at once, cancelled (the library's handles are
    tokens, so a late call on a closed client is refused, never a crash).
    """

    _FREE = 'fwm_client_free'

    def __init__(self, config):
        handle = _ClientPtr()
        status = lib().fwm_client_create(json.dumps(config).encode(), ctypes.byref(handle))
        if status != FWM_OK:
            message = lib().fwm_client_message(handle).decode('utf-8', 'replace') if handle else ''
            if handle:
                lib().fwm_client_free(handle)
            raise FwmError(lib().fwm_status_name(status).decode(), message or lib().fwm_status_string(status).decode())
        self._handle = handle

    def collect(self, samples=False, max_errors=8):
        """Collects once; blocks (without the GIL) for at most the configured timeout."""
        handle = self._handle
        if not handle:
            raise ClientClosed('this client is closed')
        options = json.dumps({'samples': samples, 'max_errors': max_errors}).encode()
        result = _ResultPtr()
        status = lib().fwm_client_collect(handle, options, ctypes.byref(result))
        return CollectResult(result, status)
