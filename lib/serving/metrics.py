"""``GET /metrics``: what the API has served, in Prometheus's text format, for a Prometheus server to scrape.

Four families, each on the app's own registry (two apps in one process, as in the
tests, never share counts):

- ``penguins_http_requests_total`` and ``penguins_http_request_duration_seconds``: every
  request, by route template (``/predict``, never the raw path, so a scanner cannot
  create a series per URL), method and status code;
- ``penguins_predictions_total``: answers by predicted species, the class shares a drift
  alert watches;
- ``penguins_feature``: a histogram of each body measurement that was classified, with
  20 equal buckets across the schema's plausible range, and ``penguins_feature_values_total``
  for the island and sex (``unknown`` when missing): the inputs' distributions over time;
- ``penguins_model_info``: the served model's name, version and inference path.

The request metrics come from a plain ASGI middleware (Starlette's ``BaseHTTPMiddleware``
costs far more per request); the feature histograms add a whole batch at once with
numpy, because observing 4000 values one by one would cost a 1000-row batch milliseconds.
With several uvicorn workers each process has its own counts: scrape each, or see
prometheus_client's multiprocess mode.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from lib import schema

PREFIX = "penguins"
# Request latency buckets (seconds): fine below 10 ms, where this API answers, coarse up to 2.5 s.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
FEATURE_BUCKETS = 20
UNMATCHED = "unmatched"  # the route label of a request no route matched (404s from scanners)
UNKNOWN = "unknown"  # the sex label of a penguin whose sex is missing


def feature_buckets(feature: schema.NumericFeature, count: int = FEATURE_BUCKETS) -> tuple[float, ...]:
    """The upper bounds of ``count`` equal buckets across the feature's plausible range (schema.py).

    Below the minimum there is nothing (the API refuses it); 20 buckets make 2.25 mm of bill
    length, 0.75 mm of bill depth, 5 mm of flipper and 250 g of body mass.
    """
    edges = np.linspace(feature.minimum, feature.maximum, count + 1)[1:]
    return tuple(round(float(edge), 6) for edge in edges)


class FeatureHistograms(Collector):
    """One Prometheus histogram per numeric feature, filled a batch at a time.

    prometheus_client's ``Histogram.observe`` takes one value; here the bucket counts
    are numpy arrays, so a batch of rows costs one ``searchsorted`` per feature.
    """

    def __init__(self, features: Sequence[schema.NumericFeature] = schema.NUMERIC_FEATURES) -> None:
        self.names = [feature.name for feature in features]
        self.bounds = [feature_buckets(feature) for feature in features]
        self.counts = [np.zeros(len(bounds) + 1, dtype=np.int64) for bounds in self.bounds]  # last: above the range
        self.sums = [0.0 for _ in features]

    def observe(self, columns: Sequence[Sequence[float]]) -> None:
        """Add one column of values per feature (in the order of ``features``)."""
        for index, values in enumerate(columns):
            if len(values) == 1:  # one penguin: bisect is ten times cheaper than numpy's call overhead
                self.counts[index][bisect.bisect_left(self.bounds[index], values[0])] += 1
                self.sums[index] += values[0]
                continue
            array = np.asarray(values, dtype=float)
            where = np.searchsorted(self.bounds[index], array, side="left")  # value <= bound: Prometheus's "le"
            self.counts[index] += np.bincount(where, minlength=len(self.bounds[index]) + 1)
            self.sums[index] += float(array.sum())

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(
            f"{PREFIX}_feature",
            "Body measurements of the penguins classified, in 20 buckets across the schema's range",
            labels=["feature"],
        )
        for name, bounds, counts, total in zip(self.names, self.bounds, self.counts, self.sums, strict=True):
            cumulative = np.cumsum(counts).tolist()
            buckets = [(repr(bound), count) for bound, count in zip(bounds, cumulative, strict=False)]
            family.add_metric([name], buckets + [("+Inf", cumulative[-1])], sum_value=total)
        yield family


class Metrics:
    """The API's metrics on a registry of their own; :meth:`observe` records a prediction call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by route template, method and status code",
            ["handler", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template, method and status code",
            ["handler", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            f"{PREFIX}_predictions", "Penguins classified, by predicted species", ["species"], registry=self.registry
        )
        self.categories = Counter(
            f"{PREFIX}_feature_values",
            "Categorical inputs of the penguins classified, by feature and value",
            ["feature", "value"],
            registry=self.registry,
        )
        self.features = FeatureHistograms()
        self.registry.register(self.features)
        self.model = Info(f"{PREFIX}_model", "The model being served", registry=self.registry)
        # Every label combination the dashboards expect exists from the start, at 0: a rate over
        # a series that appears only with its first event would miss that event.
        for species in schema.CLASSES:
            self.predictions.labels(species)
        for feature in schema.CATEGORICAL_FEATURES:
            for value in (*feature.values, *((UNKNOWN,) if feature.nullable else ())):
                self.categories.labels(feature.name, value)

    def describe_model(self, name: str, version: str, inference: str) -> None:
        """Set ``penguins_model_info`` to the model now served."""
        self.model.info({"name": name, "version": version, "inference": inference})

    def observe(self, rows: Sequence[tuple[Any, ...]], probabilities: np.ndarray, classes: Sequence[str]) -> None:
        """Count the predicted species and the inputs' values of one call (rows in schema order)."""
        columns = list(zip(*rows, strict=True))  # island, four measurements, sex
        self.features.observe(columns[1:5])
        islands, sexes = columns[0], columns[5]
        if len(rows) == 1:
            self.predictions.labels(classes[int(probabilities[0].argmax())]).inc()
            self.categories.labels(schema.ISLAND.name, islands[0]).inc()
            self.categories.labels(schema.SEX.name, sexes[0] or UNKNOWN).inc()
            return
        for index, count in enumerate(np.bincount(probabilities.argmax(axis=1), minlength=len(classes)).tolist()):
            if count:
                self.predictions.labels(classes[index]).inc(count)
        for name, values in ((schema.ISLAND.name, islands), (schema.SEX.name, sexes)):
            tally: dict[str, int] = {}
            for value in values:
                tally[value or UNKNOWN] = tally.get(value or UNKNOWN, 0) + 1
            for value, count in tally.items():
                self.categories.labels(name, value).inc(count)

    def exposition(self) -> tuple[bytes, str]:
        """The current values in Prometheus's text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:  # pylint: disable=too-few-public-methods  # an ASGI app is one __call__
    """Pure ASGI middleware: count each HTTP request and time it until its last body byte is sent."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an exception before any response is a 500 to the client

        async def send_and_record(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            handler = getattr(route, "path", None) or UNMATCHED
            labels = (handler, scope["method"], str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - start)
