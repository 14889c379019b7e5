"""Issue 17: years of census (dated versions, trends, what changed since last year)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tests.cycle_fixtures import TOWNSHIP, YEARS, copy_db, history_files, load_years
from wangdi import api
from wangdi.errors import WangdiError
from wangdi.planning import tasks
from wangdi.registry import history, store
from wangdi.reports import content
from wangdi.synth.history import parse_years, synthesise_years


@pytest.fixture(scope="module")
def years_frames() -> dict[int, dict[str, pl.DataFrame]]:
    return synthesise_years("371521", 1, YEARS)


@pytest.fixture(scope="module")
def census_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return history_files(tmp_path_factory.mktemp("years"))


@pytest.fixture(scope="module")
def three_years_db(tmp_path_factory: pytest.TempPathFactory, census_paths: dict[int, Path]) -> Path:
    """A database holding the three years of one township, each evaluated on 31 December (made once)."""
    path = tmp_path_factory.mktemp("db") / "years.sqlite"
    url = f"sqlite:///{path}"
    store.init_db(url)
    load_years(url, census_paths, YEARS)
    store._ENGINES.pop(url).dispose()  # checkpoints the WAL so a file copy holds everything
    return path


def test_years_parse_and_bad_years_are_refused() -> None:
    assert parse_years("2024-2026") == [2024, 2025, 2026]
    assert parse_years("2024,2026") == [2024, 2026]
    for bad in ("", "2026-2024", "abc", "1900-1901"):
        with pytest.raises(WangdiError):
            parse_years(bad)


def test_history_is_synthetic_and_moves_forward(years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    for frames in years_frames.values():
        for name, df in frames.items():
            assert df.height == 0 or df["synthetic"].all(), name
    a, b = years_frames[2024], years_frames[2025]
    small = [f["institution"].filter((pl.col("type_code") == "D600") & (pl.col("floor_area_incl_toilet_m2") < 100)).height
             for f in (a, b)]
    assert small[1] < small[0]  # clinics rebuilt
    assert b["equipment"].height > a["equipment"].height  # equipment bought
    left = b["staff"].filter(pl.col("end_date").is_not_null())
    assert left.height and left["end_date"].dt.year().eq(2025).all()  # leavers dated in their year
    hired = b["staff"].filter(pl.col("start_date") >= date(2025, 1, 1))
    assert hired.height and not hired["staff_code"].is_in(a["staff"]["staff_code"].to_list()).any()
    share = [f["contract"]["contracted"].sum() / f["contract"]["eligible"].sum() for f in (a, b)]
    assert share[1] > share[0]
    assert not b["visit"]["visit_id"].is_in(a["visit"]["visit_id"].to_list()).any()  # a year's visits are new records


def test_each_year_is_a_dated_version(three_years_db: Path, tmp_path: Path,
                                      years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    url = copy_db(three_years_db, tmp_path / "t.sqlite")
    assert history.census_dates(url)[-3:] == [date(2024, 12, 31), date(2025, 12, 31), date(2026, 12, 31)]
    # a clinic rebuilt in 2025: the registry as of mid-2025 still holds the 2024 area, as of 2025-12-31 the new one
    a = years_frames[2024]["institution"].filter(pl.col("division_code").str.starts_with(TOWNSHIP))
    b = years_frames[2025]["institution"].select("code", pl.col("floor_area_incl_toilet_m2").alias("new"))
    rebuilt = a.join(b, on="code").filter(pl.col("floor_area_incl_toilet_m2") < 100, pl.col("new") >= 100)
    code = rebuilt["code"][0]
    with store.init_db(url).connect() as conn:
        mid = store.snapshot(conn, "institution", date(2025, 6, 30), TOWNSHIP).filter(pl.col("code") == code)
        end = store.snapshot(conn, "institution", date(2025, 12, 31), TOWNSHIP).filter(pl.col("code") == code)
    assert mid["floor_area_incl_toilet_m2"][0] == rebuilt["floor_area_incl_toilet_m2"][0]
    assert end["floor_area_incl_toilet_m2"][0] == rebuilt["new"][0]


def test_what_changed_since_last_year(three_years_db: Path, tmp_path: Path,
                                      years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    url = copy_db(three_years_db, tmp_path / "t.sqlite")
    since, until, df = api.changes_since_last_year(TOWNSHIP, 2025, "yanggu-2024", url=url)
    assert (since, until) == (date(2024, 12, 31), date(2025, 12, 31))
    b = years_frames[2025]
    inst = b["institution"].filter(pl.col("division_code").str.starts_with(TOWNSHIP))["code"]
    staff = b["staff"].filter(pl.col("institution_code").is_in(inst.to_list()))
    left = set(staff.filter(pl.col("end_date").is_not_null())["staff_code"])
    hired = set(staff.filter(pl.col("start_date") >= date(2025, 1, 1))["staff_code"])
    got_left = set(df.filter((pl.col("table_name") == "staff") & (pl.col("change") == "ended"))["entity_key"])
    got_hired = set(df.filter((pl.col("table_name") == "staff") & (pl.col("change") == "added"))["entity_key"])
    assert got_left == left and got_hired == hired and left and hired
    assert (df["township"] == TOWNSHIP).all()
    area = df.filter(pl.col("field") == "floor_area_incl_toilet_m2")
    assert area.height and "业务用房" not in history.describe_change(area.row(0, named=True))
    assert "房屋面积含厕所" in history.describe_change(area.row(0, named=True))
    assert df.filter(pl.col("table_name") == "result").height  # verdicts that changed, from the two runs


def test_one_census_only_is_a_clear_error(yanggu_db: str) -> None:
    with pytest.raises(WangdiError, match="只有一期"):
        api.changes_since_last_year("371521", None, None, url=yanggu_db)


def test_report_shows_year_on_year_change(three_years_db: Path, tmp_path: Path) -> None:
    url = copy_db(three_years_db, tmp_path / "t.sqlite")
    d = content.build("yanggu-2024", TOWNSHIP, date(2026, 12, 31), url)
    assert d.yearly is not None
    years = set(d.yearly["年度"])
    assert {"2024年", "2025年", "2026年"} <= years
    changed = d.yearly.filter(pl.col("比上年") != "—")
    assert changed.height and changed["比上年"].str.contains("个百分点").all()
    from wangdi.reports.render import sections

    assert "年度变化（比上年）" in [title for title, _, _ in sections(d)]
    # values differ across years for at least one target: trends are not flat
    assert d.yearly.group_by("目标").agg(pl.col("现状").n_unique()).filter(pl.col("现状") > 1).height


# --- the year's task list: adopt, file, track, verify, reward (acceptance test of issue 17) ------------------

@pytest.fixture(scope="module")
def two_years_db(tmp_path_factory: pytest.TempPathFactory, census_paths: dict[int, Path]) -> Path:
    """2024 and 2025 loaded and evaluated; the 2026 census not yet."""
    path = tmp_path_factory.mktemp("db2") / "two.sqlite"
    url = f"sqlite:///{path}"
    store.init_db(url)
    load_years(url, census_paths, [2024, 2025])
    store._ENGINES.pop(url).dispose()
    return path


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory, two_years_db: Path) -> Path:
    from wangdi.planning.output import write_plan

    d = tmp_path_factory.mktemp("plan")
    url = copy_db(two_years_db, d / "p.sqlite")
    p = api.plan("yanggu-2024", TOWNSHIP, "2026=600000", None, date(2025, 12, 31), url=url)
    out = d / "plan.xlsx"
    write_plan(p, out)
    store._ENGINES.pop(url).dispose()
    return out


COUNTY = tasks.Actor("县卫健局", "approver", "371521")
TOWN = tasks.Actor("阎楼镇卫生院", "data_entry", TOWNSHIP)
PLANNER = tasks.Actor("规划科", "analyst", "371521")


def _adopted(two_years_db: Path, plan_file: Path, tmp_path: Path) -> tuple[str, pl.DataFrame]:
    url = copy_db(two_years_db, tmp_path / "t.sqlite")
    info, acts = tasks.read_plan(plan_file)
    return url, tasks.adopt(info, acts, 2026, PLANNER, url)


def _done(url: str, task_id: str) -> None:
    tasks.track(task_id, TOWN, "进行中", {"started_on": "2026-03-01"}, url=url)
    tasks.track(task_id, TOWN, "已完成", {"completed_on": "2026-09-30", "spent": 12000, "evidence": "验收照片、发票"},
                url=url)


def test_adopt_makes_the_years_tasks_per_township(two_years_db: Path, plan_file: Path, tmp_path: Path) -> None:
    url, t = _adopted(two_years_db, plan_file, tmp_path)
    plan = tasks.read_plan(plan_file)[1]
    assert t.height == plan.filter(pl.col("年度") == 2026).height > 0
    assert (t["township"] == TOWNSHIP).all() and (t["status"] == "not_started").all()
    assert (t["deadline"] <= date(2026, 12, 31)).all() and t["responsible"].is_not_null().all()
    assert t["budget"].sum() == pytest.approx(plan.filter(pl.col("年度") == 2026)["费用（元）"].sum())
    assert t["synthetic"].all()
    audit = api.audit_log(t["task_id"][0], url=url)
    assert audit and audit[0]["action"] == "add" and audit[0]["actor"] == "规划科"


def test_filing_locks_and_amendments_are_audited(two_years_db: Path, plan_file: Path, tmp_path: Path) -> None:
    url, t = _adopted(two_years_db, plan_file, tmp_path)
    first = t["task_id"][0]
    with pytest.raises(WangdiError, match="尚未备案"):
        tasks.track(first, TOWN, "进行中", {"started_on": "2026-03-01"}, url=url)
    with pytest.raises(WangdiError, match="没有此权限"):
        tasks.file_list(TOWNSHIP, 2026, "yanggu-2024", TOWN, url)
    filed = tasks.file_list(TOWNSHIP, 2026, "yanggu-2024", COUNTY, url)
    assert filed["filed_by"] == "县卫健局" and filed["tasks"] == t.height
    info, acts = tasks.read_plan(plan_file)
    with pytest.raises(WangdiError, match="已备案"):
        tasks.adopt(info, acts, 2026, PLANNER, url)  # a filed list is never replaced
    with pytest.raises(WangdiError, match="没有此权限"):
        tasks.amend(first, {"budget": 1}, PLANNER, "x", url=url)
    with pytest.raises(WangdiError, match="理由"):
        tasks.amend(first, {"budget": 1}, COUNTY, "", url=url)
    tasks.amend(first, {"budget": 5000, "deadline": "2026-10-31"}, COUNTY, "县财政调整", url=url)
    row = tasks.read_tasks(TOWNSHIP, 2026, url=url).filter(pl.col("task_id") == first).row(0, named=True)
    assert row["budget"] == 5000 and row["deadline"] == date(2026, 10, 31)
    a = api.audit_log(first, url=url)[0]
    assert a["action"] == "amend" and "县财政调整" in a["new"] and a["actor"] == "县卫健局"
    assert tasks.filings(TOWNSHIP, 2026, url)[0]["amendments"] == 1


def test_tracking_refuses_invalid_moves_clearly(two_years_db: Path, plan_file: Path, tmp_path: Path) -> None:
    url, t = _adopted(two_years_db, plan_file, tmp_path)
    tasks.file_list(TOWNSHIP, 2026, "yanggu-2024", COUNTY, url)
    tid = t["task_id"][0]
    with pytest.raises(WangdiError, match="开工日期"):
        tasks.track(tid, TOWN, "已完成", {"completed_on": "2026-09-30", "spent": 1, "evidence": "x"}, url=url)
    with pytest.raises(WangdiError, match="佐证材料"):
        tasks.track(tid, TOWN, "已完成", {"started_on": "2026-03-01", "completed_on": "2026-09-30", "spent": 1}, url=url)
    with pytest.raises(WangdiError, match="早于"):
        tasks.track(tid, TOWN, "已完成", {"started_on": "2026-10-01", "completed_on": "2026-09-30", "spent": 1,
                                        "evidence": "x"}, url=url)
    with pytest.raises(WangdiError, match="进度应为"):
        tasks.track(tid, TOWN, "差不多", {}, url=url)
    _done(url, tid)
    with pytest.raises(WangdiError, match="没有此权限"):
        tasks.track(tid, TOWN, "已验收", {"accepted_on": "2026-10-15"}, url=url)  # acceptance is the county's
    with pytest.raises(WangdiError, match="不能从"):
        tasks.track(tid, TOWN, "未开始", {}, url=url)
    with pytest.raises(WangdiError, match="没有任务"):  # another township's user: as if it did not exist
        tasks.track(tid, tasks.Actor("阿城", "data_entry", "371521103"), "已完成", {}, url=url)
    with pytest.raises(WangdiError, match="刷新"):
        tasks.track(tid, COUNTY, "已验收", {"accepted_on": "2026-10-15"}, version=1, url=url)
    tasks.track(tid, COUNTY, "已验收", {"accepted_on": "2026-10-15"}, url=url)
    row = tasks.read_tasks(TOWNSHIP, 2026, url=url).filter(pl.col("task_id") == tid).row(0, named=True)
    assert (row["status"], row["spent"], row["evidence"]) == ("accepted", 12000, "验收照片、发票")
    assert [a["action"] for a in api.audit_log(tid, url=url)][:3] == ["track", "track", "track"]


def test_overdue_tasks_per_township_and_agency(two_years_db: Path, plan_file: Path, tmp_path: Path) -> None:
    url, t = _adopted(two_years_db, plan_file, tmp_path)
    tasks.file_list(TOWNSHIP, 2026, "yanggu-2024", COUNTY, url)
    first, second = t["task_id"][0], t["task_id"][1]
    tasks.amend(first, {"deadline": "2026-06-30"}, COUNTY, "提前", url=url)
    tasks.amend(second, {"deadline": "2026-06-30"}, COUNTY, "提前", url=url)
    _done(url, second)
    late = tasks.overdue(TOWNSHIP, date(2026, 7, 1), url=url)
    assert late["task_id"].to_list() == [first]  # the completed one is not overdue
    assert late["days_overdue"][0] == 1
    assert tasks.overdue(TOWNSHIP, date(2026, 6, 30), url=url).is_empty()  # due that day: not yet late
    by = tasks.overdue_by(late, "responsible")
    assert by["n"].to_list() == [1] and by["responsible"][0] == t["responsible"][0]


def test_acceptance_verified_tasks_only_reach_the_reward_list(two_years_db: Path, plan_file: Path, tmp_path: Path,
                                                              census_paths: dict[int, Path],
                                                              years_frames: dict[int, dict[str, pl.DataFrame]]) -> None:
    """Adopt a plan, mark tasks done, load the next census: tasks whose gaps did not close are flagged, and only
    verified tasks reach the reward list (amounts only where the bureau set a rate)."""
    url, t = _adopted(two_years_db, plan_file, tmp_path)
    tasks.file_list(TOWNSHIP, 2026, "yanggu-2024", COUNTY, url)
    simple = t.filter(pl.col("kind").is_in(["integrate", "buy_equipment", "convert_ownership"]))
    assert simple.height >= 3
    reported, untouched = simple["task_id"].to_list()[:-1], simple["task_id"].to_list()[-1]
    for tid in reported:
        _done(url, tid)
    with pytest.raises(WangdiError, match="下一期普查"):
        tasks.verify("yanggu-2024", TOWNSHIP, 2026, COUNTY, url=url)  # the 2026 census is not in yet
    load_years(url, census_paths, [2026], evaluate=False)
    checked = tasks.verify("yanggu-2024", TOWNSHIP, 2026, COUNTY, url=url)
    assert set(checked["task_id"]) == set(reported)
    # the expected verdict of each task, from the 2026 census rows themselves
    inst = years_frames[2026]["institution"].select("code", "integrated", "ownership")
    eq = years_frames[2026]["equipment"].filter(pl.col("functioning") > 0).select("institution_code", "item")
    have = set(eq.iter_rows())
    expected = {}
    for r in simple.filter(pl.col("task_id").is_in(reported)).iter_rows(named=True):
        row = inst.filter(pl.col("code") == r["subject"]).row(0, named=True)
        closed = {"integrate": row["integrated"] is True, "convert_ownership": row["ownership"] == "public",
                  "buy_equipment": (r["subject"], r["item"]) in have}[r["kind"]]
        expected[r["task_id"]] = "verified" if closed else "not_closed"
    got = dict(checked.select("task_id", "verification").iter_rows())
    assert got == expected
    assert "verified" in expected.values() and "not_closed" in expected.values(), "the synthetic year closes some, not all"
    flagged = set(tasks.flagged(TOWNSHIP, 2026, url=url)["task_id"])
    assert flagged == {k for k, v in expected.items() if v == "not_closed"}
    untouched_row = tasks.read_tasks(TOWNSHIP, 2026, url=url).filter(pl.col("task_id") == untouched)
    assert untouched_row["verification"][0] == "pending"
    # rewards: the bureau set a rate for integration only
    rates = tmp_path / "rates.csv"
    rates.write_text("年度,任务类型,每单位奖补（元）,每项奖补（元）,依据\n2026,纳入乡村一体化管理,,3000,县卫健局奖补办法第三条\n",
                     encoding="utf-8")
    assert tasks.set_rates(rates, tasks.Actor("admin"), url) == 1
    lines = tasks.reward_list(TOWNSHIP, 2026, "yanggu-2024", url)
    assert set(lines["代码"]) == {k for k, v in expected.items() if v == "verified"}
    kinds = dict(t.select("task_id", "kind").iter_rows())
    for r in lines.iter_rows(named=True):
        if kinds[r["代码"]] == "integrate":
            assert (r["金额"], r["状态"], r["依据"]) == (3000, "应发", "县卫健局奖补办法第三条")
        else:
            assert r["金额"] is None and "未设定" in r["状态"]
    out = tmp_path / "rewards.xlsx"
    tasks.write_reward_list(lines, out, "阎楼镇 2026 年奖补清单")
    assert "发放清单" in __import__("openpyxl").load_workbook(out).sheetnames


def test_bad_reward_rates_are_refused_whole(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "r.csv"
    bad.write_text("年度,任务类型,每单位奖补（元）,每项奖补（元）,依据\n2026,纳入乡村一体化管理,,3000,办法\n"
                   "2026,飞行,,10,办法\n2026,培训,,-5,办法\n2026,培训,,5,\n", encoding="utf-8")
    with pytest.raises(WangdiError) as e:
        tasks.set_rates(bad, tasks.Actor("admin"), db_url)
    assert "第 3 行" in e.value.zh and "第 4 行" in e.value.zh and "第 5 行" in e.value.zh
    assert tasks.rewards.rates(db_url).is_empty()  # nothing written
    with pytest.raises(WangdiError, match="没有此权限"):
        tasks.set_rates(bad, COUNTY, db_url)


def _fill(path: Path, edits: dict[str, dict[str, object]]) -> None:
    """Fill in a township workbook as a director would: by the Chinese headers."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["任务清单"]
    keys = [str(c.value).split("\n")[-1] for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        tid = row[keys.index("task_id")].value
        for k, v in edits.get(str(tid), {}).items():
            row[keys.index(k)].value = v
    wb.save(path)


def test_township_workbook_round_trip_is_all_or_nothing(two_years_db: Path, plan_file: Path, tmp_path: Path) -> None:
    from wangdi.planning.tasks import document

    url, t = _adopted(two_years_db, plan_file, tmp_path)
    tasks.file_list(TOWNSHIP, 2026, "yanggu-2024", COUNTY, url)
    [path] = document.write_documents(TOWNSHIP, 2026, "yanggu-2024", tmp_path / "docs", url)
    a, b = t["task_id"][0], t["task_id"][1]
    good = {"status": "已完成", "started_on": date(2026, 3, 1), "completed_on": date(2026, 8, 1), "spent": 800,
            "evidence": "照片"}
    _fill(path, {a: good, b: {"status": "已验收"}})  # b skips to 已验收 without anything: refused
    with pytest.raises(WangdiError) as e:
        document.import_progress(path, TOWN, url)
    assert f"（{b}）" in e.value.zh and f"（{a}）" not in e.value.zh
    assert (tasks.read_tasks(TOWNSHIP, 2026, url=url)["status"] == "not_started").all()  # nothing written
    _fill(path, {b: {"status": "进行中", "started_on": date(2026, 4, 1)}})
    assert document.import_progress(path, TOWN, url) == {"rows": t.height, "changed": 2}
    now = dict(tasks.read_tasks(TOWNSHIP, 2026, url=url).select("task_id", "status").iter_rows())
    assert (now[a], now[b]) == ("completed", "in_progress")
    with pytest.raises(WangdiError, match="刷新"):  # the same workbook again: its versions are stale
        document.import_progress(path, TOWN, url)


def test_cli_adopt_file_update(two_years_db: Path, plan_file: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from wangdi.cli import app

    url = copy_db(two_years_db, tmp_path / "c.sqlite")
    monkeypatch.setenv("WANGDI_DATABASE_URL", url)
    run = CliRunner().invoke
    r = run(app, ["plan", "adopt", "--plan", str(plan_file), "--year", "2026", "--out", str(tmp_path / "docs")])
    assert r.exit_code == 0, r.output
    assert "阎楼镇" in r.output and (tmp_path / "docs" / f"{TOWNSHIP}-2026-任务清单.xlsx").exists()
    tid = tasks.read_tasks(TOWNSHIP, 2026, url=url)["task_id"][0]
    r = run(app, ["tasks", "update", tid, "--status", "进行中", "--started-on", "2026-03-01"])
    assert isinstance(r.exception, WangdiError) and "尚未备案" in r.exception.zh
    assert run(app, ["tasks", "file", "--township", TOWNSHIP, "--year", "2026", "--pack", "yanggu-2024"]).exit_code == 0
    r = run(app, ["tasks", "update", tid, "--status", "进行中", "--started-on", "2026-03-01"])
    assert r.exit_code == 0 and "已更新" in r.output
    r = run(app, ["tasks", "list", "--region", TOWNSHIP, "--status", "进行中"])
    assert tid in r.output and "进行中" in r.output


def test_web_task_pages_track_with_scope_and_clear_refusals(two_years_db: Path, plan_file: Path, tmp_path: Path) -> None:
    from tests.conftest import WEB_PASSWORD, web_client
    from wangdi.web import auth
    from wangdi.web.app import create_app

    url, t = _adopted(two_years_db, plan_file, tmp_path)
    for name, role, scope in (("county", "approver", "371521"), ("yanlou", "data_entry", TOWNSHIP),
                              ("acheng", "data_entry", "371521103")):
        auth.add_user(name, WEB_PASSWORD, role, scope, url=url)
    app = create_app(url)
    county, yanlou, acheng = (web_client(app, u) for u in ("county", "yanlou", "acheng"))
    page = county.get(f"/tasks?region={TOWNSHIP}&year=2026")  # type: ignore[attr-defined]
    assert page.status_code == 200 and "阎楼镇" in page.text and "备案" in page.text and "合成数据" in page.text
    tid = t["task_id"][0]
    r = yanlou.post(f"/tasks/{tid}/track", data={"version": 1, "status": "in_progress",  # type: ignore[attr-defined]
                                                  "started_on": "2026-03-01"}, headers={"accept": "text/html"})
    assert r.status_code >= 400 and "尚未备案" in r.text
    r = county.post("/tasks/file", data={"township": TOWNSHIP, "year": 2026, "pack": "yanggu-2024"},  # type: ignore[attr-defined]
                    follow_redirects=False)
    assert r.status_code == 303
    r = acheng.post(f"/tasks/{tid}/track", data={"version": 1, "status": "in_progress",  # type: ignore[attr-defined]
                                                  "started_on": "2026-03-01"})
    assert r.status_code == 404  # another township's task does not exist for them
    r = yanlou.post(f"/tasks/{tid}/track", data={"version": 1, "status": "in_progress",  # type: ignore[attr-defined]
                                                  "started_on": "2026-03-01"}, follow_redirects=False)
    assert r.status_code == 303
    detail = yanlou.get(f"/tasks/{tid}")  # type: ignore[attr-defined]
    assert "进行中" in detail.text and "报送进度" in detail.text
    r = yanlou.post(f"/tasks/{tid}/track", data={"version": 1, "status": "completed"})  # type: ignore[attr-defined]
    assert r.status_code == 409 or "刷新" in r.text  # stale version
    doc = county.get(f"/tasks/document?township={TOWNSHIP}&year=2026&pack=yanggu-2024")  # type: ignore[attr-defined]
    assert doc.status_code == 200 and doc.content[:2] == b"PK"
    ch = county.get(f"/changes?region={TOWNSHIP}")  # type: ignore[attr-defined]
    assert ch.status_code == 200 and "比上年变化" in ch.text and "离岗" in ch.text
