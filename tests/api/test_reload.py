"""The API switches models without a restart: polling its source, on the admin endpoint, under load, and safely.

Two exports of the same schema that answer differently (logistic regressions with other
regularisation) stand for the champion and the promoted challenger.
"""

import asyncio
import hmac
import json
import shutil
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from lib import champion, data, params, processes, schema, serving, training
from lib.serving import inference, routes
from lib.serving.batching import MicroBatcher
from lib.serving.reloading import Reloader
from lib.serving.state import Observers, ServingState

TOKEN = "a-test-token-of-32-characters-xx"
PENGUINS = [
    dict(zip(schema.FEATURES, row, strict=True))
    for row in (
        ("Torgersen", 39.1, 18.7, 181.0, 3750.0, "male"),
        ("Dream", 49.5, 18.4, 196.0, 3700.0, None),
        ("Biscoe", 45.1, 14.5, 215.0, 5000.0, "female"),
        ("Dream", 44.0, 17.0, 200.0, 4200.0, "female"),
    )
]


@pytest.fixture(scope="module")
def two_models():
    """Version 1 and version 2: the same pipeline with C = 1 and C = 0.05, trained on the packaged data."""
    train, _ = data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)
    seed = params.stage_params("train")["seed"]
    models = {}
    for version, strength in (("1", 1.0), ("2", 0.05)):
        models[version] = training.fit("logistic_regression", {"C": strength}, train, seed)
    return models


def export(model, version, folder):
    """Export ``model`` as a version of the registered model, as promotion does."""
    hyperparameters = {"C": float(model[-1].C)} if hasattr(model[-1], "C") else {}
    record = champion.ModelExport(
        name="penguins-classifier",
        version=int(version),
        candidate="logistic_regression",
        run_id=f"run-{version}",
        hyperparameters=hyperparameters,
        seed=42,
        metrics={},
        trained_on=[],
    )
    champion.export(model, record, folder)


def expected(model, penguin):
    """What the API answers for ``penguin`` with ``model``: probabilities rounded as the routes round them."""
    row = routes.to_rows([serving.Penguin(**penguin)])
    return dict(zip(model.classes_, np.round(model.predict_proba(inference.frame(row))[0], 6).tolist(), strict=True))


def reload_count(text, outcome):
    line = next(
        line for line in text.splitlines() if line.startswith(f'penguins_model_reloads_total{{outcome="{outcome}"')
    )
    return float(line.split()[-1])


def test_the_two_versions_answer_differently(two_models):
    """Otherwise the tests below could not tell which model answered."""
    for penguin in PENGUINS:
        assert expected(two_models["1"], penguin) != expected(two_models["2"], penguin)


# ---- the admin endpoint --------------------------------------------------------------------------


def test_without_a_token_there_is_no_admin_endpoint(tmp_path, two_models):
    export(two_models["1"], 1, tmp_path)
    with TestClient(serving.create_app(serving.Settings(models_dir=tmp_path))) as client:
        assert client.post("/admin/reload").status_code == 404
        assert client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
        assert "/admin/reload" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", "Bearer wrong"],
    ids=["absent", "empty", "no-token", "blank-token", "basic-scheme", "prefix", "longer", "wrong"],
)
def test_a_missing_or_wrong_token_gets_401(tmp_path, two_models, authorization):
    export(two_models["1"], 1, tmp_path)
    settings = serving.Settings(models_dir=tmp_path, admin_token=TOKEN, reload_interval_s=0)
    headers = {} if authorization is None else {"Authorization": authorization}
    with TestClient(serving.create_app(settings)) as client:
        export(two_models["2"], 2, tmp_path)
        refused = client.post("/admin/reload", headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in refused.json()["detail"]
        assert client.get("/model").json()["version"] == "1"  # nothing was reloaded


def test_the_right_token_reloads_now_and_is_compared_in_constant_time(tmp_path, two_models, monkeypatch):
    export(two_models["1"], 1, tmp_path)
    compared = []
    constant_time = hmac.compare_digest

    def recording(given, wanted):
        compared.append((given, wanted))
        return constant_time(given, wanted)

    monkeypatch.setattr(routes.hmac, "compare_digest", recording)
    settings = serving.Settings(models_dir=tmp_path, admin_token=TOKEN, reload_interval_s=0)
    with TestClient(serving.create_app(settings)) as client:
        export(two_models["2"], 2, tmp_path)
        assert client.post("/predict", json=PENGUINS[0]).json()["model_version"] == "1"  # no polling: still 1
        done = client.post("/admin/reload", headers={"Authorization": f"bearer {TOKEN}"})
        assert done.status_code == 200
        assert done.json() == {"outcome": "loaded", "model_version": "2", "previous_version": "1", "detail": None}
        answer = client.post("/predict", json=PENGUINS[0]).json()
        assert answer["model_version"] == "2" and answer["probabilities"] == expected(two_models["2"], PENGUINS[0])
        assert 'version="2"' in next(
            line for line in client.get("/metrics").text.splitlines() if line.startswith("penguins_model_info")
        )
        assert reload_count(client.get("/metrics").text, "loaded") == 1
    assert compared == [(TOKEN.encode(), TOKEN.encode())]


def test_a_short_admin_token_is_refused():
    with pytest.raises(ValueError, match="PENGUINS_ADMIN_TOKEN must be at least 16 characters"):
        serving.Settings.from_env({"PENGUINS_ADMIN_TOKEN": "secret"})
    settings = serving.Settings.from_env({"PENGUINS_ADMIN_TOKEN": TOKEN, "PENGUINS_RELOAD_INTERVAL_S": "2.5"})
    assert settings.admin_token == TOKEN and settings.reload_interval_s == 2.5 and TOKEN not in repr(settings)
    with pytest.raises(ValueError, match="PENGUINS_RELOAD_INTERVAL_S must be 0"):
        serving.Settings.from_env({"PENGUINS_RELOAD_INTERVAL_S": "-1"})


# ---- a failed load keeps the old model serving ---------------------------------------------------


def damage_model_file(folder):
    """A model file cut short, as a copy interrupted half-way leaves it, put in place in one move.

    One move, so that the API's polling sees one broken file: written in place, the file would go
    through two states (emptied, then half written), and a check between them would see two.
    """
    path = champion.model_file(folder)
    staged = path.with_name(f".{path.name}.damaged")
    staged.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    staged.replace(path)


def other_schema(folder):
    """model.json from a project whose features differ (a column renamed)."""
    meta = json.loads(champion.metadata_file(folder).read_text(encoding="utf-8"))
    meta["feature_schema"] = schema.feature_schema() | {"features": [{"name": "culmen_length_mm"}]}
    champion.metadata_file(folder).write_text(json.dumps(meta), encoding="utf-8")


def two_classes(folder, two_models):
    """A model that knows two of the three species (trained without the Chinstraps)."""
    train, _ = data.split(data.clean(data.load_raw(data.packaged_raw_export())), test_size=0.25, seed=42)
    train = train[train["species"] != "Chinstrap"]
    export(training.fit("logistic_regression", {"C": 1.0}, train, 42), 3, folder)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda folder, _: damage_model_file(folder), "SHA-256 differs"),
        (lambda folder, _: other_schema(folder), "another feature schema"),
        (two_classes, "not this API's species"),
        (
            lambda folder, _: (folder / champion.METADATA_FILE_NAME).write_text("{", encoding="utf-8"),
            "not a complete model record",
        ),
    ],
    ids=["truncated-file", "other-schema", "two-species", "broken-json"],
)
def test_a_model_that_fails_to_load_leaves_the_old_one_serving(tmp_path, two_models, damage, reason, caplog):
    """The failure shows in /health, the reload counter and the log; the old model answers; a good export then loads."""
    export(two_models["1"], 1, tmp_path)
    settings = serving.Settings(models_dir=tmp_path, admin_token=TOKEN, reload_interval_s=0)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(serving.create_app(settings)) as client:
        export(two_models["2"], 2, tmp_path)
        damage(tmp_path, two_models)
        failed = client.post("/admin/reload", headers=auth)
        assert failed.status_code == 500
        assert failed.json()["outcome"] == "failed" and reason in failed.json()["detail"]
        assert failed.json()["model_version"] == "1"
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["model_version"] == "1"
        assert reason in health.json()["detail"] and "still serving version 1" in health.json()["detail"]
        answer = client.post("/predict", json=PENGUINS[0])
        assert answer.status_code == 200 and answer.json()["model_version"] == "1"
        assert answer.json()["probabilities"] == expected(two_models["1"], PENGUINS[0])
        metrics = client.get("/metrics").text
        assert reload_count(metrics, "failed") == 1 and reload_count(metrics, "loaded") == 0
        assert any(
            "could not load the new model" in r.getMessage() and reason in r.getMessage() for r in caplog.records
        )
        export(two_models["2"], 2, tmp_path)
        assert client.post("/admin/reload", headers=auth).json()["outcome"] == "loaded"
        assert client.get("/health").json() == {
            "status": "ok",
            "model_loaded": True,
            "model_version": "2",
            "detail": None,
        }


def test_polling_notices_a_new_export_and_reports_a_broken_one_once(tmp_path, two_models, caplog):
    """With an interval, the API finds the new export by itself; a broken one is reported once, not every check."""
    export(two_models["1"], 1, tmp_path)
    settings = serving.Settings(models_dir=tmp_path, reload_interval_s=0.05)
    with TestClient(serving.create_app(settings)) as client:
        damage_model_file(tmp_path)
        until(lambda: client.get("/health").json()["detail"] is not None)
        time.sleep(0.5)  # ten more checks of the same broken file
        assert reload_count(client.get("/metrics").text, "failed") == 1
        assert sum("could not load the new model" in r.getMessage() for r in caplog.records) == 1
        export(two_models["2"], 2, tmp_path)
        until(lambda: client.get("/health").json()["model_version"] == "2")
        assert client.get("/health").json()["detail"] is None
        assert client.post("/predict", json=PENGUINS[1]).json()["probabilities"] == expected(
            two_models["2"], PENGUINS[1]
        )


def test_a_model_given_in_memory_is_not_replaced_by_polling(tmp_path, two_models):
    """A model handed to create_app has no source to watch: the export beside it is not loaded over it."""
    export(two_models["2"], 2, tmp_path)
    given = serving.loading.ready(two_models["1"], name="given", version="in-memory", source="test", metrics={})
    settings = serving.Settings(models_dir=tmp_path, reload_interval_s=0.05)
    with TestClient(serving.create_app(settings, given)) as client:
        time.sleep(0.3)
        assert client.get("/health").json()["model_version"] == "in-memory"


def test_an_api_started_without_a_model_serves_the_first_one_that_appears(tmp_path, two_models):
    settings = serving.Settings(models_dir=tmp_path, require_model=False, reload_interval_s=0.05)
    with TestClient(serving.create_app(settings)) as client:
        assert client.get("/health").status_code == 503
        export(two_models["1"], 1, tmp_path)
        until(lambda: client.get("/health").status_code == 200)
        assert client.post("/predict", json=PENGUINS[0]).json()["model_version"] == "1"


def test_an_export_replaced_while_it_is_read_is_read_again_not_reported(tmp_path, two_models, monkeypatch):
    """Between the export's two moves the model file is new and model.json old: the reload waits and reads again."""
    export(two_models["1"], 1, tmp_path)
    staged = tmp_path / "staged"
    export(two_models["2"], 2, staged)
    settings = serving.Settings(models_dir=tmp_path, admin_token=TOKEN, reload_interval_s=0)
    real_load = serving.loading.load_from_export
    calls = []

    def half_way_then_done(folder, path="auto"):
        calls.append(folder)
        if len(calls) == 1:  # the first read sees the new model beside the old model.json, then the move ends
            shutil.copy(champion.model_file(staged), champion.model_file(tmp_path))
            try:
                return real_load(folder, path)
            finally:
                shutil.copy(champion.metadata_file(staged), champion.metadata_file(tmp_path))
        return real_load(folder, path)

    with TestClient(serving.create_app(settings)) as client:
        monkeypatch.setattr(serving.loading, "load_from_export", half_way_then_done)
        done = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert done["outcome"] == "loaded" and done["model_version"] == "2" and len(calls) == 2
        assert reload_count(client.get("/metrics").text, "failed") == 0


# ---- requests in flight -------------------------------------------------------------------------


def test_a_request_in_flight_finishes_on_the_model_it_started_with(two_models):
    """A micro-batched request waiting in version 1's queue is answered by version 1, after the swap to version 2."""
    release = threading.Event()

    def slow_version_1(rows):
        release.wait(5)
        return np.tile([0.7, 0.2, 0.1], (len(rows), 1))

    first = serving.LoadedModel(slow_version_1, info("1"), signature=None)
    second = serving.LoadedModel(lambda rows: np.tile([0.1, 0.2, 0.7], (len(rows), 1)), info("2"), signature=None)
    state = ServingState(serving.Settings(micro_batching="on", reload_interval_s=0), Observers(serving.Settings()))

    async def scenario():
        await state.switch_to(first)
        assert isinstance(state.batcher, MicroBatcher)
        in_flight = asyncio.create_task(state.classify([inference.REFERENCE_ROWS[0]]))
        await asyncio.sleep(0.05)  # the request is in version 1's worker, which waits
        swap = asyncio.create_task(state.switch_to(second))
        await asyncio.sleep(0.05)
        after = await state.classify([inference.REFERENCE_ROWS[0]])  # the new model answers at once
        assert not in_flight.done() and not swap.done()  # the swap waits for version 1's requests
        release.set()
        before = await in_flight
        await swap
        await state.stop()
        return before, after

    (model_before, before), (model_after, after) = asyncio.run(scenario())
    assert model_before.info.version == "1" and before.tolist() == [[0.7, 0.2, 0.1]]
    assert model_after.info.version == "2" and after.tolist() == [[0.1, 0.2, 0.7]]


def info(version):
    return serving.ModelInfo(
        name="test",
        version=version,
        source="test",
        inference="numpy",
        metrics={},
        features=[],
        classes=list(schema.CLASSES),
    )


def until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.02)


# ---- under load, on a real server ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("batching", ["off", "on"])
def test_sixteen_clients_during_the_swap_see_one_model_per_answer_and_no_error(tmp_path, two_models, batching):
    """16 clients send /predict and /predict/batch while the export is replaced.

    Zero errors; every answer is exactly version 1's or version 2's (each batch wholly one
    version); and once any answer came from version 2, every request sent after it is answered
    by version 2.
    """
    export(two_models["1"], 1, tmp_path)
    env = {
        "PENGUINS_MODELS_DIR": str(tmp_path),
        "PENGUINS_RELOAD_INTERVAL_S": "0.1",
        "PENGUINS_MICRO_BATCHING": batching,
    }
    answers = {version: [expected(model, p) for p in PENGUINS] for version, model in two_models.items()}
    with processes.start_server(env=env) as server:
        stop = threading.Event()
        results = []  # (sent at, returned at, status, versions, matches)

        def client(number):
            with httpx.Client(base_url=server.url, timeout=10) as http:
                while not stop.is_set():
                    sent = time.monotonic()
                    if number % 2:
                        response = http.post("/predict/batch", json={"penguins": PENGUINS})
                        body = response.json() if response.status_code == 200 else {}
                        versions = {p["model_version"] for p in body.get("predictions", [])} | {
                            body.get("model_version")
                        }
                        answered = [p["probabilities"] for p in body.get("predictions", [])]
                    else:
                        index = number % len(PENGUINS)
                        response = http.post("/predict", json=PENGUINS[index])
                        body = response.json() if response.status_code == 200 else {}
                        versions = {body.get("model_version")}
                        answered = None
                    version = next(iter(versions)) if len(versions) == 1 else None
                    if answered is None and version in answers:
                        matches = body["probabilities"] == answers[version][index]
                    else:
                        matches = version in answers and answered == answers[version]
                    results.append((sent, time.monotonic(), response.status_code, versions, matches))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        swapped_at = time.monotonic()
        export(two_models["2"], 2, tmp_path)
        until(lambda: httpx.get(f"{server.url}/health").json()["model_version"] == "2")
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(15)
        log = server.output()
    assert results, "no request was answered"
    errors = [r for r in results if r[2] != 200]
    assert not errors, f"{len(errors)} errors of {len(results)}: {errors[:3]}"
    assert all(len(r[3]) == 1 for r in results), "an answer mixed versions"
    assert all(r[4] for r in results), "an answer was not exactly its version's model's answer"
    first_new = min(r[1] for r in results if r[3] == {"2"})
    late_old = [r for r in results if r[0] > first_new and r[3] == {"1"}]
    assert not late_old, f"{len(late_old)} requests sent after version 2 answered got version 1"
    old, new = sum(r[3] == {"1"} for r in results), sum(r[3] == {"2"} for r in results)
    assert old > 0 and new > 0 and first_new > swapped_at
    assert "now serving penguins-classifier version 2" in log
    print(f"\nreload under load ({batching}): {len(results)} answers, {old} by version 1, {new} by version 2, 0 errors")


@pytest.mark.slow
def test_the_registry_alias_is_watched_and_followed(tmp_path, two_models, monkeypatch):
    """Serving models:/name@champion: moving the alias switches the running API, and moving it back rolls back."""
    import mlflow  # noqa: PLC0415  # slow to import: only this test needs it

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("reload", artifact_location=(tmp_path / "mlruns").as_uri())
    client = mlflow.MlflowClient()
    client.create_registered_model("penguins-classifier")
    for version in ("1", "2"):
        with mlflow.start_run(experiment_id=experiment):
            logged = mlflow.sklearn.log_model(
                two_models[version],
                name="model",
                serialization_format="skops",
                skops_trusted_types=champion.trusted_types_of(two_models[version]),
            )
        client.create_model_version("penguins-classifier", source=logged.model_uri, model_id=logged.model_id)
    client.set_registered_model_alias("penguins-classifier", "champion", "1")
    env = {
        "MLFLOW_TRACKING_URI": uri,
        "PENGUINS_MODEL_SOURCE": "registry",
        "PENGUINS_MODEL_URI": "models:/penguins-classifier@champion",
        "PENGUINS_RELOAD_INTERVAL_S": "0.2",
    }
    with processes.start_server(env=env) as server:
        assert httpx.post(f"{server.url}/predict", json=PENGUINS[0]).json()["model_version"] == "1"
        client.set_registered_model_alias("penguins-classifier", "champion", "2")
        until(lambda: httpx.get(f"{server.url}/health").json()["model_version"] == "2", timeout=30)
        answer = httpx.post(f"{server.url}/predict", json=PENGUINS[0]).json()
        assert answer["probabilities"] == expected(two_models["2"], PENGUINS[0])
        client.set_registered_model_alias("penguins-classifier", "champion", "1")  # the rollback
        until(lambda: httpx.get(f"{server.url}/health").json()["model_version"] == "1", timeout=30)
        assert reload_count(httpx.get(f"{server.url}/metrics").text, "loaded") == 2


def test_reloader_polls_only_with_an_interval_and_a_source(two_models):
    state = ServingState(serving.Settings(reload_interval_s=0), Observers(serving.Settings()))
    assert not Reloader(state).watching()
    watched = ServingState(serving.Settings(reload_interval_s=1), Observers(serving.Settings()))
    assert Reloader(watched).watching()  # no model yet: watch for the first one
