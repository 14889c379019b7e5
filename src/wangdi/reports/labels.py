"""The one place where identifiers users would otherwise see become Chinese words (and colours).

Outcomes, rule kinds and groups, statuses and solver states; field names come from registry/schema.py
(`Field.zh`). Results text itself comes from the engine's formatter (wangdi.policy.formatting) once it lands.
"""

from __future__ import annotations

from wangdi.policy import formatting
from wangdi.registry.schema import TABLES

OUTCOME_ZH: dict[str, str] = {str(k): v for k, v in formatting.OUTCOME_ZH.items()}  # the engine's one formatter
# 红 for 未达标 / 未达成 everywhere (web charts, report charts, badges); green for 达标; amber for blanks / not due
OUTCOME_COLOUR = {"pass": "#1a9850", "met": "#1a9850", "payable": "#1a9850", "fail": "#d73027", "not_met": "#d73027",
                  "unknown": "#f0a30a", "not_yet_due": "#9aa5b1", "not_applicable": "#c8ced6",
                  "not_payable_duplicate": "#9aa5b1"}
RATE_COLOURS = ["#d73027", "#fee08b", "#1a9850"]  # pass rate 0 % → 100 %: red, yellow, green
KIND_ZH = {**formatting.KIND_ZH, "indicator": "报送指标"}
GROUP_ZH = {"access": "服务可及", "assistance": "帮扶下沉", "beds": "床位", "clinics": "村卫生室", "continuing_care": "接续服务",
            "contracts": "家庭医生签约", "county_hospitals": "县级医院", "digital": "信息化", "emergency": "急诊急救",
            "equipment": "设备配置", "funding": "经费保障", "mechanisms": "体制机制", "network": "网络布局",
            "primary_care": "基层服务", "public_health": "公共卫生", "services": "服务能力", "specialties": "专科建设",
            "staff": "人员配备", "staffing": "人员队伍", "standards": "建设标准", "talent": "人才培养", "tcm": "中医药",
            "township_centres": "乡镇卫生院", "training": "培训", "village_doctors": "乡村医生", "subsidies": "补助",
            "other": "其他"}
SOLVER_ZH = {"kOptimal": "已求得最优方案", "kInfeasible": "预算或约束下无可行方案", "kUnbounded": "问题无界（请检查成本）",
             "kTimeLimit": "达到时间上限，给出当前最好方案", "kNotset": "未求解", "optimal": "已求得最优方案",
             "infeasible": "预算或约束下无可行方案"}
TABLE_ZH = {t.name: t.zh for t in TABLES}
FIELD_ZH = {f.name: f.zh for t in TABLES for f in t.fields}


def outcome_zh(outcome: str | None) -> str:
    return OUTCOME_ZH.get(outcome or "", "—" if outcome is None else str(outcome))


def group_zh(group: str | None) -> str:
    return GROUP_ZH.get(group or "other", "其他")


def kind_zh(kind: str | None) -> str:
    return KIND_ZH.get(kind or "", "其他")


def field_zh(name: str) -> str:
    return FIELD_ZH.get(name, name)


def solver_zh(state: str | None) -> str:
    return SOLVER_ZH.get(str(state or ""), "求解状态未知")
