"""Issue 13 item 7: an import never silently changes a value. Each case names the cell it refuses."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.security.conftest import current, db_state
from wangdi import api

INST = ["code", "name", "type_code", "division_code", "beds", "floor_area_m2"]
STAFF = ["staff_code", "institution_code", "name", "category", "birth_date"]


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("small")
    url = f"sqlite:///{tmp / 'small.sqlite'}"
    folder = tmp / "csv"
    _csv(folder, "institution", INST, [["T1", "李台卫生院", "C220", "371521108", "12", "300.5"]])
    _csv(folder, "staff", STAFF, [["P1", "T1", "王伟", "卫生技术人员", "1980-05-01"]])
    res = api.import_census(folder, url=url)
    assert res.written, res.report.text()
    return url


def _csv(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return folder


def _errors(url: str, path: Path) -> list[Any]:
    before = db_state(url)
    res = api.import_census(path, url=url)
    assert not res.written and db_state(url) == before
    return res.report.errors


BAD_CELLS = [  # (table, column, text)
    *[("institution", "beds", v) for v in ("12,5", "1,2,3", "inf", "1e309", "9007199254740993", "-inf", "1,23")],
    *[("institution", "floor_area_m2", v) for v in ("inf", "nan", "1e309", "12,5", "1,2,3", "Infinity")],
    *[("staff", "birth_date", v) for v in ("1", "-5", "0001-01-01", "0000-01-01", "2999-01-01",
                                          "1980-05-01 25:99:99", "1980-02-30", "1980-05-01 12:61")],
    ("institution", "name", "李台\x07卫生院"), ("institution", "name", "李台\x1b]0;pwned\x07"),
]


@pytest.mark.parametrize("table,column,text", BAD_CELLS, ids=[f"{c}={t!r}" for _, c, t in BAD_CELLS])
def test_bad_cell_is_refused_with_its_place(small_db: str, tmp_path: Path, table: str, column: str, text: str) -> None:
    header = INST if table == "institution" else STAFF
    row = ["T1", "李台卫生院", "C220", "371521108", "12", "300.5"] if table == "institution" else \
        ["P1", "T1", "王伟", "卫生技术人员", "1980-05-01"]
    row[header.index(column)] = text
    errs = _errors(small_db, _csv(tmp_path / "in", table, header, [row]))
    assert errs and errs[0].row == 2 and errs[0].field == column and errs[0].column == "ABCDEF"[header.index(column)]
    assert errs[0].slug in ("type-error", "control-character") and errs[0].zh


def test_good_numbers_and_dates_still_read(small_db: str, tmp_path: Path) -> None:
    res = api.import_census(_csv(tmp_path / "ok", "institution", INST,
                                 [["T1", "李台卫生院", "C220", "371521108", "1,234", "1,234.5"]]), url=small_db,
                            dry_run=True)
    assert res.report.valid, res.report.text()
    res = api.import_census(_csv(tmp_path / "ok2", "staff", STAFF, [["P1", "T1", "王伟", "卫生技术人员",
                                                                    "1980-05-01 08:30:00"]]), url=small_db, dry_run=True)
    assert res.report.valid, res.report.text()


def test_missing_optional_column_keeps_the_stored_values(small_db: str, tmp_path: Path) -> None:
    folder = _csv(tmp_path / "nobeds", "institution", INST[:4], [["T1", "李台镇卫生院", "C220", "371521108"]])
    res = api.import_census(folder, url=small_db)
    assert res.written, res.report.text()
    row = current(small_db, "institution", code="T1")[0]
    assert row["name"] == "李台镇卫生院" and row["beds"] == 12 and row["floor_area_m2"] == 300.5  # failed before: blanked


def test_formula_without_cached_value_is_an_error(small_db: str, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "机构"
    ws.append(INST)
    ws.append(["T1", "李台卫生院", "C220", "371521108", "=10+2", 300.5])
    wb.save(tmp_path / "f.xlsx")
    errs = _errors(small_db, tmp_path / "f.xlsx")
    assert [(e.slug, e.row, e.column) for e in errs] == [("formula-without-value", 2, "E")]  # failed before: blank


@pytest.mark.parametrize("titles,slug", [(["机构 (2)"], "unknown-sheet"), (["机构", "institution"], "duplicate-sheet"),
                                         (["机构", "我的备注"], "unknown-sheet")])
def test_renamed_unknown_and_duplicated_sheets_are_reported(small_db: str, tmp_path: Path, titles: list[str],
                                                           slug: str) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for t in titles:
        ws = wb.create_sheet(t)
        ws.append(INST)
        ws.append(["T1", "别的名字", "C220", "371521108", 99, 1.0])
    wb.save(tmp_path / "s.xlsx")
    errs = _errors(small_db, tmp_path / "s.xlsx")
    assert errs[0].slug == slug and errs[0].sheet == titles[-1]


def test_extra_csv_cells_are_an_error(small_db: str, tmp_path: Path) -> None:
    folder = _csv(tmp_path / "extra", "institution", INST, [["T1", "李台卫生院", "C220", "371521108", "12", "300.5",
                                                             "多出来的"]])
    errs = _errors(small_db, folder)
    assert [(e.slug, e.row, e.column) for e in errs] == [("extra-cells", 2, "G")]


def test_csv_upload_through_the_web_is_read(sec_app: Any, sec_db: str) -> None:
    from tests.conftest import web_client

    c = web_client(sec_app, "admin")
    body = "code,name,type_code,division_code,beds\nSEC-CSV-1,测试卫生室,D600,371521108,0\n"
    r = c.post("/api/v1/imports", files={"file": ("institution.csv", body.encode())})
    assert r.status_code == 200
    errs = {e["slug"] for e in r.json()["report"]["errors"]}
    assert errs == {"clinic-without-manager"}, r.json()["report_text"]  # failed before: "no-tables" (never read)
    body = body.replace("D600", "C220")
    staged = c.post("/api/v1/imports", files={"file": ("机构.csv", body.encode())}).json()
    assert staged["valid"], staged["report_text"]
    assert c.post(f"/api/v1/imports/{staged['token']}/confirm").json()["written"]
    assert current(sec_db, "institution", code="SEC-CSV-1")[0]["name"] == "测试卫生室"
