"""The promotion gate: may the challenger replace the champion? Three answers, each decided by evidence.

Both models are measured on the **same penguins**: the season's held-out birds, new birds that
neither model was trained on. The gate never scores the original test split (lesson 2.1 keeps it
to evaluate the model chosen without it, and its birds were measured with the old protocol): of the
model tests of lesson 3.2 it runs the behavioural ones, whose typical penguins are written in the
tests (textbook specimens, several of them copies of real birds: they test a capability, and no
score is read off them), and leaves out the performance floor and island slices, which score the
test split; the gate checks those requirements itself, on the new birds, with intervals.

Every check of the challenger answers ``met``, ``failed`` or ``undecided``
(:func:`lib.evidence.status`), and the gate answers with the worst of them:

- the inception requirements of lesson 1.0 (macro-F1 and the accuracy on each island), each with
  its 95% interval (:mod:`lib.evidence`): met when the whole interval is on the right side of the
  threshold, failed when the whole of it is on the wrong side, undecided when it straddles;
- the group requirement: the largest accuracy gap between the islands, and between the sexes
  (:func:`lib.fairness.gaps`, Fairlearn's ``MetricFrame``), each with its simultaneous 95% interval,
  at most ``max_group_gap``;
- **no regression**, paired: the challenger's macro-F1 minus the champion's on the same birds,
  with its paired-bootstrap interval, must be above ``-max_regression`` (met), is clearly below it
  (failed), or cannot be told apart from it (undecided);
- the evaluation set holds at least ``min_birds`` penguins (``loop.min_evaluation_birds``,
  fixed before anyone looks at a score), or the challenger is not promoted (a failed check still refuses);
- the behavioural tests of lesson 3.2 (``tests/model/test_behaviour.py``) and the p99 latency of
  ``/predict`` over ``latency_requests`` calls in a row: met or failed.

Any failed check: **refuse**. Otherwise any undecided check: **not enough evidence**: label more
birds and run the gate again. Otherwise: **promote**. The champion's own checks are shown beside
the challenger's, so the table says why a challenger was needed at all.
"""

from __future__ import annotations

import hashlib
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

from lib import champion, evidence, fairness, modeling, paths, quality, schema
from lib.requirements import Check, Requirements
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


PROMOTE, REFUSE, NOT_ENOUGH_EVIDENCE = "promote", "refuse", "not enough evidence"


@dataclass
class Verdict:
    """The gate's answer (:data:`PROMOTE`, :data:`REFUSE` or :data:`NOT_ENOUGH_EVIDENCE`), every check, and why."""

    decision: str
    checks: pd.DataFrame
    reasons: list[str]
    confidence: float = evidence.CONFIDENCE  # each interval's level

    @property
    def passed(self) -> bool:
        """Whether the challenger may be promoted."""
        return self.decision == PROMOTE

    def explain(self) -> str:
        """One paragraph: the answer, and the checks that gave it."""
        if self.decision == PROMOTE:
            return (
                "promote: every check of the challenger is met, each score's whole "
                f"{round(self.confidence * 100, 2):g}% interval on the right side"
            )
        if self.decision == REFUSE:
            return "refuse: " + "; ".join(self.reasons)
        return "not enough evidence: " + "; ".join(self.reasons) + ". Label more birds, then run the gate again"


def scores(model: Pipeline, table: pd.DataFrame, seed: int = 0) -> dict[str, evidence.Interval]:
    """The model's scores on ``table`` with their 95% intervals (:func:`lib.evidence.scores`)."""
    return evidence.scores(table, model.predict(modeling.features(table)), seed)


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


BEHAVIOUR_TESTS = "test_behaviour.py"  # of tests/model: the rest scores the original test split


_OUTCOMES: dict[str, pd.DataFrame] = {}  # behaviour()'s answers by what they depend on (_behaviour_key)


def _behaviour_key(model: Pipeline) -> str:
    """A digest of everything the behavioural tests read: the model's bytes, the tests, the parameters, the splits."""
    digest = hashlib.sha256(champion.deterministic_dumps(model))
    read = [*sorted((paths.TESTS_DIR / "model").glob("*.py")), paths.PROJ_ROOT / "conftest.py", paths.PARAMS_FILE]
    for path in [*read, *sorted(paths.PROCESSED_DATA_DIR.glob("*.csv"))]:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()


def behaviour(model: Pipeline) -> pd.DataFrame:
    """The behavioural tests of lesson 3.2 (``tests/model/test_behaviour.py``) on ``model``, in a scratch project.

    One row per test: its family, id, outcome and message. Not the performance floor and island
    slices of ``tests/model``: they score the original test split, which the gate never reads.
    The tests are deterministic, so a model with the same bytes, under the same tests, parameters
    and splits, gets the answer of the run before (a gate run again on more birds, as lesson 5.2
    and its exercises do, tests the same challenger): any change to one of them runs pytest again.
    """
    key = _behaviour_key(model)
    if key not in _OUTCOMES:
        _OUTCOMES[key] = _run_behaviour(model)
    return _OUTCOMES[key].copy()


def _run_behaviour(model: Pipeline) -> pd.DataFrame:
    """pytest on the behavioural tests, for ``model`` exported into a scratch project."""
    scratch = Path(tempfile.mkdtemp(prefix="gate-"))
    try:
        shutil.copytree(paths.PROCESSED_DATA_DIR, scratch / "data" / "processed")
        shutil.copy(paths.PARAMS_FILE, scratch / "params.yaml")
        champion.export(model, champion.ModelExport.unregistered("candidate"), models_dir=scratch / "models")
        rows = quality.run_pytest(
            paths.TESTS_DIR / "model" / BEHAVIOUR_TESTS,
            cwd=paths.PROJ_ROOT,
            env={paths.ROOT_ENV_VAR: str(scratch)},
            in_process=True,  # about 3 s in a new process, 0.3 s here
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return pd.DataFrame(rows)


def _row(model: str, evaluation: str, check: Check, status: str, interval: evidence.Interval | None = None) -> dict:
    """One row of the gate's table: a check of one model, its interval and birds where it has them, its status."""
    return {
        "model": model,
        "evaluation": evaluation,
        "criterion": check.criterion,
        "birds": None if interval is None else interval.n,
        "value": round(check.value, 4),
        "low": None if interval is None else round(interval.low, 4),
        "high": None if interval is None else round(interval.high, 4),
        "needs": check.needs,
        "threshold": check.threshold,
        "status": status,
    }


def _requirements(name: str, found: Mapping[str, evidence.Interval], needs: Requirements) -> list[dict]:
    """The inception requirements on one model's scores, each read by its interval."""
    return [
        _row(name, EVALUATION, check, evidence.status(interval, check.needs, check.threshold), interval)
        for check, interval in needs.with_intervals(found)
    ]


def _group_gaps(
    name: str, table: pd.DataFrame, predicted: np.ndarray, needs: Requirements, confidence: float = evidence.CONFIDENCE
) -> list[dict]:
    """The group requirement on one model's answers: each attribute's largest accuracy gap, read by its interval."""
    return [
        _row(name, EVALUATION, check, evidence.status(gap, check.needs, check.threshold), gap)
        for check, gap in needs.group_gaps(fairness.gaps(table, predicted, confidence))
    ]


def _comparison(
    truth: np.ndarray, predicted: Mapping[str, np.ndarray], max_regression: float, seed: int, confidence: float
) -> dict:
    """The paired check: the challenger's macro-F1 minus the champion's on the same birds, against the margin."""
    difference = evidence.paired_difference(truth, predicted["champion"], predicted["challenger"], seed, confidence)
    check = Check("macro-F1 minus the champion's", difference.value, ">=", -max_regression)
    return _row("challenger", EVALUATION, check, evidence.status(difference, ">=", -max_regression), difference)


def _met(check: Check) -> str:
    return evidence.MET if check.met else evidence.FAILED


EVALUATION = "season held-out"


def decide(
    models: Mapping[str, Pipeline],
    table: pd.DataFrame,
    needs: Requirements,
    *,
    max_regression: float,
    min_birds: int,
    latency_requests: int = 300,
    seed: int = 0,
    confidence: float = evidence.CONFIDENCE,
) -> Verdict:
    """Measure ``models["champion"]`` and ``models["challenger"]`` on the same penguins ``table``, and answer.

    ``needs`` are the inception requirements (:class:`lib.requirements.Requirements`);
    ``max_regression`` is how much macro-F1 the challenger may lose to the champion
    (``loop.max_regression``); ``min_birds`` the smallest evaluation set the gate decides on
    (``loop.min_evaluation_birds``); ``seed`` fixes the bootstrap. ``confidence`` is every
    interval's level: 95% for one run; when the gate is run several times on growing sets of birds,
    each run counts as one more test, and with ``runs`` planned runs Bonferroni's ``1 - 0.05 / runs``
    keeps the chance that any of them promotes wrongly within 5%.
    """
    predicted = {name: model.predict(modeling.features(table)) for name, model in models.items()}  # once each
    rows = []
    for name, model in models.items():
        rows += _requirements(name, evidence.scores(table, predicted[name], seed, confidence), needs)
        if needs.max_group_gap is not None:
            rows += _group_gaps(name, table, predicted[name], needs, confidence)
        latency = needs.latency(latency_p99_ms(model, latency_requests))
        rows.append(_row(name, "/predict", latency, _met(latency)))
    truth = table[schema.LABEL].astype(str).to_numpy()
    rows.append(_comparison(truth, predicted, max_regression, seed, confidence))
    size = Check("evaluation size", len(table), ">=", min_birds)
    rows.append(_row("challenger", EVALUATION, size, evidence.MET if size.met else evidence.UNDECIDED))
    tests = behaviour(models["challenger"])
    failed_tests = tests[tests["outcome"] != "passed"]
    tested = Check("behavioural tests failed", len(failed_tests), "<=", 0.0)
    rows.append(_row("challenger", f"tests/model/{BEHAVIOUR_TESTS}", tested, _met(tested)))
    checks = pd.DataFrame(rows)
    mine = checks[checks["model"] == "challenger"]
    failed, undecided = mine[mine["status"] == evidence.FAILED], mine[mine["status"] == evidence.UNDECIDED]
    decision = REFUSE if len(failed) else NOT_ENOUGH_EVIDENCE if len(undecided) else PROMOTE
    reasons = [_reason(row) for row in (failed if len(failed) else undecided).itertuples()]
    if decision == REFUSE:
        reasons += [f"failed {test}" for test in failed_tests["test"]]
    return Verdict(decision, checks, reasons, confidence)


def _reason(row) -> str:
    """A check in words: its value, its interval where it has one, and what it needs."""
    interval = "" if pd.isna(row.low) else f" [{row.low:g}, {row.high:g}]"
    return f"{row.criterion} on {row.evaluation} = {row.value:g}{interval} (needs {row.needs} {row.threshold:g})"
