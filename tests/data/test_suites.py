"""Great Expectations suites on the pipeline's data, and on data broken in known ways."""

import pandas as pd
import pytest

from lib import params, validation


@pytest.fixture(scope="module")
def test_size(project):
    return params.stage_params("prepare", project.root / "params.yaml")["test_size"]


def failed(report):
    return sorted((f["expectation"], f["column"]) for f in report.failures)


def test_the_pipelines_raw_data_passes(raw):
    """The acquired export meets every expectation of the raw suite."""
    report = validation.validate_raw(raw)
    assert report.success, report.failure_lines()
    assert report.evaluated == len(validation.raw_expectations()) >= 25


def test_the_pipelines_splits_pass(splits, test_size):
    """The processed splits meet every expectation of the processed suite."""
    report = validation.validate_processed(*splits, test_size)
    assert report.success, report.failure_lines()
    assert report.evaluated == len(validation.processed_expectations(test_size)) >= 20


def _set(frame, column, rows, value):
    frame = frame.copy()
    frame.loc[frame.index[rows], column] = value
    return frame


RAW_BREAKAGES = [
    (
        "mass-in-milligrams",
        lambda r: _set(r, "Body Mass (g)", slice(0, 2), 3_750_000.0),
        [("expect_column_values_to_be_between", "Body Mass (g)")],
    ),
    (
        "negative-flipper",
        lambda r: _set(r, "Flipper Length (mm)", slice(0, 1), -181.0),
        [("expect_column_values_to_be_between", "Flipper Length (mm)")],
    ),
    (
        "species-typo",
        lambda r: _set(r, "Species", slice(0, 1), "Adelie"),
        [("expect_column_values_to_be_in_set", "Species")],
    ),
    (
        "unknown-island",
        lambda r: _set(r, "Island", slice(0, 1), "Anvers"),
        [("expect_column_values_to_be_in_set", "Island")],
    ),
    ("sex-coded-M", lambda r: _set(r, "Sex", slice(0, 3), "M"), [("expect_column_values_to_be_in_set", "Sex")]),
    (
        "many-sexes-missing",
        lambda r: _set(r, "Sex", slice(0, 60), None),
        [("expect_column_values_to_not_be_null", "Sex")],
    ),
    (
        "duplicated-bird",
        lambda r: pd.concat([r, r.iloc[[5]]], ignore_index=True),
        [("expect_compound_columns_to_be_unique", "studyName, Individual ID")],
    ),
    (
        "column-renamed",
        lambda r: r.rename(columns={"Comments": "Notes"}),
        [("expect_table_columns_to_match_ordered_list", None)],
    ),
    (
        "bad-date",
        lambda r: _set(r, "Date Egg", slice(0, 1), "11/11/2007"),
        [("expect_column_values_to_match_strftime_format", "Date Egg")],
    ),
    ("too-few-rows", lambda r: r[r["Sex"].notna()].head(50), [("expect_table_row_count_to_be_between", None)]),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [(b[1], b[2]) for b in RAW_BREAKAGES], ids=[b[0] for b in RAW_BREAKAGES]
)
def test_raw_suite_catches_each_breakage(raw, breakage, expected):
    """Each kind of broken delivery fails exactly the expectation written for it."""
    assert failed(validation.validate_raw(breakage(raw))) == expected


def test_the_gate_refuses_corrupted_data_naming_every_failure(raw):
    """require() stops with a message listing each failed expectation and what to do."""
    with pytest.raises(validation.DataValidationError) as error:
        validation.require(validation.validate_raw(validation.corrupt(raw)))
    message = str(error.value)
    assert "6 of" in message and "This stage wrote no data" in message and "dvc checkout" in message
    for part in ["Body Mass (g)", "Flipper Length (mm)", "Species", "Island", "Sex", "studyName"]:
        assert part in message


PROCESSED_BREAKAGES = [
    (
        "row-in-both-splits",
        lambda tr, te: (tr, pd.concat([te, tr.iloc[[0]]], ignore_index=True)),
        [("expect_compound_columns_to_be_unique", "island, bill_length_mm, bill_depth_mm")],
    ),
    (
        "missing-measurement",
        lambda tr, te: (_set(tr, "body_mass_g", slice(0, 1), None), te),
        [("expect_column_values_to_not_be_null", "body_mass_g")],
    ),
    (
        "unknown-label",
        lambda tr, te: (_set(tr, "species", slice(0, 1), "Emperor"), te),
        [("expect_column_distinct_values_to_equal_set", "species")],
    ),
    (
        "test-set-too-small",
        lambda tr, te: (pd.concat([tr, te.iloc[10:]], ignore_index=True), te.iloc[:10]),
        [("expect_column_mean_to_be_between", "is_test")],
    ),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [(b[1], b[2]) for b in PROCESSED_BREAKAGES], ids=[b[0] for b in PROCESSED_BREAKAGES]
)
def test_processed_suite_catches_each_breakage(splits, test_size, breakage, expected):
    """Overlap, missing features, foreign labels and a wrong split size are each caught."""
    assert failed(validation.validate_processed(*breakage(*splits), test_size)) == expected
