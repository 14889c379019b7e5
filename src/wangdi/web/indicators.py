"""Indicator reporting and agency supervision: pages and their API twins (wangdi.indicators does the work)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from wangdi.errors import WangdiError
from wangdi.indicators import catalog, due_period, period_zh
from wangdi.indicators import service as ind
from wangdi.indicators.supervision import supervise
from wangdi.registry import store
from wangdi.web.api import ERRORS, Region
from wangdi.web.deps import CurrentUser, Url, check_region, pack_for

pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["indicators"])


def _defaults(user: Any, url: str, agency: str, division: str, period: str) -> tuple[str, str, str]:
    with store.init_db(url).connect() as conn:
        mine = ind.agency_of(conn, user.username)
    agency = agency or mine or next(iter(sorted({i.agency for i in catalog().values()})), "")
    division = check_region(user, division) if division else (user.scope_code or "")
    period = period.strip() or due_period("year", date.today())
    return agency, division, period[:7]


def _parse_value(raw: str, zh: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise WangdiError("invalid-record", f"“{zh}”应填数字，收到“{text[:20]}”", "value must be a number") from None


@pages.get("/indicators")
def indicators_page(request: Request, user: CurrentUser, url: Url, agency: str = "", division: str = "",
                    period: str = "", ok: str = "") -> Response:
    from wangdi.web.pages import render

    agency, division, period = _defaults(user, url, agency, division, period)
    d = ind.form(user, agency, division, period, url) if division else None
    agencies = sorted({i.agency for i in catalog().values()})
    return render(request, "indicators.html", user=user, d=d, agencies=agencies, agency=agency, division=division,
                  period=period, ok=ok, action_zh=ind.ACTION_ZH)


@pages.post("/indicators")
async def indicators_save(request: Request, user: CurrentUser, url: Url) -> Response:
    from wangdi.web.pages import render

    form = await request.form()
    agency, division, period = (str(form.get(k) or "") for k in ("agency", "division", "period"))
    check_region(user, division)
    cat = catalog()
    values = {k[2:]: _parse_value(str(v), cat[k[2:]].zh) for k, v in form.items() if k.startswith("v_") and k[2:] in cat}
    try:
        ind.report(user, division, period, values, url, str(form.get("note") or ""))
    except WangdiError as e:
        if e.code not in ("invalid-record", "locked", "nothing-to-report", "wrong-period", "wrong-indicator-level"):
            raise
        d = ind.form(user, agency, division, period, url)
        return render(request, "indicators.html", 422, user=user, d=d, agencies=sorted({i.agency for i in cat.values()}),
                      agency=agency, division=division, period=period, error=e.zh, action_zh=ind.ACTION_ZH)
    return RedirectResponse(f"/indicators?agency={agency}&division={division}&period={period}&ok=saved", 303)


@pages.post("/indicators/{action}")
def indicators_action(action: str, user: CurrentUser, url: Url, agency: Annotated[str, Form()],
                      division: Annotated[str, Form()], period: Annotated[str, Form()],
                      comment: Annotated[str, Form()] = "") -> Response:
    check_region(user, division)
    ind.transition(user, agency, division, period[:7], action, comment, url)
    return RedirectResponse(f"/indicators?agency={agency}&division={division}&period={period[:7]}&ok={action}", 303)


@pages.get("/supervision")
def supervision_page(request: Request, user: CurrentUser, url: Url, agency: str = "", region: str = "",
                     pack: str | None = None, as_of: date | None = None) -> Response:
    from wangdi.web.pages import render

    region = check_region(user, region) if region else user.scope_code
    if not region:
        raise WangdiError("region-required", "请选择地区（region=区划代码）", "choose a region")
    pid = pack_for(region, pack)
    d = supervise(pid, agency, region, as_of or date.today(), url) if agency else None
    from wangdi.indicators.supervision import agencies
    from wangdi.policy.pack import load

    return render(request, "supervision.html", user=user, d=d, region=region, pack=pid, agency=agency,
                  agencies=agencies(load(pid)), period_zh=period_zh)


class ReportIn(BaseModel):
    division: str = Field(max_length=12)
    period: str = Field(max_length=7)
    values: dict[str, float | None]
    note: str = Field("", max_length=500)


class ApprovalIn(BaseModel):
    agency: str = Field(max_length=64)
    division: str = Field(max_length=12)
    period: str = Field(max_length=7)
    action: str = Field(max_length=16)
    comment: str = Field("", max_length=500)


@api.get("/indicators")
def api_catalog(user: CurrentUser) -> dict[str, Any]:
    """Every declared indicator: id, Chinese name, unit, period type, level, reporting agency, clause."""
    return {"indicators": [{k: v for k, v in vars(i).items()} for i in catalog().values()]}


@api.get("/indicators/values")
def api_values(user: CurrentUser, url: Url, agency: Annotated[str, Query(max_length=64)], division: Region,
               period: Annotated[str, Query(max_length=7)]) -> dict[str, Any]:
    """One agency's indicators for a division and period: each value (or who owes it), status, allowed actions."""
    check_region(user, division)
    return ind.form(user, agency, division, period[:7], url)


@api.post("/indicators/report")
def api_report(body: ReportIn, user: CurrentUser, url: Url) -> dict[str, Any]:
    """Report one period's values for a division (all or nothing; a blank value is not written)."""
    check_region(user, body.division)
    return ind.report(user, body.division, body.period, body.values, url, body.note)


@api.post("/indicators/approval")
def api_approval(body: ApprovalIn, user: CurrentUser, url: Url) -> dict[str, Any]:
    """Submit, approve, return (needs `comment`) or reopen one agency's values for a division and period."""
    check_region(user, body.division)
    return ind.transition(user, body.agency, body.division, body.period, body.action, body.comment, url)


@api.get("/supervision")
def api_supervision(user: CurrentUser, url: Url, agency: Annotated[str, Query(max_length=64)], region: Region,
                    pack: Annotated[str | None, Query(max_length=64)] = None,
                    as_of: date | None = None) -> dict[str, Any]:
    """One agency's obligations under a pack in a region: the clauses it answers for and their verdicts."""
    region = check_region(user, region)
    return supervise(pack_for(region, pack), agency, region, as_of or date.today(), url)


