"""The `wangdi` command: a thin layer over wangdi.api. Errors are printed in Chinese, never as tracebacks."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from wangdi.cli.lazy import lazy
from wangdi.cli.safe import SafeConsole, visible
from wangdi.errors import WangdiError

if TYPE_CHECKING:
    from wangdi import api
else:
    api = lazy("wangdi.api")

app = typer.Typer(help="wangdi 网底：县域卫生服务体系登记、政策规则包与评估。", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
regions = typer.Typer(help="统计用区划代码 (divisions)", no_args_is_help=True)
db = typer.Typer(help="数据库 (database)", no_args_is_help=True)
app.add_typer(regions, name="regions")
app.add_typer(db, name="db")
console = SafeConsole(width=None if sys.stdout.isatty() else 160)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WangdiError("bad-date", f"日期格式应为 YYYY-MM-DD，收到：{value}", f"bad date {value!r}") from None


def _json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@db.command("init")
def db_init() -> None:
    """创建或迁移数据库 (create or migrate the database)."""
    url = api.init_db()
    console.print(f"数据库已就绪：{url}")


@regions.command("show")
def regions_show(code: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """显示区划及其下级 (a division and its children)."""
    info = api.region_show(code)
    if as_json:
        _json(info)
        return
    console.print(f"[bold]{info['code']} {info['name']}[/]（{info['level_zh']}）  {info['path']}")
    t = Table("代码", "名称", "类别", "村级单位数")
    for c in info["children"]:
        t.add_row(c["code"], c["name"], c["kind_zh"], str(c["villages"]))
    console.print(t)
    console.print(f"下级 {len(info['children'])} 个，村级单位共 {info['village_count']} 个。")


@regions.command("find")
def regions_find(name: str, limit: int = 50, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """按名称查找区划 (find divisions by name)."""
    hits = api.regions_find(name, limit)
    if as_json:
        _json(hits)
        return
    for h in hits:
        typer.echo(visible(f"{h['code']}  {h['path']}"))
    if not hits:
        typer.echo(visible(f"没有名称包含“{name}”的区划。"))


@app.command()
def template(out: Annotated[Path, typer.Option(help="输出文件")] = Path("wangdi-template.xlsx")) -> None:
    """写出普查填报模板 (write the census template workbook)."""
    api.write_template(out)
    console.print(f"模板已写出：{out}")


@app.command("import")
def import_(path: Path,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不写入")] = False,
            report: Annotated[Path | None, typer.Option(help="把完整校验报告写成 JSON")] = None,
            effective: Annotated[str | None, typer.Option(
                help="数据生效日期 YYYY-MM-DD（默认：文件中的数据截至日期）")] = None,
            ) -> None:
    """导入普查数据：工作簿、CSV 文件夹（UTF-8/GBK）或 Parquet；全部通过校验才写入。"""
    from rich.progress import Progress

    with Progress(transient=True, console=console) as prog:
        task = prog.add_task("写入", total=None)
        res = api.import_census(path, dry_run=dry_run, effective=_date(effective),
                                progress=lambda name, n: prog.update(task, advance=n, description=f"写入 {name}"))
    if report:
        res.report.write(report)
    if not res.report.valid:
        typer.echo(visible(res.report.text()))
        raise typer.Exit(1)
    if dry_run:
        console.print(f"校验通过（--dry-run，未写入）：{res.report.stats}")
        return
    t = Table("表", "新增 added", "变更 changed", "未变 unchanged")
    for name, c in res.counts.items():
        t.add_row(name, str(c["added"]), str(c["changed"]), str(c["unchanged"]))
    console.print(t)
    console.print(f"导入完成（批次 {res.batch}，生效日期 {res.effective}）。")


@app.command()
def export(out: Annotated[Path, typer.Option(help="输出：.xlsx、CSV/Parquet 文件夹")] = Path("wangdi-export.xlsx"),
           region: Annotated[str | None, typer.Option(help="区划代码前缀")] = None,
           as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 YYYY-MM-DD")] = None,
           fmt: Annotated[str | None, typer.Option("--format", help="xlsx | csv | parquet")] = None,
           encoding: Annotated[str, typer.Option(help="CSV 编码：utf-8 | gbk | gb18030")] = "utf-8") -> None:
    """导出普查数据（与导入格式相同，往返无损）。"""
    counts = api.export_census(out, region=region, as_of=_date(as_of), fmt=fmt, encoding=encoding)
    console.print(f"已导出到 {out}：" + "，".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
def synth(region: Annotated[str | None, typer.Option(help="区划代码（省/市/县）")] = None,
          scale: Annotated[str | None, typer.Option(help="national = 全国")] = None,
          seed: int = 1, year: int = 2025,
          out: Annotated[Path | None, typer.Option(help="输出 .xlsx 或文件夹")] = None,
          param: Annotated[list[str] | None, typer.Option(help="参数 key=value，可重复")] = None,
          fmt: Annotated[str | None, typer.Option("--format", help="xlsx | csv | parquet")] = None) -> None:
    """生成合成普查数据（synthetic，仅供演示和测试）。"""
    target = "national" if scale == "national" else region
    if not target:
        raise WangdiError("missing-region", "请给出 --region CODE 或 --scale national",
                          "give --region or --scale national")
    out = out or (Path(f"synth-{target}") if target == "national" else Path(f"synth-{target}.xlsx"))
    with console.status(f"正在生成 {target} 的合成普查数据…"):
        counts = api.synth(target, out, seed, year, param, fmt)
    console.print(f"合成数据（synthetic）已写出：{out}")
    console.print("，".join(f"{k} {v:,}" for k, v in counts.items()))


@app.command()
def summary(region: str, as_of: Annotated[str | None, typer.Option("--as-of")] = None,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """按乡镇汇总网络：机构、床位、人员 (network summary by township)."""
    df = api.network_summary(region, _date(as_of))
    if as_json:
        _json(df.to_dicts())
        return
    cols = {"township": "乡镇代码", "name": "乡镇（街道）", "villages": "村级单位", "population": "常住人口",
            "thc": "卫生院", "chc": "社区中心", "stations": "社区站", "clinics": "村卫生室", "beds": "床位",
            "staff": "人员", "village_doctors": "乡村医生"}
    t = Table(*cols.values(), title=f"{region} 网络概况（按乡镇）")
    for row in df.select(list(cols)).iter_rows():
        t.add_row(*[str(v) for v in row])
    console.print(t)


@app.command()
def audit(entity: Annotated[str | None, typer.Option(help="实体代码（前缀）")] = None, limit: int = 50,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """查看审计日志：谁、何时、改了什么 (old → new)."""
    rows = api.audit_log(entity, limit)
    if as_json:
        _json(rows)
        return
    for r in rows:
        typer.echo(visible(f"{r['at']} {r['actor']} {r['action']} {r['table_name']} {r['entity_key']}: "
                           f"{r['old']} → {r['new']}"))
    if not rows:
        typer.echo("没有审计记录。")


def main() -> None:
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except WangdiError as e:
        console.print(f"[red]错误[/]：{e.zh}" + (f"\n({e.en})" if e.en else ""))
        sys.exit(2)
    except (typer.Exit, SystemExit) as e:
        code = getattr(e, "exit_code", getattr(e, "code", 0))
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Abort:
        sys.exit(130)
    except Exception as e:
        show, exit_code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):  # a usage error from the CLI framework
            show()
            sys.exit(exit_code)
        if os.environ.get("WANGDI_DEBUG"):
            raise
        console.print(f"[red]内部错误[/]：{type(e).__name__}: {e}\n"
                      "请把以上信息反馈给管理员；设置 WANGDI_DEBUG=1 可查看详细堆栈。")
        sys.exit(3)


if __name__ == "__main__":
    main()
