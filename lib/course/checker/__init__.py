"""The milestone checker: ``make check-project PROJECT=... [MILESTONE=M2]`` checks any team's repository.

Each milestone is checked by running the tools on the repository, never by looking for file names:
:mod:`~lib.course.checker.inception` (M1: the cards with Hugging Face's classes, the requirements),
:mod:`~lib.course.checker.versioning` (M2: DVC and MLflow), :mod:`~lib.course.checker.quality` (M3: the
team's tests, their data suite against corrupted copies of their data, CodeCarbon, Pynblint),
:mod:`~lib.course.checker.service` (M4 and M5: the API started and asked, /metrics, promtool).
:mod:`~lib.course.checker.project` reads where a project keeps its parts (``[tool.check-project]``);
:mod:`~lib.course.checker.report` prints the table and writes the JSON an instructor collects.
"""
