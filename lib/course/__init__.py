"""The course's own machinery: what teaches, hands out and publishes the ML system, not part of it.

Nothing in the ML system (``lib``'s other modules) imports from here (a test checks it).

- ``repro``: the pipeline as ``make pipeline`` runs it, ``dvc repro --single-item`` per stage with the stages
  that do not read each other's outputs side by side, then one ``dvc repro`` to confirm (a stage whose
  kernel could not bind its port is started again);
- ``dvc_graph``: which stages read which stages' outputs in ``dvc.yaml``, and ``dvc.lock`` put back in its order;
- ``toolstate``: where every tool keeps its caches and settings, never the user's home (a scratch
  home per run: ``python -m lib.course.toolstate COMMAND`` in ``make pipeline`` and ``make notebooks``,
  ``toolstate.scratch_home`` in the test session);
- ``jupyter``: the lessons' kernel and JupyterLab's settings (``make setup``);
- ``snapshot``: scratch Git repositories (the tests' copy of the project, a fixed identity);
- ``lessons``: helpers of a lesson or two (their tables, diagrams and scratch examples);
- ``exercises``: the exercises' one list (``exercises/catalog.yaml``): each lesson's prior knowledge, study
  time and "Your turn", and the tables written from it (``python -m lib.course.exercises readme``);
- ``blocks``: the blocks of README and the guides that code writes, between two markers (tables, figures);
- ``handout``: the students' copy of the course, worked solutions replaced by stubs (``make handout``);
- ``site``: the course as a static site, its course map and its link check (``make site``);
- ``architecture``: the ML system's picture on the site (``docs/architecture.md``), drawn from a table
  of ``lib``'s modules (``python -m lib.course.architecture``);
- ``diagram``: boxes joined by labelled arrows, the drawing under that picture and lesson 4.1's design;
- ``team``: the team stack, PostgreSQL, an MLflow server and an SSH remote (``make team-up``);
- ``newproject``: a team's own project from ``template/`` with copier (``make new-project``), and
  ``projectlock``, its lock narrowed from the course's;
- ``checker``: any team's repository checked milestone by milestone by running the tools (``make check-project``);
- ``verified``: the line each lesson's last cell prints (when it last ran, with which versions of the tools it
  teaches), read back for the course map;
- ``newest``: the course against the newest releases ``pyproject.toml`` allows, in a scratch copy
  (``make try-newest``), and ``breakage``, what broke there, by the package most likely responsible.
"""
