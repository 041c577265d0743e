"""Before any stage runs: ``params.yaml`` checked whole, so a typo stops ``make pipeline`` before DVC starts.

A lesson checks its own parameters when it starts (``params.check_namespace``), but by then
``dvc repro`` has begun; ``make pipeline`` and ``make test`` run ``python -m lib.preflight``
first: every key of ``params.yaml`` by its rule in :data:`lib.params.RULES`, and every
candidate of ``train.candidates`` by the estimator it names (its hyperparameters' names, and
their values by scikit-learn's own check, the one ``fit`` runs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sklearn.utils._param_validation import InvalidParameterError

from lib import modeling, params
from lib.params import InvalidParameter


def check_file(path: Path | str | None = None) -> int:
    """Check every key of ``params.yaml`` (or ``path``) before any stage runs; return how many were checked.

    Each key must be one :data:`lib.params.RULES` knows (a typo such as ``train.cv_fold`` is refused with the keys
    its section has) and hold a value its rule accepts; the candidates of ``train.candidates`` must be
    known to ``lib/modeling.py`` and have hyperparameters their estimators accept (:func:`check_candidates`).
    Raises :class:`~lib.params.InvalidParameter` naming the first key that is wrong.
    """
    values = params.load_params(path)
    checked = 0
    for section, entries in values.items():
        if not isinstance(entries, dict):
            raise InvalidParameter(f"params.yaml section '{section}' must be a mapping of names to values")
        for name, value in entries.items():
            key = f"{section}.{name}"
            if key == params.CANDIDATES_KEY:
                checked += check_candidates(value)
                continue
            rule = params.RULES.get(key)
            if rule is None:
                known = sorted(k for k in params.RULES if k.startswith(f"{section}."))
                raise InvalidParameter(f"params.yaml: '{key}' is not a parameter; {section} has {known or 'none'}")
            if not rule.accepts(value):
                raise InvalidParameter(
                    f"params.yaml: '{key}' is {value!r} ({type(value).__name__}), expected {rule.expected}"
                )
            checked += 1
    return checked


def check_candidates(candidates: Any) -> int:
    """Check ``train.candidates``: known candidates, hyperparameters their estimators have, values they accept.

    Returns the number of hyperparameters checked. scikit-learn's own parameter check (the one ``fit`` runs)
    judges the values, so its message says what it accepts.
    """
    if not isinstance(candidates, dict) or not candidates:
        raise InvalidParameter(
            f"params.yaml: '{params.CANDIDATES_KEY}' must map candidate names to their hyperparameters"
        )
    for name, hyperparameters in candidates.items():
        where = f"{params.CANDIDATES_KEY}.{name}"
        if not isinstance(hyperparameters, dict):
            raise InvalidParameter(f"params.yaml: '{where}' must be a mapping of hyperparameters ({{}} for none)")
        try:
            modeling.build_candidate(name, hyperparameters, seed=0)[-1]._validate_params()  # pylint: disable=protected-access
        except (KeyError, modeling.UnknownHyperparameter, InvalidParameterError) as error:
            raise InvalidParameter(f"params.yaml: '{where}': {str(error).strip(chr(34))}") from error
    return sum(len(hyperparameters) for hyperparameters in candidates.values())


def main() -> int:
    """``python -m lib.preflight``: check params.yaml before any stage runs (make pipeline, make test)."""
    try:
        checked = check_file()
    except (InvalidParameter, FileNotFoundError, ValueError) as error:
        print(f"{error}\nFix params.yaml and run again; nothing has run.", file=sys.stderr)
        return 2
    print(f"params.yaml: {checked} parameters checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
