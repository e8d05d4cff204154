"""Shared by the benchmarks that time single calls (coach policy, learned scorers): a summary of repeated
timings, and writing the JSON result. The pipeline benchmarks write their own, richer reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def summarise(seconds: list[float]) -> dict:
    """Repeated timings (s) → count, median, p90, p99, mean and min in ms."""
    ms = np.asarray(seconds) * 1e3
    return {"n": len(ms), "median_ms": round(float(np.median(ms)), 4), "p90_ms": round(float(np.percentile(ms, 90)), 4),
            "p99_ms": round(float(np.percentile(ms, 99)), 4), "mean_ms": round(float(ms.mean()), 4),
            "min_ms": round(float(ms.min()), 4)}


def write_result(record: dict, path: Path) -> None:
    """bench/results/<name>.json, and the same on stdout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
