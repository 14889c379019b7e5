"""`wangdi evaluate | explain | runs | packs | demo-report`: policy commands over wangdi.api."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from wangdi.cli.core import _date, _json, app, console
from wangdi.cli.lazy import lazy
from wangdi.errors import WangdiError
from wangdi.policy.results import Outcome

if TYPE_CHECKING:
    import polars as pl

    from wangdi import api
    from wangdi.policy import formatting
else:
    api, pl, formatting = lazy("wangdi.api"), lazy("polars"), lazy("wangdi.policy.formatting")

runs = typer.Typer(help="评估批次 (evaluation runs)", no_args_is_help=True)
packs = typer.Typer(help="规则包 (policy packs)", no_args_is_help=True)
app.add_typer(runs, name="runs")
app.add_typer(packs, name="packs")


def _required_date(value: str) -> date:
    d = _date(value)
    if d is None:
        raise WangdiError("bad-date", "请给出 --as-of YYYY-MM-DD", "give --as-of")
    return d


@app.command()
def evaluate(pack: Annotated[str, typer.Option(help="规则包 id")],
             region: Annotated[str, typer.Option(help="区划代码")],
             as_of: Annotated[str, typer.Option("--as-of", help="评估截至日期 YYYY-MM-DD")],
             out: Annotated[Path | None, typer.Option(help="结果文件：.jsonl / .parquet / .xlsx / .csv")] = None,
             no_store: Annotated[bool, typer.Option("--no-store", help="不保存评估批次")] = False,
             what_if: Annotated[bool, typer.Option("--what-if", help="推演：在规则包管辖范围外评估（结果标明推演）")]
             = False,
             engine: Annotated[str, typer.Option(help="计算引擎：duckdb（默认）或 spark")] = "duckdb",
             visits: Annotated[Path | None, typer.Option(help="就诊（结算）明细：Parquet 目录或 CSV")] = None,
             visit_mapping: Annotated[Path | None, typer.Option("--visit-mapping", help="就诊明细列映射文件（YAML）")] = None,
             ) -> None:
    """按规则包评估一个地区：每条规则对全部机构一次性计算。"""
    notes: dict[str, object] = {}
    with console.status("评估中…"):
        run_id, res = api.evaluate(pack, region, _required_date(as_of), out, store_run=not no_store, what_if=what_if,
                                   engine=engine, visits=visits, visit_mapping=visit_mapping, notes=notes)
    if what_if and not api.pack_covers(pack, region):
        console.print("[bold yellow]推演：规则包管辖范围外[/] — 结论仅供推演，不是该地区的正式评估。")
    fallbacks = notes.get("fallbacks") or {}
    if isinstance(fallbacks, dict) and fallbacks:
        console.print(f"[yellow]以下 {len(fallbacks)} 条规则无法在 Spark 上运行，已改用 DuckDB 计算：[/]")
        for rule_id, why in sorted(fallbacks.items()):
            console.print(f"  {rule_id}：{why}")
    counts = res.group_by("kind", "outcome").len().sort("kind", "outcome")
    console.print(f"评估批次 {run_id}：{res.height} 条结果" + (f"，已写出 {out}" if out else ""))
    for kind, outcome, n in counts.iter_rows():
        console.print(f"  {formatting.KIND_ZH.get(kind, kind)} {formatting.outcome_zh(outcome)}：{n}")


@app.command()
def explain(run: Annotated[str, typer.Option(help="评估批次 id")], rule: Annotated[str, typer.Option(help="规则 id")],
            entity: Annotated[str, typer.Option(help="机构/人员/区划代码")],
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """解释一个结论：读取了哪些数据、用了哪些参数、各来自哪条条款。"""
    info = api.explain(run, rule, entity)
    if as_json:
        _json(info)
        return
    r = info["rule"]
    console.print(f"[bold]{r['id']}[/]（{r['kind']}，来自规则包 {r['from_pack']}）  条款 {r['clause']}")
    console.print(f"  原文：{r['text']}")
    console.print(f"  摘要：{r['summary']}")
    console.print(f"实体 {entity} 的输入：{info['inputs']}")
    for p in info["parameters"]:
        console.print(f"参数 {p['id']} = {p['value_sql']}（条款 {p['clause']}：{p['text']}；来自 {p['from_pack']}）")
    for row in info["stored"]:
        console.print(f"结论：{formatting.outcome_zh(row['outcome'])} — {row['message']}")
    if info["data_changed_since_run"]:
        console.print("[yellow]注意：评估之后数据有变动，重新计算的结果为：[/]"
                      + "；".join(str(x["message"]) for x in info["recomputed"]))


@runs.command("list")
def runs_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出评估批次。"""
    rows = api.runs_list()
    if as_json:
        _json(rows)
        return
    t = Table("批次", "规则包", "包哈希", "区划", "截至", "数据版本", "结果数", "耗时(秒)")
    for r in rows:
        t.add_row(r["run_id"], r["pack"], r["pack_hash"], r["region_code"], str(r["as_of"]), r["data_version"],
                  str(r["rows"]), f"{r['seconds']:.2f}")
    console.print(t)


@runs.command("compare")
def runs_compare(a: str, b: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """比较两个评估批次：哪些结论变了，以及观测值的变化。"""
    diff = api.runs_compare(a, b)
    if as_json:
        _json(diff.to_dicts())
        return
    console.print(f"{diff.height} 条结论不同：")
    for r in diff.head(200).iter_rows(named=True):
        console.print(f"  {r['rule_id']} {r['entity_code']}: {formatting.outcome_zh(r['outcome_a'])}"
                      f"（{formatting.value_zh(r['observed_a'], r['unit'])}）→ {formatting.outcome_zh(r['outcome_b'])}"
                      f"（{formatting.value_zh(r['observed_b'], r['unit'])}）")


@packs.command("list")
def packs_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出规则包。"""
    rows = api.packs_list()
    if as_json:
        _json(rows)
        return
    for p in rows:
        console.print(f"{p['id']:14} {p['rules']:3} 条规则 {p['parameters']:3} 个参数 {p['tests']:3} 个测试  {p['title']}")


@packs.command("show")
def packs_show(pack_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """显示规则包：每条规则与条款原文并列。"""
    info = api.pack_show(pack_id)
    if as_json:
        _json(info)
        return
    console.print(f"[bold]{info['id']}[/] {info['title']}（{info['document_number'] or '文号未载明'}）")
    for r in info["rules"]:
        console.print(f"\n[bold]{r['id']}[/] [{r['kind']}] 条款 {r['clause']}\n  原文：{r['text']}\n  {r['summary']}"
                      + (f"\n  解读：{r['reading']}" if r["reading"] else "")
                      + (f"\n  责任单位：{'、'.join(r['responsible'])}" if r["responsible"] else ""))


@packs.command("lint")
def packs_lint(path: Annotated[str, typer.Argument(help="规则包文件夹或 id")] = "all") -> None:
    """检查规则包：模式、条款引用、每个表达式（未知字段给出建议）。"""
    from wangdi.policy.pack import available

    targets = available() if path == "all" else [path]
    failed = 0
    for t in targets:
        try:
            info = api.pack_lint(t)
            console.print(f"{t}: 通过（{info['rules']} 条规则，{info['parameters']} 个参数）")
        except WangdiError as e:  # PackError or ExprError: both name file, line and rule
            failed += 1
            console.print(f"[red]{t}[/]：{e.zh}\n  ({e.en})")
    if failed:
        raise typer.Exit(1)


@packs.command("test")
def packs_test(pack_id: Annotated[str, typer.Argument(help="规则包 id；省略则全部")] = "all") -> None:
    """运行规则包的测试用例（输入 → 期望结论）。"""
    from wangdi.policy.pack import available

    bad = 0
    for pid in available() if pack_id == "all" else [pack_id]:
        results = api.pack_test(pid)
        bad += sum(not r["ok"] for r in results)
        console.print(f"{pid}: {sum(r['ok'] for r in results)}/{len(results)} 通过")
        for r in results:
            if not r["ok"]:
                console.print(f"  [red]失败[/] {r['name']}（{r['rule']}）：{r['detail']}")
    if bad:
        raise typer.Exit(1)


@packs.command("fields")
def packs_fields(entity: Annotated[str | None, typer.Argument()] = None) -> None:
    """列出表达式可用的字段（按实体）。"""
    for ent, fields in api.fields_doc(entity).items():
        console.print(f"[bold]{ent}[/]: " + ", ".join(fields))


@app.command("demo-report")
def demo_report(region: str = "371521", pack: str = "yanggu-2024", as_of: str = "2026-12-31") -> None:
    """演示：网络概况 + 按乡镇的达标情况、最大差距 + 县级目标。"""
    from wangdi.cli.core import summary

    summary(region, None, False)
    run_id, res = api.evaluate(pack, region, _required_date(as_of))
    towns = api.network_summary(region).select(pl.col("township").alias("t"), "name")
    req = res.filter(pl.col("kind") == "requirement").with_columns(t=pl.col("region_code").str.slice(0, 9))
    by_town = req.group_by("t").agg((pl.col("outcome") == "pass").sum().alias("pass"),
                                    (pl.col("outcome") == "fail").sum().alias("fail"),
                                    (pl.col("outcome") == "not_yet_due").sum().alias("due"),
                                    (pl.col("outcome") == "unknown").sum().alias("unknown"))
    top = req.filter(pl.col("outcome").is_in([Outcome.FAIL, Outcome.NOT_YET_DUE])).group_by("t", "rule_id").len() \
        .sort("len", descending=True).group_by("t", maintain_order=True).head(2) \
        .group_by("t").agg(pl.format("{}({})", "rule_id", "len").str.join("、").alias("top"))
    t = Table("乡镇（街道）", "达标", "未达标", "未到期", "缺数据", "主要差距（规则，机构数）",
              title=f"{pack} 评估（截至 {as_of}，批次 {run_id}）")
    for row in towns.join(by_town, on="t", how="left").join(top, on="t", how="left").fill_null(0).iter_rows(named=True):
        t.add_row(row["name"], str(row["pass"]), str(row["fail"]), str(row["due"]), str(row["unknown"]),
                  str(row["top"] or ""))
    console.print(t)
    names = dict(api.network_summary(region).select("township", "name").iter_rows())
    names[region] = api.region_show(region)["name"]
    tt = Table("目标（条款）", "地区", "结论", "现状", "要求（期限）", "差距", title="目标进展")
    rules = api.pack_rules(pack)
    shown = formatting.with_text(res.filter(pl.col("kind") == "target").sort("rule_id", "entity_code"), rules)
    for r in shown.iter_rows(named=True):
        rule = rules[r["rule_id"]]
        tt.add_row(f"{rule.spec.get('label') or rule.summary}（{r['clause_ref']}）",
                   names.get(r["entity_code"], r["entity_code"]), r["outcome_zh"], r["observed_zh"], r["required_zh"],
                   r["gap_zh"])
    console.print(tt)
    console.print("数据为合成数据（synthetic），仅供演示。")


@app.command()
def subsidies(pack: Annotated[str, typer.Option(help="规则包 id")], region: Annotated[str, typer.Option(help="区划代码")],
              year: Annotated[int, typer.Option(help="年度")],
              out: Annotated[Path | None, typer.Option(help="发放清单 .xlsx")] = None) -> None:
    """补助发放清单：按规则包的补助条款计算，每一行都引用条款。"""
    run_id, lines, synthetic = api.subsidies(pack, region, year, out)
    paid = lines.filter(pl.col("状态") == "应发")
    console.print(f"评估批次 {run_id}：{lines.height} 行，应发 {paid.height} 笔，合计 {paid['金额'].sum():,.0f} 元"
                  + (f"；已写出 {out}" if out else ""))
    t = Table("补助项目", "条款", "应发笔数", "金额（元）")
    for r in paid.group_by("补助项目", "条款").agg(pl.len(), pl.col("金额").sum()).sort("条款").iter_rows():
        t.add_row(r[0], r[1], str(r[2]), f"{r[3]:,.0f}")
    console.print(t)
    if synthetic:
        console.print("注意：基于合成数据（synthetic），仅供演示。")


@packs.command("coverage")
def packs_coverage(pack: Annotated[str | None, typer.Option("--pack", help="规则包 id；省略则全部")] = None,
                   as_json: Annotated[bool, typer.Option("--json")] = False,
                   show: Annotated[bool, typer.Option("--all", help="逐条列出（默认只列缺失的）")] = False,
                   list_readings: Annotated[bool, typer.Option("--readings", help="列出歧义条款所采用的解读")] = False,
                   ) -> None:
    """条款覆盖：每个编号条款和含数字/期限的段落，逐条标明已编码（规则 id）或不可核查（理由）；条款解读。"""
    reports = api.packs_coverage(pack)
    if as_json:
        _json(reports)
    missing = 0
    for r in reports:
        missing += r["counts"].get("missing", 0) + len(r["not_verbatim"]) + len(r["stale_reasons"])
        if as_json:
            continue
        console.print(f"[bold]{r['pack']}[/]（{r['source']}）：" + "，".join(f"{k} {v}" for k, v in sorted(r["counts"].items()))
                      + f"；条款解读 {len(r['readings'])} 条" + ("" if list_readings else "（--readings 列出）"))
        for rd in r["readings"] if list_readings else []:
            console.print(f"  解读 {rd['clause']:12} {rd['id']}：{rd['reading']}", soft_wrap=True)
        for p in r["provisions"]:
            if show or p["status"] == "missing":
                what = ", ".join(p["ids"]) if p["ids"] else p["reason"]
                console.print(f"  {p['status']:13} {p['ref']:12} {what[:80]}  | {p['text'][:40]}")
        for q in r["not_verbatim"]:
            console.print(f"  [red]引文不是原文[/]：{q}")
        for q in r["stale_reasons"]:
            console.print(f"  [red]coverage.yaml 中的条款编号在文中找不到[/]：{q}")
    if missing:
        raise typer.Exit(1)


@app.command()
def report(pack: Annotated[str, typer.Option(help="规则包 id")], region: Annotated[str, typer.Option(help="区划代码")],
           as_of: Annotated[str, typer.Option("--as-of", help="截至日期 YYYY-MM-DD")],
           fmt: Annotated[str, typer.Option("--format", help="xlsx | docx | pdf")] = "pdf",
           out: Annotated[Path | None, typer.Option(help="输出文件")] = None,
           issuer: Annotated[str, typer.Option(help="封面：发文单位（不填则留空）")] = "",
           issued: Annotated[str, typer.Option(help="封面：日期（不填则留空）")] = "",
           number: Annotated[str, typer.Option(help="封面：文号（不填则留空）")] = "") -> None:
    """督导评估报告（A4 竖版）：封面、目录、总体情况、目标进展、主要问题、各乡镇整改要求、数据质量与附表。"""
    with console.status("正在评估并生成报告…"):
        path = api.report(pack, region, _required_date(as_of), fmt, out, issuer=issuer, issued=issued, number=number)
    console.print(f"报告已写出：{path}")


plan_app = typer.Typer(help="规划：由差距生成行动，按预算分年度优化安排（HiGHS 混合整数规划）",
                       invoke_without_command=True)
app.add_typer(plan_app, name="plan")


@plan_app.callback()
def plan(ctx: typer.Context,
         pack: Annotated[str | None, typer.Option(help="规则包 id")] = None,
         region: Annotated[str | None, typer.Option(help="区划代码")] = None,
         budget: Annotated[str | None, typer.Option(help="各年度预算，如 2025=8000000,2026=8000000（可写 800万）")] = None,
         out: Annotated[Path | None, typer.Option(help="输出 .xlsx 或 .json")] = None,
         as_of: Annotated[str | None, typer.Option("--as-of", help="现状评估日期（默认今天）")] = None,
         costs: Annotated[Path | None, typer.Option(help="成本表 .xlsx/.csv（列 key, unit_cost）")] = None) -> None:
    """生成年度建设计划：买什么、建什么、配什么人，先做哪些。"""
    if ctx.invoked_subcommand is not None:
        return
    if not (pack and region and budget):
        raise WangdiError("missing-option", "请给出 --pack、--region 和 --budget", "give --pack, --region and --budget")
    with console.status("评估现状、生成行动并求解…"):
        p = api.plan(pack, region, budget, out, _date(as_of), costs)
    sol = p.solution
    from wangdi.reports.labels import solver_zh

    console.print(f"求解：{solver_zh(sol.status)}，目标函数 {sol.objective:.1f}，最优性间隙 {sol.gap:.3%}，{sol.seconds:.1f} 秒；"
                  f"候选行动 {len(p.actions)} 项；成本依据：{p.costs_source}")
    t = Table("年度", "预算（元）", "安排（元）", "行动数", title=f"{pack} {region} 年度计划")
    for r in p.year_summary().iter_rows():
        t.add_row(str(r[0]), f"{r[1]:,.0f}", f"{r[2]:,.0f}", str(r[3]))
    console.print(t)
    tt = Table("目标", "地区", "还需", "期限", "计划内达成", "说明")
    for r in p.target_table().filter(pl.col("地区").str.len_chars() <= 6).iter_rows(named=True):
        tt.add_row(r["目标"], r["地区"], str(r["还需"]), r["期限"], "是" if r["计划内达成"] else "否", r["说明"])
    console.print(tt)
    top = p.funded().group_by("年度", "行动").agg(pl.len().alias("n"), pl.col("费用（元）").sum().alias("c")) \
        .sort("年度", "c", descending=[False, True])
    for r in top.iter_rows(named=True):
        console.print(f"  {r['年度']} {r['行动']}：{r['n']} 项，{r['c']:,.0f} 元")
    if out:
        console.print(f"计划已写出：{out}")


@plan_app.command("apply")
def plan_apply(path: Path, scenario: Annotated[str, typer.Option(help="情景名称")]) -> None:
    """把计划的行动写入登记库的情景副本（真实数据不变），并重新评估。"""
    info = api.plan_apply(path, scenario)
    console.print(f"情景 {scenario}：{info['scenario_url']}（生效日期 {info['effective']}），变更 {info['changes']}")
    t = Table("目标", "地区", "结论", "现状", "要求", title=f"情景重新评估（批次 {info['run_id']}）")
    for r in info["targets"].iter_rows(named=True):
        t.add_row(r["rule_id"], r["entity_code"], r["outcome_zh"], r["observed_zh"], r["required_zh"])
    console.print(t)
