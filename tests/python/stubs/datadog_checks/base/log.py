# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Stand-in for datadog_checks.base.log: the adapter every check's `self.log`
is, and the format the Agent writes check records in.

The adapter puts the check's id on every record (`_check_id`); the Agent's
handler writes it first: `fireworks:6c0f1e2d3a4b5c6d | (check.py:61) | text`.
The id is read from the check when a record is logged, and kept once it is
set. The Agent sets `check_id` only after the constructor returns (rtloader
getCheck), so a record logged from `__init__` says `unknown`.
"""
import logging

# Arbitrary number below DEBUG, as in the real package.
TRACE_LEVEL = 7


class CheckLoggingAdapter(logging.LoggerAdapter):
    def __init__(self, logger, check):
        super(CheckLoggingAdapter, self).__init__(logger, {})
        self.check = check
        self.check_id = check.check_id

    def setup_sanitization(self, sanitize):
        # The real adapter wraps the formatter of the Agent's own handler;
        # there is none outside the Agent.
        pass

    def process(self, msg, kwargs):
        if not self.check_id:
            self.check_id = self.check.check_id
            self.extra['_check_id'] = self.check_id or 'unknown'
            if self.check_id:
                self.check = None  # resolved for good: no reference cycle with the check
        kwargs.setdefault('extra', self.extra)
        return msg, kwargs

    def critical(self, msg, *args, **kwargs):
        # The test stub's rule: the critical level is kept for Agent shutdowns.
        raise NotImplementedError('The critical log level is reserved for agent shutdowns.')

    def trace(self, msg, *args, **kwargs):
        self.log(TRACE_LEVEL, msg, *args, **kwargs)


class CheckLogFormatter(logging.Formatter):
    """What the Agent's handler writes for a check's record."""

    def format(self, record):
        message = super(CheckLogFormatter, self).format(record)
        return '{} | ({}:{}) | {}'.format(getattr(record, '_check_id', '-'),
                                          getattr(record, '_filename', record.filename),
                                          getattr(record, '_lineno', record.lineno), message)
