"""Entities the rules run over, built as DuckDB tables from a registry snapshot and the field catalogue.

Every entity has `entity_code` and `region_code` (the division it sits in; targets group by its
prefix). Activity entities (deployment, visit, contract, training counts) are measured over the
reporting year: the latest calendar year with records on or before the as-of date. The derived
fields are declared once in `policy/catalogue.py`; a pack adds its own (`derived:` in pack.yaml),
written in the pack expression language and compiled by `policy/expr.py`, never raw SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from wangdi.errors import WangdiError
from wangdi.policy import expr
from wangdi.policy.catalogue import (
    CATALOGUE,
    ENTITY_SPECS,
    SPEC_MAP,
    STAFF_NOW,
    STAFF_YEAR_STAGE,
    STAGES,
    TYPES,
    Derived,
    EntitySpec,
)
from wangdi.registry.schema import POPULATION, TABLE_MAP

ENTITIES = tuple(e.name for e in ENTITY_SPECS)
_KIND_TYPE = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}
PACK_FIELD_KEYS = {"name", "entity", "type", "unit", "label", "description", "expr", "clause"}


def declared(entity: str, extra: Iterable[Derived] = ()) -> list[Derived]:
    """The derived fields of an entity: the engine's, then the pack's own (`extra`)."""
    return [f for f in CATALOGUE if f.entity == entity] + [f for f in extra if f.entity == entity]


def field_types(entity: str, extra: Iterable[Derived] = ()) -> dict[str, str]:
    """Every field of an entity with its DuckDB type: registry columns, keys, then derived fields."""
    spec = SPEC_MAP[entity]
    out: dict[str, str] = {}
    if spec.table:
        out.update({f.name: _KIND_TYPE.get(f.kind, "VARCHAR") for f in TABLE_MAP[spec.table].fields})
    out.update({"entity_code": "VARCHAR", "region_code": "VARCHAR"})
    out.update({f.name: f.type for f in declared(entity, extra)})
    return out


def fields_of(entity: str, extra: Iterable[Derived] = ()) -> list[str]:
    return sorted(field_types(entity, extra))


@dataclass
class Dataset:
    """A registry snapshot: census tables as of a date, plus the divisions of the region."""

    tables: dict[str, pl.DataFrame]
    divisions: pl.DataFrame
    as_of: date
    region: str
    data_version: str = ""


def _latest_population(as_of: date) -> str:
    sums = [f.name for f in POPULATION.fields if f.kind == "int" and f.name != "year"]
    cols, agg = ", ".join(sums), ", ".join(f"sum({c}) {c}" for c in sums)
    return f"""
      CREATE OR REPLACE TEMP TABLE pop_latest AS
      SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (PARTITION BY division_code ORDER BY year DESC) rn
        FROM population WHERE year <= {as_of.year}) WHERE rn = 1;
      CREATE OR REPLACE TEMP TABLE pop_division AS
      WITH v AS (SELECT * FROM pop_latest WHERE length(division_code) = 12),
      t AS (SELECT substr(division_code, 1, 9) code, {agg} FROM v GROUP BY 1
            UNION ALL  -- a township entered as a whole is used where it has no village rows
            SELECT division_code, {cols} FROM pop_latest p
            WHERE length(division_code) = 9 AND NOT EXISTS (
              SELECT 1 FROM v WHERE substr(v.division_code, 1, 9) = p.division_code))
      SELECT division_code code, {cols} FROM v
      UNION ALL SELECT * FROM t
      UNION ALL SELECT substr(code, 1, 6), {agg} FROM t GROUP BY 1;
    """


def build(con: duckdb.DuckDBPyConnection, data: Dataset) -> None:
    """Register the snapshot and create one table per entity (ent_<name>)."""
    for name, df in data.tables.items():
        con.register(f"src_{name}", df)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM src_{name}")
        con.unregister(f"src_{name}")
    register_divisions(con, data.divisions)
    derive(con, data.as_of, data.region)


def register_divisions(con: duckdb.DuckDBPyConnection, divs: pl.DataFrame) -> None:
    con.register("src_divisions", divs.select("code", "name", "level", "kind"))
    con.execute("CREATE OR REPLACE TEMP TABLE divisions AS SELECT * FROM src_divisions")
    con.unregister("src_divisions")


def _is_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    n = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()
    return bool(n[0][0])


def materialise(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Make ent_<entity> a table (once) from its view, so rules scan it instead of re-deriving it."""
    if not _is_table(con, f"ent_{entity}"):
        con.execute(f"DROP VIEW IF EXISTS ent_{entity}")
        con.execute(f"CREATE TEMP TABLE ent_{entity} AS SELECT * FROM v_ent_{entity}")


def use_view(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Make ent_<entity> a view over v_ent_<entity> unless a table of that name already exists."""
    if not _is_table(con, f"ent_{entity}"):
        con.execute(f"CREATE OR REPLACE TEMP VIEW ent_{entity} AS SELECT * FROM v_ent_{entity}")


def _subst(sql: str, as_of: date) -> str:
    return sql.replace("$AS_OF_MD", str(as_of.month * 100 + as_of.day)).replace("$AS_OF", f"DATE '{as_of.isoformat()}'") \
        .replace("$YEAR_START", f"DATE '{as_of.year}-01-01'")


def entity_sql(spec: EntitySpec) -> str:
    """The SELECT building one entity from its declared sources and fields."""
    fields = [f for f in CATALOGUE if f.entity == spec.name and f not in STAGES]
    joins = []
    for s in spec.sources:
        if not s.key:
            joins.append(f"LEFT JOIN {s.relation} {s.alias} ON {s.on}")
            continue
        aggs = [f"{f.sql} AS \"{f.name}\"" for f in fields if f.source == s.alias]
        if aggs:
            joins.append(f"LEFT JOIN (SELECT {s.key} AS _key, {', '.join(aggs)} {s.relation} GROUP BY 1) {s.alias} "
                         f"ON {s.on}")
    cols = ([spec.keep] if spec.keep else []) + [f"{spec.code} AS entity_code", f"{spec.region} AS region_code"]
    cols += [f.select for f in fields]
    return f"SELECT {', '.join(cols)} FROM {spec.base} {' '.join(joins)} WHERE {spec.where}"


def derive(con: duckdb.DuckDBPyConnection, as_of: date, region: str = "") -> None:
    """Create ent_institution and the views v_ent_* from base tables already in `con`."""
    d = f"DATE '{as_of.isoformat()}'"
    con.execute(_latest_population(as_of))
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE reporting AS SELECT
        (SELECT max(year(visit_date)) FROM visit WHERE visit_date <= {d}) visit_year,
        (SELECT max(year(start_date)) FROM deployment WHERE start_date <= {d}) deployment_year,
        (SELECT max(year) FROM contract WHERE year <= {as_of.year}) contract_year,
        (SELECT max(year(start_date)) FROM training WHERE start_date <= {d}) training_year,
        {len(region) <= 6} whole_counties""")
    now = ", ".join(f.select for f in STAFF_NOW)
    con.execute(_subst(f"""CREATE OR REPLACE TEMP VIEW staff_now AS SELECT s.*, {now} FROM staff s
      WHERE (s.end_date IS NULL OR s.end_date > $AS_OF) AND (s.start_date IS NULL OR s.start_date <= $AS_OF)""", as_of))
    year = ", ".join(f.select for f in STAFF_YEAR_STAGE)
    con.execute(_subst(f"""CREATE OR REPLACE TEMP VIEW staff_year AS SELECT s.*, {year} FROM staff s
      WHERE (s.end_date IS NULL OR s.end_date > $YEAR_START) AND (s.start_date IS NULL OR s.start_date <= $AS_OF)""",
                       as_of))
    for spec in ENTITY_SPECS:
        sql = _subst(entity_sql(spec), as_of)
        if spec.name == "institution":
            con.execute(f"CREATE OR REPLACE TEMP TABLE ent_institution AS {sql}")
        else:
            con.execute(f"CREATE OR REPLACE TEMP VIEW v_base_{spec.name} AS {sql}")
            con.execute(f"CREATE OR REPLACE TEMP VIEW v_ent_{spec.name} AS SELECT * FROM v_base_{spec.name}")


# --- fields a pack declares (`derived:` in pack.yaml) -------------------------------------------------

def pack_fields(items: Any, pack: str, where: str, inherited: Sequence[Derived] = ()) -> list[Derived]:
    """Read and compile a pack's `derived:` list; each expression may use earlier fields of its entity."""
    out: list[Derived] = list(inherited)
    if items is None:
        return out
    if not isinstance(items, list):
        raise WangdiError("pack-bad-derived", f"{where}：derived 应为列表", f"{where}: derived must be a list")
    for i, item in enumerate(items):
        at = f"{where} derived[{i}]"
        if not isinstance(item, dict):
            raise WangdiError("pack-bad-derived", f"{at}：应为映射", f"{at}: must be a mapping")
        unknown = sorted(set(item) - PACK_FIELD_KEYS - {"__line__"})
        name, entity, typ = str(item.get("name", "")), str(item.get("entity", "institution")), str(item.get("type", ""))
        if unknown or not name.isidentifier() or entity not in ENTITIES or typ not in TYPES[:4] \
                or not item.get("expr") or not item.get("label"):
            raise WangdiError("pack-bad-derived", f"{at}：需要 name（标识符）、entity（{'/'.join(ENTITIES)}）、"
                              f"type（{'/'.join(TYPES[:4])}）、label、expr；未知的键：{unknown}",
                              f"{at}: needs name, entity, type, label and expr")
        known = field_types(entity, out)
        if name in known:
            raise WangdiError("pack-bad-derived", f"{at}：字段 {name} 已存在", f"{at}: field {name} already exists")
        c = expr.compile_expr(str(item["expr"]), sorted(known), None, at)
        out.append(Derived(name, entity, typ, str(item["label"]), str(item.get("description", "")), c.sql,
                           str(item.get("unit", "")), pack=pack))
    return out


def apply_pack_fields(con: duckdb.DuckDBPyConnection, extra: Sequence[Derived]) -> None:
    """Add a pack's own fields to the entity tables/views already derived in `con` (idempotent)."""
    for entity in ENTITIES:
        mine = [f for f in extra if f.entity == entity]
        if not mine:
            continue
        if _is_table(con, f"ent_{entity}"):
            for f in mine:
                con.execute(f'ALTER TABLE ent_{entity} ADD COLUMN IF NOT EXISTS "{f.name}" {f.type}')
                con.execute(f'UPDATE ent_{entity} SET "{f.name}" = CAST(({f.sql}) AS {f.type})')
            continue
        rel = f"v_base_{entity}"
        if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [rel]).fetchall()[0][0]:
            continue  # entity not built in this connection (a pack test of another entity)
        for f in mine:
            rel = f'(SELECT *, CAST(({f.sql}) AS {f.type}) AS "{f.name}" FROM {rel})'
        con.execute(f"CREATE OR REPLACE TEMP VIEW v_ent_{entity} AS SELECT * FROM {rel}")
        exists = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [f"ent_{entity}"]).fetchall()
        if exists[0][0]:
            con.execute(f"CREATE OR REPLACE TEMP VIEW ent_{entity} AS SELECT * FROM v_ent_{entity}")
