"""Pack test cases (as OpenFisca's YAML tests): entity rows in, expected outcomes out.

    - name: 100 m² meets the floor
      rule: clinic_floor_area
      as_of: 2025-12-31
      entity: {type_code: D600, floor_area_incl_toilet_m2: 100}
      expect: pass                      # or {outcome: fail, gap: 0.1}
    - name: 99 people sent down is one short
      rule: deployed_total
      region: "371521"                  # targets: the region whose outcome is checked
      entities: [{from_level: county, in_reporting_year: true, repeat: 99}]
      expect: {outcome: not_met, gap: 1}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from wangdi import divisions
from wangdi.policy import engine, formatting
from wangdi.policy.fields import Dataset, fields_of
from wangdi.policy.pack import Pack
from wangdi.policy.results import NUMERIC
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.store import polars_schema

LISTS = {"equipment_items", "services"}  # list-valued fields (institution, county)
BOOLS = {"in_reporting_year", "is_primary", "within_county", "in_integrated_clinic", "remote_area", "is_physician",
         "pure_pastoral"}
STRINGS = {"township_code", "county_code", "institution_type", "from_type", "to_type", "from_level", "to_level",
           "name", "kind", "entity_code", "region_code", "code"}
DEFAULT_REGION = {"institution": "371521108201", "staff": "371521108201", "village": "371521108201",
                  "township": "371521108", "county": "371521", "deployment": "371521108",
                  "visit": "371521108", "contract": "371521108"}


def field_types(entity: str) -> dict[str, pl.DataType]:
    base: dict[str, pl.DataType] = polars_schema(TABLE_MAP[entity]) if entity in TABLE_MAP else {}
    out: dict[str, pl.DataType] = {}
    for f in fields_of(entity):
        if f in base:
            out[f] = base[f]
        elif f in LISTS:
            out[f] = pl.List(pl.String())
        elif f in BOOLS:
            out[f] = pl.Boolean()
        elif f in STRINGS:
            out[f] = pl.String()
        else:
            out[f] = pl.Float64()
    return out


@dataclass
class CaseResult:
    name: str
    rule: str
    ok: bool
    detail: str


def _rows(case: dict[str, Any], entity: str, region: str) -> list[dict[str, Any]]:
    specs = case.get("entities") or [case.get("entity") or {}]
    rows: list[dict[str, Any]] = []
    for spec in specs:
        n = int(spec.get("repeat", 1))
        base = {k: v for k, v in spec.items() if k != "repeat"}
        base.setdefault("region_code", region)
        for _ in range(n):
            rows.append({**base, "entity_code": base.get("entity_code", f"E{len(rows) + 1}")})
    return rows


def run_case(pack: Pack, case: dict[str, Any]) -> CaseResult:
    name, rid = str(case.get("name", "")), str(case.get("rule", ""))
    if rid not in pack.rules:
        return CaseResult(name, rid, False, f"规则 {rid} 不存在")
    rule = pack.rules[rid]
    as_of = case.get("as_of") or date(2026, 12, 31)
    as_of = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of))
    region = str(case.get("region") or pack.manifest.get("region") or "371521")
    entity_region = str(case.get("entity_region") or (DEFAULT_REGION[rule.entity] if region == "371521"
                                                      else region.ljust(12, "0")[:12]))
    types = field_types(rule.entity)
    rows = _rows(case, rule.entity, entity_region)
    unknown = sorted({k for r in rows for k in r} - set(types))
    if unknown:
        return CaseResult(name, rid, False, f"未知字段 {unknown}")
    frame = pl.DataFrame([{k: r.get(k) for k in types} for r in rows], schema=types)
    con = duckdb.connect()
    con.register("src", frame)
    con.execute(f"CREATE TEMP TABLE ent_{rule.entity} AS SELECT * FROM src")
    divs = divisions.reference().filter(pl.col("code").str.starts_with(region[:6]) | (pl.col("code") == region[:4]))
    con.register("d", divs.select("code", "name", "level", "kind"))
    con.execute("CREATE TEMP TABLE divisions AS SELECT * FROM d")
    data = Dataset({}, divs, as_of, region)
    group = rule.spec.get("no_double")
    together = [r.id for r in pack.rules.values() if group and r.spec.get("no_double") == group] or [rid]
    got = engine.evaluate(pack, data, together, con, prebuilt=True)
    target = str(case.get("expect_entity") or (region if rule.kind == "target" else rows[0]["entity_code"]))
    hit = got.filter((pl.col("entity_code") == target) & (pl.col("rule_id") == rid))
    expect = case.get("expect")
    want = expect if isinstance(expect, dict) else {"outcome": expect}
    if hit.is_empty():  # outside the rule's applicability filter: no row, i.e. not applicable
        ok = want.get("outcome") == "not_applicable"
        return CaseResult(name, rid, ok, "no result row (not applicable)" if not ok else "")
    row = hit.row(0, named=True)
    row["message"] = formatting.describe(row, rule)  # an expected message is checked as a person reads it
    problems = []
    for key, value in want.items():
        actual = row.get(key)
        if key in NUMERIC and actual is not None and value is not None:
            tol = 1e-6 if key in ("gap", "amount") else 0.5 * 10 ** -_decimals(value)  # "0.83" means 0.83 to two places
            if abs(float(actual) - float(value)) > tol:
                problems.append(f"{key} {actual} ≠ {value}")
        elif str(actual) != str(value):
            problems.append(f"{key} {actual!r} ≠ {value!r}")
    return CaseResult(name, rid, not problems, "; ".join(problems) or row["message"])


def _decimals(value: Any) -> int:
    text = str(value)
    return len(text.split(".", 1)[1]) if "." in text else 6


def run_pack_tests(pack: Pack) -> list[CaseResult]:
    return [run_case(pack, case) for case in pack.tests]
