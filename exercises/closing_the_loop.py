"""Solutions to the exercises of lesson 5.2, closing the loop. Run: ``python -m exercises.closing_the_loop``.

They score the exported champion of ``models/`` on simulated seasons of new birds; nothing is registered,
exported or served, so the project stays as the pipeline left it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lib import champion, data, evidence, modeling, params, paths, schema, training
from lib.loop import feedback, gate, season
from lib.requirements import Requirements


def _season(shift_mm: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training split, and the lesson's season of new birds with another protocol offset."""
    settings = params.stage_params("loop")
    train = data.load_processed(paths.TRAIN_FILE)
    return train, season.simulate(train, settings["season_birds"], shift_mm, settings["seed"])


def _parts(train: pd.DataFrame, birds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The season's birds to learn from and its held-out birds, in the training split's columns."""
    held = season.held_out(birds["sample_number"])
    columns = list(train.columns)
    return birds.loc[~held, columns].reset_index(drop=True), birds.loc[held, columns].reset_index(drop=True)


def _gate(models: dict, table: pd.DataFrame, confidence: float = evidence.CONFIDENCE) -> gate.Verdict:
    """The lesson's gate: the inception requirements, ``loop.max_regression`` and ``loop.min_evaluation_birds``."""
    settings = params.stage_params("loop")
    return gate.decide(
        models,
        table,
        Requirements.from_params(),
        max_regression=settings["max_regression"],
        min_birds=settings["min_evaluation_birds"],
        latency_requests=50,
        confidence=confidence,
    )


def estimated_offset(train: pd.DataFrame, learn: pd.DataFrame) -> float:
    """The protocol's offset as the lesson estimates it: each species' mean bill-length shift, averaged.

    From the season's birds to learn from only (never the held-out birds that judge the result).
    """
    by_species = [table.groupby(schema.LABEL)["bill_length_mm"].mean() for table in (learn, train)]
    return float((by_species[0] - by_species[1]).mean())


def smaller_change(shift_mm: float = -2.0) -> dict[str, Any]:
    """5.2-1: a protocol offset of ``shift_mm``: when does Evidently flag the bill length, and does the champion hold?

    The drift test runs on the first 50, 100, ... penguins (``loop.drift_step``), as in the lesson;
    the champion's answers are the exported model's (what the API would answer), joined to the
    labels on the request id.
    Retrain when a requirement has *failed* (its whole interval on the wrong side); an undecided
    one asks for more labels first.
    """
    train, birds = _season(shift_mm)
    model = champion.load_model()
    log = birds.assign(species=model.predict(modeling.features(birds)), confidence=1.0, model_version="champion")
    drift = feedback.drift_timeline(log, train, params.stage_params("loop")["drift_step"])
    bill = drift[(drift["column"] == "bill_length_mm") & drift["drifted"]]
    joined = feedback.join(log, birds[["request_id", "island", schema.LABEL]])
    performance = feedback.performance(joined, Requirements.from_params())
    return {
        "bill_length_first_drifted_after": int(bill["penguins"].min()) if len(bill) else None,
        "champion_macro_f1": float(performance["value"].iloc[0]),
        "champion_requirements": dict(zip(performance["criterion"], performance["status"], strict=True)),
        "would_retrain": bool((performance["status"] == evidence.FAILED).any()),
        "performance": performance,
    }


def converted(correction_mm: float | None = None) -> dict[str, Any]:
    """5.2-2: the held-out bill lengths corrected, and the current champion through the gate.

    The correction is minus the offset estimated from the season's birds to learn from
    (:func:`estimated_offset`), as the team would have to estimate it: the simulation's true offset
    is not something a field team knows. Pass ``correction_mm`` to try another.

    The gate compares the champion with itself (a paired difference of 0), so only the
    requirements, the latency and the behavioural tests can refuse it (too few birds would only
    leave it undecided). What
    you would need to know first: that the offset is the same for every bird and every measurer
    (here it varies from bird to bird: ``lib.loop.season.LANDMARK_SPREAD_MM``), and how well it is
    known (estimated from the labelled season itself).
    """
    train, birds = _season(params.stage_params("loop")["bill_length_shift_mm"])
    learn, held_out = _parts(train, birds)
    if correction_mm is None:
        correction_mm = -estimated_offset(train, learn)
    corrected = held_out.assign(bill_length_mm=held_out["bill_length_mm"] + correction_mm)
    model = champion.load_model()
    verdict = _gate({"champion": model, "challenger": model}, corrected)
    found = {
        name: gate.scores(model, table)["test_macro_f1"]
        for name, table in (("as delivered", held_out), ("corrected", corrected))
    }
    return {
        "correction_mm": round(correction_mm, 2),
        "macro_f1_as_delivered": round(found["as delivered"].value, 4),
        "macro_f1_corrected": round(found["corrected"].value, 4),
        "corrected_interval": (round(found["corrected"].low, 4), round(found["corrected"].high, 4)),
        "gate": verdict.decision,
        "reasons": verdict.reasons,
    }


def birds_needed(sizes: tuple[int, ...] = (50, 100, 150, 200)) -> pd.DataFrame:
    """5.2-3: the gate on the first ``sizes`` held-out birds, then on all of them: when does it promote?

    The challenger is the champion's candidate retrained, with its hyperparameters and seed, on
    the lesson's mixed rows (the history and the season's birds that are not held out), the model
    the lesson's session chose. One row per size: the answer of that run alone (95% intervals), the
    checks it left undecided, and the answer once every run is counted: each is one more chance for
    a weak challenger to get through, so with ``k`` runs each interval is at ``1 - 0.05 / k``
    (Bonferroni). A counted run is only run where the run alone settled something: widening an
    interval cannot settle a check it straddled, so "not enough evidence" stays.

    ``min_evaluation_birds`` (150) is not the check that holds a challenger back: a perfect island
    needs about 36 birds for its exact interval to clear 0.9 (more for the gap between islands), and
    Torgersen holds about one held-out bird in six. Lowering it would change nothing; planning fewer
    runs, or labelling more birds, would.
    """
    train, birds = _season(params.stage_params("loop")["bill_length_shift_mm"])
    learn, held_out = _parts(train, birds)
    current, record = champion.read()
    challenger = training.fit(
        record.candidate, record.hyperparameters, pd.concat([train, learn], ignore_index=True), record.seed
    )
    models = {"champion": current, "challenger": challenger}
    runs = (*sizes, len(held_out))
    counted = 1 - (1 - evidence.CONFIDENCE) / len(runs)
    rows = []
    for size in runs:
        table = held_out.head(size)
        verdict = _gate(models, table)
        mine = verdict.checks[verdict.checks["model"] == "challenger"]
        undecided = mine.loc[mine["status"] == evidence.UNDECIDED, "criterion"]
        settled = verdict.decision != gate.NOT_ENOUGH_EVIDENCE
        rows.append(
            {
                "birds": size,
                "answer": verdict.decision,
                "undecided": ", ".join(undecided),
                "answer, runs counted": _gate(models, table, counted).decision if settled else verdict.decision,
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    change = smaller_change()
    print("1.", {key: value for key, value in change.items() if key != "performance"})
    print(change["performance"].to_string(index=False))
    print("2.", converted())
    print("3.")
    print(birds_needed().to_string(index=False))
