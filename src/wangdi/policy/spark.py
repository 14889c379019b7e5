"""The Spark engine: the pack's compiled DuckDB SQL, transpiled by sqlglot, run on Spark (never rewritten by hand).

How it works, engine-agnostically: the DuckDB engine is run in *capture* mode — every statement it issues
passes through `Capture`; entity building runs on DuckDB (the registry fits one machine), and the per-rule
`INSERT INTO results SELECT …` statements are recorded instead of run. Each recorded SELECT is transpiled
(`to_spark`), the tables it reads are shipped to Spark (small registry tables from the driver as Arrow; views over
visit records are rebuilt in Spark from their own DuckDB SQL over the files Spark reads itself), and the
results come back into the DuckDB `results` table for the engine's post-processing. A rule Spark cannot
analyse runs on DuckDB instead and is listed with Spark's reason (`SparkRun.fallbacks`).

Master: WANGDI_SPARK_MASTER (default `local[*]`). Local masters bind to 127.0.0.1 with the UI off.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from wangdi.errors import WangdiError
from wangdi.policy import engine
from wangdi.policy.fields import Dataset, use_view
from wangdi.policy.pack import Pack
from wangdi.policy.results import RESULT_COLUMNS
from wangdi.visits import run as visit_run
from wangdi.visits.source import RAW, VisitSource, mapping_sql, raise_unmapped, unmapped_kinds_sql

_SESSION: Any = None
_INSERT = re.compile(r"\s*INSERT\s+INTO\s+(\w+)\s", re.I)
ARRAY_MAKERS: tuple[type[exp.Expr], ...] = (exp.ArrayFilter, exp.Array)


def session() -> Any:
    """One SparkSession per process (tests share it); quiet, local-only unless a cluster master is given."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WangdiError("spark-missing", "未安装 Spark 引擎：请 pip install 'wangdi[spark]'（需要 Java 17）",
                          "pyspark is not installed: pip install 'wangdi[spark]'") from None
    master = os.environ.get("WANGDI_SPARK_MASTER", "local[*]")
    b = (SparkSession.builder.appName("wangdi").master(master)
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", os.environ.get("WANGDI_SPARK_SHUFFLE_PARTITIONS", "8"))
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.ansi.enabled", "false")  # DuckDB semantics: x / 0 is NULL, not an error
         .config("spark.driver.memory", os.environ.get("WANGDI_SPARK_DRIVER_MEMORY", "2g")))
    if master.startswith("local"):
        b = b.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    try:
        _SESSION = b.getOrCreate()
    except Exception as e:  # the JVM did not start (no Java 17, bad master)
        raise WangdiError("spark-unavailable", f"无法启动 Spark（{master}）：{str(e).splitlines()[0][:200]}",
                          f"cannot start Spark at {master}") from None
    _SESSION.sparkContext.setLogLevel("FATAL")
    return _SESSION


def _fix(node: exp.Expr) -> exp.Expr:
    """Generic DuckDB → Spark repairs sqlglot leaves: len(list) is LENGTH (strings) in Spark, SIZE for arrays."""
    if isinstance(node, exp.Length) and isinstance(node.this, ARRAY_MAKERS):
        return exp.ArraySize(this=node.this)
    return node


def _list_len(duck_sql: str) -> str:
    """The engine writes len(list) for lists and length(text) for strings; sqlglot reads both as LENGTH, which
    Spark applies to strings only. Calls of len( become array_length( (found by the tokenizer, never in literals)."""
    from itertools import pairwise

    from sqlglot.tokenizer_core import TokenType

    tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(duck_sql)
    spans = [t for t, n in pairwise(tokens)
             if t.text.lower() == "len" and t.token_type != TokenType.STRING and n.token_type == TokenType.L_PAREN]
    for t in reversed(spans):
        duck_sql = duck_sql[:t.start] + "array_length" + duck_sql[t.end + 1:]
    return duck_sql


def to_spark(duck_sql: str) -> str:
    """Transpile one DuckDB statement to Spark SQL (sqlglot + the generic repairs in `_list_len` and `_fix`)."""
    tree = sqlglot.parse_one(_list_len(duck_sql), read="duckdb").transform(_fix)
    return str(tree.sql(dialect="spark"))


def tables_read(tree: exp.Expr) -> set[str]:
    """Names of tables/views a statement reads (its own CTE names excluded)."""
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


class Capture:
    """A DuckDB connection that records INSERT … SELECT into the results table instead of running it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        self.con, self.table = visit_run.Streamed(con), table
        self.inserts: list[str] = []

    def execute(self, sql: str, *args: Any) -> Any:
        m = _INSERT.match(sql)
        if m and m.group(1) == self.table:
            self.inserts.append(sql)
            return self.con.execute("SELECT 1")
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


@dataclass
class SparkRun:
    results: pl.DataFrame
    fallbacks: dict[str, str] = field(default_factory=dict)  # rule id -> why Spark could not run it
    spark_rules: int = 0


class _Shipper:
    """Makes DuckDB tables and views visible to Spark under the same names."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spark: Any, src: VisitSource | None, staging: Path) -> None:
        self.con, self.spark, self.src, self.staging = con, spark, src, staging
        self.done: set[str] = set()
        views = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()
        self.views = {str(n): str(s) for n, s in views}

    def _streamed(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        if self.src is not None and name == "visit":
            return True
        if name not in self.views or name in seen:
            return False
        tree = sqlglot.parse_one(self.views[name], read="duckdb")
        return any(self._streamed(t, seen | {name}) for t in tables_read(tree))

    def ensure(self, name: str) -> None:
        if name in self.done:
            return
        self.done.add(name)
        if self.src is not None and name == "visit":
            self._visit_files()
        elif self._streamed(name):  # rebuild the view in Spark from its own SQL over the streamed table
            create = sqlglot.parse_one(self.views[name], read="duckdb")
            body = create.expression
            for t in sorted(tables_read(body)):
                self.ensure(t)
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {to_spark(body.sql(dialect='duckdb'))}")
        else:  # registry-sized: ship the rows from the driver (Arrow), or through staged Parquet on request
            table = self.con.sql(f"SELECT * FROM {name}").fetch_arrow_table()
            if os.environ.get("WANGDI_SPARK_STAGING"):
                path = self.staging / f"{name}.parquet"
                pq.write_table(table, str(path))
                frame = self.spark.read.parquet(str(path))
            else:
                frame = self.spark.createDataFrame(table)
            frame.cache().createOrReplaceTempView(name)

    def _visit_files(self) -> None:
        assert self.src is not None
        src, reader = self.src, self.spark.read
        if src.fmt == "csv":
            df = reader.option("header", "true").option("inferSchema", "false").csv(str(src.path))
        else:
            df = reader.parquet(str(src.path))
        df.createOrReplaceTempView(RAW)
        raise_unmapped([(r[0], r[1]) for r in self.spark.sql(to_spark(unmapped_kinds_sql(src))).collect()], src)
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW visit AS {to_spark(mapping_sql(src, list(df.columns)))}")


def _typed_select(insert_sql: str, types: list[tuple[str, str]]) -> str:
    """The SELECT of a captured INSERT, each column cast to the results table's type (DuckDB SQL)."""
    ins = sqlglot.parse_one(_list_len(insert_sql), read="duckdb")
    inner = ins.expression.sql(dialect="duckdb")
    cols = ", ".join(f'CAST("_c{i}" AS {t}) AS "{n}"' for i, (n, t) in enumerate(types))
    named = ", ".join(f'"_c{i}"' for i in range(len(types)))
    return f"SELECT {cols} FROM ({inner}) AS _r({named})"


def evaluate(pack: Pack, data: Dataset, src: VisitSource | None = None, rules: list[str] | None = None,
             con: duckdb.DuckDBPyConnection | None = None) -> SparkRun:
    """Evaluate `pack` on Spark; the same result columns as the DuckDB engine."""
    spark = session()
    con = con or duckdb.connect()
    visit_run.prepare(con, data, src)
    cap = Capture(con, "results")
    engine.evaluate_into(pack, data, cap, "results", rules, prebuilt=True)  # type: ignore[arg-type]
    types = [(str(r[0]), str(r[1])) for r in con.execute("DESCRIBE results").fetchall()]
    staging = Path(tempfile.mkdtemp(prefix="wangdi-spark-", dir=os.environ.get("WANGDI_SPARK_STAGING")))
    try:
        run = _run(spark, con, cap.inserts, types, _Shipper(con, spark, src, staging))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    engine.no_double_payment(pack, con, "results")
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    run.results = con.sql(f"SELECT {cols} FROM results").pl()
    return run


def measures(data: Dataset, src: VisitSource | None, level: str = "county", period: str = "year") -> pl.DataFrame:
    """The visit measures on Spark: the DuckDB measures query, transpiled."""
    from wangdi.visits.measures import measures_sql

    spark, con = session(), duckdb.connect()
    visit_run.prepare(con, data, src)
    use_view(con, "visit")
    sql = measures_sql(level, period, data.region)
    staging = Path(tempfile.mkdtemp(prefix="wangdi-spark-", dir=os.environ.get("WANGDI_SPARK_STAGING")))
    try:
        ship = _Shipper(con, spark, src, staging)
        for t in tables_read(sqlglot.parse_one(sql, read="duckdb")):
            ship.ensure(t)
        out: pl.DataFrame = pl.from_arrow(spark.sql(to_spark(sql)).toArrow())  # type: ignore[assignment]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _rule_id(insert_sql: str) -> str:
    lits = [x for x in sqlglot.parse_one(insert_sql, read="duckdb").expression.expressions[:2]]
    return str(lits[1].name) if len(lits) > 1 else "?"


def _run(spark: Any, con: duckdb.DuckDBPyConnection, inserts: list[str], types: list[tuple[str, str]],
         ship: _Shipper) -> SparkRun:
    """All rules as one Spark job (UNION ALL); rules Spark rejects are found one by one and run on DuckDB."""
    run, ok = SparkRun(pl.DataFrame()), []
    selects = [_typed_select(s, types) for s in inserts]
    for sql in selects:
        for t in tables_read(sqlglot.parse_one(sql, read="duckdb")):
            ship.ensure(t)
    for ins, sql in zip(inserts, selects, strict=True):
        try:
            ok.append(spark.sql(to_spark(sql)))
        except Exception as e:  # AnalysisException / ParseException: Spark cannot run this rule's SQL
            run.fallbacks[_rule_id(ins)] = str(e).splitlines()[0][:300]
            con.execute(ins)
    if ok:
        frame = ok[0]
        for other in ok[1:]:
            frame = frame.unionByName(other)
        arrow = frame.toArrow()
        con.register("_spark_results", arrow)
        con.execute("INSERT INTO results SELECT * FROM _spark_results")
        con.unregister("_spark_results")
    run.spark_rules = len(ok)
    return run
