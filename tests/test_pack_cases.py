"""Every YAML test case of every shipped pack, collected as its own pytest item."""

from __future__ import annotations

from typing import Any

import pytest

from wangdi.policy import pack
from wangdi.policy.testing import run_case

CASES = [(pid, case) for pid in pack.available() for case in pack.load(pid).tests]


@pytest.mark.parametrize(("pack_id", "case"), CASES, ids=[f"{p}:{c.get('name')}" for p, c in CASES])
def test_pack_case(pack_id: str, case: dict[str, Any]) -> None:
    result = run_case(pack.load(pack_id), case)
    assert result.ok, result.detail
