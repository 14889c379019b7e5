"""`packs lint`: a pack is accepted only if it loads (schema, values, expressions) AND every rule compiles and
binds in DuckDB over empty census tables of the real types — so every pack that lints also evaluates."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.policy import engine
from wangdi.policy.fields import Dataset, build
from wangdi.policy.pack import Pack, PackError
from wangdi.registry.schema import TABLES
from wangdi.registry.store import polars_schema


def empty_dataset(region: str, as_of: date) -> Dataset:
    tables = {t.name: pl.DataFrame(schema=polars_schema(t)) for t in TABLES}
    ref = divisions.reference()
    divs = ref.filter(pl.col("code").str.starts_with(region) | pl.lit(region).str.starts_with(pl.col("code")))
    return Dataset(tables, divs, as_of, region)


def lint_dates(p: Pack) -> list[date]:
    """The dates a dry run covers: the pack's start and end, and each target's milestones."""
    days = {d for d in (p.manifest.get("effective_from"), p.manifest.get("effective_to")) if isinstance(d, date)}
    for r in p.rules.values():
        days |= {m["by"] for m in r.spec.get("milestones") or []}
    return sorted(days) or [date.today()]


def prepared(region: str = "", as_of: date | None = None) -> duckdb.DuckDBPyConnection:
    """A connection holding empty census tables and the divisions (reusable for many dry runs)."""
    con = duckdb.connect()
    build(con, empty_dataset(region, as_of or date.today()))
    return con


def dry_run(p: Pack, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Evaluate every rule over empty census tables on each lint date; a failure is a PackError naming the rule."""
    region = str(p.manifest.get("region") or p.manifest.get("jurisdiction") or "")
    dates = lint_dates(p)
    con = con or prepared(region, dates[0])
    divs = divisions.reference()
    for day in dates:
        try:
            engine.evaluate_into(p, Dataset({}, divs, day, region), con, "lint_results", prebuilt=True)
        except PackError:
            raise
        except WangdiError as e:
            raise PackError("pack-does-not-evaluate", f"{p.id}（{day}）：{e.zh}", f"{p.id} on {day}: {e.en}") from None
    return len(dates)
