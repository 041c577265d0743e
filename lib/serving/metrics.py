"""``GET /metrics``: what the API has served, in Prometheus's text format, for a Prometheus server to scrape.

Seven families, on the app's own registry (two apps in one process, as in the tests,
never share counts):

- ``penguins_http_requests_total`` and ``penguins_http_request_duration_seconds``: every
  request, by route template (``/predict``, never the raw path, so a scanner cannot
  create a series per URL), method and status code;
- ``penguins_predictions_total``: answers by predicted species, the class shares a drift
  alert watches;
- ``penguins_feature``: a histogram of each body measurement that was classified, with
  20 equal buckets across the schema's plausible range, and ``penguins_feature_values_total``
  for the island and sex (``unknown`` when missing): the inputs' distributions over time;
- ``penguins_model_info``: the served model's name, version and inference path;
- ``penguins_model_reloads_total``: model reloads by outcome (``loaded``, ``failed``), see
  :mod:`lib.serving.reloading`.

**Why custom collectors.** prometheus_client's ``Counter`` and ``Histogram`` take a lock
and look their labels up on every call: some tens of microseconds a request here, a few
percent of what ``/predict`` costs under load. The API counts on its event loop's one thread,
so plain Python counters need no lock; this module keeps them and hands them to
prometheus_client only when ``/metrics`` is scraped (its ``Collector`` interface), and
fills the feature histograms a whole batch at once with numpy. ``make bench`` measures
what is left (docs/performance.md). With several uvicorn workers each process has its
own counts and a scrape reaches one of them: run one worker per port and scrape each
(prometheus_client's multiprocess mode supports neither custom collectors nor Info metrics).
"""

from __future__ import annotations

import bisect
import time
from collections import Counter as Tally
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from lib import schema

PREFIX = "penguins"
# Request latency buckets (seconds): fine below 10 ms, where this API answers, coarse up to 2.5 s.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
FEATURE_BUCKETS = 20
UNMATCHED = "unmatched"  # the route label of a request no route matched (404s from scanners)
UNKNOWN = "unknown"  # the sex label of a penguin whose sex is missing
RELOAD_OUTCOMES = ("loaded", "failed")


def feature_buckets(feature: schema.NumericFeature, count: int = FEATURE_BUCKETS) -> tuple[float, ...]:
    """The upper bounds of ``count`` equal buckets across the feature's plausible range (schema.py).

    Below the minimum there is nothing (the API refuses it); 20 buckets make 2.25 mm of bill
    length, 0.75 mm of bill depth, 5 mm of flipper and 250 g of body mass.
    """
    edges = np.linspace(feature.minimum, feature.maximum, count + 1)[1:]
    return tuple(round(float(edge), 6) for edge in edges)


def _histogram_buckets(bounds: Sequence[float], counts: Sequence[int] | np.ndarray) -> list[tuple[str, float]]:
    """Per-bucket counts (the last one: above every bound) as Prometheus's cumulative ``le`` buckets."""
    cumulative = np.cumsum(counts).tolist()
    return [(repr(float(bound)), count) for bound, count in zip(bounds, cumulative, strict=False)] + [
        ("+Inf", cumulative[-1])
    ]


class FeatureHistograms(Collector):
    """One Prometheus histogram per numeric feature, filled a batch at a time with numpy."""

    def __init__(self, features: Sequence[schema.NumericFeature] = schema.NUMERIC_FEATURES) -> None:
        self.names = [feature.name for feature in features]
        self.bounds = [feature_buckets(feature) for feature in features]
        self.edges = [np.asarray(bounds) for bounds in self.bounds]  # searchsorted on an array, not a tuple
        self.counts = [np.zeros(len(bounds) + 1, dtype=np.int64) for bounds in self.bounds]  # last: above the range
        self.sums = [0.0 for _ in features]

    def observe(self, columns: Sequence[Sequence[float]]) -> None:
        """Add one column of values per feature (in the order of ``features``)."""
        if len(columns[0]) == 1:  # one penguin: bisect is ten times cheaper than numpy's call overhead
            for index, (value,) in enumerate(columns):
                self.counts[index][bisect.bisect_left(self.bounds[index], value)] += 1
                self.sums[index] += value
            return
        matrix = np.array(columns, dtype=float)  # one conversion for every feature
        for index, values in enumerate(matrix):
            where = self.edges[index].searchsorted(values, side="left")  # value <= bound: Prometheus's "le"
            self.counts[index] += np.bincount(where, minlength=len(self.bounds[index]) + 1)
        for index, total in enumerate(matrix.sum(axis=1).tolist()):
            self.sums[index] += total

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            f"{PREFIX}_feature",
            "Body measurements of the penguins classified, in 20 buckets across the schema's range",
            labels=["feature"],
        )
        for name, bounds, counts, total in zip(self.names, self.bounds, self.counts, self.sums, strict=True):
            family.add_metric([name], _histogram_buckets(bounds, counts), sum_value=total)
        yield family


class RequestMetrics(Collector):
    """Requests and their durations by (route template, method, status): one histogram per key.

    A request's count is its histogram's count, so one bisect and two additions record it.
    """

    def __init__(self, bounds: Sequence[float] = LATENCY_BUCKETS) -> None:
        self.bounds = tuple(bounds)
        self.series: dict[tuple[str, str, str], list[Any]] = {}  # key -> [bucket counts, sum of seconds]

    def observe(self, handler: str, method: str, status: str, seconds: float) -> None:
        """Count one request and its duration."""
        series = self.series.get((handler, method, status))
        if series is None:
            series = self.series[(handler, method, status)] = [[0] * (len(self.bounds) + 1), 0.0]
        series[0][bisect.bisect_left(self.bounds, seconds)] += 1
        series[1] += seconds

    def collect(self) -> Iterator[Metric]:
        labels = ["handler", "method", "status"]
        requests = CounterMetricFamily(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by route template, method and status code",
            labels=labels,
        )
        durations = HistogramMetricFamily(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template, method and status code",
            labels=labels,
        )
        for key, (counts, total) in sorted(self.series.items()):
            requests.add_metric(list(key), sum(counts))
            durations.add_metric(list(key), _histogram_buckets(self.bounds, counts), sum_value=total)
        yield requests
        yield durations


class PredictionCounts(Collector):  # pylint: disable=too-few-public-methods  # a collector is one collect()
    """Answers per species, inputs per island and sex, and the model's description."""

    def __init__(self) -> None:
        # Every combination the dashboards expect exists from the start, at 0: a rate over a
        # series that appears only with its first event would miss that event.
        self.species: Tally[str] = Tally(dict.fromkeys(schema.CLASSES, 0))
        self.values: Tally[tuple[str, str]] = Tally(
            dict.fromkeys(
                (
                    (feature.name, value)
                    for feature in schema.CATEGORICAL_FEATURES
                    for value in (*feature.values, *((UNKNOWN,) if feature.nullable else ()))
                ),
                0,
            )
        )
        self.model: dict[str, str] | None = None
        self.reloads: Tally[str] = Tally(dict.fromkeys(RELOAD_OUTCOMES, 0))

    def collect(self) -> Iterator[Metric]:
        species = CounterMetricFamily(
            f"{PREFIX}_predictions", "Penguins classified, by predicted species", labels=["species"]
        )
        for name, count in self.species.items():
            species.add_metric([name], count)
        values = CounterMetricFamily(
            f"{PREFIX}_feature_values",
            "Categorical inputs of the penguins classified, by feature and value",
            labels=["feature", "value"],
        )
        for (feature, value), count in self.values.items():
            values.add_metric([feature, value], count)
        yield species
        yield values
        if self.model is not None:
            yield InfoMetricFamily(f"{PREFIX}_model", "The model being served", value=self.model)
        reloads = CounterMetricFamily(
            f"{PREFIX}_model_reloads", "Model reloads while serving, by outcome", labels=["outcome"]
        )
        for outcome, count in self.reloads.items():
            reloads.add_metric([outcome], count)
        yield reloads


class Metrics:
    """The API's metrics on a registry of their own; :meth:`observe` records a prediction call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = RequestMetrics()
        self.counts = PredictionCounts()
        self.features = FeatureHistograms()
        for collector in (self.requests, self.counts, self.features):
            self.registry.register(collector)

    def request(self, handler: str, method: str, status: str, seconds: float) -> None:
        """Count one HTTP request and its duration."""
        self.requests.observe(handler, method, status, seconds)

    def describe_model(self, name: str, version: str, inference: str) -> None:
        """Set ``penguins_model_info`` to the model now served."""
        self.counts.model = {"name": name, "version": version, "inference": inference}

    def reloaded(self, outcome: str) -> None:
        """Count one model reload (``loaded`` or ``failed``)."""
        self.counts.reloads[outcome] += 1

    def observe(self, rows: Sequence[tuple[Any, ...]], probabilities: np.ndarray, classes: Sequence[str]) -> None:
        """Count the predicted species and the inputs' values of one call (rows in schema order)."""
        columns = list(zip(*rows, strict=True))  # island, four measurements, sex
        self.features.observe(columns[1:5])
        islands, sexes = columns[0], columns[5]
        if len(rows) == 1:
            self.counts.species[classes[int(probabilities[0].argmax())]] += 1
            self.counts.values[(schema.ISLAND.name, islands[0])] += 1
            self.counts.values[(schema.SEX.name, sexes[0] or UNKNOWN)] += 1
            return
        for index, count in enumerate(np.bincount(probabilities.argmax(axis=1), minlength=len(classes)).tolist()):
            self.counts.species[classes[index]] += count
        for name, values in ((schema.ISLAND.name, islands), (schema.SEX.name, sexes)):
            for value, count in Tally(values).items():  # collections.Counter counts in C
                self.counts.values[(name, value or UNKNOWN)] += count

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
            handler = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.request(handler, scope["method"], str(status), time.perf_counter() - start)


def add_metrics_route(api: FastAPI, metrics: Metrics) -> None:
    """``GET /metrics``: the counts in Prometheus's text format (left out of the OpenAPI schema)."""

    @api.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """The metrics in Prometheus's text format (set PENGUINS_METRICS=0 to switch them off)."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)
