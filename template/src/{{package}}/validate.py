"""The data's tests: a Great Expectations suite built from schema.yaml, run on any CSV.

``python -m <package>.validate data.csv`` exits 1 and lists each failed expectation when the data
breaks the contract; the validate stage runs it on the raw data before anything else reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from . import config


def expectations(schema: dict[str, Any]) -> list[Any]:
    """One expectation per fact schema.yaml states: each column exists, its range or categories, no nulls."""
    e = gx.expectations
    suite: list[Any] = []
    target = schema["target"]
    for column in [*schema["columns"], {**target, "nullable": False}]:
        name = column["name"]
        suite.append(e.ExpectColumnToExist(column=name))
        if not column.get("nullable", True):
            suite.append(e.ExpectColumnValuesToNotBeNull(column=name))
        if column.get("categories") or column.get("classes"):
            allowed = column.get("categories") or column.get("classes")
            suite.append(e.ExpectColumnValuesToBeInSet(column=name, value_set=allowed))
        elif "min" in column:
            suite.append(e.ExpectColumnValuesToBeBetween(column=name, min_value=column["min"], max_value=column["max"]))
    return suite


def validate(frame: pd.DataFrame, schema: dict[str, Any] | None = None) -> tuple[bool, list[str]]:
    """Run the suite on ``frame``: (success, one line per failed expectation)."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("data")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name="data", expectations=expectations(schema or config.schema()))
    result = batch.validate(suite)
    failures = []
    for outcome in result.results:
        if not outcome.success:
            kwargs = outcome.expectation_config.kwargs
            detail = outcome.result.get("unexpected_count", "")
            failures.append(f"{outcome.expectation_config.type}({kwargs.get('column', '')}): {detail} unexpected")
    return result.success, failures


def main(argv: list[str] | None = None) -> int:
    """Validate a CSV against schema.yaml; write the outcome as JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="the CSV to check")
    parser.add_argument("--report", type=Path, help="write the outcome here as JSON")
    args = parser.parse_args(argv)
    success, failures = validate(pd.read_csv(args.csv))
    for line in failures:
        print(f"failed: {line}", file=sys.stderr)
    print(f"{args.csv}: {'passes' if success else 'fails'} its suite ({len(failures)} failed expectations)")
    if args.report and success:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"data": args.csv.name, "success": success}, indent=2) + "\n")
    if not success:
        print("Fix the data, or, if the world changed, schema.yaml (and say why in the dataset card).", file=sys.stderr)
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main())
