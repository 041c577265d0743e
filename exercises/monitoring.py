"""Solutions to the exercises of lesson 5.1, monitoring. Run: ``python -m exercises.monitoring``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from lib import champion, modeling, monitoring, params, paths, schema

monitoring.evidently_on_pandas3()  # Evidently 0.7 imports beside pandas 3 only after this (lib/monitoring/drift.py)

from evidently import DataDefinition, Dataset, Report  # noqa: E402  # isort: skip  # pylint: disable=wrong-import-position
from evidently.presets import DataDriftPreset  # noqa: E402  # isort: skip  # pylint: disable=wrong-import-position

FLIPPER_RULE = "FlipperLengthMeanOutOfBand"


def _splits() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(paths.TRAIN_FILE), pd.read_csv(paths.TEST_FILE)


def _drift(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    definition = DataDefinition(numerical_columns=list(schema.NUMERIC), categorical_columns=list(schema.CATEGORICAL))
    run = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current[list(schema.FEATURES)], data_definition=definition),
        Dataset.from_pandas(reference[list(schema.FEATURES)], data_definition=definition),
    )
    return monitoring.drift_table(run)


def biased_caliper(bias_mm: float = 6.0) -> dict[str, Any]:
    """5.1-1: the normal season with every flipper ``bias_mm`` longer: what drifts, and would the alert fire?

    The alert watches the predicted species; it fires only if the bias moves a species'
    share out of its band, which the predictions on the biased season answer.
    """
    train, _ = _splits()
    seed = params.stage_params("monitor")["seed"]
    tolerance = params.stage_params("monitor")["share_tolerance"]
    normal = monitoring.normal_season(train, params.stage_params("monitor")["normal_requests"], seed)
    biased = normal.assign(flipper_length_mm=normal["flipper_length_mm"] + bias_mm)
    table = _drift(train, biased)
    model = champion.load_model()
    predicted = pd.Series(model.predict(modeling.features(biased))).value_counts(normalize=True)
    shares = monitoring.expected_shares(train)
    observed = {species: float(predicted.get(species, 0.0)) for species in shares}
    return {
        "drifted_columns": table.query("drifted").index.tolist(),
        "flipper_p_value": float(table.loc["flipper_length_mm", "value"]),
        "predicted_shares": {species: round(share, 3) for species, share in observed.items()},
        "alert_would_fire_for": monitoring.out_of_band(shares, observed, tolerance),
    }


def flipper_mean_rule(low: float, high: float, window: str = "10m", pending: str = "15m") -> dict[str, Any]:
    """5.1-2: a rule group alerting when the mean flipper length over ``window`` leaves [low, high]."""
    feature = 'feature="flipper_length_mm"'
    mean = f"rate(penguins_feature_sum{{{feature}}}[{window}]) / rate(penguins_feature_count{{{feature}}}[{window}])"
    return {
        "groups": [
            {
                "name": "penguins-features",
                "rules": [
                    {
                        "alert": FLIPPER_RULE,
                        "expr": f"{mean} < {low} or {mean} > {high}",
                        "for": pending,
                        "labels": {"severity": "warning"},
                        "annotations": {"summary": f"the mean flipper length left [{low}, {high}] mm"},
                    }
                ],
            }
        ]
    }


def flipper_rule_tested(bias_mm: float = 6.0) -> tuple[int, str]:
    """5.1-2: ``promtool test rules`` on made-up series: quiet at the training mean, firing at mean + ``bias_mm``.

    The series are the histogram's ``_sum`` and ``_count``: 100 penguins a minute whose mean
    flipper is the training mean for an hour, then ``bias_mm`` longer for an hour; the test expects no
    alert at the end of the first hour and the alert at the end of the second, so it fails when
    ``bias_mm`` stays inside the band.

    Returns ``(promtool's exit status, its output)``.
    """
    train, _ = _splits()
    mean = round(float(train["flipper_length_mm"].mean()), 1)
    rule = flipper_mean_rule(round(mean - 5, 1), round(mean + 5, 1))
    per_minute = 100
    normal_sum, biased_sum = per_minute * mean, per_minute * (mean + bias_mm)
    tests = {
        "rule_files": ["flipper.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'penguins_feature_sum{feature="flipper_length_mm"}',
                        "values": f"0+{normal_sum}x60 {61 * normal_sum + biased_sum - normal_sum}+{biased_sum}x60",
                    },
                    {"series": 'penguins_feature_count{feature="flipper_length_mm"}', "values": f"0+{per_minute}x121"},
                ],
                "alert_rule_test": [
                    {"eval_time": "59m", "alertname": FLIPPER_RULE, "exp_alerts": []},
                    {
                        "eval_time": "119m",
                        "alertname": FLIPPER_RULE,
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "warning", "feature": "flipper_length_mm"},
                                "exp_annotations": rule["groups"][0]["rules"][0]["annotations"],
                            }
                        ],
                    },
                ],
            }
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        monitoring.write_yaml(Path(folder) / "flipper.yml", rule)
        monitoring.write_yaml(Path(folder) / "flipper.test.yml", tests)
        result = monitoring.promtool("test", "rules", "flipper.test.yml", cwd=Path(folder))
    return result.returncode, result.stdout + result.stderr


def first_flagged_biscoe_share(
    low: float = 0.4, high: float = 0.9, step: float = 0.05
) -> tuple[float | None, pd.Series]:
    """5.1-3: the island chi-square's p-value for Biscoe shares ``low`` to ``high``, and the first share flagged.

    Dream and Torgersen share the rest in their training proportions, so only Biscoe's share moves.

    Returns ``(first share flagged, or None; a Series of the island p-value indexed by each share rounded
    to 2 decimals)``.
    """
    train, _ = _splits()
    settings = params.stage_params("monitor")
    training = train["island"].value_counts(normalize=True)
    rest = training["Dream"] + training["Torgersen"]
    p_values = {}
    for index in range(round((high - low) / step) + 1):
        share = round(low + index * step, 2)
        weights = {"Biscoe": share} | {
            island: (1 - share) * training[island] / rest for island in ("Dream", "Torgersen")
        }
        season = monitoring.island_mix_season(train, weights, settings["drift_requests"], settings["seed"] + 1)
        p_values[share] = float(_drift(train, season).loc["island", "value"])
    flagged = [share for share, p in p_values.items() if p < 0.05 and share > training["Biscoe"]]
    return (min(flagged) if flagged else None), pd.Series(p_values, name="island p-value")


if __name__ == "__main__":
    print("1.", biased_caliper())
    print("2.", flipper_rule_tested())
    print("3.", first_flagged_biscoe_share())
