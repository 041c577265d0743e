"""The ML requirements agreed at inception, rendered as the table the 1.0 lesson shows.

The thresholds are parameters (``requirements:`` in ``params.yaml``), held in a
:class:`lib.requirements.Requirements`, the type every stage that checks them uses (2.2's
evaluation, 3.2's model tests, 5.2's season report and gate), so the table promises the numbers
they check.
"""

from __future__ import annotations

from lib.cards import markdown_table
from lib.requirements import Requirements

Row = tuple[str, str, str]


def requirements_rows(needs: Requirements) -> list[Row]:
    """Return the requirement rows: (aspect, what is required, how and where it is checked)."""
    return [
        (
            "Users",
            "Field ecologists and students who measure a penguin and want its species; "
            "the course's learners, who operate the model",
            "The team board and its review meetings (docs/coordination.md)",
        ),
        (
            "Goal",
            "Predict the species (Adelie, Chinstrap, Gentoo) of an adult penguin from island, sex and "
            "four body measurements, with a probability per class",
            "The API's `/predict` (4.1)",
        ),
        (
            "Success: quality",
            f"Macro-F1 on held-out birds at least {needs.min_macro_f1:.2f} (the test split in 2.2, the "
            "season's held-out birds at the gate in 5.2; "
            "macro, because Chinstrap is the smallest class)",
            "Evaluation (2.2), model tests (3.2), promotion gate (5.2)",
        ),
        (
            "Success: fairness across sites",
            f"Accuracy on each island at least {needs.min_island_accuracy:.2f}",
            "Evaluation (2.2), per-island slice tests (3.2), promotion gate (5.2), model card",
        ),
        *(
            [
                (
                    "Success: fairness across groups",
                    f"The largest accuracy gap between islands, and between sexes, at most {needs.max_group_gap:.2f}",
                    "Measured with Fairlearn (3.2) and reported in the model card (2.2); "
                    "checked by the promotion gate (5.2); each gap with its interval",
                )
            ]
            if needs.max_group_gap is not None
            else []
        ),
        (
            "Success: speed",
            f"p99 latency of one `/predict` call at most {needs.max_p99_latency_ms:g} ms on a laptop",
            "Latency measured in the deployment lesson (4.1), promotion gate (5.2)",
        ),
        (
            "Data constraints",
            "Only the public CC0 Palmer LTER export; offline; no personal data; "
            "a few hundred rows, so cross-validation rather than a single validation split",
            "Dataset card (1.0), GX suites (3.2)",
        ),
        (
            "Ethical constraints",
            "No decision about real animals without an expert; state that island is a "
            "shortcut and that other colonies are out of scope; measure the energy spent",
            "Model card (2.2), CodeCarbon (3.1)",
        ),
    ]


def requirements_markdown(needs: Requirements) -> str:
    """Return the requirements as a markdown table."""
    rows = requirements_rows(needs)
    return markdown_table(["aspect", "requirement", "checked by"], rows)
