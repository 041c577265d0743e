"""Solutions to the exercises of lesson 1.0, project inception. Run: ``python -m exercises.inception``."""

from __future__ import annotations

import pandas as pd
from huggingface_hub import DatasetCard, DatasetCardData

from lib import cards, data, params

KNOWN_SEXES = ("MALE", "FEMALE")


def rows_without_sex(raw: pd.DataFrame) -> pd.DataFrame:
    """Exercise 1: the raw rows whose ``Sex`` is neither MALE nor FEMALE (missing, or ``.``), with their notes."""
    unknown = ~raw["Sex"].isin(KNOWN_SEXES)
    return raw.loc[unknown, ["Individual ID", "Island", "Sex", "Comments"]]


def card_with_structure(raw: pd.DataFrame) -> DatasetCard:
    """Exercise 2: a dataset card whose *Dataset Structure* section lists each column, its type and its gaps."""
    lines = [f"- `{column}` ({raw[column].dtype}): {int(raw[column].isna().sum())} missing" for column in raw.columns]
    card_data = DatasetCardData(
        language="en",
        license="cc0-1.0",
        pretty_name="Palmer Penguins (raw LTER export)",
        task_categories="tabular-classification",
    )
    return DatasetCard.from_template(card_data, pretty_name=card_data.pretty_name, dataset_structure="\n".join(lines))


def bad_parameter_message(min_island_accuracy: float = 1.5) -> str:
    """Exercise 3: the message the check cell stops with for an out-of-range requirement."""
    try:
        params.check(min_island_accuracy=min_island_accuracy)
    except params.InvalidParameter as error:
        return str(error)
    return "accepted"


if __name__ == "__main__":
    table = data.load_raw()
    unknown = rows_without_sex(table)
    print(f"1. {len(unknown)} rows without a known sex:\n{unknown.to_string()}")
    print("2.", cards.section(card_with_structure(table).text, "Dataset Structure"), sep="\n")
    print("3.", bad_parameter_message())
