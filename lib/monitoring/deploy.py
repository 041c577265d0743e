"""The team VM's rules (``deploy/monitoring/``), regenerated from the pipeline's training split.

``python -m lib.monitoring`` writes them. Their window, pending time and quiet-window floor are
parameters (the ``vm_monitoring`` section of ``params.yaml``), in minutes where the lesson's are seconds;
the species shares' tolerance is the lesson's (``monitor.share_tolerance``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lib import params, paths
from lib.monitoring.rules import alert_rule_tests, alert_rules, duration, expected_shares, write_yaml


def deploy_rules(train: pd.DataFrame, tolerance: float, vm: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The alert rules of ``deploy/monitoring/alerts.yml`` and their promtool tests, from the training split.

    ``vm`` is the ``vm_monitoring`` section of ``params.yaml`` (the window, pending time and floor).
    """
    shares = expected_shares(train)
    window, pending = vm["alert_window_s"], vm["alert_pending_s"]
    rules = alert_rules(shares, tolerance, duration(window), duration(pending), vm["alert_min_predictions"])
    return rules, alert_rule_tests("alerts.yml", shares, tolerance, window, pending)


def write_deploy_rules(folder: Path | None = None) -> list[Path]:
    """Write ``alerts.yml`` and ``alerts.test.yml`` for the team VM (``deploy/monitoring/``) from the training split."""
    folder = Path(folder) if folder is not None else paths.PROJ_ROOT / "deploy" / "monitoring"
    tolerance = params.stage_params("monitor")["share_tolerance"]
    rules, tests = deploy_rules(pd.read_csv(paths.TRAIN_FILE), tolerance, params.stage_params("vm_monitoring"))
    return [write_yaml(folder / "alerts.yml", rules), write_yaml(folder / "alerts.test.yml", tests)]
