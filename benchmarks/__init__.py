"""Benchmarks of the prediction API against the model in-process and MLflow's scoring server."""
