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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from wangdi import divisions
from wangdi.policy import engine, fields, formatting
from wangdi.policy.catalogue import Derived
from wangdi.policy.fields import Dataset, apply_pack_fields
from wangdi.policy.pack import Pack
from wangdi.policy.results import NUMERIC

_POLARS: dict[str, pl.DataType] = {"INTEGER": pl.Int64(), "BIGINT": pl.Int64(), "DOUBLE": pl.Float64(),
                                   "BOOLEAN": pl.Boolean(), "VARCHAR": pl.String(), "DATE": pl.Date(),
                                   "VARCHAR[]": pl.List(pl.String())}
# the division level an entity's rows sit at by default (its region_code length)
ENTITY_LEVEL = {"institution": 12, "staff": 12, "staff_year": 12, "village": 12, "township": 9, "county": 6, "deployment": 9,
                "visit": 9, "resident_visit": 9, "contract": 9}


def field_types(entity: str, extra: Iterable[Derived] = ()) -> dict[str, pl.DataType]:
    """Column types of an entity, from the same declaration the engine builds it from."""
    return {name: _POLARS[t] for name, t in fields.field_types(entity, extra).items()}


def default_entity_region(entity: str, region: str) -> str:
    """The first division of the entity's level inside `region` (the pack's own region: no city is assumed)."""
    level = ENTITY_LEVEL[entity]
    if len(region) >= level:
        return region[:level]
    codes = divisions.reference().filter(pl.col("code").str.starts_with(region) & (pl.col("code").str.len_chars() == level))
    return str(codes["code"].sort()[0]) if codes.height else region.ljust(level, "0")[:level]


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
    region = str(case.get("region") or pack.manifest.get("region") or pack.manifest.get("jurisdiction") or "")
    entity_region = str(case.get("entity_region") or default_entity_region(rule.entity, region))
    types = field_types(rule.entity, pack.derived)
    rows = _rows(case, rule.entity, entity_region)
    own = {f.name for f in pack.derived}  # the pack's own fields are computed from their inputs, never given
    unknown = sorted({k for r in rows for k in r} - set(types) | ({k for r in rows for k in r} & own))
    if unknown:
        return CaseResult(name, rid, False, f"未知字段或派生字段 {unknown}（派生字段由其输入计算，请给出输入）")
    frame = pl.DataFrame([{k: r.get(k) for k in types} for r in rows], schema=types)
    con = duckdb.connect()
    con.register("src", frame)
    con.execute(f"CREATE TEMP TABLE ent_{rule.entity} AS SELECT * FROM src")
    apply_pack_fields(con, pack.derived)
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
