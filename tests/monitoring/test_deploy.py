"""Prometheus and Grafana for the team VM (deploy/monitoring/): pinned, private, and wired to what the API exports."""

import json
import re

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from lib import monitoring, serving
from tests import sandbox

DEPLOY = sandbox.WORKTREE / "deploy" / "monitoring"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
DASHBOARD = json.loads((DEPLOY / "grafana" / "dashboards" / "penguins.json").read_text(encoding="utf-8"))
EXPRESSIONS = [target["expr"] for panel in DASHBOARD["panels"] for target in panel.get("targets", [])]


@pytest.mark.parametrize("service", sorted(name for name, s in COMPOSE["services"].items() if "image" in s))
def test_every_image_is_pinned(service):
    name, _, tag = COMPOSE["services"][service]["image"].rpartition(":")
    assert name and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), COMPOSE["services"][service]["image"]


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_ports_are_published_on_loopback_only(service):
    for port in COMPOSE["services"][service].get("ports", []):
        assert port.startswith("127.0.0.1:"), f"{service} publishes {port} on every interface"


def test_grafana_sends_nothing_and_needs_a_password():
    environment = COMPOSE["services"]["grafana"]["environment"]
    assert environment["GF_ANALYTICS_REPORTING_ENABLED"] == "false"
    assert environment["GF_ANALYTICS_CHECK_FOR_UPDATES"] == "false"
    assert environment["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    ignored = (sandbox.WORKTREE / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/deploy/monitoring/.env" in ignored


def test_prometheus_mounts_the_tested_rules():
    volumes = COMPOSE["services"]["prometheus"]["volumes"]
    assert "./alerts.yml:/etc/prometheus/alerts.yml:ro" in volumes
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["alerts.yml"]
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["api:8000"]


def test_the_dashboards_queries_parse(tmp_path):
    """Each panel's PromQL, as a recording rule, passes promtool's check (a typo would fail here)."""
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"panel:{i}", "expr": e} for i, e in
                                                        enumerate(EXPRESSIONS)]}]}  # fmt: skip
    monitoring.write_yaml(tmp_path / "dashboard.yml", rules)
    result = monitoring.promtool("check", "rules", "dashboard.yml", cwd=tmp_path)
    assert result.returncode == 0 and f"SUCCESS: {len(EXPRESSIONS)} rules found" in result.stdout, result.stderr


def test_the_dashboard_uses_only_metrics_the_api_exports(models_dir):
    """Every metric name in the dashboard exists at /metrics (or is the alert's recording rule)."""
    with TestClient(serving.create_app(serving.Settings(models_dir=models_dir))) as client:
        client.post("/predict", json=serving.bodies.EXAMPLE)
        exported = {
            sample.name for family in text_string_to_metric_families(client.get("/metrics").text)
            for sample in family.samples
        }  # fmt: skip
    used = {name for expr in EXPRESSIONS for name in re.findall(r"\b(penguins[:_][a-z_:]+)", expr)}
    assert used and used <= exported | {monitoring.SHARE_RECORD}, used - exported
    assert len({panel["id"] for panel in DASHBOARD["panels"]}) == len(DASHBOARD["panels"])
