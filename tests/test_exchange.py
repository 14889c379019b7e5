"""Issue 3: template, import (all-or-nothing, typed report), export (lossless), bad input of every kind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from wangdi import api
from wangdi.registry import store
from wangdi.registry.report import MAX_ERRORS

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def wangdi(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wangdi", *args], capture_output=True, text=True,
                          env={**ENV, "WANGDI_DATABASE_URL": url}, timeout=300)


def test_template_has_a_sheet_per_table_dropdowns_and_examples(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    api.write_template(out)
    wb = openpyxl.load_workbook(out)
    for sheet in ("说明", "机构", "人口", "人员", "设备", "服务科室", "下沉派驻", "培训", "家庭医生签约", "就诊"):
        assert sheet in wb.sheetnames
    inst = wb["机构"]
    assert inst["A1"].value == "机构代码\ncode"
    assert any("代码表" in str(dv.formula1) for dv in inst.data_validations.dataValidation)
    examples = [r for r in wb["说明"].iter_rows(values_only=True) if r[0] == "人员"]
    assert json.loads(examples[0][1])["qualification"] == "执业医师"


def test_yanggu_import_then_reimport_reports_nothing_changed(db_url: str, yanggu_xlsx: Path) -> None:
    first = wangdi("import", str(yanggu_xlsx), url=db_url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "导入完成" in first.stdout
    again = api.import_census(yanggu_xlsx, url=db_url)
    assert all(c["added"] == 0 and c["changed"] == 0 for c in again.counts.values())
    assert again.counts["institution"]["unchanged"] > 300


def test_bad_cells_are_named_and_nothing_is_written(db_url: str, yanggu_xlsx: Path, tmp_path: Path) -> None:
    api.import_census(yanggu_xlsx, url=db_url)
    before = tmp_path / "before.xlsx"
    api.export_census(before, url=db_url)
    wb = openpyxl.load_workbook(yanggu_xlsx)
    ws = wb["机构"]
    headers = [c.value.split("\n")[1] for c in ws[1]]
    div_col = openpyxl.utils.get_column_letter(headers.index("division_code") + 1)
    beds_col = openpyxl.utils.get_column_letter(headers.index("beds") + 1)
    ws[f"{div_col}5"] = "371521999"
    ws[f"{beds_col}7"] = -3
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    report = tmp_path / "r.json"
    res = wangdi("import", str(bad), "--report", str(report), url=db_url)
    assert res.returncode == 1
    assert f"第5行 {div_col}列 字段 division_code" in res.stdout and "unknown-division" in res.stdout
    assert f"第7行 {beds_col}列 字段 beds" in res.stdout and "below-minimum" in res.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["error_count"] == 2 and not data["valid"]
    after = tmp_path / "after.xlsx"
    api.export_census(after, url=db_url)
    assert before.read_bytes() == after.read_bytes()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_csv_in_chinese_encodings_imports_identically(db_url: str, yanggu_xlsx: Path, tmp_path: Path,
                                                      encoding: str) -> None:
    api.import_census(yanggu_xlsx, url=db_url)
    api.export_census(tmp_path / "a.xlsx", url=db_url)
    api.export_census(tmp_path / "csv", url=db_url, fmt="csv", encoding=encoding)
    assert "机构代码" in (tmp_path / "csv" / "institution.csv").read_bytes().decode(encoding)
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    res = api.import_census(tmp_path / "csv", url=fresh)
    assert res.written, res.report.text()
    api.export_census(tmp_path / "b.xlsx", url=fresh)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_parquet_round_trip_is_lossless(db_url: str, yanggu_xlsx: Path, tmp_path: Path) -> None:
    api.import_census(yanggu_xlsx, url=db_url)
    api.export_census(tmp_path / "pq", url=db_url, fmt="parquet")
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    assert api.import_census(tmp_path / "pq", url=fresh).written
    for name in ("a", "b"):
        api.export_census(tmp_path / f"{name}.xlsx", url=db_url if name == "a" else fresh)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def _institution_sheet(tmp_path: Path, rows: list[list[object]], header: list[str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "机构"
    ws.append(header or ["机构代码\ncode", "机构名称\nname", "机构类别\ntype_code", "所在区划代码\ndivision_code",
                         "床位数\nbeds"])
    for r in rows:
        ws.append(r)
    out = tmp_path / "in.xlsx"
    wb.save(out)
    return out


def _slugs(url: str, path: Path) -> list[str]:
    res = api.import_census(path, url=url)
    assert not res.written
    with store.engine(url).connect() as c:
        assert store.snapshot(c, "institution").height == 0
    return [e.slug for e in res.report.errors]


def test_corrupt_encrypted_and_empty_files(db_url: str, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert _slugs(db_url, corrupt) == ["unreadable-file"]
    encrypted = tmp_path / "encrypted.xlsx"  # password-protected xlsx files are OLE compound documents
    encrypted.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504)
    assert _slugs(db_url, encrypted) == ["unreadable-file"]
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert _slugs(db_url, empty) == ["empty-file"]
    res = wangdi("import", str(encrypted), url=db_url)
    assert res.returncode == 1 and "加密" in res.stdout and "Traceback" not in res.stdout + res.stderr


def test_wrong_header_and_wrong_type(db_url: str, tmp_path: Path) -> None:
    header = ["机构代码\ncode", "名字", "机构类别\ntype_code", "所在区划代码\ndivision_code", "床位数\nbeds"]
    path = _institution_sheet(tmp_path, [["T1", "x", "C210", "371521108", 3]], header)
    assert set(_slugs(db_url, path)) == {"unknown-column", "missing-column"}
    path = _institution_sheet(tmp_path, [["T1", "李台", "C210", "371521108", "四十"]])
    res = api.import_census(path, url=db_url)
    err = res.report.errors[0]
    assert (err.slug, err.row, err.column, err.value) == ("type-error", 2, "E", "四十")


@pytest.mark.parametrize("text", ["2024年7月18日", "2024/7/18", "2024-07-18", "2024.7.18", 45491])
def test_dates_in_common_chinese_forms(db_url: str, tmp_path: Path, text: object) -> None:
    api.import_census(_institution_sheet(tmp_path, [["T1", "李台", "C210", "371521108", 3]]), url=db_url)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人员"
    ws.append(["人员编号\nstaff_code", "所在机构代码\ninstitution_code", "姓名\nname", "人员类别\ncategory",
               "出生日期\nbirth_date"])
    ws.append(["P1", "T1", "王伟", "卫生技术人员", text])
    wb.save(tmp_path / "staff.xlsx")
    res = api.import_census(tmp_path / "staff.xlsx", url=db_url)
    assert res.written, res.report.text()
    with store.engine(db_url).connect() as c:
        assert store.snapshot(c, "staff")["birth_date"].item() == date(2024, 7, 18)


def test_merged_cells_and_extra_sheets(db_url: str, tmp_path: Path) -> None:
    path = _institution_sheet(tmp_path, [["T1", "李台", "C210", "371521108", 3], ["T2", "", "C220", "371521101", 2]])
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("我的备注").append(["随便写点什么"])
    wb.save(path)
    res = api.import_census(path, url=db_url)
    assert not res.written and ("unknown-sheet", "我的备注") in [(e.slug, e.sheet) for e in res.report.errors]
    del wb["我的备注"]
    path2 = tmp_path / "merged.xlsx"
    wb["机构"].merge_cells("B2:B3")
    wb.save(path2)
    res = api.import_census(path2, url=db_url)
    assert [e.slug for e in res.report.errors] == ["merged-cells"] and "B2:B3" in res.report.errors[0].zh


def test_100k_bad_rows_give_a_capped_report_with_the_true_count(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    folder = tmp_path / "csv"
    folder.mkdir()
    n = 100_000
    pl.DataFrame({"机构代码(code)": [f"C{i}" for i in range(n)], "机构名称(name)": ["x"] * n,
                  "机构类别(type_code)": ["C220"] * n, "所在区划代码(division_code)": ["999999999"] * n,
                  "床位数(beds)": ["-1"] * n}).write_csv(folder / "institution.csv")
    res = api.import_census(folder, url=url)
    assert res.report.total == 2 * n
    assert len(res.report.errors) == MAX_ERRORS
    assert res.report.as_dict()["truncated"] is True
    assert "另有" in res.report.text()


def test_formula_injection_is_exported_as_text(db_url: str, tmp_path: Path) -> None:
    evil = "=HYPERLINK(\"http://x\",\"点我\")"
    path = _institution_sheet(tmp_path, [["T1", "placeholder", "C210", "371521108", 3]])
    wb = openpyxl.load_workbook(path)
    wb["机构"]["B2"].value = evil
    wb["机构"]["B2"].data_type = "s"  # typed in as text, as a user's cell would be
    wb.save(path)
    assert api.import_census(path, url=db_url).written
    api.export_census(tmp_path / "e.xlsx", url=db_url)
    with zipfile.ZipFile(tmp_path / "e.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in z.read(n).decode() for n in sheets)  # no formula anywhere
    api.export_census(tmp_path / "csv", url=db_url, fmt="csv")
    assert "'=HYPERLINK" in (tmp_path / "csv" / "institution.csv").read_text(encoding="utf-8")
    fresh = f"sqlite:///{tmp_path / 'f.sqlite'}"
    api.import_census(tmp_path / "csv", url=fresh)
    with store.engine(fresh).connect() as c:
        assert store.snapshot(c, "institution")["name"].item() == evil


def test_sigkill_midway_leaves_the_database_unchanged(tmp_path: Path) -> None:
    api.synth("3715", tmp_path / "lc", seed=2, fmt="parquet")
    db = tmp_path / "k.sqlite"
    url = f"sqlite:///{db}"
    api.import_census(_institution_sheet(tmp_path, [["T1", "李台", "C210", "371521108", 3]]), url=url)
    proc = subprocess.Popen([sys.executable, "-m", "wangdi", "import", str(tmp_path / "lc")],
                            env={**ENV, "WANGDI_DATABASE_URL": url}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wal = Path(f"{db}-wal")
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and (not wal.exists() or wal.stat().st_size < 2_000_000):
        time.sleep(0.005)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store._ENGINES.pop(url, None)
    with store.engine(url).connect() as c:
        assert store.snapshot(c, "institution")["code"].to_list() == ["T1"]
        assert store.snapshot(c, "staff").height == 0
