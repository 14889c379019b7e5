"""`wangdi changes` and `wangdi plan adopt | tasks …`: the yearly cycle (census → tasks → tracking → verification)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from wangdi.cli.core import _json, app, console
from wangdi.cli.lazy import lazy

if TYPE_CHECKING:
    from wangdi import api
    from wangdi.registry import history
else:
    api, history = lazy("wangdi.api"), lazy("wangdi.registry.history")


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
        for r in df.head(2000).iter_rows(named=True):
            console.print(f"  {names.get(r['township'] or '', '')} {r['entity_key']}：{history.describe_change(r)}")
    console.print(f"共 {df.height} 项变化。" + ("数据含合成数据（synthetic）。" if api.has_synthetic(region) else ""))
