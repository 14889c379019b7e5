"""Open visit records (a partitioned Parquet folder, a CSV file or folder) as the `visit` table of an engine.

The files are never loaded whole: DuckDB scans a registered Arrow dataset (so the evaluation connection
needs no file access of its own), Spark reads the folder itself. Both see the same mapping query
(`mapping_sql`), written once for DuckDB and transpiled for Spark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds

from wangdi.errors import WangdiError
from wangdi.visits.layout import COLUMNS, Mapping, default_mapping

RAW = "visit_src"  # the raw files as a table; `visit` is the mapped view over it


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class VisitSource:
    """Visit records on disk: `path` (folder or file), `fmt` parquet/csv, and the mapping to the layout."""

    path: Path
    fmt: str = "parquet"
    mapping: Mapping = field(default_factory=default_mapping)

    def dataset(self) -> ds.Dataset:
        if not self.path.exists():
            raise WangdiError("visits-missing", f"找不到就诊记录 {self.path}", f"no visit records at {self.path}")
        try:
            if self.fmt == "csv":
                return ds.dataset(str(self.path), format="csv", partitioning="hive")
            return ds.dataset(str(self.path), format="parquet", partitioning="hive")
        except Exception as e:  # pyarrow raises several types for unreadable folders
            raise WangdiError("visits-unreadable", f"无法读取就诊记录 {self.path}：{str(e).splitlines()[0][:200]}",
                              f"cannot read visit records at {self.path}") from None

    def source_columns(self) -> list[str]:
        return list(self.dataset().schema.names)


def open_source(path: Path, mapping: Mapping | None = None) -> VisitSource:
    fmt = "csv" if path.suffix.lower() == ".csv" or (path.is_dir() and any(path.rglob("*.csv"))) else "parquet"
    return VisitSource(path, fmt, mapping or default_mapping())


def mapping_sql(src: VisitSource, columns: list[str] | None = None) -> str:
    """DuckDB SELECT turning the raw table into the layout: renamed, typed, kinds mapped (unmapped kind → NULL)."""
    have = set(columns if columns is not None else src.source_columns())
    missing = [f"{c.name}（{c.zh}，源列 {src.mapping.source(c.name)}）" for c in COLUMNS
               if c.required and src.mapping.source(c.name) not in have]
    if missing:
        raise WangdiError("visits-columns-missing", f"就诊记录缺少必填列：{'、'.join(missing)}——"
                          f"请在列映射文件中指定源列（{src.mapping.where}）", f"required columns missing: {missing}")
    parts = []
    for c in COLUMNS:
        s = src.mapping.source(c.name)
        if s not in have:
            value = "1" if c.name == "count" else "NULL"
            parts.append(f"CAST({value} AS {c.sql_type}) AS {c.name}")
        elif c.name == "kind":
            cases = " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in sorted(src.mapping.kind_values.items()))
            parts.append(f"CASE CAST({_ident(s)} AS VARCHAR) {cases} END AS kind")
        elif c.name == "count":
            parts.append(f"CAST(coalesce({_ident(s)}, 1) AS BIGINT) AS count")
        else:
            parts.append(f"CAST({_ident(s)} AS {c.sql_type}) AS {c.name}")
    return f"SELECT {', '.join(parts)} FROM {RAW}"


def unmapped_kinds_sql(src: VisitSource) -> str:
    """Source kind values the mapping does not know (the check runs before any rule, on either engine)."""
    s = _ident(src.mapping.source("kind"))
    known = ", ".join(_q(k) for k in sorted(src.mapping.kind_values))
    return (f"SELECT CAST({s} AS VARCHAR) AS value, count(*) AS n FROM {RAW} "
            f"WHERE {s} IS NULL OR CAST({s} AS VARCHAR) NOT IN ({known}) GROUP BY 1 ORDER BY 2 DESC LIMIT 5")


def raise_unmapped(rows: list[tuple[Any, Any]], src: VisitSource) -> None:
    if rows:
        shown = "、".join(f"{'（空白）' if v is None else v}（{n} 条）" for v, n in rows)
        raise WangdiError("visits-unknown-kind", f"就诊类型有无法识别的取值：{shown}——请在列映射文件的 kind_values 中"
                          f"写明它们对应门诊、急诊或住院（{src.mapping.where}）；未作任何评估",
                          f"unmapped visit kinds: {rows}")


def attach_duckdb(con: duckdb.DuckDBPyConnection, src: VisitSource) -> None:
    """Make `visit` in `con` a view over the records (streamed Arrow scan); checks kinds first."""
    data = src.dataset()
    con.register(RAW, data)
    raise_unmapped([(r[0], r[1]) for r in con.execute(unmapped_kinds_sql(src)).fetchall()], src)
    con.execute("DROP TABLE IF EXISTS visit")
    con.execute(f"CREATE OR REPLACE TEMP VIEW visit AS {mapping_sql(src, list(data.schema.names))}")
