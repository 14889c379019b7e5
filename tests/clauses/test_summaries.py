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
