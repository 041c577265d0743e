"""lib.tracking and lib.training: runs land in the configured store with everything the lesson promises,
a session chooses from what the store gives back, and publishing registers and exports only a model that
meets the requirements."""

import json

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from lib import champion, data, modeling, tracking, training
from lib.requirements import RequirementNotMet, Requirements


@pytest.fixture(scope="module")
def splits():
    return data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A fresh SQLite store for this module, selected through MLFLOW_TRACKING_URI."""
    folder = tmp_path_factory.mktemp("mlflow")
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
    patch.setenv(tracking.paths.ROOT_ENV_VAR, str(folder))
    uri = tracking.configure()
    yield folder, uri
    patch.undo()
    tracking.configure()


@pytest.fixture(scope="module")
def session(store, splits):
    train, test = splits
    experiment_id = tracking.experiment("unit-test")
    candidates = {"logistic_regression": {"C": 0.5}, "random_forest": {"n_estimators": 10}}
    done = training.run_session(candidates, train, test, cv_folds=3, seed=1, experiment_id=experiment_id)
    return experiment_id, done.run_id, done.results, done


def test_default_uri_is_absolute_sqlite(tmp_path):
    """The embedded store's URI names mlflow.db by its absolute path."""
    assert tracking.default_tracking_uri(tmp_path) == f"sqlite:///{tmp_path.as_posix()}/mlflow.db"


def test_configure_honours_the_environment(store):
    """MLFLOW_TRACKING_URI wins over the embedded default."""
    folder, uri = store
    assert uri == f"sqlite:///{folder / 'mlflow.db'}" and mlflow.get_tracking_uri() == uri


def test_experiment_artifacts_live_beside_the_store(store, session):
    """Artifacts go to <project>/mlruns, whatever the working directory."""
    folder, _ = store
    location = mlflow.get_experiment(session[0]).artifact_location
    assert location == (folder / "mlruns").resolve().as_uri()


def test_a_run_records_params_metrics_dataset_artifacts_and_model(session, splits):
    """Everything the lesson lists is in the run."""
    _, _, results, _ = session
    run = MlflowClient().get_run(results["logistic_regression"].run_id)
    assert run.data.params["C"] == "0.5" and run.data.params["cv_folds"] == "3"
    for metric in ["cv_macro_f1", "cv_macro_f1_std", "test_macro_f1", "test_f1_Chinstrap", "test_accuracy_Dream"]:
        assert metric in run.data.metrics
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["penguins-train"]
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.info.run_id)}
    assert {"confusion_matrix.png", "feature_importance.json", "feature_importance.png"} <= artifacts
    model = mlflow.pyfunc.load_model(results["logistic_regression"].model_uri)
    assert model.metadata.signature.inputs.input_names() == list(modeling.schema.FEATURES)
    assert model.predict(modeling.features(splits[1].head(2))).shape == (2, 3)


def test_session_runs_returns_only_that_sessions_children(session, splits):
    """A second session does not leak into the first one's comparison."""
    experiment_id, parent_id, _, _ = session
    with mlflow.start_run(run_name="other-session"):
        training.log_candidate("logistic_regression", {"C": 2.0}, *splits, cv_folds=2, seed=1)
    runs = tracking.session_runs(experiment_id, parent_id)
    assert sorted(runs["tags.candidate"]) == ["logistic_regression", "random_forest"]
    table = tracking.comparison_table(runs)
    assert list(table.columns) == ["candidate", *tracking.COMPARISON_COLUMNS]
    assert table["cv_macro_f1"].is_monotonic_decreasing


def test_latest_session_finds_the_newest_parent(session):
    """Later lessons find the last training session by its tag."""
    _, parent_id, _, _ = session
    found, runs = tracking.latest_session("unit-test")
    assert found == parent_id and len(runs) == 2
    with pytest.raises(LookupError, match="run the 2.2-experiment-tracking notebook"):
        tracking.latest_session("no-such-experiment")


def test_register_adds_versions_and_moves_the_alias(session):
    """Each registration is a new version; the champion alias follows the latest."""
    _, _, results, _ = session
    first = training.register(results["random_forest"], "unit-model")
    second = training.register(results["logistic_regression"], "unit-model")
    assert second == first + 1
    version = MlflowClient().get_model_version_by_alias("unit-model", "champion")
    assert int(version.version) == second and version.tags["candidate"] == "logistic_regression"


def test_write_scores_makes_dvc_metrics_and_plot(tmp_path):
    """scores.json holds the champion's headline numbers; candidates.csv has a row per candidate; rounded."""
    table = pd.DataFrame(
        {
            "candidate": ["a", "b"],
            "cv_macro_f1": [0.987654, 0.9],
            "cv_macro_f1_std": [0.01, 0.02],
            "cv_accuracy": [0.99, 0.91],
            "test_macro_f1": [1.0, 0.95],
            "test_accuracy": [1.0, 0.96],
        }
    )
    champion = {"test_macro_f1": 0.999999, "test_accuracy_Dream": 0.95, "test_accuracy_Biscoe": 0.9, "test_f1_x": 1}
    scores, candidates = tracking.write_scores(table, champion, "a", tmp_path)
    document = json.loads(scores.read_text())
    assert document["champion"] == "a" and document["test_macro_f1"] == 1.0
    assert document["worst_island_accuracy"] == 0.9 and "test_f1_x" not in document
    assert "candidates" not in document  # one row per candidate is the plot's job
    assert pd.read_csv(candidates)["candidate"].tolist() == ["a", "b"]
    assert pd.read_csv(candidates)["cv_macro_f1"].tolist() == [0.9877, 0.9]


def test_candidate_settings_come_back_typed(session, store):
    """Hyperparameters and seed are parsed back from the run's string params, per candidate."""
    experiment_id, parent_id, _, _ = session
    settings = tracking.candidate_settings(tracking.session_runs(experiment_id, parent_id))
    assert settings["logistic_regression"] == ({"C": 0.5}, 1)
    assert settings["random_forest"] == ({"n_estimators": 10}, 1)


def test_log_to_run_adds_metrics_to_a_finished_run(session):
    """Later lessons can add figures to a training run, which stays finished."""
    _, _, results, _ = session
    run_id = results["random_forest"].run_id
    tracking.log_to_run(run_id, {"training_energy_kwh": 1.5e-6})
    run = MlflowClient().get_run(run_id)
    assert run.data.metrics["training_energy_kwh"] == 1.5e-6 and run.info.status == "FINISHED"


def test_log_to_run_keeps_the_run_as_it_ended(session):
    """Adding metrics later rewrites neither the run's status nor its end time."""
    run_id = session[2]["logistic_regression"].run_id
    before = MlflowClient().get_run(run_id).info
    tracking.log_to_run(run_id, {"inference_per_1000_duration_s": 0.01})
    after = MlflowClient().get_run(run_id).info
    assert (after.status, after.end_time) == (before.status, before.end_time)


@pytest.mark.parametrize(
    ("uri", "server"),
    [
        pytest.param("http://127.0.0.1:5000", True, id="http-server"),
        pytest.param("https://mlflow.example.org", True, id="https-server"),
        pytest.param("sqlite:////srv/course/mlflow.db", False, id="sqlite-file"),
        pytest.param("file:///srv/course/mlruns", False, id="file-store"),
    ],
)
def test_is_server_tells_a_server_from_a_local_store(uri, server):
    """Only http(s) URIs are tracking servers; their experiments keep artifacts on the server."""
    assert tracking.is_server(uri) is server


def test_a_session_chooses_from_the_runs_the_store_gives_back(session):
    """run_session's table is the store's view of its own runs, and the champion is the rule's choice on it."""
    experiment_id, parent_id, results, done = session
    runs = tracking.session_runs(experiment_id, parent_id)
    assert sorted(runs["run_id"]) == sorted(result.run_id for result in results.values())
    pd.testing.assert_frame_equal(done.table, tracking.comparison_table(runs))
    # the one-standard-error rule by hand, on the stored scores: the simplest candidate at or above the line
    best = done.table.iloc[0]
    line = best["cv_macro_f1"] - best["cv_macro_f1_std"] / 3**0.5
    reach = done.table.loc[done.table["cv_macro_f1"] >= line, "candidate"]
    expected = min(reach, key=lambda name: modeling.CANDIDATES[name].simplicity)
    assert done.choice.champion == expected and done.champion is results[expected]


def test_publish_refuses_a_model_below_the_requirements_and_registers_nothing(session, tmp_path):
    """A model that misses the bar is not registered and not exported; one that meets it is both, typed."""
    _, _, results, _ = session
    client = MlflowClient()
    with pytest.raises(RequirementNotMet, match="logistic_regression does not meet"):
        training.publish(
            results["logistic_regression"], "unit-published", Requirements(1.01, 0.9, 100), models_dir=tmp_path
        )
    assert client.search_registered_models(filter_string="name = 'unit-published'") == []
    assert not champion.metadata_file(tmp_path).exists()
    written = training.publish(
        results["logistic_regression"], "unit-published", Requirements(0.5, 0.5, 100), models_dir=tmp_path
    )
    model, record = champion.read(tmp_path)
    assert record == written and record.version == 1 and record.run_id == results["logistic_regression"].run_id
    assert record.hyperparameters == {"C": 0.5} and record.seed == 1 and record.candidate == "logistic_regression"
    assert record.metrics["cv_macro_f1"] == round(results["logistic_regression"].metrics["cv_macro_f1"], 4)
    assert [item.name for item in record.trained_on] == ["penguins-train"]
    assert int(client.get_model_version_by_alias("unit-published", "champion").version) == 1
    assert model.get_params()["classifier__C"] == 0.5
