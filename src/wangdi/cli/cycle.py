"""`wangdi changes` and `wangdi plan adopt | tasks …`: the yearly cycle (census → tasks → tracking → verification)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from wangdi.cli.core import _date, _json, app, console
from wangdi.cli.lazy import lazy
from wangdi.cli.policy import plan_app
from wangdi.errors import WangdiError

if TYPE_CHECKING:
    import polars as pl

    from wangdi import api
    from wangdi.planning import tasks
    from wangdi.registry import history
else:
    api, history, pl = lazy("wangdi.api"), lazy("wangdi.registry.history"), lazy("polars")
    tasks = lazy("wangdi.planning.tasks")


@app.command()
def changes(region: Annotated[str, typer.Option(help="区划代码（县或乡镇）")],
            year: Annotated[int | None, typer.Option(help="年度（默认：最新一期普查）")] = None,
            pack: Annotated[str | None, typer.Option(help="规则包 id：同时列出新达标/新未达标的结论")] = None,
            details: Annotated[bool, typer.Option("--details", help="逐条列出")] = False,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """比上年变化：按乡镇列出两期普查之间新增、离岗、变更的机构、人员、设备，以及结论变化。"""
    since, until, df = api.changes_since_last_year(region, year, pack)
    if as_json:
        _json({"since": since, "until": until, "changes": df.to_dicts()})
        return
    names = api.township_names(region)
    t = Table("乡镇（街道）", "类别", "变化", "数量", title=f"{names.get(region, region)} 比上年变化（{since} → {until}）")
    for r in history.summary(df).iter_rows(named=True):
        t.add_row(names.get(r["township"] or "", r["township"] or "县级"), history.TABLE_ZH.get(r["table_name"], ""),
                  history.CHANGE_ZH.get(r["change"], ""), str(r["n"]))
    console.print(t)
    if details:
        labels = history.rule_labels(pack)
        for r in df.head(2000).iter_rows(named=True):
            console.print(f"  {names.get(r['township'] or '', '')} {r['entity_key']}：{history.describe_change(r, labels)}")
    console.print(f"共 {df.height} 项变化。" + ("数据含合成数据（synthetic）。" if api.has_synthetic(region) else ""))


tasks_app = typer.Typer(help="年度任务：备案、进度、逾期、核实、奖补", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")


def _actor() -> tasks.Actor:
    """The CLI operator: full rights over the whole registry, named in the audit log (WANGDI_USER or the OS user)."""
    from wangdi import settings

    return tasks.Actor(settings.actor(), "administrator", "")


def _task_table(df: pl.DataFrame, title: str) -> Table:
    from wangdi.registry.reference import TASK_STATUS, TASK_VERIFICATION

    t = Table("任务编号", "任务内容", "数量", "预算（元）", "责任单位", "期限", "进度", "核实", title=title)
    for r in df.head(500).iter_rows(named=True):
        qty = "" if r["quantity"] is None else f"{r['quantity']:g}{r['unit'] or ''}"
        t.add_row(r["task_id"], r["description"], qty, f"{r['budget'] or 0:,.0f}", r["responsible"], str(r["deadline"]),
                  TASK_STATUS.get(r["status"], r["status"]), TASK_VERIFICATION.get(r["verification"], r["verification"]))
    return t


@plan_app.command("adopt")
def plan_adopt(plan_file: Annotated[Path, typer.Option("--plan", help="wangdi plan --out 写出的计划（.xlsx 或 .json）")],
               year: Annotated[int, typer.Option(help="任务年度")],
               township: Annotated[str | None, typer.Option(help="只生成这个乡镇（区划代码前缀）")] = None,
               out: Annotated[Path | None, typer.Option(help="写出每个乡镇一份任务清单的文件夹")] = None) -> None:
    """把计划中该年度的行动转为年度任务清单（按乡镇、机构）：内容、数量、预算、责任单位、期限；备案前为草稿。"""
    info, actions = tasks.read_plan(plan_file)
    df = tasks.adopt(info, actions, year, _actor(), township=township)
    by = df.group_by("township").agg(pl.len().alias("n"), pl.col("budget").sum().alias("b")).sort("township")
    names = api.township_names(str(info.get("region") or df["township"][0][:6]))
    t = Table("乡镇（街道）", "任务数", "预算（元）", title=f"{year} 年度任务清单（草稿，待备案）")
    for r in by.iter_rows(named=True):
        t.add_row(names.get(r["township"], r["township"]), str(r["n"]), f"{r['b'] or 0:,.0f}")
    console.print(t)
    if out:
        paths = tasks.document.write_documents(str(info.get("region") or ""), year, str(info["pack"]), out)
        console.print(f"已写出 {len(paths)} 份乡镇任务清单（一乡镇一策）：{out}")
    console.print("下一步：县卫健局用 wangdi tasks file 备案。" + ("（合成数据 synthetic）" if df["synthetic"].any() else ""))


@tasks_app.command("list")
def tasks_list(region: Annotated[str, typer.Option(help="区划代码")], year: Annotated[int | None, typer.Option()] = None,
               status: Annotated[str | None, typer.Option(help="进度：未开始/进行中/已完成/已验收")] = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出任务（按编号）。"""
    df = tasks.read_tasks(region, year)
    if status:
        df = df.filter(pl.col("status") == tasks.records.status_key(status))
    if as_json:
        _json(df.to_dicts())
        return
    console.print(_task_table(df, f"{region} 年度任务（{df.height} 项）"))


@tasks_app.command("file")
def tasks_file(township: Annotated[str, typer.Option(help="乡镇区划代码；给县代码则备案其下全部未备案的乡镇")],
               year: Annotated[int, typer.Option()], pack: Annotated[str, typer.Option(help="规则包 id")]) -> None:
    """备案：县卫健局对乡镇任务清单备案；备案后任务内容锁定，修改须说明理由并留痕。"""
    towns = [township]
    if len(township) < 9:
        filed = {f["township"] for f in tasks.filings(township, year) if f["pack"] == pack}
        towns = sorted(set(tasks.read_tasks(township, year, pack)["township"].to_list()) - filed)
        if not towns:
            raise WangdiError("no-tasks", f"{township} 下没有 {year} 年待备案的任务清单", "nothing to file")
    for town in towns:
        row = tasks.file_list(town, year, pack, _actor())
        console.print(f"已备案：{town} {year} 年 {row['tasks']} 项任务，预算 {row['budget']:,.0f} 元"
                      f"（{row['filed_by']}，{row['filed_at']}）")


@tasks_app.command("amend")
def tasks_amend(task_id: str, set_: Annotated[list[str], typer.Option("--set", help="字段=值，可重复")],
                reason: Annotated[str, typer.Option(help="修改理由（已备案时必填）")] = "") -> None:
    """修改任务内容（description/quantity/unit/budget/responsible/deadline）；已备案的须说明理由，留痕。"""
    values = dict(p.partition("=")[::2] for p in set_)
    tasks.amend(task_id, values, _actor(), reason)
    console.print(f"任务 {task_id} 已修改：" + "，".join(f"{k} = {v}" for k, v in values.items()))


@tasks_app.command("update")
def tasks_update(task_id: str, status: Annotated[str | None, typer.Option(help="未开始/进行中/已完成/已验收")] = None,
                 started_on: Annotated[str | None, typer.Option("--started-on")] = None,
                 completed_on: Annotated[str | None, typer.Option("--completed-on")] = None,
                 accepted_on: Annotated[str | None, typer.Option("--accepted-on")] = None,
                 spent: Annotated[float | None, typer.Option(help="已支出（元）")] = None,
                 evidence: Annotated[str | None, typer.Option(help="佐证材料说明")] = None) -> None:
    """报送进度：未开始 → 进行中 → 已完成 → 已验收，附日期、已支出金额和佐证材料；不合规的变更会被拒绝并说明原因。"""
    values = {"started_on": started_on, "completed_on": completed_on, "accepted_on": accepted_on, "spent": spent,
              "evidence": evidence}
    res = tasks.track(task_id, _actor(), status, {k: v for k, v in values.items() if v is not None})
    console.print(f"任务 {task_id}：" + ("已更新" if res["changed"] else "没有变化"))


@tasks_app.command("import")
def tasks_import(path: Path) -> None:
    """导入填好进度的乡镇任务清单（工作簿）：逐行校验，有一行不合规则全部不写入。"""
    res = tasks.document.import_progress(path, _actor())
    console.print(f"已导入：{res['rows']} 行，更新 {res['changed']} 项任务。")


@tasks_app.command("documents")
def tasks_documents(region: Annotated[str, typer.Option()], year: Annotated[int, typer.Option()],
                    pack: Annotated[str, typer.Option()], out: Annotated[Path, typer.Option(help="文件夹")]) -> None:
    """写出每个乡镇一份任务清单工作簿（一乡镇一策），含备案信息与当前进度，可填写后导入。"""
    paths = tasks.document.write_documents(region, year, pack, out)
    console.print(f"已写出 {len(paths)} 份：{out}")


@tasks_app.command("overdue")
def tasks_overdue(region: Annotated[str, typer.Option()], as_of: Annotated[str | None, typer.Option("--as-of")] = None,
                  by: Annotated[str, typer.Option(help="township（按乡镇）| responsible（按责任单位）")] = "township") -> None:
    """逾期任务：期限已过仍未完成的任务，按乡镇或责任单位汇总并逐项列出。"""
    if by not in ("township", "responsible"):
        raise WangdiError("bad-option", "--by 应为 township 或 responsible", "--by must be township or responsible")
    df = tasks.overdue(region, _date(as_of))
    names = api.township_names(region[:6])
    t = Table("乡镇（街道）" if by == "township" else "责任单位", "逾期任务数", "预算（元）", "最长逾期（天）",
              title=f"逾期任务（截至 {as_of or '今天'}）")
    for r in tasks.overdue_by(df, by).iter_rows(named=True):
        t.add_row(names.get(r[by], r[by]), str(r["n"]), f"{r['budget'] or 0:,.0f}", str(r["max_days"]))
    console.print(t)
    console.print(_task_table(df, "逾期任务明细"))


@tasks_app.command("verify")
def tasks_verify(pack: Annotated[str, typer.Option()], region: Annotated[str, typer.Option()],
                 year: Annotated[int, typer.Option(help="任务年度")],
                 as_of: Annotated[str | None, typer.Option("--as-of", help="核实所用普查日期（默认最新一期）")] = None) -> None:
    """核实：报告“已完成”的任务与下一期普查的评估对照，差距未消除的标记给县级（以核实为准）。"""
    df = tasks.verify(pack, region, year, _actor(), _date(as_of))
    counts = dict(df.group_by("verification").len().iter_rows())
    console.print(f"核实 {df.height} 项：已核实 {counts.get('verified', 0)}，差距未消除 {counts.get('not_closed', 0)}，"
                  f"缺数据 {counts.get('unknown', 0)}")
    bad = df.filter(pl.col("verification") != "verified")
    if bad.height:
        console.print(_task_table(bad, "需县级核查的任务"))


@tasks_app.command("flagged")
def tasks_flagged(region: Annotated[str, typer.Option()], year: Annotated[int | None, typer.Option()] = None) -> None:
    """列出报告已完成、但普查显示差距仍在的任务（待县级核查）。"""
    df = tasks.flagged(region, year)
    console.print(_task_table(df, f"差距未消除的任务（{df.height} 项）"))
    for r in df.iter_rows(named=True):
        console.print(f"  {r['task_id']}：{r['verification_note']}")


@tasks_app.command("rates")
def tasks_rates(path: Annotated[Path | None, typer.Argument(help="奖补标准表 .xlsx/.csv；省略则列出现有标准")] = None) -> None:
    """奖补标准（局设定）：列 年度、任务类型、每单位奖补（元）、每项奖补（元）、依据；全部合规才写入。"""
    from wangdi.registry.reference import TASK_KIND

    if path is not None:
        console.print(f"已写入 {tasks.set_rates(path, _actor())} 条奖补标准。")
    t = Table("年度", "任务类型", "每单位（元）", "每项（元）", "依据")
    for r in tasks.rewards.rates().iter_rows(named=True):
        t.add_row(str(r["year"]), TASK_KIND.get(r["kind"], r["kind"]), "" if r["per_unit"] is None else f"{r['per_unit']:,.2f}",
                  "" if r["per_task"] is None else f"{r['per_task']:,.2f}", r["basis"])
    console.print(t)


@tasks_app.command("rewards")
def tasks_rewards(region: Annotated[str, typer.Option()], year: Annotated[int, typer.Option()],
                  pack: Annotated[str | None, typer.Option()] = None,
                  out: Annotated[Path | None, typer.Option(help="奖补清单 .xlsx（与补助发放清单同格式）")] = None) -> None:
    """奖补清单：只含经普查核实的任务；金额按局设定的标准，未设定的标明“待局设定”，不估算。"""
    lines = tasks.reward_list(region, year, pack)
    known = lines.filter(pl.col("金额").is_not_null())
    console.print(f"经核实的任务 {lines.height} 项；有奖补标准的 {known.height} 项，合计 {known['金额'].sum():,.0f} 元；"
                  f"{lines.height - known.height} 项奖补标准未设定。")
    if out:
        tasks.write_reward_list(lines, out, f"{region} {year} 年度任务奖补清单")
        console.print(f"已写出：{out}")
