"""lib.loop: the season and its delivery, the labels' join, the promotion gate, promotion and rollback."""

import hashlib
import json

import mlflow
import numpy as np
import pandas as pd
import pytest
import sklearn.base

from lib import champion, data, modeling, population, schema, tracking, training, validation
from lib.loop import feedback, gate, promotion, season
from lib.loop.traffic import switch
from lib.requirements import Requirements


@pytest.fixture(scope="module")
def pools():
    """The packaged data's train and test splits, as the pipeline makes them."""
    return data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)


@pytest.fixture(scope="module")
def birds(pools):
    return season.simulate(pools[0], birds=120, bill_length_shift_mm=-5.0, seed=3)


# ---- the season ---------------------------------------------------------------------------------


def test_the_season_is_the_same_on_every_run_and_changes_with_the_seed(pools, birds):
    again = season.simulate(pools[0], birds=120, bill_length_shift_mm=-5.0, seed=3)
    pd.testing.assert_frame_equal(birds, again)
    assert not birds.equals(season.simulate(pools[0], birds=120, bill_length_shift_mm=-5.0, seed=4))


def test_only_the_bill_length_moves_and_by_the_protocols_offset(pools):
    """Against the same birds simulated without the change, every bill is shorter by the offset, give or take."""
    changed = season.simulate(pools[0], birds=600, bill_length_shift_mm=-5.0, seed=3)
    unchanged = season.simulate(pools[0], birds=600, bill_length_shift_mm=0.0, seed=3, landmark_spread_mm=0.0)
    difference = changed["bill_length_mm"] - unchanged["bill_length_mm"]
    assert abs(difference.mean() + 5.0) < 0.15 and 0.8 < difference.std() < 1.2  # LANDMARK_SPREAD_MM = 1
    for column in ("bill_depth_mm", "flipper_length_mm", "body_mass_g"):
        pd.testing.assert_series_equal(changed[column], unchanged[column])


def test_the_seasons_birds_are_new_and_no_bird_plays_two_roles(pools):
    """No season bird, before the protocol's change, is a row of the training or the test split, and the held-out
    birds and the birds learnt from are different birds."""
    train, test = pools
    birds = season.simulate(train, birds=900, bill_length_shift_mm=0.0, seed=11, landmark_spread_mm=0.0)
    keys = list(schema.FEATURES) + [schema.LABEL]
    known = pd.concat([train, test])[keys].astype(str).drop_duplicates()
    assert known.merge(birds[keys].astype(str), how="inner").empty
    held = season.held_out(birds["sample_number"])
    assert held.sum() == 300 and (birds.loc[held, "sample_number"] % 3 == 0).all()
    assert set(birds.loc[held, "request_id"]).isdisjoint(birds.loc[~held, "request_id"])
    assert not birds[keys].astype(str).duplicated().any()  # no bird is drawn twice


def test_the_season_is_drawn_from_the_training_split_alone_and_resembles_it(pools):
    """The population is fitted on the training split: the test split cannot change it; shares and means agree."""
    train, _ = pools
    fitted = population.fit(train)
    assert fitted.groups["share"].sum() == pytest.approx(1.0)
    assert set(fitted.covariance) == set(train[schema.LABEL])
    birds = season.simulate(train, birds=6000, bill_length_shift_mm=0.0, seed=2, landmark_spread_mm=0.0)
    shares = birds[schema.LABEL].value_counts(normalize=True)
    expected = train[schema.LABEL].value_counts(normalize=True)
    assert (shares - expected).abs().max() < 0.03
    means = birds.groupby(schema.LABEL)["bill_length_mm"].mean() - train.groupby(schema.LABEL)["bill_length_mm"].mean()
    assert means.abs().max() < 0.3
    spread = birds.groupby(schema.LABEL)["bill_length_mm"].std() / train.groupby(schema.LABEL)["bill_length_mm"].std()
    assert spread.between(0.85, 1.15).all()


def test_the_delivery_is_an_lter_export_that_passes_the_raw_data_gate_and_reads_back(birds, tmp_path):
    path = tmp_path / "PAL2627.csv"
    season.to_raw(birds).to_csv(path, index=False)
    data.check_raw_header(path)  # the 17 columns in order
    raw = data.load_raw(path)
    assert validation.validate_raw(raw).success
    back = season.from_raw(raw)
    assert back["request_id"].tolist() == birds["request_id"].tolist()
    pd.testing.assert_frame_equal(
        back[list(schema.PROCESSED_COLUMNS)].reset_index(drop=True),
        data.clean(season.to_raw(birds)),
    )
    assert set(raw["Comments"]) == {season.PROTOCOL_NOTE} and raw["studyName"].eq(season.STUDY).all()


# ---- the labels' join ---------------------------------------------------------------------------


def log_of(birds, predicted):
    return pd.DataFrame(
        {"request_id": birds["request_id"], "species": predicted, "confidence": 1.0, "model_version": "1"}
    )


def test_the_join_matches_on_the_request_id_and_keeps_a_retrys_last_answer(birds):
    labels = birds[["request_id", "island", schema.LABEL]]
    log = log_of(birds, ["Gentoo"] * len(birds))
    retry = log.iloc[[0]].assign(species=birds[schema.LABEL].iloc[0])  # the same request, answered again
    joined = feedback.join(pd.concat([log, retry], ignore_index=True), labels.iloc[:-5])
    assert len(joined) == len(birds) - 5
    assert (
        joined.loc[joined["request_id"] == birds["request_id"].iloc[0], "predicted"].item()
        == birds[schema.LABEL].iloc[0]
    )
    counts = feedback.coverage(log, labels.iloc[:-5], joined)
    assert counts["predictions_without_label"] == 5 and counts["labels_without_prediction"] == 0


def test_a_log_without_request_ids_cannot_be_joined_and_says_what_to_send(birds):
    log = log_of(birds, ["Adelie"] * len(birds)).assign(request_id=None)
    with pytest.raises(feedback.JoinError, match="send X-Request-ID"):
        feedback.join(log, birds[["request_id", "island", schema.LABEL]])
    other = birds[["request_id", "island", schema.LABEL]].assign(request_id="elsewhere-" + birds["request_id"])
    with pytest.raises(feedback.JoinError, match="no label matches"):
        feedback.join(log_of(birds, ["Adelie"] * len(birds)), other)


def test_performance_names_the_requirement_each_island_breaks(birds):
    predicted = birds[schema.LABEL].where(birds["island"] != "Dream", "Gentoo")  # every Dream bird wrong
    joined = feedback.join(log_of(birds, predicted), birds[["request_id", "island", schema.LABEL]])
    table = feedback.performance(joined, Requirements(0.95, 0.9, 100)).set_index("criterion")
    assert table.loc["accuracy on Dream", "status"] == "failed" and table.loc["accuracy on Dream", "value"] == 0.0
    assert table.loc["accuracy on Biscoe", "status"] != "failed" and table.loc["accuracy on Torgersen", "value"] == 1
    assert table.loc["macro-F1", "status"] == "failed" and table.loc["macro-F1", "penguins"] == len(joined)
    assert table.loc["accuracy on Dream", "penguins"] == (joined["island"] == "Dream").sum()
    torgersen = table.loc["accuracy on Torgersen"]  # all right, on about 20 birds: not enough to show >= 0.9
    assert torgersen["low"] < 0.9 and torgersen["status"] == "undecided"


def test_first_seen_reads_each_signal(birds):
    drift = pd.DataFrame(
        {
            "penguins": [20, 40, 40, 60],
            "column": ["x", "x", "y", "x"],
            "drifted": [False, True, True, True],
            "value": [0.2, 0.03, 0.04, 0.0001],
        }
    )
    labelled = pd.DataFrame({"penguins": [20, 40, 60], "macro_f1": [0.99, 0.96, 0.9]})
    assert feedback.first_seen(drift, labelled, 0.95) == {"drift": 40, "labels": 60}
    assert feedback.first_seen(drift, labelled, 0.95, alpha=0.05 / 4) == {"drift": 60, "labels": 60}  # Bonferroni
    assert feedback.first_seen(drift.assign(drifted=False), labelled, 0.5) == {"drift": None, "labels": None}


def test_a_switch_is_read_off_the_answers():
    answers = pd.DataFrame(
        {
            "sent": [0.0, 0.1, 0.2, 0.3, 0.4],
            "answered": [0.05, 0.15, 0.25, 0.35, 0.45],
            "status": [200, 200, 200, 200, 503],
            "version": ["1", "2", "1", "2", None],
        }
    )
    seen = switch(answers, "2")
    assert seen["first_new_s"] == 0.15 and seen["old_after_first_new"] == 1 and seen["errors"] == 1


# ---- the gate -----------------------------------------------------------------------------------


def test_the_gate_refuses_a_worse_challenger_with_its_reasons(project, splits):
    """A challenger that learnt nothing (the baseline) is refused, with every check it fails; the champion passes."""
    train, _ = splits
    baseline = training.fit("baseline", {}, train, 42)
    new_birds = season.simulate(train, birds=1500, bill_length_shift_mm=0.0, seed=5)
    held_out = new_birds[season.held_out(new_birds["sample_number"])].reset_index(drop=True)
    verdict = gate.decide(
        {"champion": champion.load_model(), "challenger": baseline},
        held_out,
        Requirements.from_params(),
        max_regression=0.02,
        min_birds=150,
        latency_requests=30,
    )
    assert verdict.decision == "refuse" and not verdict.passed and verdict.explain().startswith("refuse: ")
    assert any(reason.startswith("macro-F1 on season held-out") for reason in verdict.reasons)
    assert any(reason.startswith("macro-F1 minus the champion's") for reason in verdict.reasons)
    assert any(reason.startswith("behavioural tests failed") for reason in verdict.reasons)
    assert any(reason.startswith("failed test_minimum_functionality") for reason in verdict.reasons)
    champion_rows = verdict.checks[verdict.checks["model"] == "champion"]
    assert (champion_rows["status"] != "failed").all(), champion_rows


def test_the_gate_runs_the_behavioural_tests_and_never_reads_the_test_split(project):
    """The gate's model tests are the behavioural families only: the floor and slices score the test split."""
    tests = gate.behaviour(champion.load_model())
    assert set(tests["family"]) == {"minimum functionality", "invariance", "directional"}, tests["family"].unique()
    assert (tests["outcome"] == "passed").all() and len(tests) >= 20


def test_the_behavioural_tests_run_again_only_for_other_bytes(splits, monkeypatch):
    """The same model's bytes: the answer of the run before; a model refitted differently: pytest again."""
    monkeypatch.setattr(gate, "_OUTCOMES", {})  # this test's fake answer is forgotten afterwards
    model = champion.load_model()
    first = gate.behaviour(model)
    runs = []
    monkeypatch.setattr(gate, "_run_behaviour", lambda fitted: runs.append(fitted) or first.iloc[:1])
    again = gate.behaviour(champion.load_model())  # read again from the export: the same bytes
    assert runs == [] and again.equals(first) and again is not first
    train, _ = splits
    other = sklearn.base.clone(model).fit(modeling.features(train.head(200)), modeling.labels(train.head(200)))
    assert len(gate.behaviour(other)) == 1 and len(runs) == 1


def test_the_gate_promotes_on_enough_birds_and_not_on_few(project, splits):
    """The same two models: on 500 new birds, promote; on 40, not enough evidence, naming what is undecided."""
    train, _ = splits
    model = champion.load_model()
    new_birds = season.simulate(train, birds=1500, bill_length_shift_mm=0.0, seed=5)
    held_out = new_birds[season.held_out(new_birds["sample_number"])].reset_index(drop=True)
    settings = {"max_regression": 0.02, "min_birds": 150, "latency_requests": 30}
    needs = Requirements.from_params()
    enough = gate.decide({"champion": model, "challenger": model}, held_out, needs, **settings)
    assert enough.decision == "promote" and enough.reasons == [] and enough.explain().startswith("promote")
    few = gate.decide({"champion": model, "challenger": model}, held_out.head(40), needs, **settings)
    assert few.decision == "not enough evidence" and not few.passed
    assert any(reason.startswith("evaluation size on season held-out = 40") for reason in few.reasons)
    assert any(reason.startswith("accuracy on Torgersen") for reason in few.reasons)  # a handful of birds


# ---- promotion and rollback ---------------------------------------------------------------------


@pytest.fixture
def registry(tmp_path, monkeypatch, pools):
    """A fresh tracking store holding two registered versions of a classifier; champion -> 1."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    tracking.configure()
    train, test = pools
    experiment = tracking.experiment("promotion", artifacts=tmp_path / "mlruns")
    versions = []
    with mlflow.start_run(experiment_id=experiment):
        for strength in (1.0, 0.05):
            result = training.log_candidate("logistic_regression", {"C": strength}, train, test, cv_folds=2, seed=42)
            versions.append(training.register(result, "penguins-classifier", alias="champion"))
    mlflow.MlflowClient().set_registered_model_alias("penguins-classifier", "champion", str(versions[0]))
    yield versions
    monkeypatch.undo()
    tracking.configure()


def test_promote_moves_the_alias_and_exports_that_version_and_rollback_is_the_same_move(registry, tmp_path):
    first, second = registry
    models = tmp_path / "models"
    run_id = mlflow.MlflowClient().get_model_version("penguins-classifier", str(second)).run_id
    tracking.log_to_run(run_id, {"energy_train_kwh": 0.5})  # as lesson 3.1 adds to the training runs
    assert promotion.promote("penguins-classifier", second, models) == first
    assert promotion.version_of("penguins-classifier", "champion") == second
    model, meta = champion.read(models)
    assert meta.version == second and meta.hyperparameters == {"C": 0.05} and meta.seed == 42
    assert meta.feature_schema == schema.feature_schema() and meta.trained_on[0].name == "penguins-train"
    assert meta.trained_on[0].source == "data/processed/train.csv" and meta.candidate == "logistic_regression"
    assert {"cv_macro_f1", "test_macro_f1"} <= set(meta.metrics) and "energy_train_kwh" not in meta.metrics
    row = [("Dream", 49.5, 18.4, 196.0, 3700.0, None)]
    served = mlflow.sklearn.load_model(f"models:/penguins-classifier/{second}")
    frame = modeling.features(pd.DataFrame(row, columns=list(schema.FEATURES)))
    assert np.allclose(model.predict_proba(frame), served.predict_proba(frame))
    assert promotion.promote("penguins-classifier", first, models) == second  # the rollback
    assert champion.read_record(models).version == first
    recorded = json.loads(champion.metadata_file(models).read_text(encoding="utf-8"))["model_sha256"]
    assert recorded == hashlib.sha256(champion.model_file(models).read_bytes()).hexdigest()
