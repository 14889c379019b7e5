"""Build a registry snapshot from a few raw census rows (as a workbook would hold them) and evaluate a pack on it."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from wangdi import divisions
from wangdi.policy import engine, pack
from wangdi.policy.fields import Dataset
from wangdi.registry.schema import TABLES
from wangdi.registry.store import polars_schema


def dataset(region: str, as_of: date, **tables: list[dict[str, Any]]) -> Dataset:
    frames = {}
    for t in TABLES:
        schema = polars_schema(t)
        rows = tables.get(t.name, [])
        frames[t.name] = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)
    ref = divisions.reference()
    divs = ref.filter(pl.col("code").str.starts_with(region) | pl.lit(region).str.starts_with(pl.col("code")))
    return Dataset(frames, divs, as_of, region)


def evaluate(pack_id: str, rule_id: str, region: str, as_of: date, **tables: list[dict[str, Any]]) -> pl.DataFrame:
    return engine.evaluate(pack.load(pack_id), dataset(region, as_of, **tables), [rule_id])


def clinics(township: str, n: int, start: int = 0, **fields: Any) -> list[dict[str, Any]]:
    """n village clinics (卫生室, D600) in villages of `township`, with the given raw fields."""
    return [{"code": f"{township}2{start + i:02d}D", "name": f"卫生室{start + i}", "type_code": "D600",
             "division_code": f"{township}2{start + i:02d}", "valid_from": date(2020, 1, 1), **fields}
            for i in range(n)]
