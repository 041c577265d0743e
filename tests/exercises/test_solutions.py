"""The worked solutions in exercises/: each runs on the session's project and gives the right answer."""

import json
from pathlib import Path

import codecarbon
import mlflow
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import f1_score

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
from lib import (
    cards,
    champion,
    data,
    energy,
    evidence,
    modeling,
    paths,
    population,
    schema,
    serving,
    tracking,
    training,
)
from lib.loop import gate
from lib.monitoring import seasons
from tests.exercises.answers import ask


def test_inception_why_sex_is_unknown(raw):
    """1.0-1: every bird of unknown sex has a reason; only the failed tests can be run again."""
    table = inception.why_sex_is_unknown(raw)
    unknown = ~raw["Sex"].isin(["MALE", "FEMALE"])
    assert table["birds"].sum() == int(unknown.sum()) > 0
    assert "(no reason given)" not in set(table["reason"])
    dropped = table.loc[table["decision"].str.startswith("not measured"), "birds"].sum()
    assert dropped == int((unknown & raw["Body Mass (g)"].isna()).sum())  # the rows cleaning drops anyway
    comments = raw.loc[unknown, "Comments"].fillna("")
    retest = table.loc[table["can_retest"].astype(bool), "birds"].sum()
    assert retest == int(comments.str.startswith("Sexing primers did not amplify").sum()) > 0


def test_inception_card_structure_is_computed_from_the_data(raw):
    """1.0-2: the Dataset Structure section lists every column with its real count of missing values."""
    section = cards.section(inception.card_with_structure(raw).text, "Dataset Structure")
    assert sum(line.startswith("- `") for line in section.splitlines()) == raw.shape[1]
    assert f"`Body Mass (g)` (float64): {raw['Body Mass (g)'].isna().sum()} missing" in section


def test_inception_island_majority_model_is_refused_where_islands_mix(raw):
    """1.0-3: the island-only model is perfect on Torgersen, refused on Biscoe and Dream, and by macro-F1 too."""
    answer = inception.island_majority_accuracy(raw, 0.9)
    crosstab = pd.crosstab(raw["Island"], raw["Species"])
    expected = crosstab.max(axis=1) / crosstab.sum(axis=1)  # the majority's share is its accuracy
    assert answer["by_island"]["accuracy"].round(6).to_dict() == expected.round(6).to_dict()
    verdicts = answer["by_island"]["meets_requirement"].astype(bool).to_dict()
    assert verdicts == {"Biscoe": False, "Dream": False, "Torgersen": True}
    species = raw["Species"].str.split().str[0]
    majority = species.groupby(raw["Island"]).transform(lambda s: s.value_counts().idxmax())
    assert answer["macro_f1"] == pytest.approx(f1_score(species, majority, average="macro"))
    assert answer["macro_f1_refuses"] is True


@pytest.mark.slow
def test_data_versioning_who_changed_the_data():
    """2.1-1: dvc diff finds v2 and the commit that says it tidies notebooks; it brought back the unmeasured birds."""
    raw_file = data.packaged_raw_export()
    history = data_versioning.shared_history(raw_file)
    try:
        answer = data_versioning.who_changed_the_data(history)
    finally:
        history.cleanup()
    assert answer["changed_by"] == ["Data v2: drop the birds that were not measured", "Tidy the notebooks"]
    assert answer["culprit"] == "Tidy the notebooks"
    raw = data.load_raw(raw_file)
    unmeasured = raw[raw["Comments"].fillna("").str.contains("Adult not sampled")]
    names = unmeasured["Species"].str.split().str[0] + " " + unmeasured["Sample Number"].astype(str)
    assert answer["brought_back"] == sorted(names) != []


@pytest.mark.slow
def test_data_versioning_parameter_reach():
    """2.1-2: only a dependency's content or a declared parameter's value makes the stage stale; then the metrics."""
    answer = data_versioning.parameter_reach(data.packaged_raw_export(), 0.4)
    assert answer["stale"] == {
        "an undeclared parameter": False,
        "the same value rewritten": False,
        "a comment in the script": True,
        "test_size 0.4": True,
    }
    assert answer["metrics"]["test_rows"] == round(answer["metrics"]["rows"] * 0.4)
    assert "test_rows" in answer["metrics_diff"]


@pytest.mark.slow
def test_data_versioning_summary_stage():
    """2.1-3: the stage runs, and dvc status sees every change it depends on: parameter, script, output, data."""
    raw_file = data.packaged_raw_export()
    answer = data_versioning.try_stage(data_versioning.summary_stage(), raw_file)
    heavy = data.load_raw(raw_file).query("`Body Mass (g)` >= 4000")
    metrics = answer["metrics"]
    assert metrics.get("birds") == len(heavy), f"dvc metrics show should list summary.json's counts, not {metrics}"
    assert metrics.get("Gentoo") == int(heavy["Species"].str.startswith("Gentoo").sum())
    assert answer["clean_after_repro"], "after dvc repro the stage should be up to date"
    expected = {"params": True, "another parameter": False, "script": True, "outs": True, "data": True}
    assert answer["stale_after"] == expected, "True: dvc status should name the stage after that change"


def test_experiment_tracking_compare_c(store, splits):
    """2.2-1: three runs ranked by CV macro-F1; the kept C is the smallest one within one standard error of the best."""
    answer = experiment_tracking.compare_c(*splits, values=(0.1, 1.0, 10.0), cv_folds=5)
    ranked = answer["ranked"]
    assert sorted(ranked["params.C"]) == ["0.1", "1.0", "10.0"]
    assert ranked["metrics.cv_macro_f1"].is_monotonic_decreasing
    best = ranked.iloc[0]
    line = best["metrics.cv_macro_f1"] - best["metrics.cv_macro_f1_std"] / 5**0.5
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
    mix = json.loads((Path(codecarbon.__file__).parent / "data/private_infra/global_energy_mix.json").read_text())
    for country in ("FRA", "POL"):  # the figure is CodeCarbon's carbon intensity of the country's grid
        assert table.loc[country, "g_per_kwh"] == pytest.approx(mix[country]["carbon_intensity"], rel=0.01)


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
    by_total = list(table.sort_values("energy_per_training_kwh")["candidate"])
    by_cpu = list(table.sort_values("cpu_energy_per_training_kwh")["candidate"])
    assert answer["ranking_by_total"] == by_total and answer["ranking_by_cpu"] == by_cpu, "cheapest first"
    assert answer["same"] == (by_total == by_cpu)


def test_energy_request_cost(project, splits, tmp_path):
    """3.1-3: a request's energy, per request sent; the model's answer is a small part of it."""
    test = splits[1]
    answer = energy_efficiency.request_cost(test, repeats=3, output_dir=tmp_path / "answer")
    assert answer["requests"] >= 3 * len(test) and answer["requests"] % len(test) == 0
    assert answer["per_request_kwh"] == pytest.approx(answer["energy_kwh"] / answer["requests"])
    payloads = seasons.penguin_payloads(test)
    with TestClient(serving.create_app()) as client:  # the test's own measurement of the same requests
        reference = energy.measure(
            lambda: [client.post("/predict", json=payload) for payload in payloads],
            label="reference",
            repeats=3,
            country_iso_code="ESP",
            output_dir=tmp_path / "reference",
        )
    ratio = answer["per_request_kwh"] / (reference.energy_kwh / (reference.repeats * len(payloads)))
    assert 0.4 < ratio < 2.5, f"the energy per request is {ratio:.1f} times the test's own measurement"
    assert 0 < answer["model_share"] < 0.5 and answer["per_prediction_kwh"] < answer["per_request_kwh"]


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
    try:
        namespace["mean"]([])
        refused = None
    except Exception as error:  # noqa: BLE001  # whatever the fix raises is judged below
        refused = error
    assert isinstance(refused, ValueError), f"mean([]) should refuse with a ValueError that says why, not {refused!r}"


def test_qa_new_colony(project, splits):
    """3.2-3: on Chinstrap moved to Biscoe the champion is trusted; the models that learnt the island are refused."""
    train, test = splits
    answer = qa.new_colony(qa.colony_models(train), test)
    birds = int((test["species"] == "Chinstrap").sum())
    assert answer["birds"] == birds > 0
    for value, low, high in answer["accuracy"].values():
        right = round(value * birds)
        exact = evidence.proportion(right, birds)
        assert (low, high) == pytest.approx((exact.low, exact.high), abs=1e-4)
    assert answer["trust"] == "champion"
    assert answer["refuse"] == ["random_forest", "shortcut"]
    assert answer["cannot_tell_from_the_best"] == ["gradient_boosting"]


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
    assert status == 422 and error["loc"] == ["body", "body_mass_g"]
    assert error.get("ctx") == {"le": 6500}, "at most 6500 g: 6500 g itself is allowed"


def test_deployment_species_route(project, splits, monkeypatch):
    """4.1-2: GET /species lists the classes of the model the app loaded, whichever model that is."""
    assert deployment.known_species() == list(champion.load_model(paths.MODELS_DIR).classes_)
    train = splits[0][splits[0]["species"] != "Chinstrap"]  # a model that knows two species
    two = modeling.build_candidate("logistic_regression", {"C": 1.0}, seed=42)
    two.fit(modeling.features(train), modeling.labels(train))
    monkeypatch.setattr(champion, "load_model", lambda *args, **kwargs: two)
    assert deployment.known_species() == ["Adelie", "Gentoo"]


def test_deployment_minimal_app_lets_through(project):
    """4.1-3: the minimal app answers a 30 mm deep bill and a 290 mm flipper; the project API refuses them."""
    table = ask(deployment.minimal_lets_through).set_index("probe")
    for probe, field in (("a bill 30 mm deep", "bill_depth_mm"), ("a flipper of 290 mm", "flipper_length_mm")):
        assert table.loc[probe, "minimal"] == 200 and table.loc[probe, "minimal_answered"] in schema.CLASSES
        assert table.loc[probe, "project"] == 422 and table.loc[probe, "project_refuses"] == field
    for probe in ("sex written M", "island in lower case"):  # a Literal catches it in both
        assert table.loc[probe, "minimal"] == 422 and table.loc[probe, "project"] == 422


def test_deployment_batch_limit(project):
    """4.1-4: 1001 penguins are one too many."""
    status, error = deployment.over_the_batch_limit()
    assert status == 422 and error["type"] == "too_long" and error["loc"] == ["body", "penguins"]


def test_monitoring_biased_caliper(project):
    """5.1-1: a caliper 6 mm long drifts flipper length only, and moves no species out of its band."""
    answer = ask(monitoring.biased_caliper, 6.0)
    assert answer["drifted_columns"] == ["flipper_length_mm"] and answer["flipper_p_value"] < 0.05
    assert answer["alert_would_fire_for"] == []


def test_monitoring_flipper_rule(project):
    """5.1-2: the flipper-mean rule passes its promtool test: quiet at the training mean, firing 6 mm above."""
    status, output = monitoring.flipper_rule_tested(6.0)
    assert status == 0 and "SUCCESS" in output, output
    status, output = monitoring.flipper_rule_tested(3.0)  # inside the 5 mm band: the expected alert never comes
    assert status == 1 and "FAILED" in output
    rule = monitoring.flipper_mean_rule(190.0, 210.0)["groups"][0]["rules"][0]
    assert rule["alert"] == "FlipperLengthMeanOutOfBand" and rule.get("for") == "15m", "fire after 15m out of band"
    assert "[10m]" in rule["expr"], "the mean over a window of 10m"


def test_monitoring_visible_drift(project):
    """5.1-3: island drift becomes visible a few points above the training share of Biscoe, not at it."""
    first, p_values = ask(monitoring.first_flagged_biscoe_share)
    train_share = (pd.read_csv(paths.TRAIN_FILE)["island"] == "Biscoe").mean()
    assert first is not None and train_share < first <= 0.8
    assert p_values[first] < 0.05 and p_values[round(first - 0.05, 2)] >= 0.05


def test_closing_the_loop_smaller_change(project):
    """5.2-1: a 2 mm offset still drifts the bill length, yet no requirement fails: no retraining; at 5 mm, retrain."""
    answer = ask(closing_the_loop.smaller_change, -2.0)
    larger = ask(closing_the_loop.smaller_change, -5.0)  # the lesson's season: the same signal, a broken requirement
    first, at_five = answer["bill_length_first_drifted_after"], larger["bill_length_first_drifted_after"]
    assert first is not None and at_five is not None and at_five <= first, "a smaller offset is seen no earlier"
    assert ask(closing_the_loop.smaller_change, 0.0)["bill_length_first_drifted_after"] is None  # no offset: no drift
    assert "failed" not in answer["champion_requirements"].values() and not answer["would_retrain"]
    assert larger["would_retrain"] and larger["champion_requirements"]["macro-F1"] == "failed"


def test_closing_the_loop_offset_tolerance(project):
    """5.2-2: the offset estimated from the season, known far more precisely than the range of safe corrections."""
    answer = ask(closing_the_loop.offset_tolerance)
    offset, (low, high) = answer["offset_mm"], answer["offset_interval"]
    assert -6.0 < offset < -4.0 and offset != -5.0  # estimated from the birds to learn from, not the true 5 mm
    assert low < offset < high
    table = answer["table"]
    assert table.loc[table["correction_mm"] == round(-offset, 2), "status"].item() == "met"
    assert not (table["status"] == "met").all(), "some error in the offset must break the requirement"
    safe_low, safe_high = answer["safe_corrections"]
    assert safe_low < -high and -low < safe_high  # every correction the estimate's interval allows is safe


def test_closing_the_loop_birds_needed(project):
    """5.2-3: too few held-out birds is never a promotion; all of them are enough, and the answer only improves."""
    table = ask(closing_the_loop.birds_needed, (50, 100, 150, 200))
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


def _birds_and_answers(size: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    """New birds like the training split's, and a fitted model's answers on them."""
    train, _ = data.split(data.clean(pd.read_csv(data.packaged_raw_export())), test_size=0.25, seed=42)
    model = modeling.build_candidate("logistic_regression", {"C": 1.0}, seed=42)
    model.fit(modeling.features(train), modeling.labels(train))
    birds = population.rounded(population.draw(population.fit(train), size, np.random.default_rng(7)))
    return birds, model.predict(modeling.features(birds))


def test_closing_the_loop_island_criterion():
    """5.2-4: promotes an equal or better challenger, refuses one worse on one island, cannot decide on a few birds."""
    birds, answers = _birds_and_answers()
    truth = birds["species"].to_numpy()
    decide = closing_the_loop.island_criterion
    assert decide(birds, answers, answers, 0.02) == gate.PROMOTE  # no change, no regression
    # A champion that fails a third of Dream's birds (as the old protocol made it), and a challenger that does not.
    dream = (birds["island"] == "Dream").to_numpy()
    champion_answers = np.where(dream & (np.arange(len(birds)) % 3 == 0), "Gentoo", answers)
    better = np.where(dream, truth, champion_answers)
    assert decide(birds, champion_answers, better, 0.02) == gate.PROMOTE
    # Better on Dream, and wrong on one Torgersen bird in six: better overall, worse on one island.
    torgersen = np.flatnonzero((birds["island"] == "Torgersen").to_numpy())
    unfair = better.copy()
    unfair[torgersen[::6]] = "Gentoo"
    assert (unfair == truth).mean() > (champion_answers == truth).mean()
    assert decide(birds, champion_answers, unfair, 0.02) == gate.REFUSE
    few = birds.groupby("island").head(4)  # four birds an island, one of Torgersen's answered wrong
    few_truth = few["species"].to_numpy()
    wrong_once = few_truth.copy()
    wrong_once[np.flatnonzero((few["island"] == "Torgersen").to_numpy())[0]] = "Gentoo"
    assert decide(few, few_truth, wrong_once, 0.02) == gate.NOT_ENOUGH_EVIDENCE
