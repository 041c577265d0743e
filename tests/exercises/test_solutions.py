"""The worked solutions in exercises/: each runs on the session's project and gives the right answer."""

import pandas as pd
import pytest

from exercises import data_versioning, deployment, energy_efficiency, experiment_tracking, inception, monitoring
from exercises import quality_assurance as qa
from lib import cards, champion, data, paths, tracking


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh tracking store, so the solutions never add runs to the pipeline's."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setattr(tracking.paths, "PROJ_ROOT", tmp_path)
    tracking.configure()
    yield tmp_path
    monkeypatch.undo()
    tracking.configure()


def test_inception_rows_without_sex_match_the_card(raw):
    """1.0-1: the rows without a known sex are exactly the ones the dataset card counts."""
    rows = inception.rows_without_sex(raw)
    assert len(rows) == cards.dataset_statistics(raw)["sex_unknown"] > 0
    assert not rows["Sex"].isin(["MALE", "FEMALE"]).any()


def test_inception_card_structure_is_computed_from_the_data(raw):
    """1.0-2: the Dataset Structure section lists every column with its real count of missing values."""
    section = cards.section(inception.card_with_structure(raw).text, "Dataset Structure")
    assert sum(line.startswith("- `") for line in section.splitlines()) == raw.shape[1]
    assert f"`Body Mass (g)` (float64): {raw['Body Mass (g)'].isna().sum()} missing" in section


def test_inception_bad_parameter_names_it_and_the_file():
    """1.0-3: the check refuses 1.5 and says where to fix it."""
    message = inception.bad_parameter_message(1.5)
    assert "min_island_accuracy" in message and "params.yaml" in message


def test_data_versioning_version_three(project):
    """2.1-1: dvc diff reports the data file as modified; the rows lost are those without a known sex."""
    raw_file = project.root / "data" / "raw" / paths.RAW_DATA_FILE.name
    answer = data_versioning.version_three(raw_file)
    assert "data/penguins.csv" in answer["diff"] and "1 modified" in answer["diff"]
    assert answer["rows_lost"] == len(inception.rows_without_sex(data.load_raw(raw_file)))


def test_data_versioning_parameter_reach(project):
    """2.1-2: dvc status names the changed parameter; the metrics follow the new test share."""
    answer = data_versioning.parameter_reach(project.root / "data" / "raw" / paths.RAW_DATA_FILE.name, 0.4)
    assert "prepare.test_size" in answer["status"]
    assert answer["metrics"]["test_rows"] == round(answer["metrics"]["rows"] * 0.4)
    assert "test_rows" in answer["metrics_diff"]


def test_data_versioning_ci_command(project):
    """2.1-3: CI runs .ci/run, which runs README's test command, whose recipe is pytest."""
    answer = data_versioning.ci_command(project.root)
    assert answer["step"] == "bash .ci/run" and answer["command"] == "make test"
    assert answer["target"] == "test" and answer["recipe"] == ["$(BIN)/python -m pytest"]


def test_experiment_tracking_compare_c(store, splits):
    """2.2-1: two runs, one per value of C, ranked by CV macro-F1 (best first)."""
    runs = experiment_tracking.compare_c(*splits, values=(0.1, 10.0), cv_folds=3)
    assert sorted(runs["params.C"]) == ["0.1", "10.0"]
    assert runs["metrics.cv_macro_f1"].is_monotonic_decreasing


def test_experiment_tracking_roll_back(store, splits):
    """2.2-2: after moving the alias back, models:/...@champion serves version 1 (C = 0.1)."""
    answer = experiment_tracking.roll_back(*splits)
    assert answer["versions"] == (1, 2) and answer["alias_before"] == 2
    assert answer["alias_after"] == 1 and answer["served_c"] == 0.1


def test_experiment_tracking_autolog_misses(store, splits):
    """2.2-3: autolog records training-set scores only; CV, test and per-island metrics are missing."""
    answer = experiment_tracking.autolog_misses(*splits)
    assert answer["autologged"] and all(key.startswith("training_") for key in answer["autologged"])
    assert {"cv_macro_f1", "test_macro_f1", "test_accuracy_Dream"} <= set(answer["missing"])


def test_energy_grid_comparison(splits, tmp_path):
    """3.1-1: the same work on a coal-heavy grid (POL) emits several times more per kWh than on FRA's."""
    table = energy_efficiency.grid_comparison(splits[0], repeats=3, output_dir=tmp_path).set_index("country")
    assert (table["energy_kwh"] > 0).all()
    assert table.loc["POL", "g_per_kwh"] > 4 * table.loc["FRA", "g_per_kwh"]


def test_energy_mode_comparison(project, splits, tmp_path):
    """3.1-2: machine mode charges at least the RAM power that process mode does."""
    table = energy_efficiency.mode_comparison(
        champion.load_model(project.root / "models"), splits[1], repeats=50, output_dir=tmp_path
    ).set_index("mode")
    assert table.loc["machine", "ram_power_w"] >= table.loc["process", "ram_power_w"] > 0


def test_energy_tracker_overhead(project, splits, tmp_path):
    """3.1-3: a tracked prediction costs several bare ones and appends a row to the CSV every time."""
    answer = energy_efficiency.tracker_overhead(champion.load_model(project.root / "models"), splits[1], tmp_path)
    assert answer["tracked_s"] > 2 * answer["predict_s"] and answer["csv_rows"] == 1


def test_qa_mean_mass_expectation(raw):
    """3.2-1: the real data meet the mean expectation; the delivery in kilograms does not."""
    assert qa.mean_mass_expectation(raw) == {"real": True, "in_kg": False}


def test_qa_lint_fix():
    """3.2-2: ruff and pylint find the undefined name and the mutable default; the fix is clean."""
    flawed = qa.lint_findings(qa.FLAWED)
    assert {"B006", "F821"} <= set(flawed["ruff"]) and {"E0602", "W0102"} <= set(flawed["pylint"])
    assert qa.lint_findings(qa.FIXED) == {"ruff": [], "pylint": []}


def test_qa_directional_test_tells_the_models_apart(project, splits):
    """3.2-3: the champion gets more Gentoo with weight; the shortcut model, blind to weight, does not."""
    assert qa.heavier_is_more_gentoo(champion.load_model(project.root / "models"))
    assert not qa.heavier_is_more_gentoo(qa.shortcut_model(splits[0]))


def test_deployment_tighter_bound(project):
    """4.1-1: 7000 g is a 422 naming body_mass_g and the 6500 limit."""
    status, error = deployment.too_heavy()
    assert status == 422 and error["loc"] == ["body", "body_mass_g"] and error["ctx"]["le"] == 6500


def test_deployment_species_route(project):
    """4.1-2: GET /species lists the champion's classes."""
    assert deployment.known_species() == list(champion.load_model(project.root / "models").classes_)


def test_deployment_batch_limit(project):
    """4.1-3: 1001 penguins are one too many."""
    status, error = deployment.over_the_batch_limit()
    assert status == 422 and error["type"] == "too_long" and error["loc"] == ["body", "penguins"]


def test_monitoring_biased_caliper(project):
    """5.1-1: a caliper 6 mm long drifts flipper length only, and moves no species out of its band."""
    answer = monitoring.biased_caliper(6.0)
    assert answer["drifted_columns"] == ["flipper_length_mm"] and answer["flipper_p_value"] < 0.05
    assert answer["alert_would_fire_for"] == []


def test_monitoring_flipper_rule(project):
    """5.1-2: the flipper-mean rule passes its promtool test: quiet at the training mean, firing 6 mm above."""
    status, output = monitoring.flipper_rule_tested(6.0)
    assert status == 0 and "SUCCESS" in output, output
    status, output = monitoring.flipper_rule_tested(3.0)  # inside the 5 mm band: the expected alert never comes
    assert status == 1 and "FAILED" in output


def test_monitoring_visible_drift(project):
    """5.1-3: island drift becomes visible a few points above the training share of Biscoe, not at it."""
    first, p_values = monitoring.first_flagged_biscoe_share()
    train_share = (pd.read_csv(project.root / "data" / "processed" / "train.csv")["island"] == "Biscoe").mean()
    assert first is not None and train_share < first <= 0.8
    assert p_values[first] < 0.05 and p_values[round(first - 0.05, 2)] >= 0.05
