# (C) Fireworks AI 2026-present
# All rights reserved
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Values against the option table (packaging/gen_option_table.py), through
the check as the Agent builds it: each bound of the table is the one enforced,
each type is checked, and a hostile value (the wrong type, out of bounds, NaN,
an integer past any double, negative zero, a fraction of an integer) is
refused with a message naming its option."""
import datetime
import sys

import pytest

from datadog_checks.base import ConfigurationError
from datadog_checks.fireworks import FireworksCheck
from datadog_checks.fireworks import config as cfg
from datadog_checks.fireworks.option_table import OPTIONS

SECRET = 'fw-SECRET-3b9e1c77d2a4-table'  # the prefix tests/run_all.sh scans the logs for


def refused(instance, init_config=None):
    """The message a check refuses `instance` with (ConfigurationError)."""
    with pytest.raises(ConfigurationError) as e:
        FireworksCheck('fireworks', init_config or {}, [instance]).cancel()
    assert SECRET not in str(e.value)
    return str(e.value)


def accepted(instance):
    check = FireworksCheck('fireworks', {}, [instance])
    check.cancel()
    return check


def base(**extra):
    i = {'account_id': 'acme', 'api_key': SECRET}
    i.update(extra)
    return i


# -- hostile values: each refused naming its option ----------------------------------

@pytest.mark.parametrize('option, value, message', [
    # wrong type
    ('max_deployments', 'many', "option 'max_deployments' must be a number, not a string"),
    ('inventory_tags', 'yes', "option 'inventory_tags' must be true or false, not a string"),
    ('tls_verify', 0, "option 'tls_verify' must be true or false, not a number"),
    ('cost_scope', 7, "option 'cost_scope' must be a string, not a number"),
    ('exclude_labels', 'deployment', "option 'exclude_labels' must be a list of strings"),
    ('rates_as_counts', [True], "option 'rates_as_counts' must be true or false, not a list"),
    ('openmetrics_endpoint', b'https://x/', "option 'openmetrics_endpoint' must be a string, not a value of type "
                                            'bytes'),
    ('collect_usage', {1, 2}, "option 'collect_usage' must be true or false, not a value of type set"),
    ('quantiles', [0.5, b'0.9'], "option 'quantiles' must be a number, not a value of type bytes"),
    ('accelerator_prices', {'NVIDIA_H100_80GB': datetime.date(2024, 1, 1)},
     "option 'accelerator_prices.NVIDIA_H100_80GB' must be a number, not a value of type date"),
    # out of bounds
    ('timeout', 3601, "option 'timeout' must be between 0.001 and 3600, not 3601"),
    ('read_timeout', 0.0009, "option 'read_timeout' must be between 0.001 and 3600, not 0.0009"),
    ('api_max_response_bytes', 1023, "option 'api_max_response_bytes' must be a whole number from 1024 to 1073741824"),
    ('max_response_bytes', 1 << 32, "option 'max_response_bytes' must be between 1024 and 4294967294, not "
                                    '4294967296'),
    ('ready_grace_period', 86401, "option 'ready_grace_period' must be a number of seconds from 0 to 86400"),
    ('ready_grace_period', -1, "option 'ready_grace_period' must be a number of seconds from 0 to 86400"),
    ('quantiles', [1.5], "option 'quantiles' must be a list of numbers above 0 and at most 1 (0.5 is the median)"),
    ('accelerator_prices', {'NVIDIA_H100_80GB': 1e6 + 1}, "option 'accelerator_prices.NVIDIA_H100_80GB' must be a "
                                                          'price in US dollars per accelerator-hour, above 0 and at '
                                                          'most 1000000'),
    # NaN and infinities never reach the library
    ('max_deployments', float('nan'), "option 'max_deployments' must be a finite number"),
    ('max_retry_after', float('-inf'), "option 'max_retry_after' must be a finite number"),
    ('quantiles', [0.5, float('nan')], "option 'quantiles' must be a finite number"),
    ('ready_grace_period', float('nan'), "option 'ready_grace_period' must be a number of seconds from 0 to 86400"),
    ('skip_proxy', float('nan'), "option 'skip_proxy' must be true or false, not a number"),
    # integers past a double's range, or past the option's
    ('timeout', 10 ** 400, "option 'timeout' must be a finite number"),
    ('min_collection_interval', 10 ** 400, "option 'min_collection_interval' must be a finite number"),
    ('max_deployments', -10 ** 400, "option 'max_deployments' must be a finite number"),
    ('inventory_interval', 2 ** 64, "option 'inventory_interval' must be a whole number from 10 to 86400"),
    ('max_requests_per_minute', 10 ** 30, "option 'max_requests_per_minute' must be between 1 and 6, not 1e+30"),
    ('min_collection_interval', 10 ** 30, "option 'min_collection_interval' must be a number of seconds above 0"),
    # negative zero is zero
    ('timeout', -0.0, "option 'timeout' must be between 0.001 and 3600, not -0"),
    ('capacity_interval', -0.0, "option 'capacity_interval' must be a whole number from 10 to 86400"),
    ('quantiles', [-0.0], "option 'quantiles' must be a list of numbers above 0 and at most 1 (0.5 is the median)"),
    # an integer is whole
    ('max_response_bytes', 1048576.5, "option 'max_response_bytes' must be a whole number"),
    ('max_requests_per_minute', 4.5, "option 'max_requests_per_minute' must be a whole number"),
    ('max_deployments', 10.5, "option 'max_deployments' must be a whole number from 1 to 100000"),
    ('ready_grace_period', 60.5, "option 'ready_grace_period' must be a whole number of seconds from 0 to 86400"),
])
def test_a_hostile_value_is_refused_naming_its_option(option, value, message):
    assert refused(base(**{option: value})) == message


def test_negative_zero_is_zero_where_zero_is_allowed():
    assert accepted(base(ready_grace_period=-0.0))
    assert cfg.ready_grace_period(base(ready_grace_period=-0.0)) == 0
    # The Agent reads 0 or less as its default.
    assert cfg.client_config(base(min_collection_interval=-0.0))['mapping']['min_collection_interval'] == 15


def _numeric_rows():
    for row in OPTIONS:
        if row.section == 'instances' and row.type in ('integer', 'number') and row.reader in ('client', 'fleet'):
            yield row


@pytest.mark.parametrize('row', list(_numeric_rows()), ids=lambda r: r.name)
def test_each_bound_of_the_table_is_the_one_enforced(row):
    """The table's bounds, not a hand-kept copy: each bound is accepted, and
    a value just past it is refused naming the option."""
    step = 1 if row.type == 'integer' else row.minimum / 10 if row.minimum else 0.5
    assert accepted(base(**{row.name: row.minimum}))
    assert accepted(base(**{row.name: row.maximum}))
    for value in (row.minimum - step, row.maximum + step):
        text = refused(base(**{row.name: value}))
        assert text.startswith("option '{}' must be ".format(row.name)), text
    if row.default is not None:
        assert accepted(base(**{row.name: row.default}))


@pytest.mark.parametrize('row', [r for r in OPTIONS if r.section == 'instances' and r.type == 'boolean'
                                 and r.reader in ('client', 'fleet', 'mapping', 'shim')], ids=lambda r: r.name)
def test_each_boolean_of_the_table_takes_only_true_or_false(row):
    for value in (True, False):
        assert accepted(base(**{row.name: value}))
    assert refused(base(**{row.name: 'false'})) == "option '{}' must be true or false, not a string".format(row.name)


def test_init_config_booleans_are_checked_and_named_as_init_config_options():
    for row in OPTIONS:
        if row.section == 'init_config' and row.type == 'boolean':
            assert refused(base(), {row.name: 1}) == \
                "option '{}' in init_config must be true or false, not a number".format(row.name)


def test_the_finite_bound_of_a_double_is_still_a_number():
    # The largest double is forwarded and refused by the library for its range, not its form.
    text = refused(base(timeout=sys.float_info.max))
    assert text == "option 'timeout' must be between 0.001 and 3600, not 1.79769e+308"
