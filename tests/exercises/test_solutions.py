"""The worked solutions in exercises/: each runs on the session's project and gives the right answer."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from exercises import (
    closing_the_loop,
    data_versioning,
    deployment,
    energy_efficiency,
    experiment_tracking,
    inception,
    monitoring,
)
from exercises import quality_assurance as qa
from lib import cards, champion, data, energy, modeling, paths, population, tracking, training


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh tracking store, so the solutions never add runs to the pipeline's."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv(paths.ROOT_ENV_VAR, str(tmp_path))  # mlruns/ of the fresh store lands in tmp_path
    tracking.configure()
    yield tmp_path
    monkeypatch.undo()
    tracking.configure()


def test_inception_why_sex_is_unknown(raw):
    """1.0-1: every bird of unknown sex has a reason, and only the unmeasured ones are to be dropped."""
    table = inception.why_sex_is_unknown(raw)
    unknown = ~raw["Sex"].isin(["MALE", "FEMALE"])
    assert table["birds"].sum() == int(unknown.sum()) > 0
    assert "(no reason given)" not in set(table["reason"])
    dropped = table.loc[table["decision"].str.startswith("not measured"), "birds"].sum()
    assert dropped == int((unknown & raw["Body Mass (g)"].isna()).sum())  # the rows cleaning drops anyway


def test_inception_card_structure_is_computed_from_the_data(raw):
    """1.0-2: the Dataset Structure section lists every column with its real count of missing values."""
    section = cards.section(inception.card_with_structure(raw).text, "Dataset Structure")
    assert sum(line.startswith("- `") for line in section.splitlines()) == raw.shape[1]
    assert f"`Body Mass (g)` (float64): {raw['Body Mass (g)'].isna().sum()} missing" in section


def test_inception_island_majority_model_is_refused_where_islands_mix(raw):
    """1.0-3: the island-only model is perfect on Torgersen and refused on Biscoe and Dream."""
    answer = inception.island_majority_accuracy(raw, 0.9)
    crosstab = pd.crosstab(raw["Island"], raw["Species"])
    expected = crosstab.max(axis=1) / crosstab.sum(axis=1)  # the majority's share is its accuracy
    assert answer["accuracy"].round(6).to_dict() == expected.round(6).to_dict()
    assert answer["meets_requirement"].to_dict() == {"Biscoe": False, "Dream": False, "Torgersen": True}


def test_data_versioning_who_changed_the_data(project):
    """2.1-1: dvc diff finds v2 and the README commit; the README commit brought back the unsampled birds."""
    raw_file = paths.RAW_DATA_FILE
    answer = data_versioning.who_changed_the_data(raw_file)
    assert answer["changed_by"] == ["Data v2: drop the unsampled birds", "Update the README"]
    assert answer["culprit"] == "Update the README"
    comments = data.load_raw(raw_file)["Comments"].fillna("")
    assert answer["rows_brought_back"] == int(comments.str.contains("Adult not sampled").sum()) > 0


def test_data_versioning_parameter_reach(project):
    """2.1-2: dvc status names the changed parameter; the metrics follow the new test share."""
    answer = data_versioning.parameter_reach(paths.RAW_DATA_FILE, 0.4)
    assert "prepare.test_size" in answer["status"]
    assert answer["metrics"]["test_rows"] == round(answer["metrics"]["rows"] * 0.4)
    assert "test_rows" in answer["metrics_diff"]


def test_data_versioning_ci_command(project):
    """2.1-3: CI runs .ci/run, which runs README's test command, whose recipe checks params.yaml, then runs pytest."""
    answer = data_versioning.ci_command(project.root)
    assert answer["step"] == "bash .ci/run" and answer["command"] == "make test"
    assert answer["target"] == "test"
    assert answer["recipe"] == ["@$(BIN)/python -m lib.preflight", "$(BIN)/python -m pytest"]


def test_experiment_tracking_compare_c(store, splits):
    """2.2-1: three runs ranked by CV macro-F1; the kept C is the smallest one within one standard error of the best."""
    answer = experiment_tracking.compare_c(*splits, values=(0.1, 1.0, 10.0), cv_folds=3)
    ranked = answer["ranked"]
    assert sorted(ranked["params.C"]) == ["0.1", "1.0", "10.0"]
    assert ranked["metrics.cv_macro_f1"].is_monotonic_decreasing
    best = ranked.iloc[0]
    line = best["metrics.cv_macro_f1"] - best["metrics.cv_macro_f1_std"] / 3**0.5
    scores = zip(ranked["params.C"], ranked["metrics.cv_macro_f1"], strict=True)
    reached = [float(c) for c, score in scores if score >= line]
    assert answer["within_noise"] == sorted(reached) and answer["keep"] == min(reached)


def test_experiment_tracking_roll_back(store, splits):
    """2.2-2: after moving the alias back, models:/...@champion serves version 1 (C = 0.1)."""
    answer = experiment_tracking.roll_back(*splits)
    assert answer["versions"] == (1, 2) and answer["alias_before"] == 2
    assert answer["alias_after"] == 1 and answer["served_c"] == 0.1


def test_experiment_tracking_runs_without_figures(store, splits):
    """2.2-3: in a session with one run logged by hand and one by log_candidate, only the hand-logged one lacks them."""
    tracking.experiment("exercise-figures")
    train, test = splits
    with mlflow.start_run(run_name="session") as session:
        with mlflow.start_run(run_name="by-hand", nested=True):
            mlflow.set_tag("candidate", "by-hand")
            mlflow.log_params({"C": 1.0})
        training.log_candidate("baseline", {}, train, test, cv_folds=3, seed=42)
    answer = experiment_tracking.runs_without_figures(session.info.run_id)
    assert answer == {"with": ["baseline"], "without": ["by-hand"]}


def test_energy_grid_comparison(splits, tmp_path):
    """3.1-1: the same work on a coal-heavy grid (POL) emits several times more per kWh than on FRA's."""
    table = energy_efficiency.grid_comparison(splits[0], repeats=3, output_dir=tmp_path).set_index("country")
    assert (table["energy_kwh"] > 0).all()
    assert table.loc["POL", "g_per_kwh"] > 4 * table.loc["FRA", "g_per_kwh"]


def test_energy_ram_floor(splits, tmp_path):
    """3.1-2: the RAM figure is one floor for every candidate, a large share of each training's energy."""
    answer = energy_efficiency.ram_floor(splits[0], repeats=2, output_dir=tmp_path)
    table = answer["table"]
    # The same power whatever the model: CodeCarbon's floor. Its figure is the mean of the tracker's samples;
    # a sample of its timer thread that overlapped the one stop() takes could add one sample's power to the sum
    # but not to the count (seen: 15 W for 10 W), which energy.measure now avoids with one sample at stop().
    floor = table["ram_power_w"].min()
    assert floor > 0 and (table["ram_power_w"] <= 1.5 * floor).all(), table
    assert ((table["ram_share"] > 0) & (table["ram_share"] < 1)).all()
    assert answer["same"] == (answer["ranking_by_total"] == answer["ranking_by_cpu"])


def test_energy_where_to_measure(project, splits, tmp_path):
    """3.1-3: one tracked prediction is over before CodeCarbon samples it, and refused; a batch gives a figure."""
    answer = energy_efficiency.where_to_measure(champion.load_model(paths.MODELS_DIR), splits[1], tmp_path)
    assert answer["single_work_s"] < energy.MIN_SAMPLE_INTERVAL_S and "never sampled" in answer["single"]
    assert answer["per_prediction_kwh"] > 0


def test_qa_one_island_delivery(raw):
    """3.2-1: the three checks pass a Biscoe-only delivery; the added expectation refuses it and passes the export."""
    answer = qa.one_island_delivery(raw)
    assert answer == {"real_three": True, "real_with_mean": True, "biscoe_three": True, "biscoe_with_mean": False}


def test_qa_lint_fix():
    """3.2-2: ruff and pylint find the undefined name and the mutable default; the fix is clean and refuses []."""
    flawed = qa.lint_findings(qa.FLAWED)
    assert {"B006", "F821"} <= set(flawed["ruff"]) and {"E0602", "W0102"} <= set(flawed["pylint"])
    assert qa.lint_findings(qa.FIXED) == {"ruff": [], "pylint": []}
    namespace: dict = {}
    exec(compile(qa.FIXED, "fixed.py", "exec"), namespace)  # noqa: S102  # the solution's own code
    assert namespace["mean"]([1, 2, 3]) == 2
    with pytest.raises(ValueError, match="at least one number"):
        namespace["mean"]([])


def test_qa_new_colony(project, splits):
    """3.2-3: on Gentoo moved to Dream the champion keeps its accuracy; the island-and-bill shortcut loses it."""
    train, test = splits
    models = {"champion": champion.load_model(paths.MODELS_DIR), "shortcut": qa.shortcut_model(train)}
    answer = qa.new_colony(models, test)
    gentoo = int((test["species"] == "Gentoo").sum())
    assert gentoo > 0
    assert answer["champion"] >= 0.9 and answer["shortcut"] <= 0.5


def test_qa_group_criterion():
    """3.2-4: it accepts a fair model on 1000 new birds, refuses unfair ones; too few birds per group cannot."""
    train, test = data.split(data.clean(pd.read_csv(data.packaged_raw_export())), test_size=0.25, seed=42)
    model = modeling.build_candidate("logistic_regression", {"C": 1.0}, seed=42)
    model.fit(modeling.features(train), modeling.labels(train))
    birds = population.rounded(population.draw(population.fit(train), 1000, np.random.default_rng(5)))
    assert qa.group_criterion(birds, model.predict(modeling.features(birds)), 0.1) == "met"
    assert qa.group_criterion(birds, qa.unfair_answers(model, birds), 0.1) == "failed"
    assert qa.group_criterion(test, model.predict(modeling.features(test)), 0.1) == "undecided"
    males = birds["sex"].astype("string").eq("male").fillna(False).to_numpy(dtype=bool)
    one_sex = males & (np.arange(len(birds)) % 3 == 0)  # a third of the males answered wrong
    assert qa.group_criterion(birds, np.where(one_sex, "Chinstrap", birds["species"]), 0.1) == "failed"
    # 40 Torgersen birds, all right: each interval alone would show the gap small, all three together cannot
    few = pd.concat([birds[birds["island"] == "Torgersen"].head(40), birds[birds["island"] != "Torgersen"]])
    assert qa.group_criterion(few, few["species"], 0.1) == "undecided"


def test_deployment_tighter_bound(project):
    """4.1-1: 7000 g is a 422 naming body_mass_g and the 6500 limit."""
    status, error = deployment.too_heavy()
    assert status == 422 and error["loc"] == ["body", "body_mass_g"] and error["ctx"]["le"] == 6500


def test_deployment_species_route(project):
    """4.1-2: GET /species lists the champion's classes."""
    assert deployment.known_species() == list(champion.load_model(paths.MODELS_DIR).classes_)


def test_deployment_minimal_app_lets_through(project):
    """4.1-3: the minimal app answers kilograms, a tiny bill and an extra field; the project API refuses them."""
    table = deployment.minimal_lets_through().set_index("probe")
    for probe in ("body mass in kilograms", "a bill of 0.5 mm", "an extra field"):
        assert table.loc[probe, "minimal"] == 200 and table.loc[probe, "minimal_answered"] in {
            "Adelie",
            "Chinstrap",
            "Gentoo",
        }
        assert table.loc[probe, "project"] == 422
    assert table.loc["body mass in kilograms", "project_refuses"] == "body_mass_g"
    assert table.loc["an extra field", "project_refuses"] == "colour"
    assert table.loc["island in lower case", "minimal"] == 422  # Literal catches it in both


def test_deployment_batch_limit(project):
    """4.1-4: 1001 penguins are one too many."""
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
    train_share = (pd.read_csv(paths.TRAIN_FILE)["island"] == "Biscoe").mean()
    assert first is not None and train_share < first <= 0.8
    assert p_values[first] < 0.05 and p_values[round(first - 0.05, 2)] >= 0.05


def test_closing_the_loop_smaller_change(project):
    """5.2-1: a 2 mm offset still drifts the bill length, yet no requirement fails: no retraining; at 5 mm, retrain."""
    answer = closing_the_loop.smaller_change(-2.0)
    larger = closing_the_loop.smaller_change(-5.0)  # the lesson's season: the same signal, a broken requirement
    assert answer["bill_length_first_drifted_after"] is not None
    assert closing_the_loop.smaller_change(0.0)["bill_length_first_drifted_after"] is None  # no offset: no drift
    assert "failed" not in answer["champion_requirements"].values() and not answer["would_retrain"]
    assert larger["would_retrain"] and larger["champion_requirements"]["macro-F1"] == "failed"


def test_closing_the_loop_converted(project):
    """5.2-2: corrected by the offset estimated from the season, the old champion passes the gate."""
    answer = closing_the_loop.converted()
    assert 4.0 < answer["correction_mm"] < 6.0 and answer["correction_mm"] != 5.0  # estimated, not the true 5 mm
    assert answer["macro_f1_as_delivered"] < 0.95 <= answer["corrected_interval"][0]
    assert answer["gate"] == "promote" and answer["reasons"] == []
    wrong_way = closing_the_loop.converted(-answer["correction_mm"])  # the offset applied with the wrong sign
    assert wrong_way["gate"] == "refuse" and any("macro-F1" in reason for reason in wrong_way["reasons"])


def test_closing_the_loop_birds_needed(project):
    """5.2-3: too few held-out birds is never a promotion; all of them are enough, and the answer only improves."""
    table = closing_the_loop.birds_needed((50, 100, 150, 200))
    assert table["birds"].tolist()[:4] == [50, 100, 150, 200] and table["birds"].iloc[-1] == 300
    assert (table.loc[table["birds"] < 150, "answer"] == "not enough evidence").all()
    assert "evaluation size" in table["undecided"].iloc[0]
    at_the_minimum = table[table["birds"] == 150].iloc[0]  # enough birds, yet Torgersen's few birds undecided
    assert at_the_minimum["answer"] == "not enough evidence" and "accuracy on Torgersen" in at_the_minimum["undecided"]
    assert table["answer"].iloc[-1] == "promote" and "refuse" not in set(table["answer"])
    promoted = table["answer"] == "promote"
    assert promoted.cummax().equals(promoted)  # once enough birds promote, more birds do not take it back
    # Counted (five runs, each at 1 - 0.05 / 5), no run promotes: the 300 birds' promotion was one run's luck away.
    assert (table["answer, runs counted"] == "not enough evidence").all()
