"""``params.yaml``: the one place every tunable lives, and the checks on its values.

DVC reads the file (``dvc params diff``) and ``dvc.yaml`` hands each value to its
notebook with ``papermill -p NAME VALUE``. A notebook's ``parameters`` cell holds
the same values as defaults, and the cell after it calls :func:`check_namespace`, so a bad
value stops the run at once with a message that names it, instead of failing
later somewhere that does not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lib import paths


class InvalidParameter(ValueError):
    """A parameter value that its rule refuses; the message names the parameter."""


def load_params(path: Path | str | None = None) -> dict[str, Any]:
    """Read ``params.yaml`` (or ``path``) and return its sections as a dict.

    Raises ``FileNotFoundError`` or ``ValueError`` with what to do when the file is
    missing or is not a YAML mapping.
    """
    path = Path(path) if path is not None else paths.PARAMS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: it holds every stage's parameters; restore it with 'git checkout -- params.yaml'"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} must be a mapping of sections (prepare:, train:, ...), found {type(data).__name__}")
    return data


def stage_params(section: str, path: Path | str | None = None) -> dict[str, Any]:
    """Return one section of ``params.yaml`` (``prepare``, ``train``, ...)."""
    data = load_params(path)
    if section not in data or not isinstance(data[section], dict):
        raise KeyError(f"params.yaml has no section '{section}'; sections found: {sorted(data)}")
    return data[section]


@dataclass(frozen=True)
class Rule:
    """What a parameter must be: a description for the message, and a predicate."""

    expected: str
    accepts: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


def int_between(low: int, high: int) -> Rule:
    """An integer in ``[low, high]``."""
    return Rule(f"an integer from {low} to {high}", lambda v: _is_int(v) and low <= v <= high)


def number_between(low: float, high: float, *, inclusive: bool = True) -> Rule:
    """A finite number in ``[low, high]`` (or ``(low, high)`` when not inclusive)."""
    if inclusive:
        return Rule(f"a number from {low} to {high}", lambda v: _is_number(v) and low <= v <= high)
    return Rule(f"a number strictly between {low} and {high}", lambda v: _is_number(v) and low < v < high)


def boolean() -> Rule:
    """``True`` or ``False`` (in YAML: ``true`` or ``false``)."""
    return Rule("true or false", lambda v: isinstance(v, bool))


def text_matching(pattern: str, expected: str) -> Rule:
    """A string that fully matches the regular expression ``pattern``."""
    compiled = re.compile(pattern)
    return Rule(expected, lambda v: isinstance(v, str) and compiled.fullmatch(v) is not None)


# Every parameter of params.yaml, by its key (section.name). A lesson's parameters cell uses the last part
# of the key (dvc.yaml passes ``-p seed ${train.seed}``). The candidates' hyperparameters (train.candidates)
# have no rule here: their names are checked against the estimators and their values by scikit-learn
# itself (lib/preflight.py), with messages that name the estimator, the value and the range.
NAME = text_matching(r"[A-Za-z0-9][A-Za-z0-9_.-]*", "a name of letters, digits, '_', '.' or '-'")
SEED = int_between(0, 2**32 - 1)
FRACTION = number_between(0.0, 1.0)
RULES: dict[str, Rule] = {
    "requirements.min_macro_f1": FRACTION,
    "requirements.min_island_accuracy": FRACTION,
    "requirements.max_p99_latency_ms": number_between(0.1, 60_000.0),
    "requirements.max_group_gap": FRACTION,
    "inception.raw_source": text_matching(r"palmerpenguins|.+\.csv", "'palmerpenguins' or the path of a CSV export"),
    "prepare.test_size": number_between(0.0, 1.0, inclusive=False),
    "prepare.seed": SEED,
    "train.experiment": NAME,
    "train.registered_model": NAME,
    "train.cv_folds": int_between(2, 20),
    "train.seed": SEED,
    "energy.country_iso_code": text_matching(r"[A-Z]{3}", "an ISO 3166-1 alpha-3 country code such as 'ESP'"),
    "energy.training_repeats": int_between(1, 1000),
    "energy.inference_repeats": int_between(1, 100_000),
    "deploy.keep_serving": boolean(),
    "deploy.latency_requests": int_between(10, 100_000),
    "monitor.seed": SEED,
    "monitor.requests_per_second": number_between(0.1, 1000.0),
    "monitor.normal_requests": int_between(10, 100_000),
    "monitor.drift_requests": int_between(10, 100_000),
    "monitor.biscoe_share": FRACTION,
    "monitor.share_tolerance": number_between(0.01, 0.5),
    "monitor.alert_window_s": int_between(2, 86_400),
    "monitor.alert_pending_s": int_between(0, 86_400),
    "monitor.alert_min_predictions": int_between(1, 1_000_000),
    "vm_monitoring.alert_window_s": int_between(2, 86_400),
    "vm_monitoring.alert_pending_s": int_between(0, 86_400),
    "vm_monitoring.alert_min_predictions": int_between(1, 1_000_000),
    "loop.seed": SEED,
    "loop.season_birds": int_between(100, 100_000),  # a delivery of fewer rows fails the raw-data suite
    "loop.bill_length_shift_mm": number_between(-20.0, 20.0),
    "loop.drift_step": int_between(5, 10_000),
    "loop.experiment": NAME,
    "loop.max_regression": FRACTION,
    "loop.min_evaluation_birds": int_between(10, 100_000),
    "loop.latency_requests": int_between(10, 100_000),
    "loop.requests_per_second": number_between(0.1, 1000.0),
    "loop.reload_interval_s": number_between(0.05, 3600.0),
}
CANDIDATES_KEY = "train.candidates"  # read whole by lesson 2.2; checked by lib.preflight


def _notebook_rules() -> dict[str, Rule]:
    """Each notebook parameter's rule: the rule of the key it comes from (keys of one name share a rule)."""
    rules: dict[str, Rule] = {}
    for key, rule in RULES.items():
        name = key.rsplit(".", 1)[1]
        if rules.setdefault(name, rule).expected != rule.expected:
            raise ValueError(f"params.RULES gives '{name}' two rules; a lesson could not tell which applies")
    return rules


NOTEBOOK_RULES = _notebook_rules()


def check(**values: Any) -> dict[str, Any]:
    """Check notebook parameters (by the names of the lessons' parameters cells) and return them unchanged.

    Raises :class:`InvalidParameter` naming the first parameter whose value is not
    what its rule expects, or that has no rule at all.
    """
    for name, value in values.items():
        rule = NOTEBOOK_RULES.get(name)
        if rule is None:
            raise InvalidParameter(f"parameter '{name}' is unknown; known parameters: {sorted(NOTEBOOK_RULES)}")
        if not rule.accepts(value):
            raise InvalidParameter(
                f"parameter '{name}' is {value!r} ({type(value).__name__}), expected {rule.expected}; "
                "fix it in params.yaml (or in the papermill -p option) and run again"
            )
    return dict(values)


def check_namespace(namespace: dict[str, Any]) -> None:
    """Check every parameter defined in ``namespace`` (a notebook passes ``globals()``); print nothing.

    The cell right after a lesson's ``parameters`` cell calls it, so a bad papermill
    ``-p`` value stops the run there, named, before the lesson writes anything.
    """
    check(**{name: namespace[name] for name in sorted(NOTEBOOK_RULES) if name in namespace})
