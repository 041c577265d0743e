"""Timing of in-process calls, shared by the benchmarks."""

import time

import numpy as np


def timed(call, repeats: int, warmup: int = 20) -> dict:
    """p50 and p99 in ms of ``call()`` over ``repeats`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p99_ms": float(np.percentile(times, 99))}
