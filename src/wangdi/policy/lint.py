"""`packs lint`: a pack is accepted only if it loads (schema, values, expressions) AND every rule compiles and
binds in DuckDB over empty census tables of the real types — so every pack that lints also evaluates."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.policy import engine
from wangdi.policy.fields import ENTITIES, Dataset, build
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
    """A connection holding, for every entity, two sample rows of the real column types — one with a value in
    every field, one all blank — so that a type error shows at lint time, not on a bureau's data."""
    con = duckdb.connect()
    build(con, empty_dataset(region, as_of or date.today()))
    code = (region or "11").ljust(12, "0")
    for entity in ENTITIES:
        source = "ent_institution" if entity == "institution" else f"v_ent_{entity}"
        cols = con.execute(f"DESCRIBE {source}").fetchall()
        filled = ", ".join(f"{_sample(name, str(kind), code)} AS \"{name}\"" for name, kind, *_ in cols)
        blank = ", ".join(f"{_sample(name, str(kind), code) if name in ('entity_code', 'region_code') else 'NULL'}"
                          f"::{kind} AS \"{name}\"" for name, kind, *_ in cols)
        con.execute(f"CREATE OR REPLACE TEMP TABLE ent_{entity} AS SELECT {filled} UNION ALL SELECT {blank}")
    return con


def _sample(name: str, kind: str, code: str) -> str:
    if name == "region_code":
        return f"'{code}'"
    samples = {"VARCHAR": "'x'", "BOOLEAN": "true", "DATE": "DATE '2000-01-01'", "VARCHAR[]": "['x']"}
    if kind in samples:
        return f"{samples[kind]}::{kind}"
    if any(t in kind for t in ("INT", "DOUBLE", "DECIMAL", "FLOAT")):
        return f"1::{kind}"
    return f"NULL::{kind}"


def dry_run(p: Pack, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Evaluate every rule over the sample rows on each lint date; a failure is a PackError naming the rule."""
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
