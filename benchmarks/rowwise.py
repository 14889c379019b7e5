"""Baseline for the benchmark: the same rules evaluated row by row with pandas `apply`.

This is what a team writes without the engine: a Python function per rule, called once per
institution or person, reading the same entity tables. Expressions are interpreted from the same
parsed (whitelisted) AST with SQL's three-valued logic, so both sides implement the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlglot import exp

from wangdi.policy import expr
from wangdi.policy.pack import Pack, Parameter, Rule, expressions

Row = dict[str, Any]


def param_value(p: Parameter, as_of: date, region: str) -> Any:
    best: tuple[int, Any] | None = None
    for v in p.values:
        if (v.get("from") is None or v["from"] <= as_of) and (v.get("to") is None or as_of <= v["to"]):
            j = str(v.get("jurisdiction") or "")
            if region.startswith(j) and (best is None or len(j) > best[0]):
                best = (len(j), v["value"])
    return None if best is None else best[1]


def _cmp(a: Any, b: Any, op: Callable[[Any, Any], bool]) -> bool | None:
    return None if a is None or b is None else op(a, b)


def interpret(node: exp.Expr, row: Row, pack: Pack, as_of: date) -> Any:
    ev = lambda n: interpret(n, row, pack, as_of)  # noqa: E731
    if isinstance(node, exp.Paren):
        return ev(node.this)
    if isinstance(node, exp.Column):
        if node.table == "param":
            return param_value(pack.parameters[node.name], as_of, row["region_code"])
        v = row[node.name]
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return None
        return float(v) if isinstance(v, Decimal) else v
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.And):
        a, b = ev(node.left), ev(node.right)
        if a is False or b is False:
            return False
        return None if a is None or b is None else True
    if isinstance(node, exp.Or):
        a, b = ev(node.left), ev(node.right)
        if a is True or b is True:
            return True
        return None if a is None or b is None else False
    if isinstance(node, exp.Not):
        a = ev(node.this)
        return None if a is None else not a
    ops: dict[type[exp.Expr], Callable[[Any, Any], Any]] = {
        exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b, exp.GT: lambda a, b: a > b,
        exp.GTE: lambda a, b: a >= b, exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b,
        exp.Add: lambda a, b: a + b, exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b,
        exp.Div: lambda a, b: a / b if b else None}
    for kind, fn in ops.items():
        if isinstance(node, kind):
            return _cmp(ev(node.left), ev(node.right), fn)
    if isinstance(node, exp.In):
        v = ev(node.this)
        return None if v is None else v in [ev(e) for e in node.expressions]
    if isinstance(node, exp.Between):
        v, lo, hi = ev(node.this), ev(node.args["low"]), ev(node.args["high"])
        return None if None in (v, lo, hi) else lo <= v <= hi
    if isinstance(node, exp.Is):
        return ev(node.this) is None
    if isinstance(node, exp.Coalesce):
        for e in [node.this, *node.expressions]:
            v = ev(e)
            if v is not None:
                return v
        return None
    if isinstance(node, exp.Case):
        for branch in node.args.get("ifs") or []:
            if ev(branch.this) is True:
                return ev(branch.args["true"])
        default = node.args.get("default")
        return ev(default) if default is not None else None
    if isinstance(node, exp.Neg):
        v = ev(node.this)
        return None if v is None else -v
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "share":
        a, b = ev(node.expressions[0]), ev(node.expressions[1])
        return None if a is None or not b else a / b
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "nullif_zero":
        v = ev(node.expressions[0])
        return v if v else None
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "has_equipment":
        return ev(node.expressions[0]) in list(row["equipment_items"])
    if isinstance(node, exp.Anonymous) and str(node.name).lower() == "has_service":
        return ev(node.expressions[0]) in list(row["services"])
    raise NotImplementedError(type(node).__name__)


def requirement_outcome(rule: Rule, pack: Pack, as_of: date) -> Callable[[pd.Series], str]:
    trees = {k: expr.parse(text) for k, text in expressions(rule) if k in ("applies", "observed", "min", "max", "check")}
    params = {c.name for t in trees.values() for c in t.find_all(exp.Column) if c.table == "param"}
    items = [str(i) for i in rule.spec.get("items") or []]

    def outcome(series: pd.Series) -> str:
        row = series.to_dict()
        applies = interpret(trees["applies"], row, pack, as_of) if "applies" in trees else True
        if applies is None:
            return "unknown"
        if not applies:
            return "not_applicable"
        if any(param_value(pack.parameters[p], as_of, row["region_code"]) is None for p in params):
            return "not_applicable"
        if items:
            have = set(row["equipment_items"])
            return "pass" if all(i in have for i in items) else "fail"
        if "check" in trees:
            v = interpret(trees["check"], row, pack, as_of)
            return "unknown" if v is None else ("pass" if v else "fail")
        obs = interpret(trees["observed"], row, pack, as_of)
        lo = interpret(trees["min"], row, pack, as_of) if "min" in trees else None
        hi = interpret(trees["max"], row, pack, as_of) if "max" in trees else None
        if obs is None or (lo is None and hi is None):
            return "unknown"
        return "pass" if (lo is None or obs >= lo) and (hi is None or obs <= hi) else "fail"

    return outcome


def evaluate_rowwise(pack: Pack, tables: dict[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Per-entity requirement rules, one Python call per row."""
    out = []
    for rule in pack.rules.values():
        if rule.kind != "requirement" or rule.spec.get("readiness") or rule.entity not in tables:
            continue
        df = tables[rule.entity]
        res = df.apply(requirement_outcome(rule, pack, as_of), axis=1)
        due = rule.spec.get("due")
        if due is not None and as_of < due:
            res = res.replace("fail", "not_yet_due")
        out.append(pd.DataFrame({"rule_id": rule.id, "entity_code": df["entity_code"], "outcome": res}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["rule_id", "entity_code", "outcome"])
