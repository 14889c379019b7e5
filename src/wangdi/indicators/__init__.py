"""Reported indicators: numbers a responsible agency reports per period, which the census does not hold.

A pack declares its indicators in `indicators.yaml` (id, Chinese name, unit, period type, level, reporting
agency, the clause that asks for it). Values live in the registry table `indicator_value` (one row per
indicator, division and period; versioned and audited like census rows) and come in by the census
workbook's 指标填报 sheet, the API or the web form. Rules read them through the entity `indicator_value`
(one row per declared indicator and division of its level, for the period due on the as-of date); a
value not reported is NULL there, so a target reading it is `unknown` — never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from wangdi.errors import WangdiError

PACKS_DIR = Path(__file__).resolve().parents[1] / "packs"
PERIODS = {"year": "年度", "quarter": "季度", "month": "月度"}
LEVELS = {"province": 1, "city": 2, "county": 3}  # division levels (2/4/6-digit codes)
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级"}
TARGET_LEVEL = {"province": "province", "city": "prefecture", "county": "county"}
UNITS_ZH = {"share": "比例", "flag": "是/否"}  # other units (个, 家, 人, 元, 天…) are shown as written
KEYS = {"id", "zh", "unit", "period", "level", "agency", "clause", "note"}


@dataclass(frozen=True)
class Indicator:
    id: str
    zh: str
    unit: str
    period: str  # year / quarter / month
    level: str  # county / city / province
    agency: str  # 责任单位 that reports it, e.g. 县医保局
    clause: str = ""
    note: str = ""
    packs: tuple[str, ...] = ()

    @property
    def division_level(self) -> int:
        return LEVELS[self.level]

    def describe_unit(self) -> str:
        return UNITS_ZH.get(self.unit, self.unit)


def _bad(where: str, zh: str, en: str) -> WangdiError:
    return WangdiError("pack-bad-indicator", f"{where}：{zh}", f"{where}: {en}")


def _parse(item: dict[str, Any], pack: str, where: str) -> Indicator:
    if not isinstance(item, dict):
        raise _bad(where, "每个指标应为映射（id、zh、unit、period、level、agency）", "each indicator must be a mapping")
    unknown = set(item) - KEYS - {"__line__"}
    if unknown:
        raise _bad(where, f"未知的键 {sorted(unknown)}；允许：{'、'.join(sorted(KEYS))}", f"unknown keys {sorted(unknown)}")
    for k in ("id", "zh", "unit", "period", "level", "agency"):
        if not str(item.get(k) or "").strip():
            raise _bad(where, f"指标缺少 {k}", f"indicator needs {k}")
    if item["period"] not in PERIODS:
        raise _bad(where, f"period 应为 {'、'.join(PERIODS)}", "period must be year, quarter or month")
    if item["level"] not in LEVELS:
        raise _bad(where, f"level 应为 {'、'.join(LEVELS)}", "level must be county, city or province")
    return Indicator(str(item["id"]), str(item["zh"]), str(item["unit"]), str(item["period"]), str(item["level"]),
                     str(item["agency"]), str(item.get("clause") or ""), str(item.get("note") or ""), (pack,))


def read_pack_indicators(path: Path) -> list[Indicator]:
    """The indicators one pack folder declares (empty when it has no indicators.yaml)."""
    f = path / "indicators.yaml"
    if not f.exists():
        return []
    items = yaml.safe_load(f.read_text(encoding="utf-8")) or []
    return [_parse(it, path.name, f"{path.name}/indicators.yaml #{n + 1}") for n, it in enumerate(items)]


@lru_cache(maxsize=4)
def _catalog(packs_dir: Path, stamp: tuple[float, ...]) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for folder in sorted(p for p in packs_dir.iterdir() if (p / "pack.yaml").exists()):
        for ind in read_pack_indicators(folder):
            old = out.get(ind.id)
            if old is not None:
                if (old.unit, old.period, old.level, old.agency) != (ind.unit, ind.period, ind.level, ind.agency):
                    raise _bad(f"{folder.name}/indicators.yaml", f"指标 {ind.id} 与 {old.packs[0]} 的定义不一致",
                               f"indicator {ind.id} declared differently in {old.packs[0]}")
                ind = Indicator(**{**vars(old), "packs": (*old.packs, folder.name)})
            out[ind.id] = ind
    return out


def catalog(packs_dir: Path | None = None) -> dict[str, Indicator]:
    """Every indicator declared by any pack, by id (one definition per id)."""
    d = packs_dir or PACKS_DIR
    stamp = tuple(f.stat().st_mtime for f in sorted(d.glob("*/indicators.yaml")))
    return _catalog(d, stamp)


def get(indicator_id: str) -> Indicator:
    cat = catalog()
    if indicator_id not in cat:
        raise WangdiError("unknown-indicator", f"没有指标 {indicator_id}；用 wangdi indicators list 查看已声明的指标",
                          f"no indicator {indicator_id}")
    return cat[indicator_id]


def _month_end(y: int, m: int) -> date:
    return (date(y + m // 12, m % 12 + 1, 1)) - timedelta(days=1)


def due_period(period: str, as_of: date) -> str:
    """The latest period of this type that has ended on or before `as_of` (a period ends on its last day)."""
    y, m = as_of.year, as_of.month
    if period == "year":
        return str(y if (m, as_of.day) == (12, 31) else y - 1)
    if period == "quarter":
        q = (m - 1) // 3 + 1
        if as_of != _month_end(y, 3 * q):
            q -= 1
        return f"{y - 1}Q4" if q == 0 else f"{y}Q{q}"
    if as_of != _month_end(y, m):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return f"{y}-{m:02d}"


def period_ok(period_type: str, text: str) -> bool:
    """Whether `text` names a period of the type: 2025 / 2025Q4 / 2025-12."""
    t = text.strip()
    if period_type == "year":
        return len(t) == 4 and t.isdigit()
    if period_type == "quarter":
        return len(t) == 6 and t[:4].isdigit() and t[4] == "Q" and t[5] in "1234"
    return len(t) == 7 and t[:4].isdigit() and t[4] == "-" and t[5:].isdigit() and 1 <= int(t[5:]) <= 12


def period_zh(text: str) -> str:
    if "Q" in text:
        return f"{text[:4]}年第{text[5]}季度"
    if "-" in text:
        return f"{text[:4]}年{int(text[5:])}月"
    return f"{text}年"


def pending_zh(ind: Indicator) -> str:
    """What a reader sees for a value not yet reported: who owes it."""
    return f"待 {ind.agency} 填报"


__all__ = ["Indicator", "catalog", "due_period", "get", "pending_zh", "period_ok", "period_zh"]
