"""Solutions to the exercises of lesson 3.2, quality assurance. Run: ``python -m exercises.quality_assurance``."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lib import champion, data, evidence, modeling, params, paths, processes, schema, training, validation

# The functions a student uses as they are (the hand-out keeps them whole): the lesson's shortcut, the models
# exercise 3 compares, and exercise 4's planted unfair challenger.
GIVEN = ("shortcut_model", "colony_models", "unfair_answers")
FLAWED = "def mean(values=[]): return sum(values) / len(value)\n"
# What no linter reports: the mean of nothing divides by zero. The fix refuses it with a message.
FIXED = '''"""Averages of measurements."""


def mean(values):
    """Return the arithmetic mean of a non-empty sequence of numbers."""
    if not values:
        raise ValueError("the mean of no values is undefined: pass at least one number")
    return sum(values) / len(values)
'''


def one_island_delivery(raw: pd.DataFrame, tolerance: float = 0.1) -> dict[str, bool]:
    """Exercise 1: an expectation that the real export meets and a Biscoe-only delivery fails.

    Every value of a Biscoe-only delivery is in range and every island is known, but the population
    changed: its birds are heavier (Gentoo live there). An expectation on the mean body mass, within
    ``tolerance`` of the real export's, catches it; a model would otherwise be served a population it
    was not trained on without anyone noticing.

    Returns whether each suite passes each frame: ``{"real_three", "real_with_mean", "biscoe_three",
    "biscoe_with_mean"}``, the suite of the lesson's three checks and that suite with your expectation
    added, on the real export and on the Biscoe-only delivery.
    """
    context = gx.get_context(mode="ephemeral")
    validation.quiet(context)
    batches = (
        context.data_sources.add_pandas("exercise")
        .add_dataframe_asset("raw")
        .add_batch_definition_whole_dataframe("all rows")
    )

    def three() -> list:
        return [
            gxe.ExpectColumnValuesToBeInSet(column="Island", value_set=["Biscoe", "Dream", "Torgersen"]),
            gxe.ExpectColumnValuesToBeBetween(column="Body Mass (g)", min_value=2500, max_value=6500),
            gxe.ExpectColumnValuesToNotBeNull(column="Species"),
        ]

    mean = float(raw["Body Mass (g)"].mean())
    added = gxe.ExpectColumnMeanToBeBetween(
        column="Body Mass (g)", min_value=mean * (1 - tolerance), max_value=mean * (1 + tolerance)
    )
    suites = {}
    for name, expectations in (("three", three()), ("with_mean", [*three(), added])):
        suites[name] = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations:
            suites[name].add_expectation(expectation)
    biscoe = raw[raw["Island"] == "Biscoe"]
    return {
        f"{frame_name}_{suite_name}": batches.get_batch(batch_parameters={"dataframe": frame}).validate(suite).success
        for frame_name, frame in (("real", raw), ("biscoe", biscoe))
        for suite_name, suite in suites.items()
    }


def lint_findings(source: str) -> dict[str, list[str]]:
    """Exercise 2: the rule codes ruff and pylint (with the project's configuration) report on ``source``."""
    config = str(paths.PROJ_ROOT / "pyproject.toml")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "snippet.py").write_text(source, encoding="utf-8")
        ruff = subprocess.run(
            [
                processes.tool("ruff"),
                "check",
                "--no-cache",
                "--config",
                config,
                "--output-format",
                "json",
                "snippet.py",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            env=processes.tool_env(),
        )
        pylint = subprocess.run(
            [processes.tool("pylint"), "--rcfile", config, "--persistent=n", "--output-format", "json", "snippet.py"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            env=processes.tool_env(),
        )
    return {
        "ruff": sorted(finding["code"] for finding in json.loads(ruff.stdout or "[]")),
        "pylint": sorted(message["message-id"] for message in json.loads(pylint.stdout or "[]")),
    }


def shortcut_model(train: pd.DataFrame) -> Pipeline:
    """The lesson's shortcut model: it sees only the island and the bill length."""
    model = make_pipeline(
        ColumnTransformer([("island", OneHotEncoder(), ["island"]), ("bill", StandardScaler(), ["bill_length_mm"])]),
        LogisticRegression(max_iter=1000),
    )
    return model.fit(modeling.features(train), modeling.labels(train))


def colony_models(train: pd.DataFrame) -> dict[str, Pipeline]:
    """The models exercise 3 compares: the champion, the shortcut, and lesson 2.2's forest and boosting, refitted.

    Refitted with the hyperparameters and seed of ``params.yaml`` (``train``), as lesson 2.2 trains them.
    """
    settings = params.stage_params("train")
    refitted = {
        name: training.fit(name, settings["candidates"][name], train, settings["seed"])
        for name in ("random_forest", "gradient_boosting")
    }
    return {"champion": champion.load_model(), "shortcut": shortcut_model(train)} | refitted


def new_colony(models: dict[str, Pipeline], test: pd.DataFrame) -> dict:
    """Exercise 3: each model's accuracy on the test set's Chinstrap moved to Biscoe (a new colony), and which to trust.

    Nothing about the birds changed but the island; a model that learnt the birds keeps its accuracy,
    one that learnt the islands loses it. Each accuracy comes with its exact 95% interval, on the
    few birds moved: trust the best, refuse the models whose whole interval lies below the best's,
    and say which cannot be told from the best on so few birds. (Separate intervals are a conservative
    reading: the models answer the same birds, and a paired comparison, as in 5.2, could separate more.)

    Returns ``{"birds": n, "accuracy": {model: (value, low, high)}, "trust": model, "refuse": [models],
    "cannot_tell_from_the_best": [models]}``, the lists sorted.
    """
    moved = test[test[schema.LABEL] == "Chinstrap"].assign(island="Biscoe")
    truth = np.asarray(modeling.labels(moved))
    accuracy = {}
    for name, model in models.items():
        right = int((model.predict(modeling.features(moved)) == truth).sum())
        found = evidence.proportion(right, len(moved))
        accuracy[name] = (round(found.value, 4), round(found.low, 4), round(found.high, 4))
    best = max(accuracy, key=lambda name: accuracy[name][0])
    below = sorted(name for name, (_, _, high) in accuracy.items() if high < accuracy[best][1])
    return {
        "birds": len(moved),
        "accuracy": accuracy,
        "trust": best,
        "refuse": below,
        "cannot_tell_from_the_best": sorted(set(accuracy) - {best, *below}),
    }


def group_criterion(table: pd.DataFrame, predicted, max_gap: float) -> str:
    """Exercise 4: a gate criterion on the groups: ``met``, ``failed`` or ``undecided``.

    For the islands, then the sexes: Fairlearn's ``MetricFrame`` counts each group's birds and right
    answers (birds without a recorded sex are left out: a handful of birds can show nothing); each
    group's exact interval is taken at ``1 - 0.05 / k`` so that all ``k`` hold together (Bonferroni);
    the true gap then lies between the highest lower end minus the lowest upper end (at least 0) and
    the highest upper end minus the lowest lower end. Failed when that whole range is above
    ``max_gap``, met when it is all at or below it; the worst of the two attributes.

    Returns ``"met"``, ``"failed"`` or ``"undecided"``.
    """
    truth, answers = table[schema.LABEL].astype(str).to_numpy(), np.asarray(list(map(str, predicted)))
    statuses = set()
    for attribute in ("island", "sex"):
        known = table[attribute].notna().to_numpy()
        counts = MetricFrame(
            metrics={"right": lambda t, p: int((t == p).sum()), "birds": lambda t, _: len(t)},
            y_true=truth[known],
            y_pred=answers[known],
            sensitive_features=table.loc[known, attribute].astype(str).to_numpy(),
        ).by_group
        if len(counts) < 2:
            statuses.add(evidence.UNDECIDED)
            continue
        level = 1 - 0.05 / len(counts)
        wide = [evidence.proportion(int(row.right), int(row.birds), level) for row in counts.itertuples()]
        low = max(0.0, max(i.low for i in wide) - min(i.high for i in wide))
        high = max(i.high for i in wide) - min(i.low for i in wide)
        statuses.add(evidence.FAILED if low > max_gap else evidence.MET if high <= max_gap else evidence.UNDECIDED)
    if evidence.FAILED in statuses:
        return evidence.FAILED
    return evidence.MET if statuses == {evidence.MET} else evidence.UNDECIDED


def unfair_answers(model: Pipeline, birds: pd.DataFrame):
    """A planted unfair challenger: the model's answers, except that every Dream bird is answered Adelie."""
    answers = model.predict(modeling.features(birds))
    return pd.Series(answers).mask(birds["island"].to_numpy() == "Dream", "Adelie").to_numpy()


if __name__ == "__main__":
    print("1.", one_island_delivery(data.load_raw()))
    print("2. flawed:", lint_findings(FLAWED), "fixed:", lint_findings(FIXED))
    train_set, test_set = data.load_processed(paths.TRAIN_FILE), data.load_processed(paths.TEST_FILE)
    print("3.", new_colony(colony_models(train_set), test_set))
    served = champion.load_model()
    print("4. on the test split:", group_criterion(test_set, served.predict(modeling.features(test_set)), 0.1))
