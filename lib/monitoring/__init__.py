"""Monitoring in production (lesson 5.1): a real Prometheus, simulated seasons of traffic, drift, alert rules.

- :func:`start_prometheus` runs Prometheus (Debian's ``prometheus`` package, or the
  official release on ``PATH``) on loopback with a scrape config from :func:`prometheus_config`;
- :func:`query_range` turns a PromQL range query into a tidy DataFrame to plot;
- :func:`normal_season` and :func:`island_mix_season` draw simulated production traffic,
  new penguins like the training split's (:mod:`lib.population`), deterministically from a
  seed, and :func:`send` replays
  it against the API at a steady rate;
- :func:`alert_rules` writes the species-share alert (the same rule for the lesson's
  compressed time and for ``deploy/monitoring/``), :func:`promtool` checks and unit-tests it;
- :func:`drift_table` reads Evidently's verdict per column out of a report run.

Evidently 0.7 imports beside pandas 3 after :func:`evidently_on_pandas3` (see :mod:`lib.monitoring.drift`);
importing this package patches nothing.

The package is split along those seams: :mod:`~lib.monitoring.prometheus`, :mod:`~lib.monitoring.rules`,
:mod:`~lib.monitoring.seasons`, :mod:`~lib.monitoring.drift` and :mod:`~lib.monitoring.deploy` (the team
VM's rules, ``python -m lib.monitoring``); every name is also available from ``lib.monitoring`` itself.
"""

from lib.monitoring.deploy import (
    deploy_rules,
    write_deploy_rules,
)
from lib.monitoring.drift import dataset_drift, drift_table, evidently_on_pandas3, read_prediction_log
from lib.monitoring.prometheus import (
    PROMETHEUS_INSTALL,
    firing_alerts,
    prometheus_binary,
    prometheus_config,
    promtool,
    query,
    query_range,
    start_prometheus,
    wait_for_alert,
    wait_for_scrapes,
)
from lib.monitoring.rules import (
    ALERT,
    SHARE_RECORD,
    alert_rule_tests,
    alert_rules,
    drifted_shares,
    duration,
    expected_shares,
    out_of_band,
    write_yaml,
)
from lib.monitoring.seasons import island_mix_season, normal_season, penguin_payloads, send

__all__ = [
    "ALERT",
    "PROMETHEUS_INSTALL",
    "SHARE_RECORD",
    "alert_rule_tests",
    "alert_rules",
    "dataset_drift",
    "deploy_rules",
    "drift_table",
    "evidently_on_pandas3",
    "drifted_shares",
    "duration",
    "expected_shares",
    "firing_alerts",
    "island_mix_season",
    "normal_season",
    "out_of_band",
    "penguin_payloads",
    "prometheus_binary",
    "prometheus_config",
    "promtool",
    "query",
    "query_range",
    "read_prediction_log",
    "send",
    "start_prometheus",
    "wait_for_alert",
    "wait_for_scrapes",
    "write_deploy_rules",
    "write_yaml",
]
