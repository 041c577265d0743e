"""The project's ML system: one module per step of the model's life, in the order the data flows.

``config`` (paths, parameters, the schema), ``validate`` (the Great Expectations suite), ``data``
(the split), ``train`` (candidates tracked in MLflow, the selection rule), ``export`` (the champion
out of the registry), ``evaluate`` (the test score against the requirement), ``cards`` (the dataset
and model cards), ``model`` (loading and predicting), ``serve`` (the API).
"""

import os

# Offline and private: no tool this project runs phones home (set before any of them is imported).
for _name, _value in {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "CODECARBON_LOG_LEVEL": "error",
}.items():
    os.environ.setdefault(_name, _value)
