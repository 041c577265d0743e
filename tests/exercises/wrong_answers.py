"""Planted wrong answers: for every exercise test, mistakes a student plausibly makes, which it must fail.

Each :class:`Wrong` names the exercise test, the function (or constant) of the lesson's module that the
student writes, and a wrong version of it. ``test_wrong_answers.py`` puts each one in place of the worked
solution and runs the exercise test: it must fail on a check (an ``AssertionError``), not pass and not
crash. Where the exercise is costly to run (a training, a gate, a DVC repository), the wrong version runs
the worked solution and makes one mistake in what it reports, the mistake the statement names; elsewhere
it is the student's code with the mistake in it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
from fastapi import FastAPI
from fastapi.testclient import TestClient

from exercises import (
    closing_the_loop,
    data_versioning,
    deployment,
    energy_efficiency,
    experiment_tracking,
    inception,
    monitoring,
)
from exercises import quality_assurance as qa
from lib import champion
from tests.exercises.answers import ask

MODULES = (closing_the_loop, data_versioning, deployment, energy_efficiency, experiment_tracking, inception)
MODULES += (monitoring, qa)
# The worked solutions, kept at import, before any test puts a wrong answer in their place.
SOLUTIONS = {
    f"{module.__name__.rsplit('.', 1)[-1]}.{name}": value
    for module in MODULES
    for name, value in vars(module).items()
    if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == module.__name__
}


@dataclass(frozen=True)
class Wrong:
    """A planted wrong answer: the test it must fail, the module attribute it replaces, and the mistake."""

    test: str
    module: str
    attribute: str
    mistake: str
    answer: Any


def _altered(name: str, change: Callable[[Any], Any]) -> Callable:
    """The worked solution ``name`` (``module.function``), with ``change`` applied to what it returns."""

    def wrong(*args, **kwargs):
        return change(ask(SOLUTIONS[name], *args, **kwargs))

    return wrong


def _drop_everyone(raw: pd.DataFrame) -> pd.DataFrame:
    table = SOLUTIONS["inception.why_sex_is_unknown"](raw)
    return table.assign(decision="not measured at all: drop")


def _retest_the_unsampled(raw: pd.DataFrame) -> pd.DataFrame:
    table = SOLUTIONS["inception.why_sex_is_unknown"](raw)
    return table.assign(can_retest=table["reason"] != "Adult not sampled")  # no blood is no sample to test


def _numeric_columns_only(raw: pd.DataFrame):
    return SOLUTIONS["inception.card_with_structure"](raw.select_dtypes("number"))


def _share_of_all_birds(raw: pd.DataFrame, min_island_accuracy: float = 0.9, min_macro_f1: float = 0.9) -> dict:
    answer = SOLUTIONS["inception.island_majority_accuracy"](raw, min_island_accuracy, min_macro_f1)
    species = raw["Species"].str.split().str[0]
    majority = pd.crosstab(raw["Island"], species).max(axis=1)
    by_island = (majority / len(raw)).rename("accuracy").to_frame()  # divided by every bird, not the island's
    by_island["meets_requirement"] = by_island["accuracy"] >= min_island_accuracy
    return answer | {"by_island": by_island}


def _stage_without_script() -> dict:
    stage = SOLUTIONS["data_versioning.summary_stage"]()
    return stage | {"deps": [dep for dep in stage["deps"] if not str(dep).endswith(".py")]}


def _metrics_as_plain_outs() -> dict:
    stage = SOLUTIONS["data_versioning.summary_stage"]()
    return {key: value for key, value in stage.items() if key != "metrics"} | {
        "outs": [*stage.get("outs", []), "summary.json"]
    }


def _params_file_as_a_dependency() -> dict:
    stage = SOLUTIONS["data_versioning.summary_stage"]()
    return {key: value for key, value in stage.items() if key != "params"} | {"deps": [*stage["deps"], "params.yaml"]}


def _line_by_deviation(answer: dict) -> dict:
    ranked, best = answer["ranked"], answer["ranked"].iloc[0]
    line = best["metrics.cv_macro_f1"] - best["metrics.cv_macro_f1_std"]
    scores = zip(ranked["params.C"], ranked["metrics.cv_macro_f1"], strict=True)
    within = sorted(float(c) for c, score in scores if score >= line)
    return answer | {"line": line, "within_noise": within, "keep": within[0]}


def _roll_back_to_latest(train, test, model_name: str = "exercise-rollback") -> dict:
    answer = SOLUTIONS["experiment_tracking.roll_back"](train, test, model_name)
    import mlflow  # noqa: PLC0415  # the student's own import

    latest = mlflow.sklearn.load_model(f"models:/{model_name}/latest")  # the newest version, not the alias
    return answer | {"served_c": latest.named_steps["classifier"].C}


def _figures_by_stem(session_run_id: str, figure: str = "confusion_matrix.png") -> dict:
    return SOLUTIONS["experiment_tracking.runs_without_figures"](session_run_id, figure.removesuffix(".png"))


def _one_country_per_repeat(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(g_per_kwh=table["g_per_kwh"] / 3)  # emissions of one repeat over the energy of three


def _hardcoded_species() -> list[str]:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.model = champion.load_model()
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/species")
    def species() -> list[str]:
        return ["Adelie", "Chinstrap", "Gentoo"]  # what the data has, not what the model knows

    with TestClient(app) as client:
        return client.get("/species").json()


def _a_thousand_penguins() -> tuple[int, dict]:
    with TestClient(deployment.serving.create_app()) as client:
        answer = client.post("/predict/batch", json={"penguins": [deployment.PENGUIN] * 1000})
    return answer.status_code, (answer.json().get("detail") or [{}])[0]


def _rule_in_centimetres(low: float, high: float, window: str = "10m", pending: str = "15m") -> dict:
    return SOLUTIONS["monitoring.flipper_mean_rule"](low / 10, high / 10, window, pending)


def _no_pending(low: float, high: float, window: str) -> dict:
    rule = SOLUTIONS["monitoring.flipper_mean_rule"](low, high, window)
    rule["groups"][0]["rules"][0].pop("for")
    return rule


def _islands_only(table: pd.DataFrame, predicted, max_gap: float) -> str:
    # the sexes as one group: no gap between them to read
    return SOLUTIONS["quality_assurance.group_criterion"](table.assign(sex="female"), predicted, max_gap)


def _all_islands_as_one(table, champion_answers, challenger_answers, max_regression, **options) -> str:
    return SOLUTIONS["closing_the_loop.island_criterion"](
        table.assign(island="all"), champion_answers, challenger_answers, max_regression, **options
    )


def _reads_points(answer: dict) -> dict:
    best = answer["trust"]
    return answer | {"refuse": sorted(set(answer["accuracy"]) - {best}), "cannot_tell_from_the_best": []}


# fmt: off
WRONG = [Wrong(f"test_{test}", module, attribute, mistake, answer) for test, module, attribute, mistake, answer in (
    ("inception_why_sex_is_unknown", "inception", "why_sex_is_unknown",
     "drops every bird of unknown sex, the ones kept for lack of blood or a failed test too", _drop_everyone),
    ("inception_why_sex_is_unknown", "inception", "why_sex_is_unknown",
     "would re-test every measured bird, with blood or without", _retest_the_unsampled),
    ("inception_card_structure_is_computed_from_the_data", "inception", "card_with_structure",
     "describes the numeric columns only", _numeric_columns_only),
    ("inception_island_majority_model_is_refused_where_islands_mix", "inception", "island_majority_accuracy",
     "divides each island's right answers by every bird", _share_of_all_birds),
    ("data_versioning_who_changed_the_data", "data_versioning", "who_changed_the_data",
     "blames the first commit that changed the data",
     _altered("data_versioning.who_changed_the_data", lambda a: a | {"culprit": a["changed_by"][0]})),
    ("data_versioning_parameter_reach", "data_versioning", "parameter_reach",
     "believes any edit of params.yaml re-runs the stage",
     _altered("data_versioning.parameter_reach", lambda a: a | {"stale": dict.fromkeys(a["stale"], True)})),
    ("data_versioning_summary_stage", "data_versioning", "summary_stage",
     "leaves the script out of the deps", _stage_without_script),
    ("data_versioning_summary_stage", "data_versioning", "summary_stage",
     "declares the metrics as plain outs", _metrics_as_plain_outs),
    ("experiment_tracking_compare_c", "experiment_tracking", "compare_c",
     "keeps the largest C within one standard error",
     _altered("experiment_tracking.compare_c", lambda a: a | {"keep": max(a["within_noise"])})),
    ("experiment_tracking_compare_c", "experiment_tracking", "compare_c",
     "draws the line one standard deviation below the best, not one standard error",
     _altered("experiment_tracking.compare_c", _line_by_deviation)),
    ("data_versioning_summary_stage", "data_versioning", "summary_stage",
     "depends on the whole params.yaml instead of declaring the parameter", _params_file_as_a_dependency),
    ("experiment_tracking_roll_back", "experiment_tracking", "roll_back",
     "loads the latest version instead of the alias", _roll_back_to_latest),
    ("experiment_tracking_runs_without_figures", "experiment_tracking", "runs_without_figures",
     "looks for the figure without its extension", _figures_by_stem),
    ("energy_grid_comparison", "energy_efficiency", "grid_comparison",
     "divides one repeat's emissions by the energy of all of them",
     _altered("energy_efficiency.grid_comparison", _one_country_per_repeat)),
    ("energy_ram_floor", "energy_efficiency", "ram_floor", "ranks the dearest first",
     _altered("energy_efficiency.ram_floor", lambda a: a | {
         "ranking_by_total": a["ranking_by_total"][::-1], "ranking_by_cpu": a["ranking_by_cpu"][::-1]})),
    ("energy_request_cost", "energy_efficiency", "request_cost",
     "divides by the rows sent once, not by every request the measurement repeated",
     _altered("energy_efficiency.request_cost", lambda a: a | {
         "requests": a["requests"] // 3, "per_request_kwh": a["energy_kwh"] / (a["requests"] // 3)})),
    ("qa_one_island_delivery", "quality_assurance", "one_island_delivery",
     "a tolerance so loose the Biscoe delivery passes",
     lambda raw, tolerance=0.1: SOLUTIONS["quality_assurance.one_island_delivery"](raw, 0.5)),
    ("qa_lint_fix", "quality_assurance", "FIXED", "fixes the findings, not the empty sequence",
     '"""Averages."""\n\n\ndef mean(values):\n    """Return the mean."""\n    return sum(values) / len(values)\n'),
    ("qa_new_colony", "quality_assurance", "new_colony",
     "reads the points, not the intervals: refuses every model below the best",
     _altered("quality_assurance.new_colony", _reads_points)),
    ("qa_group_criterion", "quality_assurance", "group_criterion", "ignores the sexes", _islands_only),
    ("deployment_tighter_bound", "deployment", "too_heavy", "bounds with lt, which refuses 6500 g itself",
     _altered("deployment.too_heavy", lambda a: (a[0], a[1] | {"type": "less_than", "ctx": {"lt": 6500}}))),
    ("deployment_species_route", "deployment", "known_species", "types the species instead of asking the model",
     _hardcoded_species),
    ("deployment_minimal_app_lets_through", "deployment", "minimal_lets_through",
     "sends every probe to the project's API",
     _altered("deployment.minimal_lets_through", lambda t: t.assign(minimal=t["project"], minimal_answered=None))),
    ("deployment_batch_limit", "deployment", "over_the_batch_limit", "sends 1000 penguins, the limit itself",
     _a_thousand_penguins),
    ("monitoring_biased_caliper", "monitoring", "biased_caliper",
     "assigns the longer flippers to a copy and drifts the unbiased season",
     lambda bias_mm=6.0: ask(SOLUTIONS["monitoring.biased_caliper"], 0.0)),
    ("monitoring_flipper_rule", "monitoring", "flipper_mean_rule", "writes the band in centimetres",
     _rule_in_centimetres),
    ("monitoring_flipper_rule", "monitoring", "flipper_mean_rule", "fires at once, with no for:",
     lambda low, high, window="10m", pending="15m": _no_pending(low, high, window)),
    ("monitoring_visible_drift", "monitoring", "first_flagged_biscoe_share",
     "takes the first share whose p-value is above 0.05",
     _altered("monitoring.first_flagged_biscoe_share",
              lambda a: (min(share for share, p in a[1].items() if p >= 0.05), a[1]))),
    ("closing_the_loop_smaller_change", "closing_the_loop", "smaller_change", "retrains on drift alone",
     _altered("closing_the_loop.smaller_change",
              lambda a: a | {"would_retrain": a["bill_length_first_drifted_after"] is not None})),
    ("closing_the_loop_offset_tolerance", "closing_the_loop", "offset_tolerance",
     "reports the correction as the offset (the wrong sign)",
     _altered("closing_the_loop.offset_tolerance", lambda a: a | {
         "offset_mm": -a["offset_mm"], "offset_interval": (-a["offset_interval"][1], -a["offset_interval"][0])})),
    ("closing_the_loop_birds_needed", "closing_the_loop", "birds_needed",
     "counts the runs but reports each run alone",
     _altered("closing_the_loop.birds_needed", lambda t: t.assign(**{"answer, runs counted": t["answer"]}))),
    ("closing_the_loop_island_criterion", "closing_the_loop", "island_criterion",
     "compares the models over all the birds, ignoring the islands", _all_islands_as_one),
)]
# fmt: on
