"""001 赣州市 加强乡村卫生健康服务能力建设实施方案: verdicts derived from the clause text, from workbook rows."""

from __future__ import annotations

from datetime import date

import pytest

from tests.clauses.census import Census

PACK = "ganzhou-2019"
AS_OF = date(2025, 10, 15)


def outcome(c: Census, rule: str, entity: str, as_of: date = AS_OF) -> str:
    v = c.verdict(PACK, as_of, rule, entity)
    return "not_applicable" if v is None else v.outcome


# 四（三）20 「原则上年满60周岁乡村医生均需离岗退出，确因工作需要的实行返聘。」
# A village doctor who is 59 on the as-of date stays; one who turned 60 that very day must leave; a blank
# birth date is neither.
@pytest.mark.parametrize(("person", "expected"), [("VD59", "pass"), ("VD60", "fail"), ("VDNB", "unknown")])
def test_village_doctor_retirement_at_60(ganzhou: Census, person: str, expected: str) -> None:
    assert outcome(ganzhou, "village_doctor_retirement", person) == expected


# 四（三）25 「乡村医生每年接受免费培训不少于2次，累计培训时间不少于2周」
# VT2: two trainings of 7 days each (14 days = 2 weeks); VT1: one training of 13 days.
@pytest.mark.parametrize(("rule", "person", "expected"), [
    ("vd_training_times", "VT2", "pass"), ("vd_training_times", "VT1", "fail"),
    ("vd_training_days", "VT2", "pass"), ("vd_training_days", "VT1", "fail")])
def test_village_doctor_training(ganzhou: Census, rule: str, person: str, expected: str) -> None:
    assert outcome(ganzhou, rule, person) == expected


# 四（二）6 「原则上不超过100张（中心卫生院不超过150张），最低配置床位不低于20张。」
@pytest.mark.parametrize(("rule", "thc", "expected"), [
    ("thc_beds_floor", "B20", "pass"), ("thc_beds_floor", "B29", "pass"),
    ("thc_beds_ceiling", "B100", "pass"), ("thc_beds_ceiling", "C150", "pass")])
def test_bed_floor_and_cap(ganzhou: Census, rule: str, thc: str, expected: str) -> None:
    assert outcome(ganzhou, rule, thc) == expected


# 四（二）11 「根据县级公立医院提出中级职称人员下派人选（中心城区由赣州市人民医院、赣南医学院第一附属医院负责），
# 择优选派对口帮扶乡镇卫生院，确保每个乡镇卫生院至少有一人对口帮扶，帮扶时间为一年」
# Only a person from a public hospital, of intermediate title, posted for one year counts. Six months, a
# sender that is another health centre, a junior title or no deployment at all leave the THC without paired
# assistance; a blank title on an otherwise qualifying posting leaves it unknown.
@pytest.mark.parametrize(("thc", "expected"), [
    ("PA_OK", "pass"), ("PA_SHORT", "fail"), ("PA_THC", "fail"), ("PA_JUNIOR", "fail"),
    ("PA_BLANK", "unknown"), ("PA_NONE", "fail"), ("PA_DAYSHORT", "fail")])
def test_paired_assistance_is_a_year_from_a_county_hospital(ganzhou: Census, thc: str, expected: str) -> None:
    assert outcome(ganzhou, "thc_paired_assistance", thc) == expected


# 四（二）6 「配置标准为每千乡村人口0.6张-1.2张（含健康养老床位），原则上不超过100张（中心卫生院不超过150张），
# 最低配置床位不低于20张。」 Read as a whole: the band 0.6–1.2 per 1,000 rural residents, bounded below by the
# 20-bed floor and above by the 100 (central 150) cap. The township's population is the one entered for the
# township where it has no village rows.
#   50 000 people: band 30–60 → 30 beds meet it, 29 are one short.
#   10 000 people: 6–12 is raised to the floor → 20 beds meet it, 21 are one over.
#   200 000 people, general THC: 120–240 is capped at 100 → 100 beds meet it; central THC: 120–150 → 150.
#   villages of 20 000 + 10 000: band 20 (18 raised to the floor) – 36 → 36 beds meet it.
#   no population entered: unknown.
@pytest.mark.parametrize(("thc", "expected", "gap"), [
    ("B30", "pass", None), ("B29", "fail", 1), ("B20", "pass", None), ("B21", "fail", 1),
    ("B100", "pass", None), ("C150", "pass", None), ("B36", "pass", None), ("BNP", "unknown", None)])
def test_bed_band_read_as_a_whole(ganzhou: Census, thc: str, expected: str, gap: float | None) -> None:
    v = ganzhou.verdict(PACK, AS_OF, "thc_beds_per_1000", thc)
    assert v is not None and (v.outcome, v.gap) == (expected, gap)


# The three bed rules of 四（二）6 never contradict each other: 20 beds in a township of 10 000, and 100 beds in
# a township of 200 000, satisfy every one of them.
@pytest.mark.parametrize("thc", ["B20", "B100", "C150"])
def test_bed_rules_of_one_clause_can_all_be_met(ganzhou: Census, thc: str) -> None:
    rules = ("thc_beds_floor", "thc_beds_ceiling", "thc_beds_per_1000")
    assert [outcome(ganzhou, r, thc) for r in rules] == ["pass"] * 3
