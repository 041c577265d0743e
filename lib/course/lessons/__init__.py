"""Helpers of the lessons alone, apart from the pipeline's core: each serves one lesson (or two), no stage of the model.

- ``acceptance``: the ML requirements of inception as the table lesson 1.0 shows;
- ``structure``: the project's layout and its Cookiecutter Data Science twin (2.1);
- ``stage_graph``: the stages of ``dvc.yaml`` as a graph, its plot and its parameters (2.1, 4.1);
- ``demo_repo``: a scratch Git + DVC repository for the exercises of lesson 2.1;
- ``sloppy_notebook``: a notebook with the habits Pynblint flags (3.2);
- ``system_design``: the ML system's diagram (4.1).
"""
