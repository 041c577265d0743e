"""Monitoring in production (lesson 5.1): a real Prometheus, simulated seasons of traffic, drift, alert rules.

- :func:`start_prometheus` runs Prometheus (Debian's ``prometheus`` package, or the
  official release on ``PATH``) on loopback with a scrape config from :func:`prometheus_config`;
- :func:`query_range` turns a PromQL range query into a tidy DataFrame to plot;
- :func:`normal_season` and :func:`island_mix_season` draw simulated production traffic
  from the held-out test split, deterministically from a seed, and :func:`send` replays
  it against the API at a steady rate;
- :func:`alert_rules` writes the species-share alert (the same rule for the lesson's
  compressed time and for ``deploy/monitoring/``), :func:`promtool` checks and unit-tests it;
- :func:`drift_table` reads Evidently's verdict per column out of a report run.

Importing this module also lets Evidently 0.7 import beside pandas 3 (see :func:`_evidently_on_pandas3`).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import yaml
from pandas.core.dtypes import common

from lib import params, paths, processes, schema

PROMETHEUS_INSTALL = (
    "Prometheus is not installed: 'make system-packages' installs it (apt as root or with passwordless sudo, "
    "Homebrew on macOS); by hand: 'sudo apt-get install prometheus' (Debian, Ubuntu; it brings promtool), "
    "'brew install prometheus' (macOS), or unpack the release from https://prometheus.io/download/ "
    "and put 'prometheus' and 'promtool' on PATH"
)
SHARE_RECORD = "penguins:species_share"
ALERT = "SpeciesShareOutOfBand"


def _evidently_on_pandas3() -> None:
    """Give pandas 3 back the one private name Evidently 0.7.23 imports at start-up.

    ``evidently.legacy.tests.data_integrity_tests`` imports
    ``pandas.core.dtypes.common.infer_dtype_from_object``, which pandas 3 removed; without it
    ``import evidently`` fails. Only that legacy test uses it (never the drift report), so a
    faithful stand-in (a dtype's scalar type) is enough. It does nothing on pandas 2.
    """
    if not hasattr(common, "infer_dtype_from_object"):

        def infer_dtype_from_object(dtype: Any) -> type:
            return dtype if isinstance(dtype, type) else pd.api.types.pandas_dtype(dtype).type

        common.infer_dtype_from_object = infer_dtype_from_object


_evidently_on_pandas3()


# --- Prometheus ------------------------------------------------------------------------------------


def prometheus_binary(name: str = "prometheus") -> str:
    """The path of ``prometheus`` (or ``promtool``), or a ``FileNotFoundError`` saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(PROMETHEUS_INSTALL)
    return found


def prometheus_config(target: str, rule_files: Sequence[Path | str] = (), interval: str = "1s") -> dict[str, Any]:
    """A scrape config: Prometheus reads ``target``'s ``/metrics`` and evaluates the rules every ``interval``.

    Relative rule files are found beside the config file.
    """
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [{"job_name": "penguins-api", "static_configs": [{"targets": [target]}]}],
    }


def start_prometheus(config: Path, data_dir: Path, port: int | None = None, timeout: float = 30) -> processes.Server:
    """Start Prometheus on 127.0.0.1 with ``config`` and storage in ``data_dir``; wait until it is ready.

    Raises ``FileNotFoundError`` (how to install it) when it is missing, and ``RuntimeError``
    with Prometheus's own output when it exits (a bad config) or is not ready in ``timeout`` seconds.
    """
    port = port or processes.free_port()
    command = [
        prometheus_binary(),
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]
    return processes.launch(command, f"http://127.0.0.1:{port}", "/-/ready", timeout, name="Prometheus")


def query(url: str, promql: str, at: float | None = None) -> list[dict[str, Any]]:
    """An instant PromQL query: the ``result`` list of Prometheus's answer (raises on its error)."""
    arguments: dict[str, str | float] = {"query": promql} | ({"time": at} if at is not None else {})
    answer = httpx.get(f"{url}/api/v1/query", params=arguments, timeout=10).json()
    if answer["status"] != "success":
        raise ValueError(f"Prometheus refused {promql!r}: {answer.get('error')}")
    return answer["data"]["result"]


def query_range(url: str, promql: str, start: float, end: float, step: float = 1.0) -> pd.DataFrame:
    """A PromQL range query as a long DataFrame: ``seconds`` (from ``start``), ``value``, and one column per label."""
    arguments: dict[str, str | float] = {"query": promql, "start": start, "end": end, "step": step}
    answer = httpx.get(f"{url}/api/v1/query_range", params=arguments, timeout=10).json()
    if answer["status"] != "success":
        raise ValueError(f"Prometheus refused {promql!r}: {answer.get('error')}")
    records = [
        {"seconds": float(at) - start, "value": float(value), **series["metric"]}
        for series in answer["data"]["result"]
        for at, value in series["values"]
    ]
    return pd.DataFrame.from_records(records, columns=["seconds", "value"] if not records else None)


def wait_for_scrapes(url: str, target_health: str = "up", timeout: float = 30) -> None:
    """Wait until Prometheus has scraped every target at least once and each is ``up``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        targets = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        if targets and all(target["health"] == target_health for target in targets):
            return
        time.sleep(0.2)
    raise RuntimeError(f"Prometheus's targets were not '{target_health}' within {timeout} s")


def wait_for_alert(url: str, name: str, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for alert ``name`` to fire; return whether it did."""
    deadline = time.monotonic() + timeout
    while True:
        if any(alert["labels"]["alertname"] == name for alert in firing_alerts(url)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def firing_alerts(url: str) -> list[dict[str, Any]]:
    """The alerts Prometheus has firing now (pending ones are left out)."""
    alerts = httpx.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [alert for alert in alerts if alert["state"] == "firing"]


# --- Alert rules -----------------------------------------------------------------------------------


def expected_shares(train: pd.DataFrame) -> dict[str, float]:
    """Each species' share of the training split, in schema order (what a healthy season should look like)."""
    shares = train[schema.LABEL].value_counts(normalize=True)
    return {species: round(float(shares.get(species, 0.0)), 3) for species in schema.CLASSES}


def alert_rules(
    shares: Mapping[str, float],
    tolerance: float,
    window: str = "10m",
    pending: str = "15m",
    min_predictions: int = 200,
) -> dict[str, Any]:
    """The rule group: each species' share of predictions over ``window``, and an alert when one leaves its band.

    The band is the training share plus or minus ``tolerance``. The alert holds its fire while
    the window has fewer than ``min_predictions`` answers (six penguins in a quiet minute make
    no share), and ``pending`` is how long a share must stay out before it fires (Prometheus's
    ``for``), so one odd minute pages nobody. The lesson compresses the times to seconds;
    ``deploy/monitoring/`` keeps minutes.
    """
    rate = f"rate(penguins_predictions_total[{window}])"
    bands = [
        (species, round(max(share - tolerance, 0.0), 3), round(min(share + tolerance, 1.0), 3))
        for species, share in shares.items()
    ]
    condition = (
        "(\n  "
        + "\n  or\n  ".join(
            f'{SHARE_RECORD}{{species="{species}"}} < {low} or {SHARE_RECORD}{{species="{species}"}} > {high}'
            for species, low, high in bands
        )
        + f"\n)\nand on ()\nsum(increase(penguins_predictions_total[{window}])) >= {min_predictions}"
    )
    return {
        "groups": [
            {
                "name": "penguins-drift",
                "rules": [
                    {
                        "record": SHARE_RECORD,
                        "expr": f"sum by (species) ({rate})\n/ ignoring (species) group_left\nsum({rate})",
                    },
                    {
                        "alert": ALERT,
                        "expr": condition,
                        "for": pending,
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "{{ $labels.species }}'s share of the predictions left its band",
                            "description": "Training shares: "
                            + ", ".join(f"{species} {share:.0%}" for species, share in shares.items())
                            + ". The traffic has drifted, or the model has: compare the prediction log with the "
                            "training data (lesson 5.1).",
                        },
                    },
                ],
            }
        ]
    }


def duration(seconds: int) -> str:
    """A Prometheus duration: ``900`` -> ``15m``, ``10`` -> ``10s``."""
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def drifted_shares(shares: Mapping[str, float], species: str, share: float) -> dict[str, float]:
    """Shares where ``species`` takes ``share`` and the others keep their proportions among themselves."""
    rest = sum(value for name, value in shares.items() if name != species)
    return {name: share if name == species else value * (1 - share) / rest for name, value in shares.items()}


def out_of_band(shares: Mapping[str, float], observed: Mapping[str, float], tolerance: float) -> list[str]:
    """The species whose ``observed`` share is outside the training share plus or minus ``tolerance``."""
    return [name for name, share in shares.items() if abs(observed[name] - share) > tolerance + 1e-9]


def alert_rule_tests(
    rule_file: str, shares: Mapping[str, float], tolerance: float, window_s: int, pending_s: int
) -> dict[str, Any]:
    """A ``promtool test rules`` file for :func:`alert_rules`: quiet at the training shares, firing on drift.

    The simulated counters grow 1000 predictions a step (a tenth of the window) at the
    training shares, then with Gentoo ``tolerance + 0.1`` above its share, then at the training
    shares again. The tests expect no alert in the first phase, the alert for every species the
    drift pushes out of its band once the window has filled and ``pending_s`` has passed, and
    no alert once the drift is over.
    """
    step = max(window_s // 10, 1)
    phase = 3 * window_s + pending_s  # steps long enough for the window to fill and the alert to fire
    drifted = drifted_shares(shares, "Gentoo", min(shares["Gentoo"] + tolerance + 0.1, 1.0))
    firing = out_of_band(shares, drifted, tolerance)
    steps = phase // step

    def values(species: str) -> str:
        normal, shifted = round(1000 * shares[species]), round(1000 * drifted[species])
        second = normal * steps + shifted * steps
        return f"0+{normal}x{steps} {normal * steps + shifted}+{shifted}x{steps - 1} {second + normal}+{normal}x{steps}"

    annotations = alert_rules(shares, tolerance)["groups"][0]["rules"][1]["annotations"]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": duration(step),
        "tests": [
            {
                "interval": duration(step),
                "input_series": [
                    {"series": f'penguins_predictions_total{{species="{species}"}}', "values": values(species)}
                    for species in shares
                ],
                "alert_rule_test": [
                    {"eval_time": duration(phase - step), "alertname": ALERT, "exp_alerts": []},
                    {
                        "eval_time": duration(2 * phase - step),
                        "alertname": ALERT,
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "warning", "species": species},
                                "exp_annotations": {
                                    "summary": annotations["summary"].replace("{{ $labels.species }}", species),
                                    "description": annotations["description"],
                                },
                            }
                            for species in firing
                        ],
                    },
                    {"eval_time": duration(3 * phase - step), "alertname": ALERT, "exp_alerts": []},
                ],
            }
        ],
    }


def write_yaml(path: Path, content: Mapping[str, Any]) -> Path:
    """Write ``content`` as block-style YAML (multi-line strings as ``|`` blocks) and return the path."""

    class Literal(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
        """A dumper that writes multi-line strings as literal blocks, as people write PromQL."""

    def block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Literal.add_representer(str, block)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(dict(content), Dumper=Literal, sort_keys=False, width=120), encoding="utf-8")
    return path


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``promtool`` (``check rules FILE``, ``test rules FILE``) in ``cwd``; return its result.

    A test file names its rule files relative to itself, so run it from its folder.
    """
    command = [prometheus_binary("promtool"), *(str(arg) for arg in args)]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=processes.tool_env(), cwd=cwd)


# --- Simulated seasons -----------------------------------------------------------------------------


def normal_season(test: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A season like the training data: every held-out penguin once, in a shuffled order."""
    return test.sample(frac=1.0, random_state=seed).reset_index(drop=True)[list(schema.FEATURES)]


def island_mix_season(test: pd.DataFrame, weights: Mapping[str, float], size: int, seed: int) -> pd.DataFrame:
    """A season with another island mix: ``size`` penguins whose islands are drawn with ``weights``.

    Each penguin is a held-out penguin of the drawn island (drawn with replacement), so
    each island's penguins look as before; only how many come from where changes, as when
    the field team spends the season on one island.
    """
    unknown = set(weights) - set(schema.ISLANDS)
    if unknown or not weights or min(weights.values()) < 0 or sum(weights.values()) <= 0:
        raise ValueError(f"weights must map islands of {schema.ISLANDS} to non-negative numbers, got {dict(weights)}")
    rng = np.random.default_rng(seed)
    islands = list(weights)
    probabilities = np.array([weights[island] for island in islands], dtype=float)
    drawn = rng.choice(islands, size=size, p=probabilities / probabilities.sum())
    by_island = {island: test[test[schema.ISLAND.name] == island] for island in islands}
    rows = [by_island[island].iloc[int(rng.integers(len(by_island[island])))] for island in drawn]
    return pd.DataFrame(rows).reset_index(drop=True)[list(schema.FEATURES)]


def penguin_payloads(season: pd.DataFrame) -> list[dict[str, Any]]:
    """The season's rows as ``/predict`` bodies (a missing sex becomes ``null``)."""
    season = season[list(schema.FEATURES)].astype(object).where(season.notna(), None)
    return season.to_dict(orient="records")


def send(url: str, season: pd.DataFrame, rate: float) -> dict[int, int]:
    """POST each penguin of ``season`` to ``url``'s ``/predict`` at ``rate`` requests a second; count the statuses."""
    statuses: dict[int, int] = {}
    interval = 1.0 / rate
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=10) as client:
        for index, payload in enumerate(penguin_payloads(season)):
            pause = start + index * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            status = client.post("/predict", json=payload).status_code
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


# --- Drift -----------------------------------------------------------------------------------------


def read_prediction_log(path: Path) -> pd.DataFrame:
    """The prediction log (JSON lines) as a DataFrame with the features' dtypes of the training split."""
    log = pd.read_json(path, lines=True, dtype={schema.SEX.name: "str"})
    return log.astype({name: float for name in schema.NUMERIC})


def drift_table(run: Any) -> pd.DataFrame:
    """Evidently's per-column verdict from a ``Report([DataDriftPreset()])`` run.

    One row per column: the test Evidently chose (when the reference has at most 1000 rows, K-S
    for numbers and chi-square or a Z-test for categories, all p-values), its value, the
    threshold, and whether it drifted.
    """
    rows = []
    for metric in run.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            value, threshold = float(metric["value"]), float(config["threshold"])
            # A p-value drifts below its threshold; a distance (Wasserstein, used above 1000 rows) above it.
            drifted = value < threshold if "p_value" in config["method"] else value >= threshold
            rows.append(
                {
                    "column": config["column"],
                    "test": config["method"],
                    "value": round(value, 4),
                    "threshold": threshold,
                    "drifted": drifted,
                }
            )
    return pd.DataFrame(rows).set_index("column")


def dataset_drift(run: Any) -> dict[str, float]:
    """Evidently's dataset-level verdict: how many columns drifted, and their share."""
    for metric in run.dict()["metrics"]:
        if metric["metric_name"].startswith("DriftedColumnsCount"):
            return {key: float(value) for key, value in metric["value"].items()}
    raise ValueError("the report has no DriftedColumnsCount metric: was it built with DataDriftPreset()?")


# --- The team VM's rules (deploy/monitoring/) ------------------------------------------------------

DEPLOY_DIR = paths.PROJ_ROOT / "deploy" / "monitoring"
DEPLOY_WINDOW_S = 600  # shares over 10 minutes
DEPLOY_PENDING_S = 900  # out of band for 15 minutes before anyone is paged
DEPLOY_MIN_PREDICTIONS = 200  # a quiet window (fewer answers) makes no share


def deploy_rules(train: pd.DataFrame, tolerance: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The alert rules of ``deploy/monitoring/alerts.yml`` and their promtool tests, from the training split."""
    shares = expected_shares(train)
    rules = alert_rules(
        shares, tolerance, duration(DEPLOY_WINDOW_S), duration(DEPLOY_PENDING_S), DEPLOY_MIN_PREDICTIONS
    )
    return rules, alert_rule_tests("alerts.yml", shares, tolerance, DEPLOY_WINDOW_S, DEPLOY_PENDING_S)


def write_deploy_rules(folder: Path = DEPLOY_DIR) -> list[Path]:
    """Write ``alerts.yml`` and ``alerts.test.yml`` for the team VM from the pipeline's training split."""
    rules, tests = deploy_rules(pd.read_csv(paths.TRAIN_FILE), params.stage_params("monitor")["share_tolerance"])
    return [write_yaml(folder / "alerts.yml", rules), write_yaml(folder / "alerts.test.yml", tests)]


if __name__ == "__main__":
    for written in write_deploy_rules():
        print(f"wrote {paths.relative(written)}")
