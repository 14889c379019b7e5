"""Every rule's summary is a Chinese sentence (what users see); the English one is kept as summary_en."""

from __future__ import annotations

import re

import pytest

from wangdi.policy import pack

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("pack_id", pack.available())
def test_rule_summaries_are_chinese_with_english_kept(pack_id: str) -> None:
    p = pack.load(pack_id)
    for rule in p.rules.values():
        assert len(CJK.findall(rule.summary)) >= 6, f"{rule.id}: summary is not Chinese: {rule.summary!r}"
        assert rule.summary.endswith("。"), f"{rule.id}: summary is not a sentence: {rule.summary!r}"
        assert re.search(r"[A-Za-z]{3}", rule.summary_en), f"{rule.id}: English summary_en missing"


def test_coverage_lists_the_readings_chosen() -> None:
    """`wangdi packs coverage` lists each ambiguous clause's reading: 001 四（二）6 read as a whole, for one."""
    from typer.testing import CliRunner

    from wangdi.cli import app
    from wangdi.policy import coverage

    r = coverage.report(pack.load("ganzhou-2019"))
    beds = [x for x in r["readings"] if x["id"] == "thc_beds_per_1000"]
    assert beds and beds[0]["clause"] == "四（二）6" and "floor" in beds[0]["reading"]
    assert {x["id"] for x in r["readings"]} >= {"thc_paired_assistance", "param:vd_training_days_per_year"}
    out = CliRunner().invoke(app, ["packs", "coverage", "--pack", "ganzhou-2019", "--readings"])
    assert out.exit_code == 0, out.output
    assert "解读 四（二）6" in out.output and "thc_beds_per_1000" in out.output
