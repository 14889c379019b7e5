"""Supervision per agency (责任单位): its rules and targets, their status, what it has not reported, what is overdue."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from wangdi.indicators import catalog, due_period, pending_zh, period_zh
from wangdi.policy import engine
from wangdi.policy.pack import Pack, Rule, load
from wangdi.policy.runs import load_dataset

OUTCOME_ZH = {"pass": "达标", "fail": "未达标", "unknown": "无法判断", "not_applicable": "不适用", "not_yet_due": "未到期",
              "met": "已达到", "not_met": "未达到", "payable": "应发放", "not_payable_duplicate": "不重复发放"}
KIND_ZH = {"requirement": "机构标准", "target": "区域目标", "entitlement": "补助"}


def responsible(rule: Rule) -> list[str]:
    return [str(a) for a in rule.spec.get("responsible") or []]


def agencies(pack: Pack) -> list[str]:
    """Every agency named responsible in a pack, in order of first appearance."""
    seen: dict[str, None] = {}
    for r in pack.rules.values():
        for a in responsible(r):
            seen.setdefault(a, None)
    return list(seen)


def _row_view(row: dict[str, Any], rule: Rule) -> dict[str, Any]:
    """The one place this module reads result columns (typed results; Chinese text from the one formatter)."""
    from wangdi.policy import formatting

    return {"entity_code": row["entity_code"], "outcome": row["outcome"],
            "outcome_zh": OUTCOME_ZH.get(str(row["outcome"]), str(row["outcome"])),
            "observed": row.get("observed"), "required_min": row.get("required_min"),
            "message": formatting.describe(row, rule)}


def _overdue(rule: Rule, outcome: str, as_of: date) -> bool:
    if rule.kind == "target":
        passed = [m for m in rule.spec.get("milestones") or [] if m["by"] <= as_of]
        return bool(passed) and outcome in ("not_met", "unknown")
    due = rule.spec.get("due")
    return due is not None and due <= as_of and outcome in ("fail", "unknown")


def supervise(pack_id: str, agency: str, region: str, as_of: date, url: str | None = None) -> dict[str, Any]:
    """The agency's rules in `pack_id` evaluated for `region` on `as_of`, and its indicators not yet reported."""
    pack = load(pack_id)
    mine = [r for r in pack.rules.values() if agency in responsible(r)]
    results = pl.DataFrame()
    if mine:
        data = load_dataset(region, as_of, url)
        results = engine.evaluate(pack, data, [r.id for r in mine])
    rules = []
    for r in mine:
        rows = [_row_view(x, r) for x in results.filter(pl.col("rule_id") == r.id).iter_rows(named=True)] \
            if results.height else []
        counts: dict[str, int] = {}
        for x in rows:
            counts[x["outcome_zh"]] = counts.get(x["outcome_zh"], 0) + 1
        overdue = sum(1 for x in rows if _overdue(r, str(x["outcome"]), as_of))
        rules.append({"id": r.id, "clause": r.clause, "kind": r.kind, "kind_zh": KIND_ZH.get(r.kind, r.kind),
                      "label": str(r.spec.get("label") or r.summary), "responsible": responsible(r),
                      "indicator": r.spec.get("indicator"), "counts": counts, "overdue": overdue,
                      "rows": rows if r.kind == "target" else [x for x in rows if x["outcome"] in ("fail", "unknown")][:50]})
    pending = not_reported(pack, agency, region, as_of, results)
    return {"pack": pack.id, "title": pack.title, "agency": agency, "region": region, "as_of": as_of.isoformat(),
            "agencies": agencies(pack), "responsible_note": pack.manifest.get("responsible_note"),
            "rules": rules, "pending": pending, "overdue_total": sum(r["overdue"] for r in rules)}


def not_reported(pack: Pack, agency: str, region: str, as_of: date, results: pl.DataFrame) -> list[dict[str, Any]]:
    """Indicators of this agency read by the pack's rules whose value for the due period is missing."""
    cat = catalog()
    out = []
    for r in pack.rules.values():
        iid = r.spec.get("indicator")
        if not iid or iid not in cat or cat[iid].agency != agency:
            continue
        ind = cat[iid]
        rows = results.filter((pl.col("rule_id") == r.id) & (pl.col("outcome") == "unknown")) if results.height \
            else pl.DataFrame()
        for code in (rows["entity_code"].to_list() if rows.height else []):
            out.append({"indicator": iid, "zh": ind.zh, "division_code": code, "rule_id": r.id,
                        "period": due_period(ind.period, as_of),
                        "period_zh": period_zh(due_period(ind.period, as_of)), "pending": pending_zh(ind)})
    return out
