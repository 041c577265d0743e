"""GET /metrics (Prometheus's text format) and the prediction log, through TestClient."""

import json

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from lib import schema, serving
from lib.serving import metrics as api_metrics
from lib.serving.predictions import FIELDS, PredictionLog, rotated

EXAMPLE = serving.bodies.EXAMPLE


@pytest.fixture
def fresh(models_dir):
    """A client on an app of its own, so the counts start at zero."""
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir))) as test_client:
        yield test_client


def samples(client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics as {(name, sorted labels): value}, parsed by prometheus_client's own parser."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(found, name, **labels) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def test_requests_are_counted_by_route_template_method_and_status(fresh):
    """A 200, a 422 and a 404 each get their series; an unknown path is 'unmatched', not its raw URL."""
    fresh.post("/predict", json=EXAMPLE)
    fresh.post("/predict", json=EXAMPLE | {"island": "Anvers"})
    fresh.get("/wp-login.php")
    fresh.get("/admin/.env")
    found = samples(fresh)
    assert value(found, "penguins_http_requests_total", handler="/predict", method="POST", status="200") == 1
    assert value(found, "penguins_http_requests_total", handler="/predict", method="POST", status="422") == 1
    assert value(found, "penguins_http_requests_total", handler="unmatched", method="GET", status="404") == 2
    assert not any("wp-login" in str(key) or ".env" in str(key) for key in found)
    count = value(
        found, "penguins_http_request_duration_seconds_count", handler="/predict", method="POST", status="200"
    )
    assert count == 1
    assert (
        value(found, "penguins_http_request_duration_seconds_sum", handler="/predict", method="POST", status="200") > 0
    )


def test_predictions_are_counted_per_species(fresh):
    """A batch's answers are counted by predicted species; every species has a series from the start."""
    assert all(value(samples(fresh), "penguins_predictions_total", species=s) == 0 for s in schema.CLASSES)
    adelie = {"island": "Torgersen", "bill_length_mm": 39.1, "bill_depth_mm": 18.7, "flipper_length_mm": 181.0,
              "body_mass_g": 3750.0, "sex": "male"}  # fmt: skip
    answers = fresh.post("/predict/batch", json={"penguins": [EXAMPLE, EXAMPLE, adelie]}).json()["predictions"]
    fresh.post("/predict", json=adelie)
    found = samples(fresh)
    expected = {s: sum(a["species"] == s for a in answers) + (s == "Adelie") for s in schema.CLASSES}
    assert {s: value(found, "penguins_predictions_total", species=s) for s in schema.CLASSES} == expected
    assert expected == {"Adelie": 2, "Chinstrap": 0, "Gentoo": 2}


def test_feature_histograms_have_the_schemas_buckets_and_the_inputs_values(fresh):
    """20 buckets per measurement up to the schema's maximum; counts and sums equal what was sent."""
    light = EXAMPLE | {"body_mass_g": 2100.0, "sex": None}
    fresh.post("/predict/batch", json={"penguins": [EXAMPLE, light, EXAMPLE]})
    fresh.post("/predict", json=light)
    found = samples(fresh)
    for feature in schema.NUMERIC_FEATURES:
        bounds = api_metrics.feature_buckets(feature)
        assert len(bounds) == 20 and bounds[-1] == feature.maximum
        assert value(found, "penguins_feature_count", feature=feature.name) == 4
        sent = [EXAMPLE[feature.name], light[feature.name], EXAMPLE[feature.name], light[feature.name]]
        assert value(found, "penguins_feature_sum", feature=feature.name) == pytest.approx(sum(sent))
    # 2100 g lies in the first body-mass bucket (2000, 2250]; the example's mass above it
    assert value(found, "penguins_feature_bucket", feature="body_mass_g", le="2250.0") == 2
    assert value(found, "penguins_feature_bucket", feature="body_mass_g", le="+Inf") == 4
    assert value(found, "penguins_feature_values_total", feature="sex", value="unknown") == 2
    assert value(found, "penguins_feature_values_total", feature="island", value=EXAMPLE["island"]) == 4


def test_bucket_edges_match_prometheus_le_semantics():
    """A value equal to a bucket's bound counts in that bucket (le: less than or equal), batch or single."""
    feature = schema.NUMERIC_FEATURES[3]  # body mass: buckets of 250 g from 2250 up
    for batch in ([2250.0], [2250.0, 2250.0]):
        histograms = api_metrics.FeatureHistograms([feature])
        histograms.observe([batch])
        family = next(iter(histograms.collect()))
        first = next(s for s in family.samples if s.labels.get("le") == "2250.0")
        assert first.value == len(batch)


def test_model_info_names_what_is_served(fresh, metadata):
    found = samples(fresh)
    info = {dict(labels)["version"]: v for (name, labels), v in found.items() if name == "penguins_model_info"}
    assert info == {metadata.served_version: 1.0}
    labels = dict(next(labels for (name, labels) in found if name == "penguins_model_info"))
    assert labels == {"name": metadata.name, "version": metadata.served_version, "inference": "numpy"}


def test_two_apps_do_not_share_counts(models_dir, fresh):
    fresh.post("/predict", json=EXAMPLE)
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir))) as other:
        assert value(samples(other), "penguins_predictions_total", species="Gentoo") == 0
    assert value(samples(fresh), "penguins_predictions_total", species="Gentoo") == 1


def test_metrics_can_be_switched_off(models_dir):
    """PENGUINS_METRICS=0: no /metrics route (404) and no middleware; predictions still answer."""
    settings = serving.Settings.from_env({"PENGUINS_MODELS_DIR": str(models_dir), "PENGUINS_METRICS": "0"})
    with TestClient(serving.create_app(settings)) as client:
        assert client.post("/predict", json=EXAMPLE).status_code == 200
        assert client.get("/metrics").status_code == 404
        assert client.app.state.metrics is None


def test_metrics_are_left_out_of_the_openapi_schema(client):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


# --- the prediction log ----------------------------------------------------------------------------


def test_prediction_log_records_each_penguin_and_its_answer(models_dir, tmp_path):
    log = tmp_path / "log" / "predictions.jsonl"
    settings = serving.Settings(models_dir=models_dir, prediction_log=log)
    with TestClient(serving.create_app(settings)) as client:
        single = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "PAL2627-17"}).json()
        batch = client.post("/predict/batch", json={"penguins": [EXAMPLE | {"sex": None}, EXAMPLE]}).json()
        client.post("/predict", json=EXAMPLE | {"island": "Anvers"})  # refused: not logged
        refused_id = client.post("/predict", json=EXAMPLE, headers={"X-Request-ID": "two words"})
    assert refused_id.status_code == 422 and refused_id.json()["detail"][0]["loc"] == ["header", "x-request-id"]
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and all(tuple(line) == FIELDS for line in lines)
    assert lines[0] | {"time": None} == EXAMPLE | {
        "species": single["species"],
        "confidence": max(single["probabilities"].values()),
        "model_version": single["model_version"],
        "time": None,
        "request_id": "PAL2627-17",
    }
    assert lines[1]["sex"] is None and [line["species"] for line in lines[1:]] == [
        answer["species"] for answer in batch["predictions"]
    ]
    assert [line["request_id"] for line in lines[1:]] == [None, None]


def test_prediction_log_is_off_by_default(models_dir, tmp_path, monkeypatch):
    """Without PENGUINS_PREDICTION_LOG nothing is written, anywhere under the working folder."""
    monkeypatch.chdir(tmp_path)
    settings = serving.Settings.from_env({"PENGUINS_MODELS_DIR": str(models_dir)})
    assert settings.prediction_log is None
    with TestClient(serving.create_app(settings)) as client:
        assert client.post("/predict/batch", json={"penguins": [EXAMPLE] * 50}).status_code == 200
    assert list(tmp_path.iterdir()) == []


def test_prediction_log_rotates_at_its_bound(tmp_path):
    """The file rotates to .1 before it would pass max_bytes; the two never hold more than twice the bound."""
    import numpy as np  # noqa: PLC0415

    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path, max_bytes=2_000)
    row = (EXAMPLE["island"], 45.0, 15.0, 215.0, 5000.0, "female")
    probabilities = np.array([[0.1, 0.2, 0.7]])
    for _ in range(100):
        log.write([row], probabilities, list(schema.CLASSES), "1")
        assert path.stat().st_size <= 2_000
    log.close()
    assert rotated(path).exists() and 1_500 < rotated(path).stat().st_size <= 2_000
    total = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (path, rotated(path)))
    assert total < 100  # the oldest lines were dropped with the previous .1
