"""The API's numpy replay of the pipeline against skl2onnx + onnxruntime, for every candidate.

For each candidate of ``params.yaml`` (trained on the pipeline's training split): does
skl2onnx convert it, how far are onnxruntime's probabilities from scikit-learn's, and the
p50 of one row and of 1000 rows in-process, next to ``lib.serving.inference``'s numpy path.

skl2onnx converts a string imputer only when its missing value is itself a string, so the
converted pipeline is the same pipeline with ``missing_values="unknown"``, fitted on the
training rows with a missing sex already written ``unknown`` (the same fitted model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.base import clone
from sklearn.impute import SimpleImputer

from benchmarks.timing import timed
from lib import data, modeling, params, paths, schema, training
from lib.serving import inference


def p50_ms(work: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``work`` (``timing.timed``'s p50)."""
    return timed(work, repeats)["p50_ms"]


def onnx_feed(rows: Sequence[inference.Row]) -> dict[str, np.ndarray]:
    """The ONNX graph's inputs: one column per feature, a missing sex written 'unknown'."""
    columns = dict(zip(schema.FEATURES, zip(*rows, strict=True), strict=True))
    feed = {}
    for name, values in columns.items():
        if name in schema.CATEGORICAL:
            feed[name] = np.array([modeling.UNKNOWN if v is None else v for v in values], dtype=object).reshape(-1, 1)
        else:
            feed[name] = np.array(values, dtype=np.float32).reshape(-1, 1)
    return feed


def convertible(model):
    """The same pipeline with a string missing value in the imputer, refitted (the same fitted model)."""
    variant = clone(model)
    categorical = variant.named_steps["preprocess"].transformers[1][1]
    categorical.steps[0] = (
        "simpleimputer",
        SimpleImputer(strategy="constant", fill_value=modeling.UNKNOWN, missing_values=modeling.UNKNOWN),
    )
    return variant


def compare(one: Sequence[inference.Row], thousand: Sequence[inference.Row]) -> dict[str, dict]:
    """For each candidate: numpy-path and onnxruntime p50 (1 and 1000 rows), and their largest disagreement."""
    train = data.load_processed(paths.TRAIN_FILE)
    configured = params.stage_params("train")["candidates"]
    types = [
        (name, StringTensorType([None, 1]) if name in schema.CATEGORICAL else FloatTensorType([None, 1]))
        for name in schema.FEATURES
    ]
    results = {}
    for name in sorted(modeling.CANDIDATES):
        model = training.fit(name, configured[name], train, 42)
        fast = inference.compile_pipeline(model)
        row = {
            "numpy_1_row_ms": p50_ms(lambda fast=fast: fast(one), 1000),
            "numpy_1000_rows_ms": p50_ms(lambda fast=fast: fast(thousand), 100),
        }
        variant = convertible(model).fit(
            modeling.features(train).fillna({"sex": modeling.UNKNOWN}), modeling.labels(train)
        )
        try:
            graph = to_onnx(
                variant,
                initial_types=types,
                options={id(variant.named_steps["classifier"]): {"zipmap": False}},
                target_opset=17,
            )
        except (ValueError, NotImplementedError, RuntimeError) as exc:
            row["onnx"] = f"not converted ({type(exc).__name__})"
            results[name] = row
            continue
        session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])

        def run(rows, session=session):
            return session.run(None, onnx_feed(rows))[1]

        row |= {
            "onnx": "converted",
            "onnx_1_row_ms": p50_ms(lambda: run(one), 1000),
            "onnx_1000_rows_ms": p50_ms(lambda: run(thousand), 100),
            "max_abs_diff": float(np.abs(run(thousand) - fast(thousand)).max()),
        }
        results[name] = row
    return results
