"""002 鄂尔多斯市基层医疗卫生服务能力提升行动实施方案: verdicts derived from the clause text, from workbook rows.

二、工作目标 opens with its deadline — 「到2025年底，基层医疗卫生机构功能布局更加均衡合理……」 — so every
target listed under it is due on 2025-12-31: a shortfall on 2025-06-30 is not yet due, on 2025-12-31 it fails.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.clauses.census import Census

PACK = "ordos-2024"
MID_2025 = date(2025, 6, 30)
END_2025 = date(2025, 12, 31)


def outcome(c: Census, rule: str, entity: str, as_of: date) -> str:
    v = c.verdict(PACK, as_of, rule, entity)
    return "not_applicable" if v is None else v.outcome


# 二（二）1 「卫生技术人员数不少于机构职工总数的90%，机构内注册全科医师数不少于2人，中医（蒙医）类别医师占本机构
# 医师总数比例达25%，公共卫生医师不少于1人。」 THC_BAD: 8 of 10 (80%), 1 GP, 0 of 1 physicians TCM, no public-health
# physician. THC_GOOD: 4 of 4, 2 GPs, 1 of 4 TCM (25%), 1 public-health physician.
# 二（三）2 「所有苏木乡镇卫生院和社区卫生服务中心全部设置中医馆（蒙医馆）。」 THC_BAD has none, THC_GOOD has one.
STAFFING = ["health_tech_share", "registered_gps", "tcm_physician_share", "public_health_physician", "thc_tcm_hall"]


@pytest.mark.parametrize("rule", STAFFING)
@pytest.mark.parametrize(("inst", "as_of", "expected"), [
    ("THC_BAD", MID_2025, "not_yet_due"), ("THC_BAD", END_2025, "fail"),
    ("THC_GOOD", MID_2025, "pass"), ("THC_GOOD", END_2025, "pass")])
def test_section_deadline_end_2025(ordos: Census, rule: str, inst: str, as_of: date, expected: str) -> None:
    assert outcome(ordos, rule, inst, as_of) == expected


# 二（二）3 「必须取得《中华人民共和国乡村医生执业证书》或执业助理医师以上资格。」 under the same deadline.
@pytest.mark.parametrize(("person", "as_of", "expected"), [
    ("V1", MID_2025, "not_yet_due"), ("V1", END_2025, "fail"), ("V2", MID_2025, "pass")])
def test_clinic_doctor_qualification_due_end_2025(ordos: Census, person: str, as_of: date, expected: str) -> None:
    assert outcome(ordos, "clinic_staff_qualified", person, as_of) == expected


# 二（三）1 「牵头医院每年要安排至少3名具有主治医师及以上资质的医师……派驻期不得少于180天。」 Two such postings in 2024:
# on 2025-01-15 the section's deadline (end of 2025) has not come, so the shortfall is not yet due.
def test_attending_deployments_not_due_before_end_2025(ordos: Census) -> None:
    v = ordos.verdict(PACK, date(2025, 1, 15), "cmc_attending_deployments", "150621")
    assert v is not None and v.outcome == "not_yet_due"
