"""The success criteria agreed at inception (lesson 1.0): one type, and its checks written once.

The thresholds live in ``params.yaml`` (``requirements:``). Lesson 1.0 shows them as a table
built from a :class:`Requirements`; lesson 2.2 refuses to register a champion that misses the
accuracy criteria (:meth:`Requirements.enforce`); the model tests of lesson 3.2 (``tests/model``)
check the same criteria as tests; lesson 5.2 measures the serving champion's season against them
and its promotion gate holds both models to all of them. Lessons 2.2, 3.2 and 5.2 call
:meth:`Requirements.checks` (macro-F1 and each island's accuracy; the gate also
:meth:`Requirements.latency` and :meth:`Requirements.group_gaps`, the largest accuracy gap between
islands and between sexes, which the model card of 2.2 and lesson 3.2 also report), so the
criteria, their wording and their sense (at least, at most) are written here once. Lesson 4.1
measures the latency and compares it with the threshold in the open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from lib import params, schema
from lib.evidence import Interval


class RequirementNotMet(RuntimeError):
    """A model misses a success criterion agreed at inception; the message lists which."""


@dataclass(frozen=True)
class Check:
    """One criterion on one measured value, which must be at least (``>=``) or at most (``<=``) the threshold."""

    criterion: str
    value: float
    needs: str
    threshold: float

    @property
    def met(self) -> bool:
        """Whether the value is on the right side of the threshold (the threshold itself passes)."""
        return self.value >= self.threshold if self.needs == ">=" else self.value <= self.threshold

    def __str__(self) -> str:
        sense = self.needs if self.met else _FAILED[self.needs]
        return f"{self.criterion} = {self.value:.4f} {sense} {self.threshold:.2f}"


_FAILED = {">=": "<", "<=": ">"}
GROUP_NAMES = {"island": "islands", "sex": "sexes"}  # how a criterion (and a card) names the groups it compares


@dataclass(frozen=True)
class Requirements:
    """What a model must meet to serve: macro-F1, accuracy on each island, the p99 latency of one call, group gaps.

    ``max_p99_latency_ms`` is None where no latency is measured (training, lesson 2.2);
    ``max_group_gap`` (the largest accuracy gap between the islands, and between the sexes) is None
    where no group is compared.
    """

    min_macro_f1: float
    min_island_accuracy: float
    max_p99_latency_ms: float | None = None
    max_group_gap: float | None = None

    @classmethod
    def from_params(cls, params_file: Path | None = None) -> Requirements:
        """The requirements in ``params.yaml`` (section ``requirements``), each checked by its rule."""
        section = params.stage_params("requirements", params_file)
        values = {name: section.get(name) for name in ("min_macro_f1", "min_island_accuracy")}
        values |= {name: section[name] for name in ("max_p99_latency_ms", "max_group_gap") if name in section}
        return cls(**params.check(**values))

    def as_dict(self) -> dict[str, float]:
        """The thresholds by their names in ``params.yaml``."""
        return asdict(self)

    def checks(self, metrics: Mapping[str, float]) -> list[Check]:
        """The quality criteria on one evaluation: macro-F1, and the accuracy on each island ``metrics`` holds.

        ``metrics`` uses :func:`lib.modeling.evaluate`'s names (``test_macro_f1``, ``test_accuracy_<island>``).
        """
        found = [Check("macro-F1", metrics["test_macro_f1"], ">=", self.min_macro_f1)]
        found += [
            Check(f"accuracy on {island}", value, ">=", self.min_island_accuracy)
            for island, value in schema.island_accuracies(metrics).items()
        ]
        return found

    def with_intervals(self, found: Mapping[str, Interval]) -> list[tuple[Check, Interval]]:
        """The quality criteria on scores with their intervals (:func:`lib.evidence.scores`), each beside its own.

        The checks read the point values, as :meth:`checks` does; the interval says whether the
        evaluation set is large enough to show it (:func:`lib.evidence.status`).
        """
        values = {key: interval.value for key, interval in found.items()}
        keys = ["test_macro_f1", *(schema.island_metric(island) for island in schema.island_accuracies(values))]
        return list(zip(self.checks(values), (found[key] for key in keys), strict=True))

    def latency(self, p99_latency_ms: float) -> Check:
        """The speed criterion on a measured p99 latency of one ``/predict`` call, in milliseconds."""
        if self.max_p99_latency_ms is None:
            raise ValueError("these requirements set no latency: give max_p99_latency_ms (params.yaml, requirements)")
        return Check("p99 latency (ms)", p99_latency_ms, "<=", self.max_p99_latency_ms)

    def group_gaps(self, gaps: Mapping[str, Interval]) -> list[tuple[Check, Interval]]:
        """The group criterion on each attribute's largest accuracy gap (:func:`lib.fairness.gaps`), with its interval.

        A gap must be at most ``max_group_gap``; read by its interval, as the gate reads every check.
        """
        if self.max_group_gap is None:
            raise ValueError("these requirements set no group gap: give max_group_gap (params.yaml, requirements)")
        return [
            (
                Check(
                    f"accuracy gap between {GROUP_NAMES.get(attribute, attribute + ' groups')}",
                    gap.value,
                    "<=",
                    self.max_group_gap,
                ),
                gap,
            )
            for attribute, gap in gaps.items()
        ]

    def enforce(self, metrics: Mapping[str, float], model: str = "the champion") -> list[Check]:
        """Return the checks of ``metrics`` when all pass; raise :class:`RequirementNotMet` naming each that fails.

        Called before anything is registered or exported, so a model that misses the bar goes nowhere.
        """
        done = self.checks(metrics)
        failed = [str(check) for check in done if not check.met]
        if failed:
            raise RequirementNotMet(
                f"{model} does not meet the inception requirements on the test set: "
                + "; ".join(failed)
                + ". Nothing was registered or exported; improve the candidates (judged by cross-validation, not "
                "by this test set) or revisit params.yaml (requirements)."
            )
        return done
