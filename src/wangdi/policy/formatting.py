"""The one place Chinese text is made from a result row (typed numbers and enums in, words out).

Called only at the edges — CLI, web, reports, exports — and only for the rows shown or written. Nothing
downstream parses what these functions return.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

import polars as pl

from wangdi.policy.results import Outcome
from wangdi.registry.reference import EQUIPMENT_BY_KEY

OUTCOME_ZH: dict[str, str] = {
    Outcome.PASS: "达标", Outcome.FAIL: "未达标", Outcome.NOT_APPLICABLE: "不适用", Outcome.UNKNOWN: "待核实",
    Outcome.MET: "已达成", Outcome.NOT_MET: "未达成", Outcome.NOT_YET_DUE: "未到期", Outcome.PAYABLE: "应发",
    Outcome.NOT_PAYABLE_DUPLICATE: "不重复享受",
}
UNIT_ZH = {"share": "%", "bool": "", "index": "", "item": "项"}
TEXT_COLUMNS = {"observed_zh": "实际值", "required_zh": "要求值", "gap_zh": "差距", "message": "说明"}


class RuleLike(Protocol):
    summary: str
    spec: dict[str, Any]


def outcome_zh(outcome: str | None) -> str:
    return OUTCOME_ZH.get(str(outcome), str(outcome or ""))


def number_zh(x: float | None) -> str:
    """A number as people write it: whole numbers without decimals, others to two places."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    r = round(float(x), 2)
    return str(int(r)) if r == int(r) else f"{r:g}"


def value_zh(x: float | None, unit: str | None) -> str:
    """A value with its unit: a share 0.8 is '80%', a yes/no 1 is '是', 100 with 'm²' is '100m²'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    u = str(unit or "")
    if u == "share":
        return f"{number_zh(100 * float(x))}%"
    if u == "bool":
        return "是" if float(x) >= 1 else "否"
    return f"{number_zh(x)}{UNIT_ZH.get(u, u)}"


def _label(row: Mapping[str, Any], rule: RuleLike | None) -> str:
    if rule is not None:
        return str(rule.spec.get("label") or rule.summary)
    return str(row.get("rule_id") or "")


def count_unit(row: Mapping[str, Any], rule: RuleLike | None) -> str:
    """The unit a gap is counted in: a share target's gap counts members (所, 人 …), others the value's unit."""
    unit = str(row.get("unit") or "")
    if unit == "share" or row.get("kind") == "target":
        return str(rule.spec.get("unit", "")) if rule is not None else ("" if unit == "share" else unit)
    if unit in ("bool", "index"):
        return "项"
    return UNIT_ZH.get(unit, unit)


def _field_zh() -> dict[str, str]:
    from wangdi.registry.schema import TABLES

    return {f.name: f.zh for t in TABLES for f in t.fields} | {"equipment_items": "设备清单"}


def _missing_zh(keys: Any) -> str:
    """Missing equipment items or blank fields, by their Chinese names."""
    names = _field_zh()
    return "、".join(EQUIPMENT_BY_KEY[k].zh if k in EQUIPMENT_BY_KEY else names.get(str(k), str(k)) for k in (keys or []))


def _is_items(row: Mapping[str, Any]) -> bool:
    return row.get("kind") == "requirement" and row.get("unit") == "item"


def observed_zh(row: Mapping[str, Any]) -> str:
    """The observed value, or its bounds when members are blank ('80%–100%，2 所待核实' via describe)."""
    unit = row.get("unit")
    lo, hi = row.get("observed_low"), row.get("observed_high")
    if lo is not None and hi is not None and row.get("observed") is None:
        return f"{value_zh(lo, unit)}–{value_zh(hi, unit)}"
    if row.get("observed") is None:
        return "—"
    if _is_items(row):
        return f"已配 {number_zh(row['observed'])}/{number_zh(row.get('required_min'))}"
    return value_zh(row["observed"], unit)


def required_zh(row: Mapping[str, Any]) -> str:
    unit = row.get("unit")
    if row.get("kind") == "entitlement":
        return "—"
    if _is_items(row):
        return f"{number_zh(row.get('required_min'))} 项全部配备"
    if unit == "bool":
        return "是"
    parts = [f"{sign}{value_zh(row[k], unit)}" for sign, k in (("≥", "required_min"), ("≤", "required_max"))
             if row.get(k) is not None]
    text = "，".join(parts) or "—"
    d = row.get("deadline")
    if d is not None:
        text += f"（{d.isoformat() if isinstance(d, date) else d}前）"
    return text


def gap_zh(row: Mapping[str, Any], rule: RuleLike | None = None) -> str:
    if row.get("gap") is None:
        return ""
    return f"{number_zh(row['gap'])}{count_unit(row, rule)}"


def _unknown_note(row: Mapping[str, Any], rule: RuleLike | None) -> str:
    n = row.get("unknown_n") or 0
    if not n:
        return ""
    return f"，{n} {count_unit(row, rule) or '条'}待核实"


def describe(row: Mapping[str, Any], rule: RuleLike | None = None) -> str:
    """One sentence for a result row, e.g. '卫生室面积：80m²，低于 100m²，差 20m²'."""
    label, outcome, kind = _label(row, rule), str(row.get("outcome")), row.get("kind")
    obs = observed_zh(row)
    if outcome == Outcome.NOT_APPLICABLE:
        return "不适用：没有生效的参数" if kind == "requirement" else "不适用"
    if outcome == Outcome.UNKNOWN:
        if row.get("observed_low") is not None:
            return f"{label}：{obs}{_unknown_note(row, rule)}，目标 {required_zh(row)}，无法判断"
        missing = _missing_zh(row.get("missing"))
        return f"{label}：缺少数据，无法判断" + (f"（{missing}）" if missing else "")
    if kind == "entitlement":
        text = f"{label}：{value_zh(row.get('amount'), row.get('unit') or '元')}"
        return text + ("（不重复享受，已按同类较高一项发放）" if outcome == Outcome.NOT_PAYABLE_DUPLICATE else "")
    if kind == "target":
        tail = "，已达成" if row.get("gap") is None else f"，还差 {gap_zh(row, rule)}"
        return f"{label}：{obs}，目标 {required_zh(row)}{tail}{_unknown_note(row, rule)}"
    return _describe_requirement(row, rule, label, outcome, obs)


def _describe_requirement(row: Mapping[str, Any], rule: RuleLike | None, label: str, outcome: str, obs: str) -> str:
    unit, late = row.get("unit"), ""
    if outcome == Outcome.NOT_YET_DUE and row.get("deadline") is not None:
        late = f"（期限 {row['deadline']}）"
    if _is_items(row):
        missing = _missing_zh(row.get("missing"))
        return f"{label}：缺少 {missing}{late}" if missing else f"{label}：齐全"
    if unit == "bool":
        return f"{label}：{'达到' if outcome == Outcome.PASS else '未达到'}{late}"
    if outcome == Outcome.PASS:
        return f"{label}：{obs}，达标"
    v, lo, hi = row.get("observed"), row.get("required_min"), row.get("required_max")
    if unit == "index":
        return f"{label}：就绪指数 {obs}，低于 {number_zh(lo)}{late}"
    if lo is not None and v is not None and v < lo:
        return f"{label}：{obs}，低于 {value_zh(lo, unit)}，差 {gap_zh(row, rule)}{late}"
    return f"{label}：{obs}，高于 {value_zh(hi, unit)}，超 {gap_zh(row, rule)}{late}"


def with_text(rows: pl.DataFrame, rules: Mapping[str, RuleLike] | None = None) -> pl.DataFrame:
    """The rows (only those shown or written) with Chinese columns added: 结论, observed_zh, required_zh, gap_zh,
    message. One Python call per row shown; never run over a whole national result."""
    rules = rules or {}
    dicts = rows.to_dicts()
    texts = {
        "outcome_zh": [outcome_zh(r.get("outcome")) for r in dicts],
        "observed_zh": [observed_zh(r) for r in dicts],
        "required_zh": [required_zh(r) for r in dicts],
        "gap_zh": [gap_zh(r, rules.get(str(r.get("rule_id")))) for r in dicts],
        "message": [describe(r, rules.get(str(r.get("rule_id")))) for r in dicts],
    }
    return rows.with_columns(*(pl.Series(k, v, dtype=pl.String()) for k, v in texts.items()))


EXPORT_HEADERS = {"rule_id": "规则", "clause_ref": "条款", "kind": "类型", "entity_code": "对象代码", "region_code": "区划代码",
                  "outcome_zh": "结论", "observed_zh": "实际值", "required_zh": "要求值", "gap_zh": "差距", "message": "说明",
                  "observed": "实际值（数值）", "required_min": "下限（数值）", "required_max": "上限（数值）",
                  "deadline": "期限", "gap": "差距（数值）", "amount": "金额（元）", "unknown_n": "待核实数"}
KIND_ZH = {"requirement": "机构要求", "target": "区域目标", "entitlement": "补助"}


def export(rows: pl.DataFrame, rules: Mapping[str, RuleLike] | None = None) -> pl.DataFrame:
    """Result rows as a workbook/CSV sheet: Chinese headers and words, the numbers kept as numbers beside them
    (a share stays a fraction 0–1 in the numeric columns)."""
    out = with_text(rows, rules).with_columns(pl.col("kind").replace_strict(KIND_ZH, default=pl.col("kind")))
    return out.select([c for c in EXPORT_HEADERS if c in out.columns]).rename(EXPORT_HEADERS, strict=False)
