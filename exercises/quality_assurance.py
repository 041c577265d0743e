"""Solutions to the exercises of lesson 3.2, quality assurance. Run: ``python -m exercises.quality_assurance``."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lib import champion, data, modeling, paths, processes, schema, validation

FLAWED = "def mean(values=[]): return sum(values) / len(value)\n"
FIXED = '''"""Averages of measurements."""


def mean(values):
    """Return the arithmetic mean of a non-empty sequence of numbers."""
    return sum(values) / len(values)
'''
# Halfway between an Adelie and a Gentoo on Biscoe: where body mass should tip the balance.
BORDERLINE = {
    "island": "Biscoe",
    "bill_length_mm": 44.0,
    "bill_depth_mm": 16.5,
    "flipper_length_mm": 205.0,
    "body_mass_g": 4200.0,
    "sex": "male",
}


def mean_mass_expectation(raw: pd.DataFrame) -> dict[str, bool]:
    """Exercise 1: an expectation on the mean body mass that the real data meets and a delivery in kg fails."""
    context = gx.get_context(mode="ephemeral")
    validation.quiet(context)
    batches = (
        context.data_sources.add_pandas("exercise")
        .add_dataframe_asset("raw")
        .add_batch_definition_whole_dataframe("all rows")
    )
    suite = context.suites.add(gx.ExpectationSuite(name="mean-body-mass"))
    suite.add_expectation(gxe.ExpectColumnMeanToBeBetween(column="Body Mass (g)", min_value=3500, max_value=5000))
    in_kg = raw.assign(**{"Body Mass (g)": raw["Body Mass (g)"] / 1000})
    return {
        name: batches.get_batch(batch_parameters={"dataframe": frame}).validate(suite).success
        for name, frame in (("real", raw), ("in_kg", in_kg))
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
            [processes.tool("pylint"), "--rcfile", config, "--output-format", "json", "snippet.py"],
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
    """The lesson's shortcut model: it sees only the island and the flipper length."""
    model = make_pipeline(
        ColumnTransformer(
            [("island", OneHotEncoder(), ["island"]), ("flipper", StandardScaler(), ["flipper_length_mm"])]
        ),
        LogisticRegression(max_iter=1000),
    )
    return model.fit(modeling.features(train), modeling.labels(train))


def heavier_is_more_gentoo(model, penguin: dict | None = None, extra_g: float = 1000.0) -> bool:
    """Exercise 3, the directional test: 1 kg more on a borderline bird raises the probability of Gentoo."""
    base = dict(penguin or BORDERLINE)
    rows = pd.DataFrame([base, base | {"body_mass_g": base["body_mass_g"] + extra_g}])[list(schema.FEATURES)]
    gentoo = list(model.classes_).index("Gentoo")
    before, after = model.predict_proba(modeling.features(rows))[:, gentoo]
    return bool(after > before)


if __name__ == "__main__":
    print("1.", mean_mass_expectation(data.load_raw()))
    print("2. flawed:", lint_findings(FLAWED), "fixed:", lint_findings(FIXED))
    print(
        "3. champion:",
        heavier_is_more_gentoo(champion.load_model()),
        "shortcut:",
        heavier_is_more_gentoo(shortcut_model(data.load_processed(paths.TRAIN_FILE))),
    )
