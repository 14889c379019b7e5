"""`wangdi indicators list | report | agency | supervise`: reported indicators and supervision per 责任单位."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from wangdi.cli.core import _date, _json, app, console
from wangdi.cli.lazy import lazy
from wangdi.errors import WangdiError

if TYPE_CHECKING:
    from wangdi import indicators as inds
    from wangdi.indicators import service, supervision
else:
    inds, service, supervision = lazy("wangdi.indicators"), lazy("wangdi.indicators.service"), \
        lazy("wangdi.indicators.supervision")

indicators = typer.Typer(help="填报指标 (reported indicators)", no_args_is_help=True)
app.add_typer(indicators, name="indicators")


@dataclass(frozen=True)
class _Cli:
    """The command line acts as an administrator over the whole registry (as `wangdi import` does)."""

    username: str
    role: str = "administrator"
    scope_code: str = ""

    def can(self, permission: str) -> bool:
        return True

    def in_scope(self, code: str) -> bool:
        return True


@indicators.command("list")
def list_(pack: Annotated[str, typer.Option("--pack", help="只列该规则包声明的指标")] = "",
          json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """已声明的指标：代码、名称、单位、报告周期、填报级别、责任单位 (declared indicators)."""
    rows = [i for i in inds.catalog().values() if not pack or pack in i.packs]
    if json:
        _json([vars(i) for i in rows])
        return
    t = Table("指标代码", "名称", "单位", "周期", "级别", "填报单位", "条款")
    for i in rows:
        t.add_row(i.id, i.zh, i.describe_unit(), inds.PERIODS[i.period], inds.LEVEL_ZH[i.level], i.agency, i.clause)
    console.print(t)


@indicators.command("report")
def report(division: Annotated[str, typer.Option("--division", help="填报的县/市/省区划代码")],
           period: Annotated[str, typer.Option("--period", help="报告期：2025、2025Q4 或 2025-12")],
           value: Annotated[list[str], typer.Option("--value", help="指标代码=值，可重复；比例填 0–1")],
           note: Annotated[str, typer.Option("--note")] = "") -> None:
    """填报一期指标值（校验、审计，已上报或锁定的不能改）(report one period's values)."""
    values: dict[str, float | None] = {}
    for item in value:
        key, _, raw = item.partition("=")
        try:
            values[key.strip()] = float(raw)
        except ValueError:
            raise WangdiError("bad-value", f"--value 应为 指标代码=数字，收到 {item}", f"bad --value {item!r}") from None
    res = service.report(_Cli(os.environ.get("USER", "cli")), division, period, values, note=note)
    console.print(f"已保存：新增 {res['added']}，修改 {res['changed']}，未变 {res['unchanged']}（批次 {res['batch']}）")


@indicators.command("agency")
def agency(name: Annotated[str, typer.Argument(help="用户名（角色 reporter）")],
           agency_name: Annotated[str, typer.Argument(help="填报单位，如 县医保局")]) -> None:
    """指定填报用户所属的填报单位 (tie a reporter to an agency)."""
    service.set_agency(name, agency_name, actor=os.environ.get("USER", "cli"))
    console.print(f"用户 {name} 的填报单位：{agency_name}")


@indicators.command("supervise")
def supervise(agency_name: Annotated[str, typer.Option("--agency", help="责任单位，如 县医保局")],
              region: Annotated[str, typer.Option("--region", help="区划代码")],
              pack: Annotated[str, typer.Option("--pack", help="规则包 id")],
              as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD，默认今天")] = None,
              json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """责任单位督办：负责的规则和目标、结论、未填报、逾期 (supervision of one agency)."""
    d = supervision.supervise(pack, agency_name, region, _date(as_of) or date.today())
    if json:
        _json(d)
        return
    console.print(f"[bold]{d['agency']}[/bold] · {d['title']} · 截至 {d['as_of']} · 逾期 {d['overdue_total']} 项")
    if d["responsible_note"]:
        console.print(str(d["responsible_note"]))
    t = Table("条款", "规则", "类型", "结论", "逾期")
    for r in d["rules"]:
        t.add_row(r["clause"], r["label"], r["kind_zh"], "，".join(f"{k} {v}" for k, v in r["counts"].items()),
                  str(r["overdue"] or ""))
    console.print(t)
    for p in d["pending"]:
        console.print(f"未填报：{p['zh']}（{p['division_code']}，{p['period_zh']}）— {p['pending']}")
