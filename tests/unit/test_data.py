"""lib.data: acquisition copies the LTER export unchanged, and refuses anything else."""

import hashlib

import pytest

from lib import data, paths, schema

PACKAGED_MD5 = "049da101568e078f9845c8b366481810"  # penguins-raw.csv in palmerpenguins 0.1.6


def test_packaged_export_is_the_known_file():
    """The package ships the 344 x 17 LTER export this course is written for."""
    assert data.md5sum(data.packaged_raw_export()) == PACKAGED_MD5


def test_acquire_copies_byte_for_byte(tmp_path):
    """The raw file is the source, unchanged: same bytes, same hash, 344 rows, 17 columns."""
    target = data.acquire_raw("palmerpenguins", tmp_path / "raw" / "penguins_raw.csv")
    assert target.read_bytes() == data.packaged_raw_export().read_bytes()
    raw = data.load_raw(target)
    assert raw.shape == (344, 17)
    assert tuple(raw.columns) == schema.RAW_COLUMNS


def test_acquire_accepts_a_csv_delivery_relative_to_the_project(tmp_path, monkeypatch):
    """A CSV path is read relative to the project root and copied unchanged."""
    monkeypatch.setenv(paths.ROOT_ENV_VAR, str(tmp_path))
    delivery = tmp_path / "incoming" / "export.csv"
    delivery.parent.mkdir()
    lines = data.packaged_raw_export().read_text(encoding="utf-8").splitlines(keepends=True)
    delivery.write_text("".join(lines[:11]), encoding="utf-8")
    target = data.acquire_raw("incoming/export.csv", tmp_path / "raw.csv")
    assert data.load_raw(target).shape == (10, 17)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("species,island\nAdelie,Dream\n", "missing"),
        (",".join(reversed(schema.RAW_COLUMNS)) + "\n", "in that order"),
    ],
)
def test_acquire_refuses_a_file_that_is_not_the_export_and_keeps_the_old_copy(tmp_path, content, message):
    """A wrong header fails before anything is written: the previous raw file survives."""
    good = data.acquire_raw("palmerpenguins", tmp_path / "raw.csv")
    before = hashlib.md5(good.read_bytes()).hexdigest()
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(data.RawDataError, match=message):
        data.acquire_raw(str(bad), good)
    assert hashlib.md5(good.read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_acquire_refuses_a_missing_source(tmp_path):
    """A source path that does not exist is named in the error."""
    with pytest.raises(data.RawDataError, match="does not exist"):
        data.acquire_raw(str(tmp_path / "nope.csv"), tmp_path / "raw.csv")


def test_acquire_refuses_binary_content(tmp_path):
    """A non-text file is refused as not UTF-8."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(data.RawDataError, match="not a UTF-8"):
        data.acquire_raw(str(bad), tmp_path / "raw.csv")


def test_load_raw_missing_file_says_how_to_make_it(tmp_path):
    """The error says which command produces the file."""
    with pytest.raises(data.RawDataError, match="make pipeline"):
        data.load_raw(tmp_path / "penguins_raw.csv")


def test_md5sum_matches_hashlib(tmp_path):
    """md5sum streams the file and agrees with hashlib on the whole content."""
    file = tmp_path / "blob"
    file.write_bytes(b"x" * 200_000)
    assert data.md5sum(file) == hashlib.md5(b"x" * 200_000).hexdigest()


@pytest.fixture(scope="module")
def raw():
    return data.load_raw(data.packaged_raw_export())


def test_clean_keeps_the_model_columns_with_snake_case_names(raw):
    """Only the features and the label remain, in schema order, with clean names and types."""
    table = data.clean(raw)
    assert tuple(table.columns) == schema.PROCESSED_COLUMNS
    assert set(table["species"]) == set(schema.CLASSES)
    assert table[list(schema.NUMERIC)].dtypes.eq("float64").all()


def test_clean_turns_invalid_sex_into_missing_and_lowercases(raw):
    """'.', blanks and other codes become missing; MALE/FEMALE become male/female."""
    messy = raw.iloc[[0, 1, 2, 4, 5, 6]].copy()  # row 3 has no measurements
    messy["Sex"] = ["MALE", "FEMALE", ".", " ", "unknown", None]
    table = data.clean(messy)
    assert table["sex"].tolist()[:2] == ["male", "female"]
    assert table["sex"].isna().tolist() == [False, False, True, True, True, True]
    report = data.cleaning_report(messy, table)
    assert report["invalid_sex_values"] == 3  # ".", " " and "unknown"; None was already missing
    assert report["unknown_sex_kept"] == 4


def test_clean_drops_rows_missing_a_measurement(raw):
    """The two unmeasured rows go, and so does a row with one measurement missing."""
    messy = raw.copy()
    messy.loc[0, "Body Mass (g)"] = None
    table = data.clean(messy)
    assert len(table) == 344 - 2 - 1
    assert data.cleaning_report(messy, table)["rows_dropped"] == 3
    assert table[list(schema.NUMERIC)].notna().all().all()


def test_clean_refuses_a_table_without_the_raw_columns(raw):
    """A frame that is not the raw export is named as such."""
    with pytest.raises(data.RawDataError, match="lacks the columns"):
        data.clean(raw.drop(columns=["Island"]))


def test_split_is_stratified_disjoint_and_reproducible(raw):
    """Same seed, same rows; class shares equal within a row; no row in both splits."""
    table = data.clean(raw)
    train, test = data.split(table, test_size=0.25, seed=7)
    again_train, _ = data.split(table, test_size=0.25, seed=7)
    other_train, _ = data.split(table, test_size=0.25, seed=8)
    assert len(train) + len(test) == len(table) and len(test) == 86
    assert train.equals(again_train) and not train.equals(other_train)
    assert train.merge(test, how="inner").empty
    for species in schema.CLASSES:
        expected = (table["species"] == species).mean() * len(test)
        assert abs((test["species"] == species).sum() - expected) <= 1


def test_write_csv_round_trips_through_load_processed(tmp_path, raw):
    """What is written reads back equal, with the schema's types."""
    table = data.clean(raw)
    target = data.write_csv(table, tmp_path / "processed" / "train.csv")
    back = data.load_processed(target)
    assert back.equals(table)
    assert [p.name for p in target.parent.iterdir()] == ["train.csv"]


def test_load_processed_missing_names_the_lesson(tmp_path):
    """The error names the notebook and the command that make the file."""
    with pytest.raises(FileNotFoundError, match="2.1-data-versioning"):
        data.load_processed(tmp_path / "train.csv")
