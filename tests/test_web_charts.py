"""What the overview and rule charts encode: the heat map's colour is the pass rate it prints, 未达标 is red."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import web_client
from wangdi.policy import pack as packs
from wangdi.registry import store
from wangdi.web import create_app


@pytest.fixture(scope="module")
def app(web_db: str) -> Any:
    return create_app(web_db)


def page_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def pass_rates(url: str, run_id: str) -> dict[tuple[str, str], tuple[float, int]]:
    """Pass rate (%) and verdict count per (township name, group name), counted from the stored verdicts."""
    from wangdi.reports.labels import GROUP_ZH
    from wangdi.web import places

    groups = {r.id: r.group for r in packs.load("yanggu-2024").rules.values()}
    with store.init_db(url).connect() as conn:
        rows = conn.execute(sa.text("SELECT rule_id, region_code, outcome FROM result WHERE run_id = :r AND "
                                    "kind = 'requirement' AND outcome IN ('pass', 'fail')"), {"r": run_id}).all()
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for rule_id, region, outcome in rows:
        key = (places.name(region[:9]), GROUP_ZH.get(groups[rule_id], groups[rule_id]))
        tally[key][0] += outcome == "pass"
        tally[key][1] += 1
    return {k: (round(100 * p / n, 1), n) for k, (p, n) in tally.items()}


def test_heatmap_colour_is_the_pass_rate_printed(app: Any, web_db: str) -> None:
    d = page_data(web_client(app, "analyst").get("/regions/371521").text)
    opt = d["heatmap_option"]
    vm, series = opt["visualMap"], opt["series"][0]
    dim = vm["dimension"]
    assert series["encode"]["value"] == dim, "the label prints the same dimension the colour follows"
    assert vm["min"] == 0 and vm["max"] == 100 and vm["inRange"]["color"][0] == "#d73027", "0 % is red"
    expected = pass_rates(web_db, d["run"]["run_id"])
    xs, ys = opt["xAxis"]["data"], opt["yAxis"]["data"]
    seen = 0
    for point in series["data"]:
        rate, n = expected[(ys[point[1]], xs[point[0]])]
        assert point[dim] == rate and point[3] == n, (ys[point[1]], xs[point[0]], point)
        seen += 1
    assert seen == len(expected) and seen > 30
    rates = {p[dim] for p in series["data"]}
    counts = {p[3] for p in series["data"]}
    assert len(rates) > 3 and rates != counts, "rate and count differ, so the test tells them apart"


def test_rule_trend_counts_with_failures_in_red(app: Any) -> None:
    d = page_data(web_client(app, "analyst").get("/rules/yanggu-2024/thc_equipment_full?region=371521").text)
    opt = d["trend_option"]
    assert opt["yAxis"]["name"] == "结论数（条）"
    colours = {s["name"]: s["itemStyle"]["color"] for s in opt["series"]}
    assert colours.get("未达标") == "#d73027"
    assert all(c != "#d73027" for name, c in colours.items() if name in ("达标", "已达成"))


def test_overview_run_picker_shows_the_chosen_run(app: Any, web_db: str) -> None:
    from datetime import date

    from wangdi import api

    run_id, _ = api.evaluate("yanggu-2024", "371521", date(2026, 6, 30), url=web_db)
    c = web_client(app, "analyst")
    newest = page_data(c.get("/regions/371521").text)
    assert {r["as_of"] for r in newest["runs"]} >= {"2026-06-30", "2026-12-31"}
    chosen = page_data(c.get(f"/regions/371521?run={run_id}").text)
    assert chosen["run"]["run_id"] == run_id and chosen["run"]["as_of"] == "2026-06-30"
    other = next(r["run_id"] for r in newest["runs"] if r["as_of"] == "2026-12-31")
    assert page_data(c.get(f"/regions/371521?run={other}").text)["run"]["as_of"] == "2026-12-31"
    r = c.get("/regions/371521?run=R-nonexistent")
    assert r.status_code == 404 and "评估批次" in r.text


def test_print_stylesheet_hides_navigation_and_keeps_charts_whole() -> None:
    from pathlib import Path

    css = (Path(__file__).parent.parent / "src/wangdi/web/static/app.css").read_text(encoding="utf-8")
    media = css[css.index("@media print"):]
    assert "header.top" in media and "display: none" in media and "size: A4" in media
    assert ".chart" in media and "break-inside: avoid" in media
