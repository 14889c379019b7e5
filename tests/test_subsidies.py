"""Issue 5: subsidy payment lists cite their clauses; no-double-payment holds on real (synthetic) data."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl

from wangdi import api


def test_ganzhou_payment_list_cites_every_clause(db_url: str, tmp_path: Path) -> None:
    api.synth("360731", tmp_path / "yd", seed=3, fmt="parquet")  # 于都县
    assert api.import_census(tmp_path / "yd", url=db_url).written
    out = tmp_path / "pay.xlsx"
    _run_id, lines, synthetic = api.subsidies("ganzhou-2019", "360731", 2025, out, url=db_url)
    assert synthetic and lines.height > 0
    assert lines["条款"].null_count() == 0 and lines["条款原文"].null_count() == 0
    paid = lines.filter(pl.col("状态") == "应发")
    assert set(paid["补助项目"]) >= {"乡镇卫生院建设专项资金", "人口较少行政村乡村医生补贴"}
    # nobody is paid twice within the village-doctor allowance group
    vd = paid.filter(pl.col("rule_id").is_in(["remote_vd_allowance", "small_village_vd_subsidy"]))
    assert vd["代码"].is_duplicated().sum() == 0
    ws = openpyxl.load_workbook(out)["发放清单"]
    header = [c.value for c in ws[4]]
    assert "条款" in header and "条款原文" in header
    assert "合成数据" in str(ws["A2"].value)


def test_a_pack_without_subsidies_says_so(db_url: str) -> None:
    import pytest

    from wangdi.errors import WangdiError

    with pytest.raises(WangdiError) as info:
        api.subsidies("yanggu-2024", "371521", 2025, None, url=db_url)
    assert info.value.code == "no-entitlements"
