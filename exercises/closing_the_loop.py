"""Solutions to the exercises of lesson 5.2, closing the loop. Run: ``python -m exercises.closing_the_loop``.

They score the exported champion of ``models/`` on simulated seasons; nothing is registered,
exported or served, so the project stays as the pipeline left it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lib import champion, data, modeling, params, paths, schema, training
from lib.loop import feedback, gate, season
from lib.requirements import Requirements


def _season(shift_mm: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The training split, the test split, and the lesson's season with another protocol offset."""
    settings = params.stage_params("loop")
    train, test = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    return train, test, season.simulate(train, test, settings["season_birds"], shift_mm, settings["seed"])


def _gate(models: dict, sets: dict) -> gate.Verdict:
    """The lesson's gate: the inception requirements and ``loop.max_regression``, 50 latency requests."""
    return gate.decide(models, sets, Requirements.from_params(), params.stage_params("loop")["max_regression"], 50)


def smaller_change(shift_mm: float = -2.0) -> dict[str, Any]:
    """5.2-1: a protocol offset of ``shift_mm``: when does Evidently flag the bill length, and does the champion hold?

    The drift test runs on the first 20, 40, ... penguins, as in the lesson; the champion's answers
    are the exported model's (what the API would answer), joined to the labels on the request id.
    """
    train, _, birds = _season(shift_mm)
    model = champion.load_model()
    log = birds.assign(species=model.predict(modeling.features(birds)), confidence=1.0, model_version="champion")
    drift = feedback.drift_timeline(log, train, params.stage_params("loop")["drift_step"])
    bill = drift[(drift["column"] == "bill_length_mm") & drift["drifted"]]
    joined = feedback.join(log, birds[["request_id", "island", schema.LABEL]])
    performance = feedback.performance(joined, Requirements.from_params())
    return {
        "bill_length_first_drifted_after": int(bill["penguins"].min()) if len(bill) else None,
        "champion_macro_f1": float(performance["value"].iloc[0]),
        "champion_meets_requirements": bool(performance["met"].all()),
        "performance": performance,
    }


def converted(correction_mm: float = 5.0) -> dict[str, Any]:
    """5.2-2: the season's bill lengths corrected by ``correction_mm``, and the current champion through the gate.

    The gate compares the champion with itself, so only the requirements and the tests can refuse it.
    What you would need to know first: that the offset is the same for every bird and every
    measurer (here it varies from bird to bird: ``lib.loop.season.LANDMARK_SPREAD_MM``), and how
    well it is known (estimated from the labelled season itself).
    """
    _, test, birds = _season(params.stage_params("loop")["bill_length_shift_mm"])
    held_out = birds[season.held_out(birds["sample_number"])][list(test.columns)].reset_index(drop=True)
    corrected = held_out.assign(bill_length_mm=held_out["bill_length_mm"] + correction_mm)
    model = champion.load_model()
    sets = {"original test": test, "season held-out, corrected": corrected}
    verdict = _gate({"champion": model, "challenger": model}, sets)
    scores = gate.scores(model, {"as delivered": held_out, "corrected": corrected})
    return {
        "macro_f1_as_delivered": round(scores["as delivered"]["test_macro_f1"], 4),
        "macro_f1_corrected": round(scores["corrected"]["test_macro_f1"], 4),
        "gate_passed": verdict.passed,
        "reasons": verdict.reasons,
    }


def gate_with_one_set() -> dict[str, Any]:
    """5.2-3: the lesson's stale challenger (retrained on the old data) judged on the original test split only.

    On the original test split alone it passes: it is the champion's own recipe on the champion's
    own data. Only the season's held-out birds refused it in the lesson: a gate is only as good as
    the evaluation sets it is given.
    """
    train, test, birds = _season(params.stage_params("loop")["bill_length_shift_mm"])
    current, record = champion.read()
    stale = training.fit(record.candidate, record.hyperparameters, train, record.seed)
    models = {"champion": current, "challenger": stale}
    held_out = birds[season.held_out(birds["sample_number"])][list(test.columns)].reset_index(drop=True)
    one = _gate(models, {"original test": test})
    both = _gate(models, {"original test": test, "season held-out": held_out})
    return {
        "passed_on_original_test_only": one.passed,
        "passed_with_the_season": both.passed,
        "refused_by": both.reasons,
    }


if __name__ == "__main__":
    change = smaller_change()
    print("1.", {key: value for key, value in change.items() if key != "performance"})
    print(change["performance"].to_string(index=False))
    print("2.", converted())
    print("3.", gate_with_one_set())
