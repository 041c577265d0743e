"""lib.fairness and lib.explain: accuracy by group (Fairlearn), the gap's interval, Shapley values that add up."""

import numpy as np
import pandas as pd
import pytest

from lib import data, evidence, explain, fairness, modeling, population
from lib.loop import gate
from lib.requirements import Requirements

NEEDS = Requirements(0.95, 0.9, 100, max_group_gap=0.1)


@pytest.fixture(scope="module")
def splits():
    raw = pd.read_csv(data.packaged_raw_export())
    return data.split(data.clean(raw), test_size=0.25, seed=42)


@pytest.fixture(scope="module")
def new_birds(splits):
    """1000 new birds drawn like the training split's (no protocol change)."""
    return population.rounded(population.draw(population.fit(splits[0]), 1000, np.random.default_rng(3)))


def unfair(birds: pd.DataFrame) -> np.ndarray:
    """Right on every bird except Dream's Chinstraps, answered as Adelie: a model unfair to one island."""
    truth = birds["species"].astype(str).to_numpy()
    return np.where((birds["island"] == "Dream").to_numpy() & (truth == "Chinstrap"), "Adelie", truth)


def test_accuracy_by_group_counts_each_group_and_gives_its_exact_interval(splits):
    test = splits[1]
    rows = fairness.by_group(test, unfair(test), "island")
    assert rows["birds"].sum() == len(test) and list(rows.index) == ["Biscoe", "Dream", "Torgersen"]
    dream = rows.loc["Dream"]
    chinstraps = int(((test["island"] == "Dream") & (test["species"] == "Chinstrap")).sum())
    assert dream["right"] == dream["birds"] - chinstraps > 0
    exact = evidence.proportion(int(dream["right"]), int(dream["birds"]))
    assert (dream["low"], dream["high"]) == pytest.approx((exact.low, exact.high))
    assert rows.loc["Biscoe", "accuracy"] == 1.0


def test_birds_whose_sex_was_not_recorded_are_a_group_of_their_own_left_out_of_the_gap(splits):
    test = splits[1]
    missing = int(test["sex"].isna().sum())
    assert missing > 0, "the test split holds birds without a recorded sex"
    rows = fairness.by_group(test, test["species"], "sex")
    assert rows.loc[fairness.NOT_RECORDED, "birds"] == missing
    assert fairness.gap(test, test["species"], "sex").n == len(test) - missing


def test_a_perfect_score_on_the_test_split_cannot_show_the_group_requirement(splits):
    """86 birds, 11 of them on Torgersen: perfect everywhere, and still the gap may be as large as a third."""
    gap = fairness.gap(splits[1], splits[1]["species"], "island")
    assert gap.value == 0.0 and gap.low == 0.0 and 0.3 < gap.high < 0.4
    assert evidence.status(gap, "<=", 0.1) == evidence.UNDECIDED


def test_on_enough_new_birds_a_fair_model_meets_the_requirement_and_an_unfair_one_fails_it(new_birds):
    fair = fairness.gaps(new_birds, new_birds["species"])
    assert all(evidence.status(gap, "<=", 0.1) == evidence.MET for gap in fair.values())
    unfair_gap = fairness.gap(new_birds, unfair(new_birds), "island")
    assert unfair_gap.low <= unfair_gap.value <= unfair_gap.high
    assert evidence.status(unfair_gap, "<=", 0.1) == evidence.FAILED


def test_with_one_group_there_is_nothing_to_compare(splits):
    biscoe = splits[1][splits[1]["island"] == "Biscoe"]
    gap = fairness.gap(biscoe, biscoe["species"], "island")
    assert (gap.low, gap.high) == (0.0, 1.0) and evidence.status(gap, "<=", 0.1) == evidence.UNDECIDED


def test_grouping_by_a_column_the_table_lacks_says_which_columns_it_has(splits):
    with pytest.raises(KeyError, match="colony"):
        fairness.groups(splits[1], "colony")


def test_the_gate_reads_the_group_gaps_by_their_intervals(new_birds):
    rows = pd.DataFrame(gate._group_gaps("challenger", new_birds, unfair(new_birds), NEEDS)).set_index("criterion")
    assert rows.loc["accuracy gap between islands", "status"] == evidence.FAILED
    assert rows.loc["accuracy gap between sexes", "needs"] == "<="
    with pytest.raises(ValueError, match="max_group_gap"):
        Requirements(0.95, 0.9).group_gaps({})


def test_shapley_values_add_up_to_each_answer_and_the_codes_round_trip(splits):
    train, test = splits
    model = modeling.build_candidate("logistic_regression", {"C": 1.0}, seed=42)
    model.fit(modeling.features(train), modeling.labels(train))
    birds = test.head(12)
    back = explain.from_codes(explain.as_codes(birds))
    pd.testing.assert_frame_equal(back, modeling.features(birds).reset_index(drop=True), check_dtype=False)
    explanation = explain.shapley(model, birds, train)
    total = explanation.base_values + explanation.values.sum(axis=1)
    assert np.allclose(total, model.predict_proba(modeling.features(birds)), atol=1e-9)
    leaning = explain.mean_shapley(model, birds, train)
    assert leaning.index[0] == "bill_length_mm" and (leaning >= 0).all()
