"""Evaluate a pack with visit records from files: the registry snapshot as usual, `visit` streamed from disk.

The engine is called unchanged. Its statements pass through `Streamed`, which keeps entities over
streamed tables as views: a visit entity of hundreds of millions of rows is scanned by each rule,
never copied into memory.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import polars as pl

from wangdi.policy import engine
from wangdi.policy.fields import Dataset, derive, register_divisions, use_view
from wangdi.policy.pack import Pack
from wangdi.policy.results import RESULT_COLUMNS
from wangdi.visits.source import VisitSource, attach_duckdb

STREAMED = ("visit",)
_MATERIALISE = re.compile(r"\s*CREATE\s+TEMP\s+TABLE\s+ent_(\w+)\s+AS\s+SELECT\s+\*\s+FROM\s+v_ent_(\w+)\s*", re.I)


class Streamed:
    """A DuckDB connection whose entity materialisation is a view for entities over streamed tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection, streamed: tuple[str, ...] = STREAMED) -> None:
        self.con, self.streamed = con, streamed

    def execute(self, sql: str, *args: Any) -> Any:
        m = _MATERIALISE.fullmatch(sql)
        if m and m.group(1) == m.group(2) and m.group(1) in self.streamed:
            sql = f"CREATE OR REPLACE TEMP VIEW ent_{m.group(1)} AS SELECT * FROM v_ent_{m.group(1)}"
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def prepare(con: duckdb.DuckDBPyConnection, data: Dataset, src: VisitSource | None) -> None:
    """Base tables from the snapshot, `visit` from the files when given, then the entities."""
    for name, df in data.tables.items():
        if src is not None and name == "visit":
            continue
        con.register(f"src_{name}", df)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM src_{name}")
        con.unregister(f"src_{name}")
    if src is not None:
        attach_duckdb(con, src)
    register_divisions(con, data.divisions)
    derive(con, data.as_of)


def measures(data: Dataset, src: VisitSource | None, level: str = "county", period: str = "year",
             con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """The visit measures (measures.yaml) on DuckDB, per region and period."""
    from wangdi.visits.measures import measures_sql

    con = con or duckdb.connect()
    prepare(con, data, src)
    use_view(con, "visit")
    out: pl.DataFrame = con.sql(measures_sql(level, period, data.region)).pl()
    return out


def evaluate(pack: Pack, data: Dataset, src: VisitSource | None, rules: list[str] | None = None,
             con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """The DuckDB engine over the snapshot plus streamed visit records; same columns as engine.evaluate."""
    con = con or duckdb.connect()
    prepare(con, data, src)
    engine.evaluate_into(pack, data, Streamed(con), "results", rules, prebuilt=True)  # type: ignore[arg-type]
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    out: pl.DataFrame = con.sql(f"SELECT {cols} FROM results").pl()
    return out
