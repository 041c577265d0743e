"""Evaluation: the champion on the held-out test split, with a 95% interval, against the requirement.

The requirement is met when the lower end of the interval reaches params.yaml's minimum: one score on
a few hundred rows could be luck, the interval says how much. Accuracy is a proportion of rows, so its
interval is Wilson's (honest even at 100%, where a bootstrap collapses to a point); R2 gets a bootstrap
of the test rows.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, r2_score

from . import config, data, model

SCORES = {"accuracy": accuracy_score, "r2": r2_score}


def bootstrap(truth: np.ndarray, predicted: np.ndarray, metric: str, resamples: int, seed: int) -> tuple[float, float]:
    """The 95% percentile interval of the metric over resamples of the test rows (with replacement)."""
    rng = np.random.default_rng(seed)
    score = SCORES[metric]
    draws = [score(truth[i], predicted[i]) for i in rng.integers(0, len(truth), size=(resamples, len(truth)))]
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's 95% score interval of a proportion."""
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0% or 100% the bound is exactly 0 or 1 (the formula leaves a rounding error there).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def interval(truth: np.ndarray, predicted: np.ndarray, metric: str, settings: dict[str, Any]) -> tuple[float, float]:
    """The 95% interval of the test score: Wilson's for accuracy, a bootstrap for R2."""
    if metric == "accuracy":
        return wilson(int((truth == predicted).sum()), len(truth))
    return bootstrap(truth, predicted, metric, settings["resamples"], settings["seed"])


def evaluate(settings: dict[str, Any], requirements: dict[str, float]) -> dict[str, Any]:
    """Score, interval, size and verdict of the exported champion on the test split."""
    pipeline, meta = model.load()
    features, target = data.features_and_target(data.load_split("test"))
    predicted = pipeline.predict(features)
    metric = config.score_name()
    low, high = interval(target.to_numpy(), predicted, metric, settings)
    minimum = requirements[f"min_{metric}"]
    return {
        "metric": metric,
        "score": float(SCORES[metric](target, predicted)),
        "interval_95": [low, high],
        "n_test": len(target),
        "requirement": minimum,
        "requirement_met": low >= minimum,
        "version": meta["version"],
    }


def main() -> None:
    """The evaluate stage: reports/metrics.json."""
    params = config.params()
    result = evaluate(params["evaluate"], params["requirements"])
    config.path("reports", "metrics.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    low, high = result["interval_95"]
    verdict = "met" if result["requirement_met"] else "NOT met"
    print(
        f"{result['metric']} {result['score']:.3f} (95% interval {low:.3f} to {high:.3f}, "
        f"{result['n_test']} test rows); requirement {result['requirement']:.3f} on the interval's lower end: {verdict}"
    )


if __name__ == "__main__":
    main()
