"""Issue 13 items 7 and 9, and the Tests section: a corpus of malformed inputs GENERATED here (damaged
workbooks, CSVs, meta.json, Parquet, and bad cells for every field kind). Every one gives a report that names
the file and the part or cell, none an internal error, and the database file is byte-identical after."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from wangdi import api
from wangdi.registry.schema import TABLE_MAP

INST = {"code": "T1", "name": "李台卫生院", "type_code": "C220", "division_code": "371521108", "beds": "12",
        "floor_area_m2": "300.5", "is_sub_centre": "否", "building_standard_met": "是", "star_rating": "",
        "info_officers": "", "floor_area_incl_toilet_m2": "", "ownership": "", "capacity_level": "", "integrated": "",
        "remote_area": "", "specialties": ""}
STAFF = {"staff_code": "P1", "institution_code": "T1", "name": "王伟", "category": "卫生技术人员",
         "birth_date": "1980-05-01", "start_date": "2010-01-01", "gender": "男", "end_date": "", "title": "",
         "education": "", "registered_gp": "", "full_time_degree": ""}


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("corpus")
    db = tmp / "c.sqlite"
    folder = tmp / "seed"
    folder.mkdir()
    for name, row in (("institution", INST), ("staff", STAFF)):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([list(row), list(row.values())])
    assert api.import_census(folder, url=f"sqlite:///{db}").written
    return f"sqlite:///{db}", db


def _digest(db: Path) -> str:
    """The database file's bytes, after the write-ahead log is folded in (so only real writes change it)."""
    import sqlite3

    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(db.read_bytes()).hexdigest()


def _workbook(rows: dict[str, Any] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "机构"
    row = rows or dict(INST, beds=12, floor_area_m2=300.5)
    ws.append(list(row))
    ws.append(list(row.values()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            new = change(item.filename, src.read(item))
            if new is not None:
                dst.writestr(item.filename, new)
    return out.getvalue()


def _corrupt_deflate(data: bytes) -> bytes:
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 2, start + min(info.compress_size, 40)):
        raw[i] ^= 0x5A
    return bytes(raw)


def _sheet(xml: Callable[[bytes], bytes]) -> Callable[[str, bytes], bytes | None]:
    return lambda name, b: xml(b) if name == "xl/worksheets/sheet1.xml" else b


def _date_cell(value: str) -> Callable[[bytes], bytes]:
    return lambda b: b.replace(b"</row></sheetData>", f'<c r="Z2" t="d"><v>{value}</v></c></row></sheetData>'.encode())


def workbook_cases() -> dict[str, bytes]:
    good = _workbook()
    cases: dict[str, bytes] = {
        "corrupt deflate": _corrupt_deflate(good),
        "no styles.xml": _rezip(good, lambda n, b: None if n == "xl/styles.xml" else b),
        "no workbook.xml": _rezip(good, lambda n, b: None if n == "xl/workbook.xml" else b),
        "no sheet part": _rezip(good, lambda n, b: None if n == "xl/worksheets/sheet1.xml" else b),
        "no content types": _rezip(good, lambda n, b: None if n == "[Content_Types].xml" else b),
        "DTD in sheet": _rezip(good, _sheet(lambda b: b'<!DOCTYPE x [<!ENTITY a "b">]>' + b)),
        "entity bomb": _rezip(good, _sheet(lambda b: b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
                                           b'"&a;&a;&a;&a;&a;&a;&a;&a;">]>' + b.replace(b"<v>12</v>", b"<v>&b;</v>"))),
        "no shared strings": _rezip(good, lambda n, b: None if n == "xl/sharedStrings.xml" else b),
        "date 0000-01-01": _rezip(good, _sheet(_date_cell("0000-01-01"))),
        "date 10000-01-01": _rezip(good, _sheet(_date_cell("10000-01-01"))),
        "date garbage": _rezip(good, _sheet(_date_cell("not-a-date"))),
        "sheet not XML": _rezip(good, _sheet(lambda b: b[: len(b) // 2])),
        "sheet empty": _rezip(good, _sheet(lambda b: b"")),
        "truncated zip": good[: len(good) // 2],
        "zip header only": good[:30],
        "random bytes": bytes(range(256)) * 40,
        "text file": "机构代码,名称\nT1,李台\n".encode(),
        "empty zip": _rezip(good, lambda n, b: None),
        "cell ref A0": _rezip(good, _sheet(lambda b: b.replace(b'r="A1"', b'r="A0"', 1))),
        "huge dimension": _rezip(good, _sheet(lambda b: re.sub(rb'<dimension ref="[^"]*"/>',
                                                               b'<dimension ref="A1:XFD1048576"/>', b))),
        "numeric in text cell": _rezip(good, _sheet(lambda b: b.replace(b't="s"', b't="n"', 1))),
        "bad number": _rezip(good, _sheet(lambda b: b.replace(b"<v>12</v>", b"<v>1e99999</v>", 1))),
        "wrong rels": _rezip(good, lambda n, b: b.replace(b"worksheets/sheet1.xml", b"worksheets/nope.xml")
                             if n == "xl/_rels/workbook.xml.rels" else b),
    }
    return cases


def csv_cases() -> dict[str, bytes]:
    head = ",".join(INST).encode()
    row = ",".join(INST.values()).encode()
    return {
        "CR-only line ends": head + b"\r" + row + b"\r" + b"T2,x,C220,371521108,1,1,\xe5\x90\xa6,\xe6\x98\xaf,extra\r",
        "131072-char field": head + b"\n" + b'T1,"' + b"x" * 131_073 + b'",C220,371521108\n',
        "unclosed quote": head + b'\nT1,"oops,C220,371521108\n',
        "NUL bytes": head + b"\nT1,\x00\x00,C220,371521108\n",
        "not a text encoding": head + b"\n" + bytes(range(128, 256)) * 3 + b"\n",
        "extra cells": head + b"\n" + row + b",surplus\n",
        "header only, unknown column": b"code,name,nonsense\n",
        "BOM only": b"\xef\xbb\xbf",
        "control char": head + b"\nT1,\x1b[31mred,C220,371521108\n",
    }


def _run(path: Path, url: str) -> Any:
    return api.import_census(path, url=url, dry_run=False)


READABLE = {"no styles.xml", "numeric in text cell", "cell ref A0", "no shared strings"}  # damaged parts openpyxl does not need


def _check(res: Any, name: str) -> list[str]:
    problems = []
    if (res.written or res.report.valid) and name not in READABLE:
        problems.append(f"{name}: accepted")
    for e in res.report.errors:
        if e.slug == "internal-error" or "内部错误" in e.zh:
            problems.append(f"{name}: internal error {e}")
        if not (e.sheet or e.table):
            problems.append(f"{name}: error without its file or part: {e}")
    return problems


def test_damaged_files_are_reports_naming_file_and_part(corpus_db: tuple[str, Path], tmp_path: Path) -> None:
    url, db = corpus_db
    before = _digest(db)
    problems: list[str] = []
    n = 0
    for name, data in workbook_cases().items():
        p = tmp_path / f"w{n}.xlsx"
        p.write_bytes(data)
        problems += _check(_run(p, url), name)
        n += 1
    for name, data in csv_cases().items():
        folder = tmp_path / f"c{n}"
        folder.mkdir()
        (folder / "institution.csv").write_bytes(data)
        problems += _check(_run(folder, url), name)
        n += 1
    for name, meta in (("meta not JSON", b"{oops"), ("meta a list", b"[1,2]"), ("meta binary", b"\xff\xfe\x00")):
        folder = tmp_path / f"m{n}"
        folder.mkdir()
        (folder / "institution.csv").write_text("code,name\nT1,\n", encoding="utf-8")
        (folder / "meta.json").write_bytes(meta)
        res = _run(folder, url)
        problems += _check(res, name)
        if not any(e.sheet == "meta.json" for e in res.report.errors):
            problems.append(f"{name}: meta.json not named")
        n += 1
    good_pq = io.BytesIO()
    pl.DataFrame({"code": ["T1"], "name": ["李台"]}).write_parquet(good_pq)
    for name, data in (("parquet random", b"PAR1" + bytes(200) + b"PAR1"), ("parquet truncated", good_pq.getvalue()[:-20]),
                       ("parquet empty", b""), ("parquet missing columns", good_pq.getvalue())):
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        (folder / "institution.parquet").write_bytes(data)
        problems += _check(_run(folder if data else folder / "institution.parquet", url), name)
        n += 1
    assert not problems, "\n".join(problems)
    assert n >= 38 and _digest(db) == before


BAD_VALUES: dict[str, list[str]] = {
    "int": ["12,5", "1,2,3", "inf", "-inf", "nan", "1e309", "9007199254740993", "1.5", "十二", "12 张", "0x1F", "--3",
            "１２", "1_000", "12e", "+-1"],
    "float": ["12,5", "1,2,3", "inf", "nan", "1e309", "Infinity", "1.2.3", "三百", "1e", "."],
    "date": ["1", "-5", "0001-01-01", "0000-01-01", "2999-01-01", "1980-05-01 25:99:99", "1980-13-01", "1980-02-30",
             "昨天", "1980/02/30", "99999999", "1980-05-01T24:00"],
    "bool": ["也许", "2", "yes please", "真", "有的", "否否", "-1", "T"],
    "code": ["不存在的类别", "C999", "其它其它", "0"],
    "division": ["999999999", "3715211", "abc"],
    "str": ["a\x00b", "a\x1b]0;x\x07", "\x7f"],
}


def _cell_cases() -> list[tuple[str, str, str]]:
    out = []
    for table, base in (("institution", INST), ("staff", STAFF)):
        for f in TABLE_MAP[table].fields:
            if f.name not in base or f.name in ("synthetic",):
                continue
            kind = "division" if f.kind == "division" else f.kind
            if kind == "ref":
                continue
            if table == "staff" and f.name in ("start_date",):
                continue
            for v in BAD_VALUES.get(kind, []):
                if f.name == "beds" and v in ("1.5",):
                    continue
                out.append((table, f.name, v))
    return out


def test_every_bad_cell_is_refused_with_its_cell(corpus_db: tuple[str, Path], tmp_path: Path) -> None:
    url, db = corpus_db
    before = _digest(db)
    cases = _cell_cases()
    problems: list[str] = []
    for i, (table, field, value) in enumerate(cases):
        base = dict(INST if table == "institution" else STAFF, **{field: value})
        folder = tmp_path / f"cell{i}"
        folder.mkdir()
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([list(base), list(base.values())])
        res = _run(folder, url)
        name = f"{table}.{field}={value!r}"
        problems += _check(res, name)
        hit = [e for e in res.report.errors if e.field == field and e.row == 2 and e.sheet == f"{table}.csv"]
        if not hit:
            problems.append(f"{name}: not named at its cell: {[e.line() for e in res.report.errors]}")
        elif not hit[0].column:
            problems.append(f"{name}: no column letter")
    assert len(cases) >= 180 and not problems, "\n".join(problems[:30])
    assert _digest(db) == before
