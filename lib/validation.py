"""Data tests with Great Expectations: the raw and processed suites, defined once, used everywhere.

The same suites gate the pipeline (the ``prepare`` stage validates the raw data
before it writes anything), run in ``make test`` (``tests/data``), and are taught
in lesson 3.2, which also renders them as Data Docs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from lib import data, schema

RAW_SUITE = "penguins_raw"
PROCESSED_SUITE = "penguins_processed"
RAW_SPECIES = (
    "Adelie Penguin (Pygoscelis adeliae)",
    "Chinstrap penguin (Pygoscelis antarctica)",
    "Gentoo penguin (Pygoscelis papua)",
)
NUMBER_TYPES = ["float64", "int64", "Float64", "Int64", "float32", "int32"]
ISLANDS = list(schema.ISLANDS)
DOCS_SITE = "penguins_data_docs"
# What to do when a suite fails: the raw data comes from a delivery, the processed data from the split.
FIXES = {
    RAW_SUITE: "Fix the data at its source (params.yaml inception.raw_source) and run again",
    PROCESSED_SUITE: "The split is wrong, not the delivery: check prepare's parameters and data.split, then run again",
}


class DataValidationError(ValueError):
    """Data failed its expectation suite; the message lists every failed expectation."""


@dataclass
class SuiteReport:
    """The outcome of one suite on one batch of data."""

    suite: str
    success: bool
    evaluated: int
    successful: int
    failures: list[dict[str, Any]] = field(default_factory=list)

    def failure_lines(self) -> list[str]:
        """One human-readable line per failed expectation."""
        return [f"{f['expectation']}({f['column'] or 'table'}): {f['detail']}" for f in self.failures]


def raw_expectations() -> list[gx.expectations.Expectation]:
    """The raw LTER export's suite: structure, types, allowed categories, plausible ranges, null rates."""
    e = gx.expectations
    expectations: list[gx.expectations.Expectation] = [
        e.ExpectTableColumnsToMatchOrderedList(column_list=list(schema.RAW_COLUMNS)),
        e.ExpectTableRowCountToBeBetween(min_value=100, max_value=100_000),
        e.ExpectCompoundColumnsToBeUnique(column_list=["studyName", "Individual ID"]),
        e.ExpectColumnValuesToMatchRegex(column="studyName", regex=r"^PAL\d{4}$"),
        e.ExpectColumnValuesToMatchStrftimeFormat(column="Date Egg", strftime_format="%Y-%m-%d"),
        e.ExpectColumnValuesToBeInSet(column="Species", value_set=list(RAW_SPECIES)),
        e.ExpectColumnValuesToBeInSet(column="Island", value_set=ISLANDS),
        e.ExpectColumnValuesToBeInSet(column="Region", value_set=["Anvers"]),
        e.ExpectColumnValuesToBeInSet(column="Stage", value_set=["Adult, 1 Egg Stage"]),
        e.ExpectColumnValuesToBeInSet(column="Clutch Completion", value_set=["Yes", "No"]),
        e.ExpectColumnValuesToBeInSet(column="Sex", value_set=[*schema.RAW_SEXES, "."]),
        e.ExpectColumnValuesToNotBeNull(column="Sex", mostly=0.9),
    ]
    for column in ("studyName", "Sample Number", "Species", "Island", "Individual ID"):
        expectations.append(e.ExpectColumnValuesToNotBeNull(column=column))
    for feature in schema.NUMERIC_FEATURES:
        expectations += [
            e.ExpectColumnValuesToBeInTypeList(column=feature.raw, type_list=NUMBER_TYPES),
            e.ExpectColumnValuesToBeBetween(column=feature.raw, min_value=feature.minimum, max_value=feature.maximum),
            e.ExpectColumnValuesToNotBeNull(column=feature.raw, mostly=0.95),
        ]
    return expectations


def processed_frame(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Stack the two splits, tagged by a ``split`` column and an ``is_test`` flag, for one validation."""
    tagged = [train.assign(split="train", is_test=0), test.assign(split="test", is_test=1)]
    return pd.concat(tagged, ignore_index=True)


def processed_expectations(test_size: float, tolerance: float = 0.02) -> list[gx.expectations.Expectation]:
    """The processed splits' suite: no missing island or measurement (sex may be), labels, ranges, sizes, overlap."""
    e = gx.expectations
    expectations: list[gx.expectations.Expectation] = [
        e.ExpectTableColumnsToMatchOrderedList(column_list=[*schema.PROCESSED_COLUMNS, "split", "is_test"]),
        e.ExpectColumnDistinctValuesToEqualSet(column=schema.LABEL, value_set=list(schema.CLASSES)),
        e.ExpectColumnValuesToBeInSet(column="island", value_set=ISLANDS),
        e.ExpectColumnValuesToBeInSet(column="sex", value_set=list(schema.SEXES)),
        e.ExpectColumnValuesToBeInSet(column="split", value_set=["train", "test"]),
        e.ExpectColumnMeanToBeBetween(
            column="is_test", min_value=test_size - tolerance, max_value=test_size + tolerance
        ),
        e.ExpectCompoundColumnsToBeUnique(column_list=list(schema.PROCESSED_COLUMNS)),
    ]
    for column in ("island", *schema.NUMERIC, schema.LABEL, "split"):
        expectations.append(e.ExpectColumnValuesToNotBeNull(column=column))
    for feature in schema.NUMERIC_FEATURES:
        expectations += [
            e.ExpectColumnValuesToBeInTypeList(column=feature.name, type_list=["float64"]),
            e.ExpectColumnValuesToBeBetween(column=feature.name, min_value=feature.minimum, max_value=feature.maximum),
        ]
    return expectations


def quiet(context) -> None:
    """Switch off the progress bar GX draws for every validation (timings that change on every run)."""
    context.variables.progress_bars = ProgressBarsConfig(globally=False)


def _context(docs_dir: Path | None):
    context = gx.get_context(mode="ephemeral")
    quiet(context)
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
            },
        )
    return context


def _failure(result) -> dict[str, Any]:
    config, details = result.expectation_config, result.result or {}
    column = config.kwargs.get("column")
    if column is None and not config.type.startswith("expect_table_"):
        column = ", ".join(config.kwargs.get("column_list", [])[:3]) or None
    if details.get("unexpected_count"):
        examples = list(dict.fromkeys(str(v) for v in details.get("partial_unexpected_list") or []))[:3]
        detail = f"{details['unexpected_count']} unexpected value(s), e.g. {examples}"
    elif "observed_value" in details:
        detail = f"observed {details['observed_value']!r}"
    elif result.exception_info and result.exception_info.get("raised_exception"):
        detail = f"could not be evaluated: {result.exception_info.get('exception_message')}"
    else:
        detail = "failed"
    return {"expectation": config.type, "column": column, "detail": detail}


def run_suites(batches: dict[str, tuple[pd.DataFrame, list]], docs_dir: Path | None = None) -> dict[str, SuiteReport]:
    """Validate each named batch against its expectations; return a report per suite.

    With ``docs_dir``, the suites and their results are also rendered as Great
    Expectations Data Docs (an HTML site) in that folder.
    """
    context = _context(docs_dir)
    source = context.data_sources.add_pandas("penguins")
    reports: dict[str, SuiteReport] = {}
    definitions = []
    for name, (frame, expectations) in batches.items():
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=[x.copy() for x in expectations]))
        batch_definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        definitions.append(
            (
                name,
                frame,
                context.validation_definitions.add(
                    gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
                ),
            )
        )
    for name, frame, definition in definitions:
        if docs_dir is None:
            result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        else:
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=f"{name}_checkpoint",
                    validation_definitions=[definition],
                    result_format="SUMMARY",
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
                )
            )
            result = next(iter(checkpoint.run(batch_parameters={"dataframe": frame}).run_results.values()))
        stats = result.statistics
        reports[name] = SuiteReport(
            suite=name,
            success=bool(result.success),
            evaluated=int(stats["evaluated_expectations"]),
            successful=int(stats["successful_expectations"]),
            failures=[_failure(r) for r in result.results if not r.success],
        )
    return reports


def validate_raw(raw: pd.DataFrame) -> SuiteReport:
    """Validate the raw export against the raw suite."""
    return run_suites({RAW_SUITE: (raw, raw_expectations())})[RAW_SUITE]


def validate_processed(train: pd.DataFrame, test: pd.DataFrame, test_size: float) -> SuiteReport:
    """Validate the two splits together against the processed suite."""
    frame = processed_frame(train, test)
    return run_suites({PROCESSED_SUITE: (frame, processed_expectations(test_size))})[PROCESSED_SUITE]


def require(report: SuiteReport) -> SuiteReport:
    """Return the report if the suite passed; raise :class:`DataValidationError` listing the failures."""
    if report.success:
        return report
    lines = "\n  - ".join(report.failure_lines())
    fix = FIXES.get(report.suite, "Fix the data and run again")
    raise DataValidationError(
        f"data failed the '{report.suite}' suite: {len(report.failures)} of {report.evaluated} expectations "
        f"failed:\n  - {lines}\nThis stage wrote no data. {fix}. To return to the last committed data: "
        "'git restore dvc.lock docs/cards', then 'dvc checkout' (the stages before this one may already have "
        "recorded the new file, and rewritten the dataset card)."
    )


def corrupt(raw: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of the raw export with typical delivery errors, for the lesson and the tests.

    Body masses in milligrams (x1000), negative flipper lengths, a misspelt species,
    an unknown island, sex coded 'M', and a duplicated bird.
    """
    bad = raw.copy()
    bad.loc[bad.index[:3], "Body Mass (g)"] = bad.loc[bad.index[:3], "Body Mass (g)"] * 1000
    bad.loc[bad.index[5:7], "Flipper Length (mm)"] = -bad.loc[bad.index[5:7], "Flipper Length (mm)"]
    bad.loc[bad.index[10:12], "Species"] = "Adelei Penguin (Pygoscelis adeliae)"
    bad.loc[bad.index[20], "Island"] = "Anvers"
    bad.loc[bad.index[30:34], "Sex"] = "M"
    return pd.concat([bad, bad.iloc[[40]]], ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m lib.validation [CSV]``: run the raw suite on a CSV (default: the raw export); exit 1 if it fails.

    The command a team's checker runs on corrupted copies of the data (``make check-project``).
    """
    args = sys.argv[1:] if argv is None else argv
    report = validate_raw(data.load_raw(Path(args[0]) if args else None))
    for line in report.failure_lines():
        print(f"failed: {line}", file=sys.stderr)
    print(f"{report.suite}: {report.successful} of {report.evaluated} expectations met")
    return 0 if report.success else 1


if __name__ == "__main__":
    sys.exit(main())
