"""004 保定市 关于进一步完善医疗卫生服务体系的实施方案: dateless targets share the plan's 2025 horizon.

二、工作目标 「到2025年，医疗卫生服务体系进一步健全……」: where a measure under 三 gives no date of its own, the pack
reads it, as it already did for 「75%以上的村卫生室能够提供中医药服务」 and 老年病科, as due on 2025-12-31 — a gap on
2025-06-30 is not yet due, on 2025-12-31 it fails.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.clauses.census import Census

PACK = "baoding-2023"
MID_2025 = date(2025, 6, 30)
END_2025 = date(2025, 12, 31)


def outcome(c: Census, rule: str, entity: str, as_of: date) -> str:
    v = c.verdict(PACK, as_of, rule, entity)
    return "not_applicable" if v is None else v.outcome


# 三（三）12 「为社区卫生服务中心和乡镇卫生院国医堂全部配备中医师」 — one TCM-category physician or none.
# 三（三）9 「纳入乡村一体化管理的村卫生室全部按标准配齐乡村医生。」 — an integrated clinic with no doctor at all.
@pytest.mark.parametrize(("rule", "inst", "as_of", "expected"), [
    ("tcm_physician_in_hall", "THC_NO_TCM", MID_2025, "not_yet_due"),
    ("tcm_physician_in_hall", "THC_NO_TCM", END_2025, "fail"),
    ("tcm_physician_in_hall", "THC_TCM", MID_2025, "pass"),
    ("integrated_clinic_staffed", "VC_EMPTY", MID_2025, "not_yet_due"),
    ("integrated_clinic_staffed", "VC_EMPTY", END_2025, "fail"),
    ("integrated_clinic_staffed", "VC_STAFFED", MID_2025, "pass")])
def test_dateless_measures_due_with_the_2025_horizon(baoding: Census, rule: str, inst: str, as_of: date,
                                                     expected: str) -> None:
    assert outcome(baoding, rule, inst, as_of) == expected
