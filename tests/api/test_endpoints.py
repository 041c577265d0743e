"""Every endpoint, every error path, through FastAPI's TestClient."""

import asyncio
import gc
import json
import math
import re
import subprocess
import sys
import threading

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from lib import champion, modeling, paths, processes, schema, serving
from lib.serving import inference
from tests.sandbox import WORKTREE


def test_health_reports_the_loaded_model(client, metadata):
    """200, a model is loaded, and its version is the exported one."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "model_loaded": True,
        "model_version": metadata.served_version,
        "detail": None,
    }


def test_model_describes_what_is_served(client, metadata):
    """Name, version, metrics, the feature schema in order, and the class labels."""
    info = client.get("/model").json()
    assert info["name"] == metadata.name and info["version"] == metadata.served_version
    assert info["classes"] == list(schema.CLASSES)
    assert [f["name"] for f in info["features"]] == list(schema.FEATURES)
    assert info["metrics"]["test_macro_f1"] == metadata.metrics["test_macro_f1"]
    assert info["source"].startswith("export:")
    assert info["inference"] == "numpy"  # every candidate pipeline compiles


def test_predict_answers_species_probabilities_and_version(client, example, metadata):
    """The documented example is a Gentoo; probabilities cover every class and sum to 1."""
    body = client.post("/predict", json=example).json()
    assert body["species"] == "Gentoo"
    assert list(body["probabilities"]) == list(schema.CLASSES)
    assert math.isclose(sum(body["probabilities"].values()), 1, abs_tol=1e-5)
    assert body["model_version"] == metadata.served_version


def test_predict_equals_the_model_itself(client, example, models_dir):
    """The API adds no transformation: same probabilities as predict_proba on the same row."""
    model = champion.load_model(models_dir)
    for sex in ("female", "male", None):
        row = modeling.features(inference.frame(serving.to_rows([serving.Penguin(**(example | {"sex": sex}))])))
        expected = model.predict_proba(row)[0]
        answered = client.post("/predict", json=example | {"sex": sex}).json()["probabilities"]
        assert np.allclose([answered[c] for c in schema.CLASSES], expected, atol=1e-6)


def test_unknown_sex_is_accepted(client, example):
    """sex may be null."""
    assert client.post("/predict", json=example | {"sex": None}).status_code == 200


def test_batch_answers_in_order(client, example):
    """One answer per penguin, in request order, equal to the single answers."""
    penguins = [
        example,
        example
        | {
            "island": "Torgersen",
            "bill_length_mm": 39.1,
            "bill_depth_mm": 18.7,
            "flipper_length_mm": 181,
            "body_mass_g": 3750,
            "sex": "male",
        },
        example
        | {
            "island": "Dream",
            "bill_length_mm": 49.5,
            "bill_depth_mm": 18.4,
            "flipper_length_mm": 196,
            "body_mass_g": 3700,
            "sex": None,
        },
    ]
    batch = client.post("/predict/batch", json={"penguins": penguins}).json()
    assert [p["species"] for p in batch["predictions"]] == ["Gentoo", "Adelie", "Chinstrap"]
    singles = [client.post("/predict", json=p).json() for p in penguins]
    assert batch["predictions"] == singles


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"island": "Atlantis"}, "island", "Input should be 'Biscoe', 'Dream' or 'Torgersen'"),
        ({"island": None}, "island", "Input should be 'Biscoe', 'Dream' or 'Torgersen'"),
        ({"bill_length_mm": -3.0}, "bill_length_mm", "greater than or equal to 25"),
        ({"flipper_length_mm": 2150}, "flipper_length_mm", "less than or equal to 250"),
        ({"body_mass_g": 5}, "body_mass_g", "greater than or equal to 2000"),
        ({"bill_depth_mm": "14.5"}, "bill_depth_mm", "valid number"),
        ({"body_mass_g": True}, "body_mass_g", "valid number"),
        ({"sex": "M"}, "sex", "Input should be 'female' or 'male'"),
        ({"colour": "black"}, "colour", "Extra inputs are not permitted"),
    ],
    ids=[
        "unknown-island",
        "null-island",
        "negative",
        "absurd-flipper",
        "absurd-mass",
        "string-number",
        "bool-number",
        "bad-sex",
        "extra-field",
    ],
)
def test_invalid_penguin_gets_422_naming_the_field(client, example, change, field, reason):
    """Each invalid input is refused with the field's location and the reason."""
    response = client.post("/predict", json=example | change)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"] == ["body", field] and reason in e["msg"] for e in errors), errors
    # The batch route validates its own way (routes.parse_batch): the same errors, under the penguin's index.
    batch = client.post("/predict/batch", json={"penguins": [example, example | change]})
    assert batch.status_code == 422
    assert batch.json()["detail"] == [e | {"loc": ["body", "penguins", 1, *e["loc"][1:]]} for e in errors]


@pytest.mark.parametrize("missing", list(schema.FEATURES))
def test_missing_field_gets_422(client, example, missing):
    """Every field is required (sex too: send null when it is unknown)."""
    body = {k: v for k, v in example.items() if k != missing}
    errors = client.post("/predict", json=body).json()["detail"]
    assert errors == [{"loc": ["body", missing], "msg": "Field required", "type": "missing"}]
    batch = client.post("/predict/batch", json={"penguins": [body]}).json()["detail"]
    assert [(e["loc"], e["msg"], e["type"]) for e in batch] == [
        (["body", "penguins", 0, missing], "Field required", "missing")
    ]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(client, example, literal):
    """NaN and infinities (which Python's JSON parser accepts) are not measurements."""
    text = json.dumps(example).replace("5000", literal)
    response = client.post("/predict", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "body_mass_g"]


@pytest.mark.parametrize("content", [b"{not json", b"", b"[]", b'"a string"'])
def test_malformed_bodies_get_422(client, content):
    """Broken JSON or a body that is not an object is a 422, never a 500."""
    response = client.post("/predict", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_batch_limits(models_dir, example):
    """An empty batch and one over the configured limit are refused, naming 'penguins'; the limit passes."""
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir, batch_limit=5))) as small:
        assert small.post("/predict/batch", json={"penguins": [example] * 5}).status_code == 200
        too_many = small.post("/predict/batch", json={"penguins": [example] * 6})
        assert too_many.status_code == 422
        assert too_many.json()["detail"] == [
            {
                "loc": ["body", "penguins"],
                "type": "too_long",
                "msg": "List should have at most 5 items after validation, not 6",
            }
        ]
        empty = small.post("/predict/batch", json={"penguins": []}).json()["detail"][0]
        assert empty["loc"] == ["body", "penguins"] and empty["type"] == "too_short"
        assert small.post("/predict/batch", json={"penguins": [example], "x": 1}).status_code == 422


def test_default_batch_limit_is_1000(client, example):
    """1000 penguins are answered; 1001 are refused."""
    assert len(client.post("/predict/batch", json={"penguins": [example] * 1000}).json()["predictions"]) == 1000
    assert client.post("/predict/batch", json={"penguins": [example] * 1001}).status_code == 422


def test_openapi_page_documents_the_examples(client):
    """/docs is served and the schema carries the request example and the field bounds."""
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    penguin = spec["components"]["schemas"]["Penguin"]
    assert penguin["examples"][0]["island"] == "Biscoe"
    assert penguin["properties"]["body_mass_g"]["minimum"] == 2000


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_api_itself(client, page):
    """Offline, /docs and /redoc work: each script, stylesheet and icon they reference is served here, none by a CDN."""
    html = client.get(page).text
    assets = re.findall(r"""<(?:script|link)[^>]*?(?:src|href)=["']([^"']+)["']""", html)
    assert assets, f"{page} references no script or stylesheet; is it the documentation page?"
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), f"{page} loads {asset} from elsewhere"
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, f"{asset}: {served.status_code}"


def test_missing_model_fails_start_up_with_the_fix(tmp_path):
    """By default the API refuses to start without a model, naming the file and the command."""
    app = serving.create_app(serving.Settings(models_dir=tmp_path))
    with pytest.raises(serving.ModelUnavailable, match=r"penguins-classifier\.skops is missing.*make pipeline"):
        with TestClient(app):
            pass


@pytest.mark.parametrize("damage", ["missing", "corrupted"])
def test_without_a_usable_model_every_endpoint_is_a_clear_503(tmp_path, models_dir, example, damage):
    """With PENGUINS_REQUIRE_MODEL=0 the API starts, and answers 503 with the reason, not a 500."""
    if damage == "corrupted":
        (tmp_path / champion.MODEL_FILE_NAME).write_bytes(b"PK\x03\x04 not a model")
        (tmp_path / champion.METADATA_FILE_NAME).write_text((models_dir / champion.METADATA_FILE_NAME).read_text())
    with TestClient(serving.create_app(serving.Settings(models_dir=tmp_path, require_model=False))) as degraded:
        health = degraded.get("/health")
        assert health.status_code == 503 and health.json()["model_loaded"] is False
        for method, path, body in [
            ("get", "/model", None),
            ("post", "/predict", example),
            ("post", "/predict/batch", {"penguins": [example]}),
        ]:
            response = getattr(degraded, method)(path, json=body) if body else degraded.get(path)
            assert response.status_code == 503
            assert "make pipeline" in response.json()["detail"] or "re-export" in response.json()["detail"]


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        pytest.param({"PENGUINS_BATCH_LIMIT": "many"}, "PENGUINS_BATCH_LIMIT must be an integer", id="limit-text"),
        pytest.param({"PENGUINS_MODEL_SOURCE": "s3"}, "'export' or 'registry'", id="unknown-source"),
        pytest.param({"PENGUINS_INFERENCE": "gpu"}, "PENGUINS_INFERENCE must be 'auto' or 'pandas'", id="unknown-path"),
        pytest.param({"PENGUINS_MAX_QUEUE": "0"}, "must be at least 1", id="queue-zero"),
        pytest.param({"PENGUINS_REQUEST_TIMEOUT_S": "soon"}, "must be a number", id="timeout-text"),
        pytest.param({"PENGUINS_REQUEST_TIMEOUT_S": "-1"}, "must be positive", id="timeout-negative"),
        pytest.param({"PENGUINS_PREDICTION_LOG_MAX_MB": "lots"}, "MAX_MB must be a number", id="log-bound-text"),
        pytest.param({"PENGUINS_PREDICTION_LOG_MAX_MB": "0"}, "MAX_MB must be positive", id="log-bound-zero"),
        pytest.param({"PENGUINS_MAX_BODY_BYTES": "lots"}, "PENGUINS_MAX_BODY_BYTES must be an integer", id="body"),
        pytest.param({"PENGUINS_MAX_CONCURRENCY": "0"}, "PENGUINS_MAX_CONCURRENCY", id="concurrency-zero"),
        pytest.param({"PENGUINS_HEADER_TIMEOUT_S": "-1"}, "PENGUINS_HEADER_TIMEOUT_S must be positive", id="header"),
        pytest.param({"PENGUINS_GRACEFUL_TIMEOUT_S": "2.5"}, "a whole number of seconds", id="graceful"),
    ],
)
def test_settings_refuse_bad_values(environment, message):
    """A wrong setting is named when the settings are read."""
    with pytest.raises(ValueError, match=message):
        serving.Settings.from_env(environment)


def test_settings_read_every_variable():
    """Each documented variable reaches its field; an empty environment gives the documented defaults."""
    assert serving.Settings.from_env({}) == serving.Settings()
    read = serving.Settings.from_env(
        {
            "PENGUINS_BATCH_LIMIT": "5",
            "PENGUINS_MICRO_BATCHING": "0",
            "PENGUINS_MAX_QUEUE": "3",
            "PENGUINS_REQUEST_TIMEOUT_S": "2.5",
            "PENGUINS_MODELS_DIR": "/srv/models",
            "PENGUINS_REQUIRE_MODEL": "0",
        }
    )
    assert (read.batch_limit, read.micro_batching, read.max_queue, read.request_timeout_s) == (5, "off", 3, 2.5)
    assert str(read.models_dir) == "/srv/models" and read.require_model is False


def test_start_up_freezes_what_is_loaded_out_of_the_garbage_collectors_way(models_dir):
    """After start-up the loaded objects are frozen, so a full collection during a request scans none of them."""
    gc.unfreeze()
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir))) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 10_000  # the model, scikit-learn and the schemas, at least
    gc.unfreeze()


def test_importing_the_api_reads_no_environment():
    """A bad setting does not break the import; the factory, which reads the settings, names it."""
    code = "import lib.serving as s\ntry:\n    s.create_app()\nexcept ValueError as e:\n    print('refused:', e)\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=processes.tool_env({"PENGUINS_BATCH_LIMIT": "many"}),
        cwd=WORKTREE,
    )
    assert done.returncode == 0, done.stderr
    assert "refused: environment variable PENGUINS_BATCH_LIMIT must be an integer" in done.stdout


def test_python_m_lib_serving_loads_the_model_once(models_dir, monkeypatch):
    """main() loads the model, hands it to the app, and the app's start-up does not load it again."""
    from lib.serving import __main__ as entry  # noqa: PLC0415

    loads = []
    real_load = entry.load
    monkeypatch.setattr(entry, "load", lambda settings: loads.append("main") or real_load(settings))
    monkeypatch.setattr("lib.serving.state.load", lambda settings: loads.append("app") or real_load(settings))
    monkeypatch.setenv("PENGUINS_MODELS_DIR", str(models_dir))
    served = []

    def serve(app, settings, host, port):
        with TestClient(app) as test_client:
            served.append((test_client.get("/health").json()["model_loaded"], host, port))

    monkeypatch.setattr(entry, "serve", serve)
    assert entry.main(["8123"]) == 0
    assert loads == ["main"] and served == [(True, "127.0.0.1", 8123)]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(("auto", "auto", serving.Direct), id="auto-numpy-direct"),
        pytest.param(("auto", "pandas", serving.MicroBatcher), id="auto-pandas-batched"),
        pytest.param(("on", "auto", serving.MicroBatcher), id="on"),
        pytest.param(("off", "pandas", serving.Direct), id="off"),
    ],
)
def test_micro_batching_where_it_pays_with_the_same_answers(models_dir, client, example, case):
    """auto batches only the pandas path (make bench: on the numpy path it costs tail latency); answers never change."""
    setting, inference, batcher = case
    settings = serving.Settings(models_dir=models_dir, micro_batching=setting, inference=inference)
    with TestClient(serving.create_app(settings)) as other:
        assert other.post("/predict", json=example).json() == client.post("/predict", json=example).json()
        assert isinstance(other.app.state.serving.batcher, batcher)


def test_micro_batching_setting_is_checked():
    """1/0 and true/false are accepted for on/off; anything else is named."""
    assert serving.Settings.from_env({"PENGUINS_MICRO_BATCHING": "1"}).micro_batching == "on"
    assert serving.Settings.from_env({"PENGUINS_MICRO_BATCHING": "FALSE"}).micro_batching == "off"
    with pytest.raises(ValueError, match="PENGUINS_MICRO_BATCHING must be 'auto', 'on' or 'off'"):
        serving.Settings.from_env({"PENGUINS_MICRO_BATCHING": "sometimes"})


def _blocking_predict(release, seen):
    """A model that waits for ``release`` and fails on any row whose island is 'bad'."""

    def predict(rows):
        seen.append(len(rows))
        release.wait(5)
        if any(row[0] == "bad" for row in rows):
            raise ValueError("the model cannot handle this row")
        return np.full((len(rows), 3), 1 / 3)

    return predict


def test_a_failing_request_fails_alone():
    """A request that makes the shared call fail gets the error; the requests batched with it get answers."""

    async def scenario():
        release, seen = threading.Event(), []
        batcher = serving.MicroBatcher(_blocking_predict(release, seen), max_rows=100)
        await batcher.start()
        first = asyncio.ensure_future(batcher.predict([("Biscoe",)]))  # occupies the worker
        await asyncio.sleep(0.05)
        queued = [asyncio.ensure_future(batcher.predict([(island,)])) for island in ("Dream", "bad", "Torgersen")]
        await asyncio.sleep(0.05)
        release.set()
        results = await asyncio.gather(first, *queued, return_exceptions=True)
        await batcher.stop()
        return results, seen

    results, seen = asyncio.run(scenario())
    assert [type(r).__name__ for r in results] == ["ndarray", "ndarray", "ValueError", "ndarray"]
    assert seen[:2] == [1, 3]  # the first alone, then the three together; then each of them alone


def test_a_full_queue_answers_503_with_retry_after(models_dir, example):
    """Beyond max_queue waiting requests, the API refuses at once with 503 and Retry-After, never queues more."""

    async def scenario():
        release, seen = threading.Event(), []
        app = serving.create_app(serving.Settings(models_dir=models_dir, max_queue=2, micro_batching="on"))
        async with app.router.lifespan_context(app):
            batcher = app.state.serving.batcher
            batcher.predict_rows = _blocking_predict(release, seen)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
                busy = [asyncio.ensure_future(api.post("/predict", json=example))]
                while not seen:  # the worker holds the first request
                    await asyncio.sleep(0.01)
                busy += [asyncio.ensure_future(api.post("/predict", json=example)) for _ in range(2)]
                while batcher.queue.qsize() < 2:  # two more wait: the queue is full
                    await asyncio.sleep(0.01)
                refused = await api.post("/predict", json=example)
                release.set()
                answered = await asyncio.gather(*busy)
        return refused, answered

    refused, answered = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert "already waiting" in refused.json()["detail"]
    assert [r.status_code for r in answered] == [200, 200, 200]


def test_a_request_waits_at_most_the_timeout():
    """A model slower than request_timeout_s gets the request a 503-bound Overloaded, not an endless wait."""

    async def scenario():
        release, seen = threading.Event(), []
        batcher = serving.MicroBatcher(_blocking_predict(release, seen), max_rows=100, timeout_s=0.1)
        await batcher.start()
        try:
            await batcher.predict([("Biscoe",)])
        except serving.Overloaded as error:
            return str(error)
        finally:
            release.set()
            await batcher.stop()
        return "answered"

    assert asyncio.run(scenario()) == "the model did not answer within 0.1 s"


def test_pandas_inference_gives_the_same_answers(models_dir, client, example):
    """PENGUINS_INFERENCE=pandas serves the exported pipeline as it is, with the same answers."""
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir, inference="pandas"))) as plain:
        assert plain.get("/model").json()["inference"] == "pandas"
        for sex in ("female", None):
            assert (
                plain.post("/predict", json=example | {"sex": sex}).json()
                == client.post("/predict", json=example | {"sex": sex}).json()
            )


def test_registry_source_serves_the_same_model(project, example, monkeypatch):
    """Served from the MLflow registry (models:/<params.yaml's name>@champion), the answers are the export's."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{project.root / 'mlflow.db'}")
    uri = serving.default_model_uri(project.root / "params.yaml")
    assert uri == "models:/penguins-classifier@champion"
    exported = serving.create_app(serving.Settings(models_dir=paths.MODELS_DIR))
    with (
        TestClient(serving.create_app(serving.Settings(model_source="registry"))) as registry,
        TestClient(exported) as export,
    ):
        info = registry.get("/model").json()
        assert info["source"] == f"registry:{uri}"
        assert info["version"] == export.get("/model").json()["version"]
        assert registry.post("/predict", json=example).json() == export.post("/predict", json=example).json()


def test_registry_without_params_yaml_names_the_setting(tmp_path):
    """Where there is no params.yaml (the Docker image), the error says to set PENGUINS_MODEL_URI."""
    with pytest.raises(serving.ModelUnavailable, match="set PENGUINS_MODEL_URI"):
        serving.default_model_uri(tmp_path / "params.yaml")


def test_concurrent_requests_share_model_calls(models_dir, example):
    """With micro-batching on, requests that arrive together are answered correctly, in fewer model calls."""
    app = serving.create_app(serving.Settings(models_dir=models_dir, micro_batching="on"))
    bodies = [example | {"body_mass_g": 4000 + 10 * i, "sex": [None, "male", "female"][i % 3]} for i in range(64)]

    async def scenario():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
                together = await asyncio.gather(*(http.post("/predict", json=b) for b in bodies))
                one_by_one = [await http.post("/predict", json=b) for b in bodies]
            return together, one_by_one, app.state.serving.batcher

    together, one_by_one, batcher = asyncio.run(scenario())
    assert [r.json() for r in together] == [r.json() for r in one_by_one]
    assert batcher.calls < 2 * len(bodies)  # 64 sequential calls, plus far fewer for the 64 concurrent ones
    assert batcher.rows == 2 * len(bodies)


def test_batch_json_is_the_pydantic_response_exactly():
    """The batch body written directly parses to exactly what BatchPrediction of answer() would give."""
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(3), size=500)
    probabilities[:3] = [[1 - 2e-6, 1e-6, 1e-6], [1 - 1.2e-5, 1e-5, 2e-6], [0.0, 0.0, 1.0]]  # 1e-06 or 1e-6
    classes = list(schema.CLASSES)
    direct = json.loads(serving.batch_json(probabilities, classes, "7"))
    expected = serving.BatchPrediction(
        predictions=[serving.answer(row, classes, "7") for row in probabilities], model_version="7"
    ).model_dump(mode="json")
    assert direct == expected
    assert serving.BatchPrediction.model_validate(direct).model_version == "7"
    broken = json.loads(serving.batch_json(np.array([[np.nan, 0.5, 0.5], [0.2, 0.3, 0.5]]), classes, "7"))
    assert broken["predictions"][0]["probabilities"]["Adelie"] is None  # valid JSON: null, not NaN
    assert broken["predictions"][1]["species"] == classes[2]
    two = serving.batch_json(np.array([[0.25, 0.75], [1 - 1e-7, 1e-7]]), ['a "quoted" class', "b"], 'v"1')
    assert json.loads(two) == {
        "model_version": 'v"1',
        "predictions": [
            {"species": "b", "probabilities": {'a "quoted" class': 0.25, "b": 0.75}, "model_version": 'v"1'},
            {
                "species": 'a "quoted" class',
                "probabilities": {'a "quoted" class': 1.0, "b": 0.0},
                "model_version": 'v"1',
            },
        ],
    }
