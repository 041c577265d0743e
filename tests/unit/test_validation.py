"""lib.validation: suites built from the schema, readable failures, and a gate that stops."""

import pandas as pd
import pytest

from lib import data, schema, validation


@pytest.fixture(scope="module")
def raw():
    return data.load_raw(data.packaged_raw_export())


def test_suites_follow_the_schema():
    """Every raw measurement has a range, type and null-rate expectation; processed ones a range and type."""
    raw_types = [(e.expectation_type, getattr(e, "column", None)) for e in validation.raw_expectations()]
    for feature in schema.NUMERIC_FEATURES:
        for kind in (
            "expect_column_values_to_be_between",
            "expect_column_values_to_be_in_type_list",
            "expect_column_values_to_not_be_null",
        ):
            assert (kind, feature.raw) in raw_types
    between = {
        e.column: (e.min_value, e.max_value)
        for e in validation.processed_expectations(0.25)
        if e.expectation_type == "expect_column_values_to_be_between"
    }
    assert between == {f.name: (f.minimum, f.maximum) for f in schema.NUMERIC_FEATURES}


def test_processed_frame_tags_each_split():
    """Rows keep their order; 'split' and 'is_test' say where each came from."""
    frame = validation.processed_frame(pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3]}))
    assert frame["split"].tolist() == ["train", "train", "test"] and frame["is_test"].tolist() == [0, 0, 1]


def test_corrupt_breaks_six_things_and_leaves_the_input_alone(raw):
    """The lesson's corrupted copy fails six expectations; the original is untouched."""
    before = raw.copy()
    report = validation.validate_raw(validation.corrupt(raw))
    assert not report.success and len(report.failures) == 6
    assert raw.equals(before)


def test_failure_lines_name_expectation_column_and_examples(raw):
    """Each line says which expectation, on which column, how many values and examples."""
    broken = raw.copy()
    broken.loc[broken.index[:2], "Island"] = "Atlantis"
    lines = validation.validate_raw(broken).failure_lines()
    assert lines == ["expect_column_values_to_be_in_set(Island): 2 unexpected value(s), e.g. ['Atlantis']"]


def test_table_level_failures_have_no_column(raw):
    """A structural failure is reported on the table, with what was observed."""
    report = validation.validate_raw(raw[raw["Sex"].notna()].head(20))
    assert [(f["expectation"], f["column"]) for f in report.failures] == [
        ("expect_table_row_count_to_be_between", None)
    ]
    assert "observed 20" in report.failures[0]["detail"]


def test_require_passes_good_reports_through_and_stops_bad_ones(raw):
    """A passing report is returned; a failing one raises with the count and the remedy."""
    good = validation.validate_raw(raw)
    assert validation.require(good) is good
    bad = validation.SuiteReport("s", False, 10, 9, [{"expectation": "e", "column": "c", "detail": "d"}])
    with pytest.raises(validation.DataValidationError, match=r"1 of 10 expectations failed:\n  - e\(c\): d"):
        validation.require(bad)


def test_data_docs_are_written(tmp_path, raw):
    """With docs_dir, an HTML site with the suite and its validation appears there."""
    validation.run_suites({"raw": (raw, validation.raw_expectations())}, docs_dir=tmp_path)
    assert (tmp_path / "index.html").is_file()
    assert (tmp_path / "expectations" / "raw.html").is_file()
    assert list((tmp_path / "validations").rglob("*.html"))
