"""Choose the engine for `wangdi evaluate`: DuckDB (default) or Spark, with or without visit-record files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from wangdi.errors import WangdiError
from wangdi.policy.fields import Dataset
from wangdi.policy.pack import Pack
from wangdi.visits.layout import load_mapping
from wangdi.visits.source import open_source

ENGINES = ("duckdb", "spark")
Evaluator = Callable[[Pack, Dataset], pl.DataFrame]


def evaluator(engine: str, visits: Path | None = None, mapping: Path | None = None) -> tuple[Evaluator, dict[str, Any]]:
    """An evaluate function for runs.evaluate, and a dict it fills with notes (rules Spark could not run)."""
    if engine not in ENGINES:
        raise WangdiError("bad-engine", f"未知引擎 {engine}：只能是 duckdb 或 spark", f"unknown engine {engine}")
    if mapping is not None and visits is None:
        raise WangdiError("mapping-without-visits", "--visit-mapping 需要与 --visits 一起使用",
                          "--visit-mapping needs --visits")
    src = open_source(visits, load_mapping(mapping) if mapping else None) if visits is not None else None
    notes: dict[str, Any] = {"engine": engine, "fallbacks": {}}
    if engine == "duckdb":
        from wangdi.visits import run

        return (lambda pack, data: run.evaluate(pack, data, src)), notes

    def on_spark(pack: Pack, data: Dataset) -> pl.DataFrame:
        from wangdi.policy import spark

        result = spark.evaluate(pack, data, src)
        notes["fallbacks"] = result.fallbacks
        return result.results

    return on_spark, notes
