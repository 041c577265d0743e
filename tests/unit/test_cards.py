"""lib.cards: the dataset card states facts computed from the data, in every section."""

import re

import pandas as pd
import pytest
import yaml

from lib import card_facts, cards, data, training


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(data.packaged_raw_export())


@pytest.fixture(scope="module")
def card_text(raw):
    return str(cards.build_dataset_card(raw, "0123456789abcdef"))


def test_statistics_are_computed_from_the_data(raw):
    """Counts come from the frame, not from typed-in numbers."""
    stats = cards.dataset_statistics(raw)
    assert stats["n_rows"] == 344 and stats["n_columns"] == 17
    assert stats["species_counts"] == {"Adelie": 152, "Chinstrap": 68, "Gentoo": 124}
    assert stats["rows_without_measurements"] == 2
    assert stats["sex_unknown"] == 11
    assert stats["island_species"].loc["Torgersen"].to_dict() == {"Adelie": 52, "Chinstrap": 0, "Gentoo": 0}


def test_statistics_follow_the_data_when_it_changes(raw):
    """Dropping rows changes the card's numbers: they cannot drift from the data."""
    stats = cards.dataset_statistics(raw[raw["Island"] != "Torgersen"])
    assert stats["n_rows"] == 292
    assert stats["species_counts"]["Adelie"] == 100


def test_the_island_pattern_is_read_from_the_counts(raw, card_text):
    """Which species live where is computed: today's data, and a delivery where Gentoo were also found on Dream."""
    counts = cards.dataset_statistics(raw)["island_species"]
    today = card_facts.island_pattern(counts)
    assert (
        today
        == "Chinstrap were sampled only on Dream, Gentoo were sampled only on Biscoe and Torgersen has only Adelie"
    )
    assert today in card_text and f"{len(cards.dataset_statistics(raw)['seasons'])} seasons" in card_text
    moved = counts.copy()
    moved.loc["Dream", "Gentoo"] = 3
    assert card_facts.island_pattern(moved) == "Chinstrap were sampled only on Dream and Torgersen has only Adelie"
    assert "more than one island" in card_facts.island_pattern(moved.assign(Chinstrap=[1, 1, 1], Adelie=[1, 1, 1]))


def test_card_metadata_header(card_text):
    """The YAML header has the Hub's licence, task, size and name fields."""
    header = yaml.safe_load(card_text.split("---")[1])
    assert header["license"] == "cc0-1.0"
    assert header["task_categories"] == "tabular-classification"
    assert header["size_categories"] == "n<1K"
    assert header["pretty_name"] == "Palmer Penguins (raw LTER export)"


def test_card_has_content_in_every_section(card_text):
    """No template placeholder is left, and the key facts are stated."""
    assert "[More Information Needed]" not in card_text
    for fact in [
        "344 rows",
        "0123456789abcdef",
        "| Torgersen | 52 | 0 | 0 |",
        "Culmen Length (mm)",
        "10.1371/journal.pone.0090081",
        "CC0",
        "sex is unknown for 11 rows",
    ]:
        assert fact in card_text, fact


def test_write_card_and_read_a_section_back(tmp_path, raw):
    """write_card writes markdown ending in one newline; section() returns one section's body."""
    card = cards.build_dataset_card(raw, "abc")
    target = cards.write_card(card, tmp_path / "cards" / "card.md")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("---\n") and text.endswith("\n") and not text.endswith("\n\n")
    bias = cards.section(text, "Bias, Risks, and Limitations")
    assert "Island is almost the label" in bias and "## Citation" not in bias
    with pytest.raises(KeyError, match="no section"):
        cards.section(text, "Nonexistent")


@pytest.mark.parametrize(("rows", "tag"), [(999, "n<1K"), (1000, "1K<n<10K"), (2_000_000, "n>1M")])
def test_size_category(rows, tag):
    """Hugging Face size tags follow the row count."""
    assert card_facts.size_category(rows) == tag


def test_markdown_table_escapes_pipes():
    """Cells containing | do not break the table."""
    table = cards.markdown_table(["a", "b"], [("x|y", 1)])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 1 |"]


def _fitted(train):
    return training.fit("logistic_regression", {"C": 1.0}, train, 42)


def test_preprocessing_is_described_from_the_fitted_pipeline():
    """The card's preprocessing and pipeline sentences are read from the pipeline: inputs, steps, categories."""
    train, _ = data.split(data.clean(pd.read_csv(data.packaged_raw_export())), test_size=0.25, seed=42)
    model = _fitted(train)
    text = card_facts.describe_preprocessing(model)
    assert text.startswith("`bill_length_mm`, `bill_depth_mm`, `flipper_length_mm`, `body_mass_g`: standardised")
    assert "a missing value becomes `unknown`, then one-hot encoded (island: Biscoe, Dream, Torgersen; " in text
    assert "sex: female, male, unknown)" in text
    assert card_facts.describe_pipeline(model) == (
        "`preprocess` (ColumnTransformer: `measurements` StandardScaler; `categories` SimpleImputer, "
        "OneHotEncoder), then `classifier` (LogisticRegression)"
    )


def test_templates_leave_no_placeholder_and_carry_no_number():
    """Every section of both templates is the course's prose; facts come only as Jinja variables."""
    for name in ("dataset_card.md", "model_card.md"):
        text = (cards.TEMPLATES / name).read_text(encoding="utf-8")
        assert "[More Information Needed]" not in text, name
        prose = re.sub(r"## Citation.*?## Glossary", "", text, flags=re.S)  # references, not facts
        prose = re.sub(r"\{\{.*?\}\}|https?://\S+|doi:\S+|knb-lter-pal\.\d+|\(\d{4}\)|```.*?```", "", prose, flags=re.S)
        assert not re.search(r"\b\d{3,}\b", prose), (name, re.findall(r"\b\d{3,}\b", prose)[:5])


def _model_card(test_accuracy_dream=1.0):
    table = pd.DataFrame(
        {
            "candidate": ["logistic_regression", "random_forest"],
            "cv_macro_f1": [0.99, 0.98],
            "cv_macro_f1_std": [0.01, 0.02],
            "test_macro_f1": [0.97, 0.96],
            "test_accuracy": [0.98, 0.97],
        }
    )
    metrics = {
        "test_macro_f1": 0.97,
        "test_accuracy": 0.98,
        "test_f1_Adelie": 0.98,
        "test_f1_Chinstrap": 0.93,
        "test_f1_Gentoo": 1.0,
        "test_accuracy_Biscoe": 1.0,
        "test_macro_f1_Biscoe": 1.0,
        "test_accuracy_Dream": test_accuracy_dream,
        "test_macro_f1_Dream": 0.9,
        "test_accuracy_Torgersen": 1.0,
        "test_macro_f1_Torgersen": 1.0,
    }
    raw = pd.read_csv(data.packaged_raw_export())
    train, test = data.split(data.clean(raw), test_size=0.25, seed=42)
    importance = pd.Series({"bill_length_mm": 0.3, "island": 0.02, "sex": 0.0})
    return str(
        cards.build_model_card(
            model=_fitted(train),
            model_name="penguins-classifier",
            champion="logistic_regression",
            hyperparameters={"C": 1.0},
            candidates=table,
            metrics=metrics,
            importance=importance,
            train=train,
            test=test,
            cv_folds=5,
            seed=42,
            requirements={"min_macro_f1": 0.95, "min_island_accuracy": 0.9, "max_group_gap": 0.1},
            software={"scikit-learn": "1.8.0"},
        )
    )


def test_model_card_reports_the_real_results():
    """model-index metadata, the candidates table, per-species and per-island rows, no placeholders."""
    text = _model_card()
    header = yaml.safe_load(text.split("---")[1])
    result = header["model-index"][0]["results"][0]
    assert header["library_name"] == "sklearn" and header["license"] == "mit"
    assert result["metrics"][0] == {"type": "f1", "value": 0.97, "name": "macro-F1"}
    assert "[More Information Needed]" not in text
    for fact in [
        "| **logistic_regression** | 0.9900 ± 0.0100 | 0.9700 | 0.9800 |",
        "| Chinstrap | 0.9300 |",
        "| Torgersen | 11 | 1.0000 | 1.0000 |",
        "`C=1.0`; seed 42",
        "requirements",
        "are met",
        "| island | Torgersen | 11 |",
        "| sex | not recorded |",
        "between islands 0.0000 [0.0000, 0.3529] on 86 birds, undecided",
        "not shown by the test split between islands",
        "Read by their 95% intervals, the test split shows macro-F1 and accuracy on Biscoe met",
        "inputs closer than that cannot be ranked, and farther apart is no proof either",
    ]:
        assert fact in text, fact


def test_model_card_says_when_a_requirement_is_missed():
    """A per-island accuracy under the floor turns the summary into 'NOT met'."""
    assert "are NOT met" in _model_card(test_accuracy_dream=0.85)
