"""The species-share alert: its recording and alerting rules, and the promtool tests that check it fires."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lib import schema

SHARE_RECORD = "penguins:species_share"
ALERT = "SpeciesShareOutOfBand"


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
