"""The team VM's rules (``deploy/monitoring/``), regenerated from the pipeline's training split.

``python -m lib.monitoring`` writes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lib import params, paths
from lib.monitoring.rules import alert_rule_tests, alert_rules, duration, expected_shares, write_yaml

DEPLOY_WINDOW_S = 600  # shares over 10 minutes
DEPLOY_PENDING_S = 900  # out of band for 15 minutes before anyone is paged
DEPLOY_MIN_PREDICTIONS = 200  # a quiet window (fewer answers) makes no share


def deploy_rules(train: pd.DataFrame, tolerance: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The alert rules of ``deploy/monitoring/alerts.yml`` and their promtool tests, from the training split."""
    shares = expected_shares(train)
    rules = alert_rules(
        shares, tolerance, duration(DEPLOY_WINDOW_S), duration(DEPLOY_PENDING_S), DEPLOY_MIN_PREDICTIONS
    )
    return rules, alert_rule_tests("alerts.yml", shares, tolerance, DEPLOY_WINDOW_S, DEPLOY_PENDING_S)


def write_deploy_rules(folder: Path | None = None) -> list[Path]:
    """Write ``alerts.yml`` and ``alerts.test.yml`` for the team VM (``deploy/monitoring/``) from the training split."""
    folder = Path(folder) if folder is not None else paths.PROJ_ROOT / "deploy" / "monitoring"
    rules, tests = deploy_rules(pd.read_csv(paths.TRAIN_FILE), params.stage_params("monitor")["share_tolerance"])
    return [write_yaml(folder / "alerts.yml", rules), write_yaml(folder / "alerts.test.yml", tests)]
