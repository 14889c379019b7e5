"""Vectorised evaluation: each rule is one DuckDB query over all entities of its kind at once.

Entities outside a rule's applicability filter get no result row; `not_applicable` rows mean the
rule applies but no parameter value is in force for that jurisdiction and date. Results are typed
(policy/results.py): numbers, dates and Outcome values; Chinese text is made later, by policy/formatting.py,
for the rows someone reads.
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
from wangdi.policy.results import RESULT_COLUMNS, Outcome, create_sql

PASS, FAIL, UNKNOWN, NA = (f"'{o.value}'" for o in (Outcome.PASS, Outcome.FAIL, Outcome.UNKNOWN,
                                                      Outcome.NOT_APPLICABLE))
MET, NOT_MET, NOT_YET_DUE, PAYABLE = (f"'{o.value}'" for o in (Outcome.MET, Outcome.NOT_MET, Outcome.NOT_YET_DUE,
                                                                 Outcome.PAYABLE))


def q(text: str) -> str:
    """A quoted SQL string literal (the only way pack or user text enters SQL outside the expression compiler)."""
    return "'" + str(text).replace("'", "''") + "'"


def num_lit(v: Any) -> str:
    """A finite number as a SQL literal (the loader has checked it; this refuses anything else)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v or v in (float("inf"), float("-inf")):
        raise WangdiError("pack-bad-number", f"不是有限数字：{v!r}", f"not a finite number: {v!r}")
    return repr(float(v)) if isinstance(v, float) else str(int(v))


def date_lit(d: date) -> str:
    return f"DATE '{date.fromordinal(d.toordinal()).isoformat()}'"


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
        return num_lit(v) if isinstance(v, int | float) and not isinstance(v, bool) else q(str(v))

    if list(by_j) == [""]:
        return lit(by_j[""])
    cases = " ".join(f"WHEN starts_with(region_code, {q(j)}) THEN {lit(v)}"
                     for j, v in sorted(by_j.items(), key=lambda kv: -len(kv[0])) if j)
    return f"(CASE {cases} ELSE {lit(by_j[''])  if '' in by_j else 'NULL'} END)"


class Compiler:
    def __init__(self, pack: Pack, as_of: date) -> None:
        self.pack, self.as_of = pack, as_of
        self.names = sorted(pack.parameters)
        self.fields: set[str] = set()  # fields read by the rule being compiled (blank ones are named in `missing`)

    def expression(self, rule: Rule, text: Any, where: str) -> tuple[str, set[str]]:
        known = fields_of(rule.entity, self.pack.derived)
        c = expr.compile_expr(str(text), known, lambda n: param_sql(self.pack.parameters[n], self.as_of),
                              f"{rule.where} {where}", self.names)
        self.fields |= c.fields
        return f"({c.sql})", c.params

    def compile(self, rule: Rule, key: str, default: str | None = None) -> tuple[str, set[str]]:
        text = rule.spec.get(key)
        if text is None:
            return (default if default is not None else "NULL"), set()
        return self.expression(rule, text, key)

    def params_ok(self, used: set[str]) -> str:
        checks = [f"({param_sql(self.pack.parameters[p], self.as_of)}) IS NOT NULL" for p in sorted(used)]
        return " AND ".join(checks) if checks else "TRUE"

    def blank_fields(self) -> str:
        """SQL list of the rule's input fields that are blank on the row."""
        if not self.fields:
            return "[]::VARCHAR[]"
        names = ", ".join(f'CASE WHEN "{f}" IS NULL THEN {q(f)} END' for f in sorted(self.fields))
        return f"list_filter([{names}], lambda x: x IS NOT NULL)"


def _applicable(rule: Rule, as_of: date) -> bool:
    start, end = rule.spec.get("effective_from"), rule.spec.get("effective_to")  # dates (checked by the loader)
    return not ((isinstance(start, date) and as_of < start) or (isinstance(end, date) and as_of > end))


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """The second wall: no file, network or extension access from this connection, and no setting can undo it.
    (Frames registered from Python and the connection's own database file still work.)"""
    locked = con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]
    if not locked:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")


def _items_core(c: Compiler, rule: Rule, applies: str, used: set[str], ent: str, where: str) -> str:
    items = [str(i) for i in rule.spec["items"]]
    lst = "[" + ", ".join(q(i) for i in items) + "]"
    return f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(used)} _pok,
               CASE WHEN equipment_items IS NOT NULL THEN
                 CAST(len(list_filter({lst}, lambda x: list_contains(equipment_items, x))) AS DOUBLE) END _obs,
               {len(items)}.0 _min, NULL::DOUBLE _max,
               CASE WHEN equipment_items IS NULL THEN ['equipment_items']
                    ELSE list_filter({lst}, lambda x: NOT list_contains(equipment_items, x)) END _missing
               FROM {ent} WHERE {where}"""


def _readiness_core(c: Compiler, rule: Rule, applies: str, used: set[str], ent: str, where: str) -> str:
    parts = []
    for items in rule.spec["readiness"].values():
        scored = []
        for i, it in enumerate(items):
            sql, ps = c.expression(rule, it, f"readiness[{i}]")
            used |= ps
            scored.append(f"CAST({sql} AS DOUBLE)")  # a blank item makes the index blank (unknown), never 0
        parts.append(f"(({' + '.join(scored)}) / {len(scored)})")
    mn, p2 = c.compile(rule, "min", "1")
    return f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(used | p2)} _pok,
               ({' + '.join(parts)}) / {len(parts)} _obs, CAST({mn} AS DOUBLE) _min, NULL::DOUBLE _max,
               {c.blank_fields()} _missing FROM {ent} WHERE {where}"""


def requirement_sql(c: Compiler, rule: Rule, region: str, as_of: date) -> str:
    c.fields = set()
    applies, p1 = c.compile(rule, "applies", "TRUE")
    unit = str(rule.spec.get("unit", ""))
    ent, where = f"ent_{rule.entity}", f"starts_with(region_code, {q(region)})"
    if rule.spec.get("items"):
        core, unit = _items_core(c, rule, applies, set(p1), ent, where), "item"
    elif rule.spec.get("readiness"):
        core, unit = _readiness_core(c, rule, applies, set(p1), ent, where), unit or "index"
    elif rule.spec.get("check") is not None:
        chk, p2 = c.compile(rule, "check")
        core = f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1 | p2)} _pok,
                   CAST({chk} AS INT)::DOUBLE _obs, 1.0 _min, NULL::DOUBLE _max, {c.blank_fields()} _missing
                   FROM {ent} WHERE {where}"""
        unit = "bool"
    else:
        obs, p2 = c.compile(rule, "observed")
        mn, p3 = c.compile(rule, "min")
        mx, p4 = c.compile(rule, "max")
        core = f"""SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1 | p2 | p3 | p4)} _pok,
                   CAST({obs} AS DOUBLE) _obs, CAST({mn} AS DOUBLE) _min, CAST({mx} AS DOUBLE) _max,
                   {c.blank_fields()} _missing FROM {ent} WHERE {where}"""
    due = rule.spec.get("due")
    late = isinstance(due, date) and as_of < due
    deadline = date_lit(due) if isinstance(due, date) else "NULL::DATE"
    has_bound = "(_min IS NOT NULL OR _max IS NOT NULL)"
    return f"""
      WITH b AS ({core}), o AS (SELECT *, CASE
          WHEN _applies IS NULL THEN {UNKNOWN} WHEN NOT _applies THEN {NA}
          WHEN NOT _pok THEN {NA}
          WHEN _obs IS NULL OR NOT {has_bound} THEN {UNKNOWN}
          WHEN (_min IS NULL OR _obs >= _min) AND (_max IS NULL OR _obs <= _max) THEN {PASS}
          ELSE {NOT_YET_DUE if late else FAIL} END outcome FROM b)
      SELECT entity_code, region_code, outcome,
        CASE WHEN outcome NOT IN ({UNKNOWN}, {NA}) THEN _obs END observed, NULL::DOUBLE observed_low,
        NULL::DOUBLE observed_high, _min required_min, _max required_max, {deadline} deadline,
        CASE WHEN outcome IN ({FAIL}, {NOT_YET_DUE}) THEN
          CASE WHEN _min IS NOT NULL AND _obs < _min THEN _min - _obs ELSE _obs - _max END END gap,
        {q(unit)} unit, NULL::DOUBLE amount,
        CAST(CASE WHEN outcome = {UNKNOWN} THEN greatest(len(_missing), 1) ELSE 0 END AS INTEGER) unknown_n,
        CASE WHEN outcome = {UNKNOWN} OR len(_missing) > 0 AND outcome <> {PASS} THEN _missing END missing
      FROM o WHERE _applies IS NOT FALSE"""


def _milestone(rule: Rule, as_of: date) -> tuple[dict[str, Any], bool]:
    """The milestone in force on `as_of` (the latest one due, else the next), and whether it is due."""
    ms = sorted(rule.spec["milestones"], key=lambda m: m["by"])
    due = [m for m in ms if m["by"] <= as_of]
    return (due[-1], True) if due else (next(m for m in ms if m["by"] > as_of), False)


def target_sql(c: Compiler, rule: Rule, region: str, as_of: date) -> str:
    """An area target. Members whose membership or value is blank give bounds: `observed_low` if every blank one
    fails, `observed_high` if every one passes; met only when met either way, not_met only when not met either way."""
    level = LEVELS[rule.spec["level"]]
    pop, p1 = c.compile(rule, "population", "TRUE")
    numr, p2 = c.compile(rule, "numerator", "TRUE")
    val, p3 = c.compile(rule, "value", "1")
    den, p4 = c.compile(rule, "denominator_value")
    measure = str(rule.spec.get("measure", "share"))
    total = measure == "total"
    scale = num_lit(rule.spec.get("scale", 1))
    m, due = _milestone(rule, as_of)
    used: set[str] = set()

    def bound_sql(v: Any) -> str:
        if v is None:
            return "NULL::DOUBLE"
        if isinstance(v, str) and v.startswith("param."):
            name = v[len("param."):]
            used.add(name)
            return f"CAST({param_sql(c.pack.parameters[name], as_of)} AS DOUBLE)"
        return num_lit(v)

    lo, hi = bound_sql(m.get("min")), bound_sql(m.get("max"))
    denom = f"coalesce({den}, {val})" if den != "NULL" else val
    regions = (f"SELECT code region FROM divisions WHERE length(code) = {level} AND "
               f"(starts_with(code, {q(region)}) OR starts_with({q(region)}, code))")
    if len(region) == level:
        regions = f"SELECT {q(region)} region"
    if total:
        low, high = f"num_l * {scale}", f"num_h * {scale}"
        needed = f"ceil({lo} - num_l * {scale})"
    else:  # share or ratio: entities (or units of value) still needed to reach the minimum, if blanks all fail
        low, high = f"num_l / nullif(den_l, 0) * {scale}", f"num_h / nullif(den_h, 0) * {scale}"
        needed = f"ceil({lo} / {scale} * den_l - num_l)"
    sure_met = f"(({lo}) IS NULL OR low >= {lo}) AND (({hi}) IS NULL OR high <= {hi})"
    sure_not = f"(high < {lo}) OR (low > {hi})"
    return f"""
      WITH e AS (SELECT substr(region_code, 1, {level}) region, {pop} _pop, {numr} _num,
                 CAST({val} AS DOUBLE) _val, CAST({denom} AS DOUBLE) _den
                 FROM ent_{rule.entity} WHERE starts_with(region_code, {q(region[:level])})),
      a AS (SELECT region,
            coalesce(sum(_val) FILTER (_pop AND _num), 0) num_l,
            sum(_den) FILTER (_pop OR (_pop IS NULL AND _num IS NOT TRUE)) den_l,
            CASE WHEN count(*) FILTER (_pop IS NOT FALSE AND _num IS NOT FALSE AND _val IS NULL) = 0
                 THEN coalesce(sum(_val) FILTER (_pop IS NOT FALSE AND _num IS NOT FALSE), 0) END num_h,
            sum(_den) FILTER (_pop OR (_pop IS NULL AND _num IS NOT FALSE)) den_h,
            count(*) FILTER (_pop) pop_n,
            count(*) FILTER (_pop IS NULL OR (_pop AND _num IS NULL)
                             OR (_pop IS NOT FALSE AND _num IS NOT FALSE AND (_val IS NULL OR _den IS NULL))) unknown_n
            FROM e GROUP BY region),
      r AS (SELECT g.region, g.region region_code, a.num_l, a.den_l, a.num_h, a.den_h, coalesce(a.pop_n, 0) pop_n,
            coalesce(a.unknown_n, 0) unknown_n FROM ({regions}) g LEFT JOIN a ON a.region = g.region),
      m AS (SELECT *, {'coalesce(' + low + ', 0)' if total else low} low, {high} high,
            greatest({needed}, 0) needed FROM r),
      f AS (SELECT *, CASE WHEN NOT ({c.params_ok(p1 | p2 | p3 | p4 | used)}) THEN {NA}
              {'' if total else f'WHEN pop_n = 0 AND unknown_n = 0 THEN {NA}'}
              WHEN low IS NULL THEN {UNKNOWN} WHEN {'FALSE' if due else 'TRUE'} THEN {NOT_YET_DUE}
              WHEN low IS NOT NULL AND {sure_met} THEN {MET}
              WHEN {sure_not} THEN {NOT_MET} ELSE {UNKNOWN} END outcome,
            low IS NOT NULL AND {sure_met} ok FROM m)
      SELECT region entity_code, region region_code, outcome,
        CASE WHEN unknown_n = 0 AND outcome <> {NA} THEN low END observed,
        CASE WHEN unknown_n > 0 AND outcome <> {NA} THEN low END observed_low,
        CASE WHEN unknown_n > 0 AND outcome <> {NA} THEN high END observed_high,
        {lo} required_min, {hi} required_max, {date_lit(m["by"])} deadline,
        CASE WHEN outcome <> {NA} AND NOT ok THEN needed END gap,
        {q('share' if measure == 'share' else str(rule.spec.get('unit', '')))} unit, NULL::DOUBLE amount,
        CAST(unknown_n AS INTEGER) unknown_n, NULL::VARCHAR[] missing
      FROM f"""


def entitlement_sql(c: Compiler, rule: Rule, region: str) -> str:
    c.fields = set()
    applies, p1 = c.compile(rule, "applies", "TRUE")
    amount, p2 = c.compile(rule, "amount")
    unit = str(rule.spec.get("unit", "元"))
    return f"""
      WITH b AS (SELECT entity_code, region_code, {applies} _applies, {c.params_ok(p1 | p2)} _pok,
                 CAST({amount} AS DOUBLE) _amt, {c.blank_fields()} _missing
                 FROM ent_{rule.entity} WHERE starts_with(region_code, {q(region)})),
      o AS (SELECT *, CASE WHEN _applies IS NULL THEN {UNKNOWN} WHEN NOT _applies OR NOT _pok THEN {NA}
            WHEN _amt IS NULL THEN {UNKNOWN} ELSE {PAYABLE} END outcome FROM b)
      SELECT entity_code, region_code, outcome, NULL::DOUBLE observed, NULL::DOUBLE observed_low,
        NULL::DOUBLE observed_high, NULL::DOUBLE required_min, NULL::DOUBLE required_max, NULL::DATE deadline,
        NULL::DOUBLE gap, {q(unit)} unit, CASE WHEN outcome = {PAYABLE} THEN _amt END amount,
        CAST(CASE WHEN outcome = {UNKNOWN} THEN greatest(len(_missing), 1) ELSE 0 END AS INTEGER) unknown_n,
        CASE WHEN outcome = {UNKNOWN} THEN _missing END missing
      FROM o WHERE outcome <> {NA}"""


def rule_sql(c: Compiler, rule: Rule, region: str, as_of: date) -> str:
    if rule.kind == "requirement":
        return requirement_sql(c, rule, region, as_of)
    if rule.kind == "target":
        return target_sql(c, rule, region, as_of)
    return entitlement_sql(c, rule, region)


_TYPED = ", ".join(RESULT_COLUMNS[8:])  # outcome … missing, as each rule's query names them


def evaluate_into(pack: Pack, data: Dataset, con: duckdb.DuckDBPyConnection, table: str = "results",
                  rules: list[str] | None = None, prebuilt: bool = False, temp: bool = True) -> int:
    """Evaluate every rule (or the named ones) into DuckDB table `table`; one INSERT … SELECT per rule.

    With prebuilt=True the base tables (or ent_* tables) and `divisions` already exist in `con`; temp=False
    writes the results into the connected database file rather than memory (national runs)."""
    if not prebuilt:
        build(con, data)
    apply_pack_fields(con, pack.derived)
    lock_down(con)
    c = Compiler(pack, data.as_of)
    chosen = [r for r in pack.rules.values() if (not rules or r.id in rules) and _applicable(r, data.as_of)]
    uses: dict[str, int] = {}
    for r in chosen:
        uses[r.entity] = uses.get(r.entity, 0) + 1
    for entity, n in sorted(uses.items()):  # a table pays off when several rules scan the entity
        if entity != "institution":
            materialise(con, entity) if n >= 3 else use_view(con, entity)
    con.execute(create_sql(table, temp))
    for rule in chosen:
        sql = rule_sql(c, rule, data.region, data.as_of)
        entity_type = "region" if rule.kind == "target" else rule.entity
        try:
            con.execute(f"""INSERT INTO {table} SELECT {q(pack.id)}, {q(rule.id)}, {q(rule.clause)}, {q(rule.kind)},
                {q(rule.group)}, {q(entity_type)}, entity_code, region_code, {_TYPED} FROM ({sql})""")
        except duckdb.Error as e:  # a pack that passed the loader but cannot be computed: name the rule, no traceback
            raise WangdiError("rule-failed", f"{rule.where}：规则 {rule.id} 无法计算（{str(e).splitlines()[0][:160]}）",
                              f"{rule.where}: rule {rule.id} failed to evaluate") from None
    no_double_payment(pack, con, table)
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def evaluate(pack: Pack, data: Dataset, rules: list[str] | None = None,
             con: duckdb.DuckDBPyConnection | None = None, prebuilt: bool = False) -> pl.DataFrame:
    """Evaluate into DuckDB and return the results as a Polars frame (columns RESULT_COLUMNS, typed)."""
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
      SELECT r.rule_id, r.entity_code, row_number() OVER w rn
      FROM {table} r JOIN (VALUES {values}) g(rule_id, grp) ON g.rule_id = r.rule_id
      WHERE r.outcome = {PAYABLE}
      WINDOW w AS (PARTITION BY g.grp, r.entity_code ORDER BY r.amount DESC, r.rule_id);
      UPDATE {table} SET outcome = '{Outcome.NOT_PAYABLE_DUPLICATE.value}'
      FROM _nd WHERE _nd.rn > 1 AND _nd.rule_id = {table}.rule_id AND _nd.entity_code = {table}.entity_code;
      DROP TABLE _nd;""")
