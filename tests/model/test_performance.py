"""The champion against the success criteria agreed at inception, overall and per island."""

import pytest
from sklearn.metrics import accuracy_score, f1_score

from lib import modeling, schema


def test_performance_floor(model, test_set, requirements):
    """Macro-F1 on the held-out test set is at least requirements.min_macro_f1."""
    predicted = model.predict(modeling.features(test_set))
    score = f1_score(modeling.labels(test_set), predicted, average="macro")
    assert score >= requirements["min_macro_f1"], f"macro-F1 {score:.4f} < {requirements['min_macro_f1']}"


@pytest.mark.parametrize("island", schema.ISLANDS)
def test_island_slice(model, test_set, requirements, island):
    """Accuracy on each island's test rows is at least requirements.min_island_accuracy."""
    rows = test_set[test_set["island"] == island]
    assert len(rows) > 0, f"no test rows from {island}"
    accuracy = accuracy_score(modeling.labels(rows), model.predict(modeling.features(rows)))
    assert accuracy >= requirements["min_island_accuracy"], f"{island}: accuracy {accuracy:.4f}"
