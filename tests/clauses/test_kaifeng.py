"""000 开封市县域医疗卫生服务均等化行动方案（征求意见稿）: verdicts derived from the clause text, from workbook rows."""

from __future__ import annotations

from datetime import date

from tests.clauses.census import Census

PACK = "kaifeng-2021"


# 一4 「对于村医自建、已经达标、独立设置的村卫生室，可通过资产转让、政府购买等形式转为集体或国有资产……2025年，公有
# 产权村卫生室比例达到90%以上。」 Collective premises are publicly owned: 5 公有 + 4 集体 of 10 clinics is 90%, met.
def test_public_ownership_counts_collective_premises(kaifeng: Census) -> None:
    v = kaifeng.verdict(PACK, date(2025, 12, 31), "clinic_public_ownership_rate", "4102")
    assert v is not None and v.outcome == "met"


# 2022年 「公有产权村卫生室比例达到80%以上」: on 2023-05-17 the 2022 milestone is the one due, and 90% meets it.
def test_public_ownership_2022_milestone(kaifeng: Census) -> None:
    v = kaifeng.verdict(PACK, date(2023, 5, 17), "clinic_public_ownership_rate", "4102")
    assert v is not None and v.outcome == "met"
