"""The promotion gate: may the challenger replace the champion? Decided by the requirements, not by a person's eye.

Both models are measured on the same evaluation sets (the original test split, and the
new season's held-out penguins), against the requirements agreed at inception (lesson
1.0): macro-F1 and the accuracy on each island of every set, and the p99 latency of one
``/predict`` call through the API. The challenger must also pass the behavioural tests
of lesson 3.2 (``tests/model``), and may not score below the champion on any set by more
than ``max_regression``: a model that meets the bar while losing ground is not promoted
without a person deciding so. The champion's own checks are shown beside it, so the table
says why a challenger was needed at all.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from sklearn.pipeline import Pipeline

from lib import champion, modeling, paths, quality
from lib.requirements import Requirements
from lib.serving import Settings, create_app
from lib.serving.loading import ready

EXAMPLE = {
    "island": "Dream",
    "bill_length_mm": 44.5,
    "bill_depth_mm": 17.8,
    "flipper_length_mm": 195,
    "body_mass_g": 3700,
    "sex": "female",
}


@dataclass
class Verdict:
    """The gate's decision: every check of both models, and why the challenger was refused (none if it passed)."""

    passed: bool
    checks: pd.DataFrame
    reasons: list[str]

    def explain(self) -> str:
        """One paragraph: promoted, or refused and why."""
        if self.passed:
            return "the challenger passes every check of the gate: it may be promoted"
        return "the challenger is refused: " + "; ".join(self.reasons)


def scores(model: Pipeline, sets: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Per evaluation set: macro-F1 and the accuracy on each island (``lib.modeling.evaluate``'s measures)."""
    return {name: modeling.evaluate(model, table) for name, table in sets.items()}


def latency_p99_ms(model: Pipeline, requests: int) -> float:
    """p99 of ``requests`` sequential ``POST /predict`` calls to the API serving ``model`` (in-process, no network)."""
    loaded = ready(model, name="candidate", version="candidate", source="gate", metrics={})
    times = []
    with TestClient(create_app(Settings(reload_interval_s=0), loaded)) as client:
        for _ in range(20):  # warm-up
            client.post("/predict", json=EXAMPLE)
        for _ in range(requests):
            start = time.perf_counter()
            client.post("/predict", json=EXAMPLE).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 99))


def behaviour(model: Pipeline) -> pd.DataFrame:
    """The model tests of lesson 3.2 (``tests/model``) on ``model``, in a scratch copy of the project's data.

    One row per test: its family, id, outcome and message.
    """
    scratch = Path(tempfile.mkdtemp(prefix="gate-"))
    try:
        shutil.copytree(paths.PROCESSED_DATA_DIR, scratch / "data" / "processed")
        shutil.copy(paths.PARAMS_FILE, scratch / "params.yaml")
        champion.export(model, champion.ModelExport.unregistered("candidate"), models_dir=scratch / "models")
        rows = quality.run_pytest(
            paths.TESTS_DIR / "model", cwd=paths.PROJ_ROOT, env={paths.ROOT_ENV_VAR: str(scratch)}
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return pd.DataFrame(rows)


def _checks(name: str, measured: Mapping[str, Mapping[str, float]], p99: float, needs: Requirements) -> list[dict]:
    """The inception requirements on each evaluation set, then the latency: one row per check."""
    done = [(evaluation, check) for evaluation, metrics in measured.items() for check in needs.checks(metrics)]
    done.append(("/predict", needs.latency(p99)))
    return [
        {
            "model": name,
            "evaluation": evaluation,
            "criterion": check.criterion,
            "value": round(check.value, 4),
            "needs": check.needs,
            "threshold": check.threshold,
            "met": check.met,
        }
        for evaluation, check in done
    ]


def decide(
    models: Mapping[str, Pipeline],
    sets: Mapping[str, pd.DataFrame],
    needs: Requirements,
    max_regression: float,
    latency_requests: int = 300,
) -> Verdict:
    """Measure ``models["champion"]`` and ``models["challenger"]`` on ``sets``; decide whether the challenger passes.

    ``needs`` are the inception requirements (:class:`lib.requirements.Requirements`); ``max_regression``
    is how much macro-F1 the challenger may lose to the champion on any set (``loop.max_regression``).
    """
    measured = {name: scores(model, sets) for name, model in models.items()}
    rows = []
    for name, model in models.items():
        rows += _checks(name, measured[name], latency_p99_ms(model, latency_requests), needs)
    for evaluation in sets:
        champion_f1 = measured["champion"][evaluation]["test_macro_f1"]
        challenger_f1 = measured["challenger"][evaluation]["test_macro_f1"]
        rows.append(
            {
                "model": "challenger",
                "evaluation": evaluation,
                "criterion": "macro-F1 lost to the champion",
                "value": round(max(champion_f1 - challenger_f1, 0.0), 4),
                "needs": "<=",
                "threshold": max_regression,
                "met": champion_f1 - challenger_f1 <= max_regression,
            }
        )
    tests = behaviour(models["challenger"])
    failed_tests = tests[tests["outcome"] != "passed"]
    rows.append(
        {
            "model": "challenger",
            "evaluation": "tests/model",
            "criterion": "behavioural tests failed",
            "value": float(len(failed_tests)),
            "needs": "<=",
            "threshold": 0.0,
            "met": failed_tests.empty,
        }
    )
    checks = pd.DataFrame(rows)
    refused = checks[(checks["model"] == "challenger") & ~checks["met"]]
    reasons = [
        f"{row.criterion} on {row.evaluation} = {row.value:g} (needs {row.needs} {row.threshold:g})"
        for row in refused.itertuples()
    ]
    reasons += [f"failed {test}" for test in failed_tests["test"]]
    return Verdict(passed=refused.empty, checks=checks, reasons=reasons)
