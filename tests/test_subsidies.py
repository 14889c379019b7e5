"""Issue 5: subsidy payment lists cite their clauses; no-double-payment holds on real (synthetic) data."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from wangdi import api


@pytest.fixture(scope="module")
def yudu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("yudu") / "yd"
    api.synth("360731", out, seed=3, fmt="parquet")  # 于都县
    return out


def test_ganzhou_payment_list_cites_every_clause(db_url: str, tmp_path: Path, yudu: Path) -> None:
    assert api.import_census(yudu, url=db_url).written
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
    header = [c.value for c in ws[5]]
    assert "条款" in header and "条款原文" in header
    assert "合成数据" in str(ws["A3"].value)


def test_a_pack_without_subsidies_says_so(db_url: str) -> None:
    import pytest

    from wangdi.errors import WangdiError

    with pytest.raises(WangdiError) as info:
        api.subsidies("yanggu-2024", "371521", 2025, None, url=db_url)
    assert info.value.code == "no-entitlements"


def test_payment_list_totals_add_up_township_county_city(db_url: str, tmp_path: Path, yudu: Path) -> None:
    """Lines → 小计 per township → 合计 per county → 总计; blank ID and bank columns; a sign-off block."""
    assert api.import_census(yudu, url=db_url).written
    out = tmp_path / "pay.xlsx"
    _run_id, lines, _synthetic = api.subsidies("ganzhou-2019", "3607", 2025, out, url=db_url)
    ws = openpyxl.load_workbook(out)["发放清单"]
    assert ws["A1"].value == "赣州市 补助发放清单（2025年度）"
    header = [c.value for c in ws[5]]
    col = {name: i for i, name in enumerate(header)}
    assert {"县（市、区）", "乡镇（街道）", "机构", "姓名（对象）", "月数", "身份证号", "银行账号", "未发原因"} <= set(col)
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=6)]
    money = col["金额（元）"]
    town_sum = county_sum = city_sum = 0.0
    towns = counties = 0
    for r in rows:
        label = " ".join(str(v) for v in r[:3] if v)
        if label.endswith("小计"):
            assert abs(r[money] - town_sum) < 0.005, label
            county_sum += town_sum
            town_sum, towns = 0.0, towns + 1
        elif label.endswith("合计"):
            assert abs(r[money] - county_sum) < 0.005, label
            city_sum += county_sum
            county_sum, counties = 0.0, counties + 1
        elif label.endswith("总计"):
            assert abs(r[money] - city_sum) < 0.005 and abs(r[money] - lines["金额"].sum()) < 0.005
            break
        elif r[0] is not None:
            assert r[col["身份证号"]] in (None, "") and r[col["银行账号"]] in (None, ""), "never invented"
            town_sum += r[money] or 0.0
            if r[col["状态"]] != "应发":
                assert r[col["未发原因"]] and "_" not in str(r[col["未发原因"]]), r
    assert towns > 10 and counties == 1 and city_sum > 0
    tail = " ".join(str(v) for r in rows for v in r if v)
    assert "制表人" in tail and "审核人" in tail and "日期" in tail
