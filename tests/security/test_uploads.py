"""Issue 13 item 4: uploads are validated in a worker process with time and memory limits; sheets beyond the
row/column limit are refused before they are read; request bodies are bounded, also before login."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import web_client
from wangdi import api
from wangdi.errors import WangdiError
from wangdi.web.worker import run_limited


def _far_cell(path: Path, ref: str) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "机构"
    ws.append(["code", "name", "type_code", "division_code"])
    ws.append(["T1", "李台卫生院", "C220", "371521108"])
    ws[ref] = 1
    wb.save(path)
    return path


def test_sheet_beyond_the_limits_is_refused_unread(tmp_path: Path) -> None:
    path = _far_cell(tmp_path / "far.xlsx", "XFD1048576")
    assert path.stat().st_size < 30_000
    t0 = time.monotonic()
    res = api.import_census(path, url=f"sqlite:///{tmp_path / 'x.sqlite'}", dry_run=True)
    assert time.monotonic() - t0 < 10  # before: 3.9 GB of cells before it was killed
    err = res.report.errors[0]
    assert err.slug == "sheet-too-large" and err.sheet == "机构" and err.row == 1048576 and err.column == "XFD"


def test_lying_dimension_is_not_believed(tmp_path: Path) -> None:
    path = _far_cell(tmp_path / "far.xlsx", "B600001")
    lied = tmp_path / "lie.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(lied, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:D600001"/>', b'<dimension ref="A1:D2"/>')
            dst.writestr(item, data)
    res = api.import_census(lied, url=f"sqlite:///{tmp_path / 'x.sqlite'}", dry_run=True)
    assert res.report.errors[0].slug == "sheet-too-large" and res.report.errors[0].row == 600001


def test_one_far_cell_is_read_in_streams_and_reported(tmp_path: Path) -> None:
    path = _far_cell(tmp_path / "z.xlsx", "Z100000")
    t0 = time.monotonic()
    res = api.import_census(path, url=f"sqlite:///{tmp_path / 'x.sqlite'}", dry_run=True)
    assert time.monotonic() - t0 < 30
    assert ("extra-cells", 100000, "Z") in [(e.slug, e.row, e.column) for e in res.report.errors]


def test_worker_stops_at_its_time_and_memory_limits() -> None:
    t0 = time.monotonic()
    with pytest.raises(WangdiError) as e:
        run_limited(time.sleep, 30, timeout_s=1)
    assert e.value.code == "upload-timeout" and time.monotonic() - t0 < 20
    with pytest.raises(WangdiError) as e:
        run_limited(bytearray, 3 * 1024**3, memory_mb=1024)
    assert e.value.code == "upload-too-large" and "内存" in e.value.zh


def test_uploads_go_through_the_worker(sec_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = _far_cell(tmp_path / "ok.xlsx", "D2").read_bytes()
    monkeypatch.setenv("WANGDI_UPLOAD_TIMEOUT_S", "0.001")
    r = web_client(sec_app, "admin").post("/api/v1/imports", files={"file": ("ok.xlsx", data)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload-timeout"  # before: validated in the server


def test_request_bodies_are_bounded_before_login(sec_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    anonymous = web_client(sec_app)
    r = anonymous.post("/api/v1/session", content=b'{"username": "' + b"x" * 2_000_000 + b'"}',
                       headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "http-413"  # before: read whole, then 422
    monkeypatch.setenv("WANGDI_MAX_UPLOAD_MB", "1")
    r = web_client(sec_app, "admin").post("/api/v1/imports", files={"file": ("big.xlsx", b"PK" + b"0" * 1_200_000)})
    assert r.status_code == 413
