"""The rule entity `indicator_value`, validation of reported rows, and the target shorthand `indicator:`.

The entity has one row per declared indicator and division of its level (in the evaluated region), for
the period due on the as-of date (`due_period`). `value` is NULL when nothing was reported; `reported`
is 1 then and NULL otherwise, so a target that divides the value by `reported` is unknown, never zero.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from wangdi.errors import WangdiError
from wangdi.indicators import LEVELS, TARGET_LEVEL, Indicator, catalog, due_period, period_ok, read_pack_indicators

DERIVED = {
    "reported": "1 when a value was reported for the due period, NULL when not",
    "level": "county / city / province (the indicator's declared level)",
    "unit": "the indicator's unit (share = a fraction 0–1; flag = 1 yes / 0 no)",
}
ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
COLUMNS = {"indicator": "VARCHAR", "division_code": "VARCHAR", "period": "VARCHAR", "value": "DOUBLE",
           "agency": "VARCHAR", "note": "VARCHAR", "synthetic": "BOOLEAN"}
# the fields of entity `indicator_value` with their types (what expressions may read; see create_view)
FIELD_TYPES = {"entity_code": "VARCHAR", "region_code": "VARCHAR", **COLUMNS,
               "reported": "DOUBLE", "level": "VARCHAR", "unit": "VARCHAR"}


def catalog_frame(as_of: date, extra: list[Indicator] | None = None) -> pl.DataFrame:
    inds = {**catalog(), **{i.id: i for i in extra or []}}
    rows = [{"id": i.id, "lvl": LEVELS[i.level], "due": due_period(i.period, as_of), "agency": i.agency,
             "level": i.level, "unit": i.unit} for i in inds.values()]
    schema = {"id": pl.String, "lvl": pl.Int8, "due": pl.String, "agency": pl.String, "level": pl.String,
              "unit": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def create_view(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """v_ent_indicator_value over the base table `indicator_value` (created empty if the snapshot lacks it)."""
    cols = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS indicator_value ({cols})")
    con.register("src_indicator_catalog", catalog_frame(as_of))
    con.execute("CREATE OR REPLACE TEMP TABLE indicator_catalog AS SELECT * FROM src_indicator_catalog")
    con.unregister("src_indicator_catalog")
    con.execute("""
      CREATE OR REPLACE TEMP VIEW v_ent_indicator_value AS
      SELECT c.id || '/' || d.code || '/' || c.due entity_code, d.code region_code, c.id indicator,
        d.code division_code, c.due period, v.value, coalesce(v.agency, c.agency) agency, v.note, v.synthetic,
        CASE WHEN v.value IS NOT NULL THEN CAST(1 AS DOUBLE) END reported, c.level, c.unit
      FROM indicator_catalog c JOIN divisions d ON d.level = c.lvl
      LEFT JOIN indicator_value v ON v.indicator = c.id AND v.division_code = d.code AND v.period = c.due""")


def expand_target(spec: dict[str, Any], folder: Path, where: str) -> dict[str, Any]:
    """`indicator: ID` in a target: read that indicator's value for each division of its level."""
    iid = str(spec["indicator"])
    own = {i.id: i for i in read_pack_indicators(folder)}
    ind = own.get(iid) or catalog().get(iid)
    if ind is None or not ID.match(iid):
        raise WangdiError("pack-unknown-indicator", f"{where}：指标 {iid} 未在 indicators.yaml 中声明",
                          f"{where}: indicator {iid} is not declared")
    clash = sorted(k for k in ("entity", "population", "numerator", "value", "denominator_value", "measure")
                   if k in spec)
    if clash:
        raise WangdiError("pack-indicator-conflict", f"{where}：使用 indicator 时不能再写 {'、'.join(clash)}",
                          f"{where}: indicator targets set {clash} themselves")
    out = dict(spec, entity="indicator_value", population=f"indicator = '{iid}'", value="value",
               denominator_value="reported", measure="share" if ind.unit == "share" else "ratio")
    out.setdefault("level", TARGET_LEVEL[ind.level])
    out.setdefault("label", ind.zh)
    out.setdefault("unit", "" if ind.unit in ("share", "flag") else ind.unit)
    agencies = [str(a) for a in out.get("responsible") or []]
    out["responsible"] = agencies if ind.agency in agencies else [*agencies, ind.agency]  # the reporter answers too
    return out


def check_rows(t: pl.DataFrame) -> list[tuple[str, str, str, pl.DataFrame, str]]:
    """Problems in typed indicator_value rows: (slug, zh, en, bad rows, field). Declared id, period form,
    division level, agency and value range (a share 0–1, a flag 0 or 1)."""
    cat = catalog()
    known = t.filter(pl.col("indicator").is_in(list(cat)))
    out = [("unknown-indicator", "指标代码未声明（用 wangdi indicators list 查看）", "indicator not declared by any pack",
            t.filter(~pl.col("indicator").is_in(list(cat))), "indicator")]
    bad_p, bad_l, bad_a, bad_v = [], [], [], []
    for r in known.iter_rows(named=True):
        ind = cat[r["indicator"]]
        if not period_ok(ind.period, str(r["period"] or "")):
            bad_p.append(r)
        if r["division_code"] and len(r["division_code"]) != {1: 2, 2: 4, 3: 6}[LEVELS[ind.level]]:
            bad_l.append(r)
        if r["agency"] and r["agency"] != ind.agency:
            bad_a.append(r)
        v = r["value"]
        if v is not None and ((ind.unit == "share" and v > 1) or (ind.unit == "flag" and v not in (0, 1))):
            bad_v.append(r)
    sch = t.schema
    out += [("wrong-period", "报告期格式与指标的报告周期不符（年度 2025、季度 2025Q4、月度 2025-12）",
             "period does not match the indicator's period type", pl.DataFrame(bad_p, schema=sch), "period"),
            ("wrong-indicator-level", "区划级别与指标的填报级别不符", "division level differs from the indicator's level",
             pl.DataFrame(bad_l, schema=sch), "division_code"),
            ("wrong-agency", "填报单位与指标声明的责任单位不符", "agency differs from the indicator's agency",
             pl.DataFrame(bad_a, schema=sch), "agency"),
            ("indicator-out-of-range", "指标值超出范围（比例填 0–1 的小数，是/否填 1 或 0）",
             "value out of range for its unit", pl.DataFrame(bad_v, schema=sch), "value")]
    return [o for o in out if o[3].height]
