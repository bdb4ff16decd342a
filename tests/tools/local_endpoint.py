# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Starts and stops the local Fireworks-like endpoint (build/tests/fwm_test_endpoint),
for the demo, the Python tests and ddev's dd_environment.

The endpoint makes a test PKI, serves HTTPS on a free 127.0.0.1 port, prints
one JSON line {"port", "ca_cert", "url"} and serves until its standard input
closes. start() waits for that line at most `deadline_s` seconds.

Attached (the default), the endpoint's standard input is a pipe this process
holds: stop() closes it, and the endpoint also ends if this process dies.
Detached, it outlives this process (`ddev env start` ends its pytest while the
Agent goes on reading the endpoint): it holds its own standard input open, runs
in a session of its own, and start() records it in `state_file`;
stop_recorded(state_file) stops it from another process (`ddev env stop`).
"""
import json
import os
import selectors
import shutil
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENDPOINT = os.path.join(ROOT, 'build', 'tests', 'fwm_test_endpoint')
BUILD_COMMAND = 'cmake -S . -B build && cmake --build build --target fwm fwm_test_endpoint'


class EndpointError(RuntimeError):
    pass


class Endpoint(object):
    """A running fwm_test_endpoint: port, url (its metrics URL), origin (the
    REST API's base URL) and ca_cert (the CA that signed its certificate)."""

    def __init__(self, proc, info, state_file=None):
        self.proc = proc
        self.pid = proc.pid if proc is not None else info['pid']
        self.port = info['port']
        self.url = info['url']
        self.ca_cert = info['ca_cert']
        self.origin = self.url.split('/v1/', 1)[0]
        self.state_file = state_file

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()  # attached: end of input is the endpoint's stop
            try:
                self.proc.wait(timeout=timeout)
                return
            except subprocess.TimeoutExpired:
                pass
        _terminate(self.pid, self.proc, timeout)
        # Ended by a signal, it leaves its PKI directory behind.
        shutil.rmtree(os.path.dirname(self.ca_cert), ignore_errors=True)
        if self.state_file:
            try:
                os.remove(self.state_file)
            except OSError:
                pass


def start(payload, key, extra=(), deadline_s=30.0, detach_to=None, endpoint=ENDPOINT):
    """Starts the endpoint serving the metrics file `payload` behind the Bearer
    `key`, with `extra` arguments (--fleet ACCOUNT, --gzip, ...). Raises
    EndpointError, naming the build command, when the program is not built,
    and when it exits or says nothing within deadline_s. With detach_to (a
    state file path) the endpoint is detached and recorded there."""
    if not os.access(endpoint, os.X_OK):
        raise EndpointError('{} is missing: build it first ({})'.format(endpoint, BUILD_COMMAND))
    argv = [endpoint, '--payload', payload, '--key', key] + list(extra)
    if detach_to is None:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    else:
        # Its standard input is a pipe whose write end it holds too: it never
        # sees the end of input, so it serves until it is sent SIGTERM.
        read_end, write_end = os.pipe()
        log = open(detach_to + '.log', 'ab')
        try:
            proc = subprocess.Popen(argv, stdin=read_end, stdout=subprocess.PIPE, stderr=log, text=True,
                                    pass_fds=(write_end,), start_new_session=True)
        finally:
            os.close(read_end)
            os.close(write_end)
            log.close()
    try:
        info = _first_line(proc, deadline_s)
    except BaseException:
        _terminate(proc.pid, proc, 5.0)
        raise
    if detach_to is None:
        return Endpoint(proc, info)
    proc.stdout.close()  # it writes nothing more; the pipe must not tie it to this process
    record = dict(info, pid=proc.pid)
    with open(detach_to, 'w') as f:
        json.dump(record, f)
    return Endpoint(proc, record, state_file=detach_to)


def stop_recorded(state_file, timeout=10.0):
    """Stops the detached endpoint recorded in state_file, if it still runs."""
    try:
        with open(state_file) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    endpoint = Endpoint(None, record, state_file=state_file)
    if not _is_endpoint(endpoint.pid):
        endpoint.pid = None  # already gone: only its files are left to remove
    endpoint.stop(timeout)
    return True


def _first_line(proc, deadline_s):
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=deadline_s):
            raise EndpointError('{} did not come up within {:g} s (no port reported)'.format(ENDPOINT, deadline_s))
    line = proc.stdout.readline()
    if not line:
        raise EndpointError('{} exited with {} before serving'.format(ENDPOINT, proc.wait(timeout=5)))
    return json.loads(line)


def _is_endpoint(pid):
    try:
        with open('/proc/{}/cmdline'.format(pid), 'rb') as f:
            return b'fwm_test_endpoint' in f.read()  # not a process that reused the pid
    except OSError:
        return False


def _terminate(pid, proc, timeout):
    if pid is None:
        return
    if proc is not None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + timeout
    while _is_endpoint(pid):  # not our child: wait for it to be gone
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            end = time.monotonic() + timeout
        time.sleep(0.05)
