"""Simulated seasons and Evidently's drift verdicts on the pipeline's splits."""

import pandas as pd
import pytest

from lib import monitoring, schema

monitoring.evidently_on_pandas3()  # Evidently 0.7 imports beside pandas 3 only after this (lib/monitoring/drift.py)

from evidently import DataDefinition, Dataset, Report  # noqa: E402  # isort: skip  # pylint: disable=wrong-import-position
from evidently.presets import DataDriftPreset  # noqa: E402  # isort: skip  # pylint: disable=wrong-import-position

BISCOE_MOSTLY = {"Biscoe": 0.8, "Dream": 0.1, "Torgersen": 0.1}


def verdicts(reference: pd.DataFrame, current: pd.DataFrame):
    definition = DataDefinition(numerical_columns=list(schema.NUMERIC), categorical_columns=list(schema.CATEGORICAL))
    run = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current[list(schema.FEATURES)], data_definition=definition),
        Dataset.from_pandas(reference[list(schema.FEATURES)], data_definition=definition),
    )
    return monitoring.drift_table(run), monitoring.dataset_drift(run)


def test_a_normal_season_shows_no_drift(splits):
    """New penguins drawn like the training split's pass every column's test against the training split."""
    train, _ = splits
    table, overall = verdicts(train, monitoring.normal_season(train, 150, seed=7))
    assert set(table.index) == set(schema.FEATURES)
    assert not table["drifted"].any(), table
    assert table["value"].min() > 0.3 and overall == {"count": 0.0, "share": 0.0}


def test_another_island_mix_drifts_on_island(splits):
    train, _ = splits
    table, overall = verdicts(train, monitoring.island_mix_season(train, BISCOE_MOSTLY, 150, seed=8))
    assert table.loc["island", "drifted"] and table.loc["island", "test"] == "chi-square p_value"
    assert not table.loc["sex", "drifted"]
    assert overall["count"] >= 2


def test_a_measurement_bias_drifts_only_its_column(splits):
    train, _ = splits
    normal = monitoring.normal_season(train, 150, seed=7)
    table, _ = verdicts(train, normal.assign(bill_depth_mm=normal["bill_depth_mm"] + 2.0))
    assert table.query("drifted").index.tolist() == ["bill_depth_mm"]


def test_seasons_are_new_penguins_deterministic_and_documented(splits):
    """Traffic is new birds (no row of either split), the same on every run, with the island mix asked for."""
    train, test = splits
    normal = monitoring.normal_season(train, 300, seed=7)
    known = pd.concat([train, test])[list(schema.FEATURES)].astype(str).drop_duplicates()
    assert known.merge(normal.astype(str), how="inner").empty
    assert monitoring.normal_season(train, 300, seed=7).equals(normal)
    assert not monitoring.normal_season(train, 300, seed=8).equals(normal)
    drifted = monitoring.island_mix_season(train, BISCOE_MOSTLY, 400, seed=7)
    assert drifted.equals(monitoring.island_mix_season(train, BISCOE_MOSTLY, 400, seed=7))
    assert 0.75 < (drifted["island"] == "Biscoe").mean() < 0.85
    assert known.merge(drifted.astype(str), how="inner").empty


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param({"Anvers": 1.0}, id="unknown-island"),
        pytest.param({"Biscoe": -1.0, "Dream": 2.0}, id="negative"),
        pytest.param({"Biscoe": 0.0}, id="all-zero"),
        pytest.param({}, id="empty"),
    ],
)
def test_bad_island_weights_are_refused(splits, weights):
    with pytest.raises(ValueError, match="island weights must map islands"):
        monitoring.island_mix_season(splits[0], weights, 10, seed=0)


def test_the_prediction_log_reads_back_with_the_training_dtypes(tmp_path, splits):
    """A logged null sex stays missing, measurements are floats: Evidently compares like with like."""
    log = tmp_path / "predictions.jsonl"
    log.write_text(
        '{"island":"Biscoe","bill_length_mm":45,"bill_depth_mm":15.0,"flipper_length_mm":215,"body_mass_g":5000,'
        '"sex":null,"species":"Gentoo","confidence":0.99,"model_version":"1","time":"2026-11-28T09:00:00.000+00:00"}\n'
    )
    frame = monitoring.read_prediction_log(log)
    assert frame["sex"].isna().all() and all(frame[name].dtype == float for name in schema.NUMERIC)
