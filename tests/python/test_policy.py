# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a run means for the check (policy.py), from the library's facts."""
from datadog_checks.fireworks import policy


def test_a_successful_collection_with_a_readable_summary_is_ok():
    report = policy.assess('FWM_OK', '', {'collection': {'duration_s': 0.1}, 'mapping': None})
    assert report.status == policy.OK and report.message == ''
    assert ('fireworks.scrape.duration', 0.1) in report.gauges


def test_an_unreadable_summary_is_never_silent():
    # The library's status says OK, but its facts cannot be read: the check's
    # own metrics, the fleet and the usage are lost for the run, and it says so.
    report = policy.assess('FWM_OK', '', None)
    assert report.status == policy.WARNING
    assert 'no readable summary' in report.message
    assert report.gauges == [] and report.counts == []


def test_a_failure_keeps_its_own_message_without_a_summary():
    report = policy.assess('FWM_ERR_OUT_OF_MEMORY', 'out of memory in fwm_client_collect', None)
    assert report.status == policy.CRITICAL
    assert report.message.startswith('out of memory in fwm_client_collect')
