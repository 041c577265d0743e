"""The data's journey: acquisition of the raw LTER export, cleaning, and the split.

The raw file is copied byte for byte into ``data/raw/`` and never edited.
Cleaning reads it and writes new files in ``data/processed/``, so every later
step can be traced back to exactly what came in.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from lib import paths, schema

PACKAGE_SOURCE = "palmerpenguins"


class RawDataError(ValueError):
    """The raw export is missing, or is not the Palmer Station LTER export."""


def packaged_raw_export() -> Path:
    """Return the path of the raw LTER export that ships inside the ``palmerpenguins`` package."""
    return Path(str(resources.files("palmerpenguins") / "data" / "penguins-raw.csv"))


def resolve_source(source: str) -> Path:
    """Return the file a ``raw_source`` parameter names.

    ``'palmerpenguins'`` means the export packaged with the library (offline, CC0);
    anything else is the path of a CSV delivery, relative to the project root.
    """
    if source == PACKAGE_SOURCE:
        return packaged_raw_export()
    path = Path(source).expanduser()
    return path if path.is_absolute() else paths.PROJ_ROOT / path


def read_header(path: Path) -> list[str]:
    """Return the column names on the first line of the CSV file ``path``."""
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def check_raw_header(path: Path) -> None:
    """Raise :class:`RawDataError` unless ``path`` is a CSV with the 17 LTER columns, in order."""
    if not path.is_file():
        raise RawDataError(f"raw data source {path} does not exist: expected the LTER export as a CSV file")
    try:
        header = read_header(path)
    except UnicodeDecodeError as exc:
        raise RawDataError(f"{path} is not a UTF-8 text CSV file ({exc})") from exc
    if tuple(header) != schema.RAW_COLUMNS:
        missing = [c for c in schema.RAW_COLUMNS if c not in header]
        extra = [c for c in header if c not in schema.RAW_COLUMNS]
        raise RawDataError(
            f"{path} is not the Palmer Station LTER export: expected its 17 columns "
            f"{list(schema.RAW_COLUMNS)} in that order; missing {missing}, unexpected {extra}"
        )


def acquire_raw(source: str = PACKAGE_SOURCE, destination: Path | None = None) -> Path:
    """Copy the raw export named by ``source`` unchanged to ``destination`` and return it.

    The header is checked first and the copy is written to a temporary file that
    replaces ``destination`` only when complete, so a bad source never leaves a
    half-written or wrong file where the last good one was.
    """
    destination = Path(destination) if destination is not None else paths.RAW_DATA_FILE
    origin = resolve_source(source)
    check_raw_header(origin)
    return paths.write_atomically(destination, lambda tmp: shutil.copyfile(origin, tmp))


def load_raw(path: Path | None = None) -> pd.DataFrame:
    """Read the raw export (``NA`` and empty cells become missing values)."""
    path = Path(path) if path is not None else paths.RAW_DATA_FILE
    if not path.is_file():
        raise RawDataError(
            f"{paths.relative(path)} is missing: run 'make pipeline' or the 1.0-inception notebook to acquire it"
        )
    return pd.read_csv(path)


def md5sum(path: Path) -> str:
    """Return the MD5 hex digest of a file (the hash DVC uses for its cache)."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Turn the raw export into the model's table, in the raw rows' order.

    - columns renamed to snake_case and reduced to the model's features and label
      (``island``, the four measurements, ``sex``, ``species``);
    - species shortened to its common name (``Adelie Penguin (Pygoscelis adeliae)`` -> ``Adelie``);
    - sex lower-cased; anything but ``MALE``/``FEMALE`` (``.``, blanks) becomes missing
      (:func:`lib.schema.known_sex`);
    - rows missing any body measurement dropped (the model needs all four).
    """
    missing = [column for column in schema.RAW_COLUMNS if column not in raw.columns]
    if missing:
        raise RawDataError(f"the raw data lacks the columns {missing}: expected the LTER export's {schema.RAW_COLUMNS}")
    fields: tuple[schema.NumericFeature | schema.CategoricalFeature, ...] = (
        *schema.NUMERIC_FEATURES,
        *schema.CATEGORICAL_FEATURES,
    )
    rename = {f.raw: f.name for f in fields}
    rename[schema.RAW_SPECIES_COLUMN] = schema.LABEL
    table = raw.rename(columns=rename)[list(schema.PROCESSED_COLUMNS)].copy()
    table[schema.LABEL] = schema.species_names(table[schema.LABEL])
    table[schema.SEX.name] = schema.known_sex(table[schema.SEX.name])
    for column in schema.NUMERIC:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    table = table.dropna(subset=list(schema.NUMERIC), how="any")
    return table.astype({"island": "string", "sex": "string", schema.LABEL: "string"}).reset_index(drop=True)


def cleaning_report(raw: pd.DataFrame, cleaned: pd.DataFrame) -> dict[str, int]:
    """Count what cleaning changed: rows in and out, and sex values that became missing."""
    given = raw[schema.SEX.raw].astype("string").str.strip()
    return {
        "raw_rows": int(len(raw)),
        "clean_rows": int(len(cleaned)),
        "rows_dropped": int(len(raw) - len(cleaned)),
        "invalid_sex_values": int((given.notna() & schema.known_sex(given).isna()).sum()),
        "unknown_sex_kept": int(cleaned[schema.SEX.name].isna().sum()),
    }


def split(table: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into train and test, stratified by species, reproducibly for a given seed."""
    train, test = train_test_split(table, test_size=test_size, random_state=seed, stratify=table[schema.LABEL])
    return train.reset_index(drop=True), test.reset_index(drop=True)


def write_csv(table: pd.DataFrame, destination: Path) -> Path:
    """Write ``table`` as CSV through a temporary file, so a failure never leaves a partial file."""
    return paths.write_atomically(destination, lambda tmp: table.to_csv(tmp, index=False))


def load_processed(path: Path) -> pd.DataFrame:
    """Read a processed split with the schema's types (``sex`` may be missing)."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"{paths.relative(path)} is missing: run 'make pipeline' or the 2.1-data-versioning notebook to make it"
        )
    dtypes = {"island": "string", "sex": "string", schema.LABEL: "string"} | {c: "float64" for c in schema.NUMERIC}
    return pd.read_csv(path, dtype=dtypes)
