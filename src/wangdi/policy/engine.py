"""Vectorised evaluation: each rule is one DuckDB query over all entities of its kind at once.

Entities outside a rule's applicability filter get no result row; `not_applicable` rows mean the
rule applies but no parameter value is in force for that jurisdiction and date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from wangdi.errors import WangdiError
from wangdi.policy import expr
from wangdi.policy.fields import Dataset, apply_pack_fields, build, fields_of, materialise, use_view
from wangdi.policy.pack import LEVELS, Pack, Parameter, Rule
from wangdi.registry.reference import EQUIPMENT_BY_KEY

RESULT_COLUMNS = ["pack", "rule_id", "clause_ref", "kind", "group", "entity_type", "entity_code", "region_code",
                  "outcome", "observed", "required", "gap", "gap_unit", "message"]
NUM = ("CASE WHEN round(CAST({0} AS DOUBLE), 2) = round(CAST({0} AS DOUBLE)) THEN CAST(CAST(round({0}) AS BIGINT) AS VARCHAR) "
       "ELSE CAST(round(CAST({0} AS DOUBLE), 2) AS VARCHAR) END")


def num(sql: str) -> str:
    return NUM.format(sql)


def q(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def param_sql(p: Parameter, as_of: date) -> str:
    """SQL for a parameter on `as_of`: the most specific jurisdiction's value in force, per row."""
    in_force = [v for v in p.values if (v.get("from") is None or v["from"] <= as_of)
                and (v.get("to") is None or as_of <= v["to"])]
    by_j: dict[str, Any] = {}
    for v in in_force:
        j = str(v.get("jurisdiction") or "")
        if j in by_j:
            raise WangdiError("parameter-conflict", f"参数 {p.id} 在 {as_of} 对区划 '{j or '全部'}' 有两个同时有效的取值"
                              f"（{by_j[j]} 和 {v['value']}），请修正生效期间（{p.where}）",
                              f"conflict: two values of {p.id} in force for {j or 'all'} on {as_of}")
        by_j[j] = v["value"]
    if not by_j:
        return "NULL"

    def lit(v: Any) -> str:
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else q(str(v))

    if list(by_j) == [""]:
        return lit(by_j[""])
    cases = " ".join(f"WHEN starts_with(region_code, {q(j)}) THEN {lit(v)}"
                     for j, v in sorted(by_j.items(), key=lambda kv: -len(kv[0])) if j)
    return f"(CASE {cases} ELSE {lit(by_j[''])  if '' in by_j else 'NULL'} END)"


class Compiler:
    def __init__(self, pack: Pack, as_of: date) -> None:
        self.pack, self.as_of = pack, as_of
        self.names = sorted(pack.parameters)

    def compile(self, rule: Rule, key: str, default: str | None = None) -> tuple[str, set[str]]:
        text = rule.spec.get(key)
        if text is None:
            return (default if default is not None else "NULL"), set()
        known = fields_of(rule.entity, self.pack.derived)
        c = expr.compile_expr(str(text), known, lambda n: param_sql(self.pack.parameters[n], self.as_of),
                              f"{rule.where} {key}", self.names)
        return f"({c.sql})", c.params

    def params_ok(self, used: set[str]) -> str:
        checks = [f"({param_sql(self.pack.parameters[p], self.as_of)}) IS NOT NULL" for p in sorted(used)]
        return " AND ".join(checks) if checks else "TRUE"


def _applicable(rule: Rule, as_of: date) -> bool:
    start, end = rule.spec.get("effective_from"), rule.spec.get("effective_to")
    return not ((start and as_of < date.fromisoformat(str(start))) or (end and as_of > date.fromisoformat(str(end))))


def requirement_sql(c: Compiler, rule: Rule, region: str) -> str:
    applies, p1 = c.compile(rule, "applies", "TRUE")
    label, unit = q(rule.spec.get("label", rule.summary)), str(rule.spec.get("unit", ""))
    ent = f"ent_{rule.entity}"
    where = f"starts_with(region_code, {q(region)})"
    if rule.spec.get("items"):
        items = [str(i) for i in rule.spec["items"]]
        lst = "[" + ", ".join(f"{{'k': {q(i)}, 'zh': {q(EQUIPMENT_BY_KEY[i].zh if i in EQUIPMENT_BY_KEY else i)}}}"
                              for i in items) + "]"
        obs = f"len(list_filter({lst}, lambda x: list_contains(equipment_items, x.k)))"
        absent = f"list_filter({lst}, lambda x: NOT list_contains(equipment_items, x.k))"
        missing = f"array_to_string(list_transform({absent}, lambda x: x.zh), '、')"
        core = f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1)} _pok,
                   CAST({obs} AS DOUBLE) _obs, {len(items)}.0 _min, NULL::DOUBLE _max, {missing} _missing
                   FROM {ent} WHERE {where}"""
        unit = unit or "项"
        fail_msg = f"{label} || '：缺少 ' || _missing"
        ok_msg = f"{label} || '：齐全'"
        gap = "_min - _obs"
        required = q(f"{len(items)} 项全部配备")
        observed = f"'已配 ' || {num('_obs')} || '/' || {len(items)}"
    elif rule.spec.get("check") is not None or rule.spec.get("readiness"):
        if rule.spec.get("readiness"):
            parts, used = [], set(p1)
            for items in rule.spec["readiness"].values():
                scored = []
                for it in items:
                    sql, ps = c.compile(Rule(rule.id, rule.kind, "", "", "", {"x": it, "entity": rule.entity},
                                             where=rule.where), "x")
                    used |= ps
                    scored.append(f"coalesce(CAST({sql} AS DOUBLE), 0)")
                parts.append(f"(({' + '.join(scored)}) / {len(scored)})")
            mn, p2 = c.compile(rule, "min", "1")
            core = f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(used | p2)} _pok,
                       ({' + '.join(parts)}) / {len(parts)} _obs, CAST({mn} AS DOUBLE) _min, NULL::DOUBLE _max
                       FROM {ent} WHERE {where}"""
            fail_msg = f"{label} || '：就绪指数 ' || {num('_obs')} || '，低于 ' || {num('_min')}"
            ok_msg = f"{label} || '：就绪指数 ' || {num('_obs')}"
            gap, required, observed = "_min - _obs", f"'≥' || {num('_min')}", num("_obs")
        else:
            chk, p2 = c.compile(rule, "check")
            core = f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1 | p2)} _pok,
                       CAST({chk} AS INT)::DOUBLE _obs, 1.0 _min, NULL::DOUBLE _max FROM {ent} WHERE {where}"""
            fail_msg, ok_msg = f"{label} || '：未达到'", f"{label} || '：达到'"
            gap, required, observed = "1", q("是"), "CASE WHEN _obs = 1 THEN '是' ELSE '否' END"
            unit = unit or "项"
    else:
        obs, p2 = c.compile(rule, "observed")
        mn, p3 = c.compile(rule, "min")
        mx, p4 = c.compile(rule, "max")
        core = f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1 | p2 | p3 | p4)} _pok,
                   CAST({obs} AS DOUBLE) _obs, CAST({mn} AS DOUBLE) _min, CAST({mx} AS DOUBLE) _max
                   FROM {ent} WHERE {where}"""
        u = q(unit)
        fail_msg = (f"CASE WHEN _obs < _min THEN {label} || '：' || {num('_obs')} || {u} || '，低于 ' || {num('_min')}"
                    f" || {u} || '，差 ' || {num('_min - _obs')} || {u} ELSE {label} || '：' || {num('_obs')} || {u}"
                    f" || '，高于 ' || {num('_max')} || {u} || '，超 ' || {num('_obs - _max')} || {u} END")
        ok_msg = f"{label} || '：' || {num('_obs')} || {u} || '，达标'"
        gap = "CASE WHEN _obs < _min THEN _min - _obs ELSE _obs - _max END"
        required = (f"concat_ws('–', CASE WHEN _min IS NOT NULL THEN '≥' || {num('_min')} END,"
                    f" CASE WHEN _max IS NOT NULL THEN '≤' || {num('_max')} END)")
        observed = num("_obs")
    has_bound = "(_min IS NOT NULL OR _max IS NOT NULL)"
    return f"""
      WITH b AS ({core}), o AS (SELECT *, CASE
          WHEN _applies IS NULL THEN 'unknown' WHEN NOT _applies THEN 'not_applicable'
          WHEN NOT _pok THEN 'not_applicable'
          WHEN _obs IS NULL OR NOT {has_bound} THEN 'unknown'
          WHEN (_min IS NULL OR _obs >= _min) AND (_max IS NULL OR _obs <= _max) THEN 'pass' ELSE 'fail' END outcome
        FROM b)
      SELECT entity_code, region_code, outcome,
        CASE WHEN outcome IN ('pass', 'fail') THEN {observed} END observed,
        CASE WHEN outcome IN ('pass', 'fail') THEN {required} END required,
        CASE WHEN outcome = 'fail' THEN {gap} END gap, {q(unit)} gap_unit,
        CASE outcome WHEN 'fail' THEN {fail_msg} WHEN 'pass' THEN {ok_msg}
          WHEN 'unknown' THEN {label} || '：缺少数据，无法判断' ELSE '不适用：没有生效的参数' END message
      FROM o WHERE _applies IS NOT FALSE"""


def target_sql(c: Compiler, rule: Rule, region: str, as_of: date) -> str:
    level = LEVELS[rule.spec["level"]]
    pop, p1 = c.compile(rule, "population", "TRUE")
    numr, p2 = c.compile(rule, "numerator", "TRUE")
    val, p3 = c.compile(rule, "value", "1")
    den, p4 = c.compile(rule, "denominator_value")
    measure = rule.spec.get("measure", "share")
    scale = float(rule.spec.get("scale", 1))
    ms = sorted(rule.spec["milestones"], key=lambda m: m["by"])
    due = [m for m in ms if m["by"] <= as_of]
    m = due[-1] if due else next(m for m in ms if m["by"] > as_of)
    used: set[str] = set()

    def bound_sql(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, str) and v.startswith("param."):
            name = v[len("param."):]
            used.add(name)
            return f"CAST({param_sql(c.pack.parameters[name], as_of)} AS DOUBLE)"
        return repr(float(v))

    lo, hi = bound_sql(m.get("min")), bound_sql(m.get("max"))
    unit, label = str(rule.spec.get("unit", "")), q(rule.spec.get("label", rule.summary))
    fmt = (lambda s: f"{num(f'100 * {s}')} || '%'") if measure == "share" else num
    denom = f"coalesce({den}, {val})" if den != "NULL" else val
    if measure == "total":
        measured, needed = f"num * {scale}", f"ceil({lo} - num * {scale})"
    else:  # share or ratio: entities (or units of value) still needed to reach the minimum
        measured, needed = f"num / nullif(den, 0) * {scale}", f"ceil({lo} / {scale} * den - num)"
    regions = (f"SELECT code region FROM divisions WHERE length(code) = {level} AND "
               f"(starts_with(code, {q(region)}) OR starts_with({q(region)}, code))")
    if len(region) == level:
        regions = f"SELECT {q(region)} region"
    by_txt = m["by"].isoformat()
    bound = (f"concat_ws('，', CASE WHEN {lo} IS NOT NULL THEN '≥' || {fmt(lo)} END, "
             f"CASE WHEN {hi} IS NOT NULL THEN '≤' || {fmt(hi)} END)")
    return f"""
      WITH e AS (SELECT substr(region_code, 1, {level}) region, {pop} _pop, {numr} _num,
                 CAST({val} AS DOUBLE) _val, CAST({denom} AS DOUBLE) _den
                 FROM ent_{rule.entity} WHERE starts_with(region_code, {q(region[:level])})),
      a AS (SELECT region, coalesce(sum(_val) FILTER (_pop AND _num), 0) num,
            sum(_den) FILTER (_pop AND _num IS NOT NULL) den, count(*) FILTER (_pop) pop_n,
            count(*) FILTER (_pop AND _num IS NULL) unknown_n FROM e GROUP BY region),
      r AS (SELECT g.region, g.region region_code, a.num, a.den, coalesce(a.pop_n, 0) pop_n,
            coalesce(a.unknown_n, 0) unknown_n FROM ({regions}) g LEFT JOIN a ON a.region = g.region),
      m AS (SELECT *, CASE WHEN den IS NULL AND '{measure}' <> 'total' THEN NULL ELSE {measured} END measured,
            greatest({needed}, 0) needed FROM r),
      o AS (SELECT *, ({lo} IS NULL OR measured >= {lo}) AND ({hi} IS NULL OR measured <= {hi}) ok FROM m),
      f AS (SELECT *, CASE WHEN NOT ({c.params_ok(p1 | p2 | p3 | p4 | used)}) THEN 'not_applicable'
              WHEN pop_n = 0 AND '{measure}' <> 'total' THEN 'not_applicable'
              WHEN measured IS NULL THEN 'unknown' WHEN {'ok' if due else 'FALSE'} THEN 'met'
              WHEN {'TRUE' if due else 'FALSE'} THEN 'not_met' ELSE 'not_yet_due' END outcome FROM o)
      SELECT region entity_code, region region_code, outcome, {fmt('measured')} observed,
        {bound} || '（{by_txt}前）' required, CASE WHEN NOT ok THEN needed END gap, {q(unit)} gap_unit,
        CASE WHEN outcome = 'unknown' THEN {label} || '：缺少数据'
          WHEN outcome = 'not_applicable' THEN '不适用'
          ELSE {label} || '：' || {fmt('measured')} || '，目标 ' || {bound} || '（{by_txt}前）' ||
            CASE WHEN ok THEN '，已达到' ELSE '，还差 ' || {num('needed')} || {q(unit)} END ||
            CASE WHEN unknown_n > 0 THEN '（另有 ' || unknown_n || ' 条缺少数据，未计入）' ELSE '' END END message
      FROM f"""


def entitlement_sql(c: Compiler, rule: Rule, region: str) -> str:
    applies, p1 = c.compile(rule, "applies", "TRUE")
    amount, p2 = c.compile(rule, "amount")
    label, unit = q(rule.spec.get("label", rule.summary)), str(rule.spec.get("unit", "元"))
    return f"""
      WITH b AS (SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1 | p2)} _pok,
                 CAST({amount} AS DOUBLE) _amt FROM ent_{rule.entity} WHERE starts_with(region_code, {q(region)})),
      o AS (SELECT *, CASE WHEN _applies IS NULL THEN 'unknown' WHEN NOT _applies OR NOT _pok THEN 'not_applicable'
            WHEN _amt IS NULL THEN 'unknown' ELSE 'payable' END outcome FROM b)
      SELECT entity_code, region_code, outcome, CASE WHEN outcome = 'payable' THEN {num('_amt')} END observed,
        NULL required, CASE WHEN outcome = 'payable' THEN _amt END gap, {q(unit)} gap_unit,
        CASE outcome WHEN 'payable' THEN {label} || '：' || {num('_amt')} || {q(unit)}
          WHEN 'unknown' THEN {label} || '：缺少数据' ELSE '不适用' END message
      FROM o WHERE outcome <> 'not_applicable'"""


def rule_sql(c: Compiler, rule: Rule, region: str, as_of: date) -> str:
    if rule.kind == "requirement":
        return requirement_sql(c, rule, region)
    if rule.kind == "target":
        return target_sql(c, rule, region, as_of)
    return entitlement_sql(c, rule, region)


def evaluate_into(pack: Pack, data: Dataset, con: duckdb.DuckDBPyConnection, table: str = "results",
                  rules: list[str] | None = None, prebuilt: bool = False, temp: bool = True) -> int:
    """Evaluate every rule (or the named ones) into DuckDB table `table`; one INSERT … SELECT per rule.

    With prebuilt=True the base tables (or ent_* tables) and `divisions` already exist in `con`; temp=False
    writes the results into the connected database file rather than memory (national runs)."""
    if not prebuilt:
        build(con, data)
    apply_pack_fields(con, pack.derived)
    c = Compiler(pack, data.as_of)
    chosen = [r for r in pack.rules.values() if (not rules or r.id in rules) and _applicable(r, data.as_of)]
    uses: dict[str, int] = {}
    for r in chosen:
        uses[r.entity] = uses.get(r.entity, 0) + 1
    for entity, n in sorted(uses.items()):  # a table pays off when several rules scan the entity
        if entity != "institution":
            materialise(con, entity) if n >= 3 else use_view(con, entity)
    con.execute(f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {table} (" + ", ".join(
        f'"{col}" {"DOUBLE" if col == "gap" else "VARCHAR"}' for col in RESULT_COLUMNS) + ")")
    for rule in chosen:
        sql = rule_sql(c, rule, data.region, data.as_of)
        due = rule.spec.get("due")
        late = rule.kind == "requirement" and due is not None and data.as_of < due
        outcome = "CASE WHEN outcome = 'fail' THEN 'not_yet_due' ELSE outcome END" if late else "outcome"
        message = f"CASE WHEN outcome = 'fail' THEN message || '（期限 {due}）' ELSE message END" if late else "message"
        entity_type = "region" if rule.kind == "target" else rule.entity
        con.execute(f"""INSERT INTO {table} SELECT {q(pack.id)}, {q(rule.id)}, {q(rule.clause)}, {q(rule.kind)},
            {q(rule.group)}, {q(entity_type)}, entity_code, region_code, {outcome}, CAST(observed AS VARCHAR),
            CAST(required AS VARCHAR), CAST(gap AS DOUBLE), gap_unit, {message} FROM ({sql})""")
    no_double_payment(pack, con, table)
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def evaluate(pack: Pack, data: Dataset, rules: list[str] | None = None,
             con: duckdb.DuckDBPyConnection | None = None, prebuilt: bool = False) -> pl.DataFrame:
    """Evaluate into DuckDB and return the results as a Polars frame (columns RESULT_COLUMNS)."""
    con = con or duckdb.connect()
    evaluate_into(pack, data, con, "results", rules, prebuilt)
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    out: pl.DataFrame = con.sql(f"SELECT {cols} FROM results").pl()
    return out


def no_double_payment(pack: Pack, con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Within a no_double group, a person or institution is paid once: the largest line; others are marked."""
    groups = [(rid, str(r.spec["no_double"])) for rid, r in pack.rules.items()
              if r.kind == "entitlement" and r.spec.get("no_double")]
    if not groups:
        return
    values = ", ".join(f"({q(rid)}, {q(g)})" for rid, g in groups)
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE _nd AS
      SELECT r.rule_id, r.entity_code,
        row_number() OVER w rn, first_value(r.rule_id) OVER w best
      FROM {table} r JOIN (VALUES {values}) g(rule_id, grp) ON g.rule_id = r.rule_id
      WHERE r.outcome = 'payable'
      WINDOW w AS (PARTITION BY g.grp, r.entity_code ORDER BY r.gap DESC, r.rule_id);
      UPDATE {table} SET outcome = 'not_payable_duplicate',
        message = {table}.message || '（不重复享受，已按 ' || _nd.best || ' 发放）'
      FROM _nd WHERE _nd.rn > 1 AND _nd.rule_id = {table}.rule_id AND _nd.entity_code = {table}.entity_code;
      DROP TABLE _nd;""")
