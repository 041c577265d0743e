"""The split: the raw data into a training and a held-out test split (stratified for classification)."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from . import config


def split(raw: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the rows; a class keeps its share in both splits when the task is classification."""
    schema = config.schema()
    columns = [*config.feature_names(), schema["target"]["name"]]
    # A row that appears twice could land in both splits: trained on, then judged on. Keep one of each.
    frame = raw[columns].drop_duplicates()
    if len(frame) < len(raw):
        print(f"{len(raw) - len(frame)} duplicate rows left out of the split")
    stratify = frame[schema["target"]["name"]] if schema["target"]["task"] == "classification" else None
    train, test = train_test_split(frame, test_size=test_size, random_state=seed, stratify=stratify)
    return train.sort_index(), test.sort_index()


def load_split(name: str) -> pd.DataFrame:
    """One processed split: 'train' or 'test'."""
    path = config.path("data", "processed", f"{name}.csv")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run 'make pipeline' (or 'dvc repro split')")
    return pd.read_csv(path)


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The input columns and the target of a split."""
    return frame[config.feature_names()], frame[config.schema()["target"]["name"]]


def main() -> None:
    """The split stage: data/processed/train.csv and test.csv."""
    settings = config.params()["split"]
    train, test = split(pd.read_csv(config.raw_data_path()), settings["test_size"], settings["seed"])
    out = config.path("data", "processed")
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)
    print(f"train {len(train)} rows, test {len(test)} rows")


if __name__ == "__main__":
    main()
