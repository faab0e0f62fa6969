"""Baselines learned from documents, for the drift tests."""

from __future__ import annotations

from typing import Any

from probes.drift.baseline import Baseline, BaselineRecord, compile_baseline, freeze, learn
from probes.drift.shape import reduce

JSON = "application/json"


def learned(*docs: Any, status: int = 200, media: str = JSON) -> BaselineRecord:
    record = BaselineRecord("i", "p", "s")
    for doc in docs:
        learn(record, status, media, reduce(doc), 1)
    freeze(record, 2)
    return record


def baseline_of(*docs: Any, status: int = 200, media: str = JSON) -> Baseline:
    return compile_baseline(learned(*docs, status=status, media=media))
