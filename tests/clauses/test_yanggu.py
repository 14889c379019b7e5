"""003 阳谷县乡村医疗卫生服务能力提质提效三年行动实施方案: verdicts derived from the clause text, from workbook rows."""

from __future__ import annotations

from datetime import date

import pytest

from tests.clauses.census import Census

PACK = "yanggu-2024"
END_2026 = date(2026, 12, 31)
MID_2026 = date(2026, 6, 30)


def outcome(c: Census, rule: str, entity: str, as_of: date = END_2026) -> str:
    v = c.verdict(PACK, as_of, rule, entity)
    return "not_applicable" if v is None else v.outcome


# 二（二） 「拓展提升乡镇卫生院（含社区卫生服务中心，下同）服务辐射能力」 — every later 乡镇卫生院 of the
# document includes the CHCs:
# 三（四）14 「乡镇卫生院全部建成老年友善医疗机构。」 (no date: the plan's end, 2026-12-31)
@pytest.mark.parametrize(("inst", "as_of", "expected"), [
    ("CHC_SZL", END_2026, "fail"), ("CHC_SZL", MID_2026, "not_yet_due"), ("CHC_QR", END_2026, "pass"),
    ("THC_AL", END_2026, "fail"), ("THC_LT", END_2026, "pass")])
def test_elderly_friendly_includes_chcs(yanggu: Census, inst: str, as_of: date, expected: str) -> None:
    assert outcome(yanggu, "thc_elderly_friendly", inst, as_of) == expected


# 三（五）20 「乡镇卫生院至少明确1名经县级及以上培训合格的专兼职信息管理人员。」 — 0 fails, 1 passes, CHCs too.
# No date is given: the plan's end (2026-12-31), as for every dateless target of the three-year plan.
@pytest.mark.parametrize(("inst", "as_of", "expected"), [
    ("CHC_SZL", END_2026, "fail"), ("CHC_SZL", MID_2026, "not_yet_due"), ("CHC_QR", MID_2026, "pass"),
    ("THC_AL", MID_2026, "pass")])
def test_info_officer_includes_chcs(yanggu: Census, inst: str, as_of: date, expected: str) -> None:
    assert outcome(yanggu, "thc_info_officer", inst, as_of) == expected


# 三（一）3 「支持改扩建业务用房，房屋面积（含厕所）达到100平方米以上」 — 100 m² meets it, 99.5 m² does not; no date
# is given, so the shortfall is due at the plan's end (2026-12-31) and not yet due before.
@pytest.mark.parametrize(("clinic", "as_of", "expected"), [
    ("VC_PUB", MID_2026, "pass"), ("VC_COL", MID_2026, "not_yet_due"), ("VC_COL", END_2026, "fail"),
    ("VC_PRI", END_2026, "unknown")])
def test_clinic_floor_area_due_at_plan_end(yanggu: Census, clinic: str, as_of: date, expected: str) -> None:
    assert outcome(yanggu, "clinic_floor_area", clinic, as_of) == expected


# 三（一）4 「村卫生室房屋实行政府（集体）建设、乡镇卫生院管理、乡村医生无偿使用、产权完全公有」:
# premises built by the collective are publicly owned; privately owned premises are not.
# 二（三） 「2025年年底前，实行一体化管理的村卫生室全面实现房屋产权公有」
@pytest.mark.parametrize(("clinic", "expected"), [
    ("VC_PUB", "pass"), ("VC_COL", "pass"), ("VC_PRI", "fail"), ("VC_COL2", "not_applicable")])
def test_collective_premises_are_public(yanggu: Census, clinic: str, expected: str) -> None:
    assert outcome(yanggu, "integrated_clinics_public_premises", clinic, date(2025, 12, 31)) == expected


# 二（三） 「2026年年底前，力争按人口规划设置的村卫生室房屋产权公有率达到100%」: of the four clinics three are
# public (one 公有, two 集体), so one more is needed.
def test_public_ownership_rate_counts_collective(yanggu: Census) -> None:
    v = yanggu.verdict(PACK, END_2026, "clinic_public_ownership_rate", "371521")
    assert v is not None and (v.outcome, v.gap) == ("not_met", 1)


# 二（二） 「培育狮子楼街道社区卫生服务中心、李台中心卫生院、安乐镇卫生院等3家卫生院各建成1个市级（县域）临床重点
# 专科。」 (2026年年底前): a 市级 specialty meets it, a 县级 one does not, a blank level is not known to be either.
@pytest.mark.parametrize(("inst", "expected"), [("CHC_SZL", "pass"), ("THC_LT", "fail"), ("THC_AL", "unknown")])
def test_city_level_key_specialty_is_not_met_by_county_level(yanggu: Census, inst: str, expected: str) -> None:
    assert outcome(yanggu, "key_specialty_named", inst) == expected


# 二（一） 「2025年年底前，我县至少培育……8个县级临床重点专科」: seven 县级 and one with no level entered are not
# known to be eight 县级 specialties (a blank level is never 县级).
def test_blank_specialty_level_is_not_county_level(yanggu: Census) -> None:
    v = yanggu.verdict(PACK, END_2026, "county_county_key_specialties", "371521")
    assert v is not None and v.outcome != "met"
