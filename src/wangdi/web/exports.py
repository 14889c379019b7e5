"""Documents from the web: the supervision report, the payment list and the plan workbook for a region in the
user's scope, made by the same library functions as the CLI (wangdi.api) and sent as downloads."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from wangdi import api
from wangdi.errors import WangdiError
from wangdi.web.deps import CurrentUser, Url, check_region, pack_for

router = APIRouter(prefix="/downloads", include_in_schema=False)
TYPES = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _send(path: Path, name: str) -> Response:
    return Response(path.read_bytes(), media_type=TYPES[path.suffix.lstrip(".")],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _region(user: CurrentUser, region: str) -> str:
    region = check_region(user, region) if region else user.scope_code
    if not region:
        raise WangdiError("region-required", "请选择地区（区划代码）", "region required")
    return region


@router.get("/report")
def report(user: CurrentUser, url: Url, region: str = "", pack: str | None = None, as_of: date | None = None,
           format: Annotated[str, Query(pattern="^(pdf|docx|xlsx)$")] = "pdf", issuer: str = "",
           issued: str = "", number: str = "") -> Response:
    region = _region(user, region)
    pid = pack_for(region, pack)
    day = as_of or date.today()
    with tempfile.TemporaryDirectory() as tmp:
        out = api.report(pid, region, day, format, Path(tmp) / f"report.{format}", url=url,
                         issuer=issuer[:100], issued=issued[:40], number=number[:60])
        return _send(out, f"督导评估报告-{region}-{day}.{format}")


@router.get("/payments")
def payments(user: CurrentUser, url: Url, region: str = "", pack: str | None = None,
             year: Annotated[int, Query(ge=2000, le=2100)] = date.today().year) -> Response:
    region = _region(user, region)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "payments.xlsx"
        api.subsidies(pack_for(region, pack), region, year, out, url=url)
        return _send(out, f"补助发放清单-{region}-{year}.xlsx")


@router.get("/plan")
def plan(user: CurrentUser, url: Url, budget: str, region: str = "", pack: str | None = None,
         as_of: date | None = None) -> Response:
    region = _region(user, region)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.xlsx"
        api.plan(pack_for(region, pack), region, budget[:200], out, as_of=as_of, url=url)
        return _send(out, f"规划方案-{region}.xlsx")
