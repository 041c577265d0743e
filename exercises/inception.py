"""Solutions to the exercises of lesson 1.0, project inception. Run: ``python -m exercises.inception``."""

from __future__ import annotations

import pandas as pd
from huggingface_hub import DatasetCard, DatasetCardData
from sklearn.metrics import f1_score

from lib import cards, data, params

KNOWN_SEXES = ("MALE", "FEMALE")
# The comments that explain a missing sex, grouped by what happened in the field or the laboratory.
_REASONS = {
    "Adult not sampled": "not measured at all: drop (no input to predict from)",
    "No blood sample": "no blood for the sexing test: keep, with sex unknown",
    "Sexing primers did not amplify": "the sexing test failed: keep, with sex unknown",
}
# Which birds the laboratory could still sex: a failed test can be run again if blood is left (an assumption
# to check with the laboratory); without blood, or without the bird measured at all, there is nothing to test.
_RETESTABLE = {"Sexing primers did not amplify"}


def _rows_without_sex(raw: pd.DataFrame) -> pd.DataFrame:
    """Exercise 1: the raw rows whose ``Sex`` is neither MALE nor FEMALE (missing, or ``.``), with their notes."""
    unknown = ~raw["Sex"].isin(KNOWN_SEXES)
    return raw.loc[unknown, ["Individual ID", "Island", "Sex", "Body Mass (g)", "Comments"]]


def why_sex_is_unknown(raw: pd.DataFrame) -> pd.DataFrame:
    """Exercise 1: how many birds of unknown sex each reason covers, and the decision for them.

    Each comment is matched to the first reason it starts with; a bird whose comment gives
    no reason is counted under "(no reason given)". ``can_retest``: whether the laboratory could
    still sex these birds (a failed test can be run again if blood is left; no blood, nothing to test).

    Returns a DataFrame, one row per reason, with the columns ``reason`` (the comment's words), ``birds``,
    ``decision`` (starting with "not measured" for the birds to drop) and ``can_retest`` (a bool).
    """
    rows = _rows_without_sex(raw)
    comments = rows["Comments"].fillna("")
    reason = comments.map(lambda text: next((r for r in _REASONS if text.startswith(r)), "(no reason given)"))
    table = reason.value_counts().rename_axis("reason").rename("birds").reset_index()
    table["decision"] = table["reason"].map(_REASONS).fillna("ask the field team")
    table["can_retest"] = table["reason"].isin(_RETESTABLE)
    return table


def card_with_structure(raw: pd.DataFrame) -> DatasetCard:
    """Exercise 2: a dataset card whose *Dataset Structure* section lists each column, its type and its gaps.

    Returns a ``DatasetCard`` whose *Dataset Structure* section has one line per column, as
    ``- `Body Mass (g)` (float64): 2 missing``.
    """
    lines = [f"- `{column}` ({raw[column].dtype}): {int(raw[column].isna().sum())} missing" for column in raw.columns]
    card_data = DatasetCardData(
        language="en",
        license="cc0-1.0",
        pretty_name="Palmer Penguins (raw LTER export)",
        task_categories="tabular-classification",
    )
    return DatasetCard.from_template(card_data, pretty_name=card_data.pretty_name, dataset_structure="\n".join(lines))


def island_majority_accuracy(
    raw: pd.DataFrame, min_island_accuracy: float | None = None, min_macro_f1: float | None = None
) -> dict:
    """Exercise 3: per island, the accuracy of "predict this island's most common species"; its macro-F1 over all.

    The laziest model the island shortcut allows. It needs no measurement at all, and the
    per-island requirement refuses it wherever an island hosts more than one species; the macro-F1
    requirement refuses it too (it answers each species somewhere, but Adelie only on Torgersen). It does
    not refuse the smarter shortcut of lesson 3.2, which adds the bill length: only the behavioural
    tests do. It is learnt and scored on the same raw rows, which is harmless here: one answer
    per island, learnt from dozens to hundreds of birds, has almost nothing to overfit. The
    requirements default to ``params.yaml``'s.

    Returns ``{"by_island": a DataFrame indexed by island with the columns accuracy and meets_requirement,
    "macro_f1": a float, "macro_f1_refuses": a bool}``.
    """
    requirements = params.stage_params("requirements")
    min_island_accuracy = min_island_accuracy or requirements["min_island_accuracy"]
    min_macro_f1 = min_macro_f1 or requirements["min_macro_f1"]
    species = raw["Species"].str.split().str[0]
    predicted = species.groupby(raw["Island"]).transform(lambda s: s.value_counts().idxmax())
    accuracy = (predicted == species).groupby(raw["Island"]).mean().rename("accuracy").to_frame()
    accuracy["meets_requirement"] = accuracy["accuracy"] >= min_island_accuracy
    macro_f1 = float(f1_score(species, predicted, average="macro"))
    return {"by_island": accuracy, "macro_f1": macro_f1, "macro_f1_refuses": macro_f1 < min_macro_f1}


if __name__ == "__main__":
    table = data.load_raw()
    print("1.", why_sex_is_unknown(table).to_string(index=False), sep="\n")
    print("2.", cards.section(card_with_structure(table).text, "Dataset Structure"), sep="\n")
    print("3.", island_majority_accuracy(table))
