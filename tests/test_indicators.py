"""Reported indicators (issue 16): declared by packs, reported per period by the responsible agency through the
API, the web form and the census workbook; validated, audited, approved and locked; read by targets, where a
value not reported is unknown (待 … 填报), never zero. Expected verdicts come from the clauses quoted."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from tests.conftest import WEB_PASSWORD, web_client
from wangdi.indicators import catalog, due_period
from wangdi.indicators import service as ind
from wangdi.policy import engine
from wangdi.policy.pack import load
from wangdi.policy.runs import load_dataset
from wangdi.registry import store
from wangdi.registry.tables import audit
from wangdi.registry.validate import records_as_incoming, validate
from wangdi.web import auth, create_app

COUNTY = "371521"  # 阳谷县


@pytest.mark.parametrize(("kind", "as_of", "due"), [
    ("year", date(2025, 12, 31), "2025"), ("year", date(2025, 12, 30), "2024"), ("year", date(2026, 1, 1), "2025"),
    ("quarter", date(2025, 3, 31), "2025Q1"), ("quarter", date(2025, 3, 30), "2024Q4"),
    ("quarter", date(2025, 12, 31), "2025Q4"), ("quarter", date(2025, 8, 15), "2025Q2"),
    ("month", date(2024, 2, 29), "2024-02"), ("month", date(2024, 2, 28), "2024-01"), ("month", date(2025, 1, 5), "2024-12"),
])
def test_the_period_due_is_the_latest_that_has_ended(kind: str, as_of: date, due: str) -> None:
    assert due_period(kind, as_of) == due


def _write(url: str, rows: list[dict[str, Any]], effective: date = date(2026, 1, 10)) -> None:
    with store.transaction(url) as conn:
        frames, rep = validate([records_as_incoming("indicator_value", rows)], conn)
        assert rep.valid, rep.errors
        store.write_tables(conn, frames, effective, "test")


def _verdict(url: str, rule: str, as_of: date, region: str = COUNTY) -> dict[str, Any]:
    res = engine.evaluate(load("yanggu-2024"), load_dataset(region, as_of, url), [rule])
    return res.filter(pl.col("entity_code") == region).row(0, named=True)


def test_drg_groups_target_from_reported_rows(db_url: str) -> None:
    """五（五）「力争2025年年底前不少于20个」: nothing reported is unknown; 19 falls short by 1; 20 meets it;
    on 30 December 2025 the 2025 value is not yet due, so the target reads 2024 (not reported: unknown)."""
    store.init_db(db_url)
    assert _verdict(db_url, "drg_primary_groups", date(2025, 12, 31))["outcome"] == "unknown"
    _write(db_url, [{"indicator": "drg_primary_groups", "division_code": COUNTY, "period": "2025", "value": "19"}])
    short = _verdict(db_url, "drg_primary_groups", date(2025, 12, 31))
    assert (short["outcome"], short["gap"]) == ("not_met", 1.0)
    assert _verdict(db_url, "drg_primary_groups", date(2025, 12, 30))["outcome"] == "unknown"
    _write(db_url, [{"indicator": "drg_primary_groups", "division_code": COUNTY, "period": "2025", "value": "20"}])
    assert _verdict(db_url, "drg_primary_groups", date(2025, 12, 31))["outcome"] == "met"
    assert _verdict(db_url, "drg_primary_groups", date(2026, 6, 30))["outcome"] == "met"  # 2025 still the due year


def test_share_and_flag_indicators_at_their_bounds(db_url: str) -> None:
    """二（一）「专科诊疗量占比达到65%以上」: 0.65 meets, 0.649 does not; 三（五）19 宣教基地 is a yes/no (1/0)."""
    store.init_db(db_url)
    _write(db_url, [{"indicator": "county_specialty_visit_share", "division_code": COUNTY, "period": "2025",
                     "value": "0.649"},
                    {"indicator": "tcm_culture_base", "division_code": COUNTY, "period": "2026", "value": "0"}])
    assert _verdict(db_url, "county_specialty_visit_share", date(2025, 12, 31))["outcome"] == "not_met"
    assert _verdict(db_url, "tcm_culture_base", date(2026, 12, 31))["outcome"] == "not_met"
    assert _verdict(db_url, "tcm_culture_base", date(2026, 6, 30))["outcome"] == "unknown"  # 2026 not yet ended
    _write(db_url, [{"indicator": "county_specialty_visit_share", "division_code": COUNTY, "period": "2025",
                     "value": "0.65"},
                    {"indicator": "tcm_culture_base", "division_code": COUNTY, "period": "2026", "value": "1"}])
    assert _verdict(db_url, "county_specialty_visit_share", date(2025, 12, 31))["outcome"] == "met"
    assert _verdict(db_url, "tcm_culture_base", date(2026, 12, 31))["outcome"] == "met"


@pytest.mark.parametrize(("row", "slug"), [
    ({"indicator": "no_such", "division_code": COUNTY, "period": "2025", "value": "1"}, "unknown-indicator"),
    ({"indicator": "drg_primary_groups", "division_code": COUNTY, "period": "2025Q4", "value": "1"}, "wrong-period"),
    ({"indicator": "drg_primary_groups", "division_code": "3715", "period": "2025", "value": "1"},
     "wrong-indicator-level"),
    ({"indicator": "county_specialty_visit_share", "division_code": COUNTY, "period": "2025", "value": "65"},
     "indicator-out-of-range"),
    ({"indicator": "tcm_culture_base", "division_code": COUNTY, "period": "2025", "value": "2"}, "indicator-out-of-range"),
    ({"indicator": "drg_primary_groups", "division_code": COUNTY, "period": "2025", "value": "-1"}, "below-minimum"),
    ({"indicator": "drg_primary_groups", "division_code": COUNTY, "period": "2025", "value": "1", "agency": "县卫生健康局"},
     "wrong-agency"),
])
def test_bad_indicator_rows_are_refused_with_the_reason(row: dict[str, Any], slug: str) -> None:
    _frames, rep = validate([records_as_incoming("indicator_value", [row])], None)
    assert not rep.valid and slug in {e.slug for e in rep.errors}, rep.errors


def test_every_declared_indicator_has_an_agency_and_a_rule_reading_it() -> None:
    from wangdi.policy.pack import available

    read = {str(r.spec.get("indicator")) for p in available() for r in load(p).rules.values() if r.spec.get("indicator")}
    for i in catalog().values():
        assert i.agency and i.zh and i.id in read, i


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    auth.add_user("ybj", WEB_PASSWORD, "reporter", COUNTY, "县医保局填报员", url=web_db)
    ind.set_agency("ybj", "县医保局", web_db)
    auth.add_user("ybj_other", WEB_PASSWORD, "reporter", "371522", url=web_db)
    ind.set_agency("ybj_other", "县医保局", web_db)
    return create_app(web_db)


def test_reporter_reports_own_agency_in_scope_only(app: Any) -> None:
    c = web_client(app, "ybj")
    ok = c.post("/api/v1/indicators/report", json={"division": COUNTY, "period": "2026",
                                                   "values": {"drg_primary_groups": 21}})
    assert ok.status_code == 200 and ok.json()["added"] == 1, ok.text
    other_agency = c.post("/api/v1/indicators/report", json={"division": COUNTY, "period": "2026",
                                                             "values": {"tcm_culture_parks": 1}})
    assert other_agency.status_code == 403 and other_agency.json()["error"]["code"] == "forbidden"
    other_county = web_client(app, "ybj_other").post("/api/v1/indicators/report", json={
        "division": COUNTY, "period": "2026", "values": {"drg_primary_groups": 5}})
    assert other_county.status_code == 403
    data_entry = web_client(app, "yanlou").post("/api/v1/indicators/report", json={
        "division": COUNTY, "period": "2026", "values": {"drg_primary_groups": 5}})
    assert data_entry.status_code == 403
    form = c.get("/api/v1/indicators/values", params={"agency": "县医保局", "division": COUNTY, "period": "2026"}).json()
    assert {i["id"]: i["value"] for i in form["indicators"]}["drg_primary_groups"] == 21
    with store.engine(app.state.url).connect() as conn:
        rows = conn.execute(sa.select(audit.c.actor).where(audit.c.table_name == "indicator_value")).all()
    assert ("ybj",) in rows


def test_submitted_and_approved_values_are_locked_until_reopened(app: Any) -> None:
    c, approver = web_client(app, "ybj"), web_client(app, "county")
    key = {"agency": "县医保局", "division": COUNTY, "period": "2023"}
    assert c.post("/api/v1/indicators/report", json={"division": COUNTY, "period": "2023",
                                                     "values": {"drg_primary_groups": 12}}).status_code == 200
    assert c.post("/api/v1/indicators/approval", json={**key, "action": "submit"}).status_code == 200
    assert c.post("/api/v1/indicators/approval", json={**key, "action": "approve"}).status_code == 403
    assert approver.post("/api/v1/indicators/approval", json={**key, "action": "approve"}).status_code == 200
    locked = c.post("/api/v1/indicators/report", json={"division": COUNTY, "period": "2023",
                                                       "values": {"drg_primary_groups": 13}})
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "locked"
    assert approver.post("/api/v1/indicators/approval", json={**key, "action": "reopen"}).status_code == 200
    assert c.post("/api/v1/indicators/report", json={"division": COUNTY, "period": "2023",
                                                     "values": {"drg_primary_groups": 13}}).json()["changed"] == 1


def test_supervision_lists_what_an_agency_has_not_reported(app: Any) -> None:
    c = web_client(app, "county")
    d = c.get("/api/v1/supervision", params={"agency": "县卫生健康局", "region": COUNTY, "as_of": "2026-12-31"}).json()
    pending = {p["indicator"]: p["pending"] for p in d["pending"]}
    assert pending["tcm_culture_parks"] == "待 县卫生健康局 填报"
    assert any(r["id"] == "tcm_culture_park" and r["overdue"] == 1 for r in d["rules"])
