"""lib.data: acquisition copies the LTER export unchanged, and refuses anything else."""

import hashlib

import pytest

from lib import data, schema

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
    monkeypatch.setattr(data.paths, "PROJ_ROOT", tmp_path)
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
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".acquire-")] == []


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
