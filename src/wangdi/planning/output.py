"""Plan outputs (Excel like the bureaus' task lists, JSON) and scenarios: apply a plan to a copy of the registry."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.planning import Plan
from wangdi.planning.actions import PackAction, pack_actions
from wangdi.policy import pack as packs
from wangdi.registry import store

ACTION_SHEET = "行动明细"
MAX_TOWNSHIP_SHEETS = 40


def plan_dict(plan: Plan) -> dict[str, Any]:
    return {"pack": plan.pack, "region": plan.region, "as_of": plan.as_of.isoformat(), "run_id": plan.run_id,
            "budgets": {str(k): v for k, v in plan.budgets.items()}, "costs": plan.costs_source,
            "solver": {"status": plan.solution.status, "objective": plan.solution.objective,
                       "mip_gap": plan.solution.gap, "seconds": round(plan.solution.seconds, 2)},
            "years": plan.year_summary().to_dicts(), "targets": plan.target_table().to_dicts(),
            "actions": plan.funded().to_dicts(), "staffing": plan.staffing.to_dicts()}


def write_plan(plan: Plan, out: Path) -> None:
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(plan_dict(plan), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    money = wb.add_format({"num_format": "#,##0"})

    def sheet(name: str, df: pl.DataFrame) -> None:
        ws = wb.add_worksheet(name[:31])
        for c, col in enumerate(df.columns):
            ws.write_string(0, c, col, head)
            ws.set_column(c, c, 30 if col in ("行动", "说明", "目标", "规则", "项目") else 14)
        for r, row in enumerate(df.iter_rows(), start=1):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, bool):
                    ws.write_string(r, c, "是" if v else "否")
                elif isinstance(v, int | float):
                    ws.write_number(r, c, v, money if "元" in df.columns[c] else None)
                else:
                    ws.write_string(r, c, str(v))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(df.height, 1), max(len(df.columns) - 1, 0))

    d = plan_dict(plan)
    labels = ["规则包", "地区", "评估截至", "评估批次", "成本依据", "求解状态", "目标函数值", "最优性间隙"]
    summary = pl.DataFrame({"项目": labels,
                            "内容": [plan.pack, plan.region, str(plan.as_of), plan.run_id, plan.costs_source,
                                   d["solver"]["status"], f"{plan.solution.objective:.1f}", f"{plan.solution.gap:.4%}"]})
    sheet("摘要", summary)
    sheet("年度汇总", plan.year_summary())
    funded = plan.funded()
    for y in sorted(plan.budgets):
        sheet(f"{y}年任务", funded.filter(pl.col("年度") == y).drop("kind", "item"))
    towns = funded["乡镇"].unique().sort().to_list()
    if len(towns) <= MAX_TOWNSHIP_SHEETS:
        for t in towns:
            sheet(f"乡镇{t}", funded.filter(pl.col("乡镇") == t).drop("kind", "item"))
    else:
        sheet("按乡镇", funded.drop("kind", "item").sort("乡镇", "年度"))
    sheet("目标", plan.target_table())
    sheet("人员配置", plan.staffing)
    sheet(ACTION_SHEET, funded.select("年度", "对象", "机构", "kind", "item", "数量", "规则"))
    wb.close()


def read_plan_actions(path: Path) -> tuple[dict[str, Any], pl.DataFrame]:
    if not path.exists():
        raise WangdiError("file-not-found", f"找不到计划文件 {path}", f"no plan file {path}")
    if path.suffix.lower() == ".json":
        d = json.loads(path.read_text(encoding="utf-8"))
        return d, pl.DataFrame(d["actions"])
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    if ACTION_SHEET not in wb.sheetnames:
        raise WangdiError("bad-plan", f"{path.name} 不是 wangdi 计划：缺少“{ACTION_SHEET}”工作表", "not a wangdi plan workbook")
    rows = list(wb[ACTION_SHEET].iter_rows(values_only=True))
    meta = {str(r[0]): r[1] for r in wb["摘要"].iter_rows(min_row=2, values_only=True)}
    info = {"pack": meta.get("规则包"), "region": meta.get("地区")}
    return info, pl.DataFrame(rows[1:], schema=[str(c) for c in rows[0]], orient="row")


def scenario_url(name: str, url: str | None = None) -> tuple[str, str]:
    base = url or settings.database_url()
    if not base.startswith("sqlite:///"):
        raise WangdiError("scenario-sqlite-only", "情景副本目前只支持 SQLite 数据库（PostgreSQL 请用数据库自身的复制功能）",
                          "scenarios copy SQLite databases only")
    src = Path(base[len("sqlite:///"):])
    dst = src.parent / "scenarios" / f"{name}.sqlite"
    return str(src), str(dst)


def _effects(frames: dict[str, pl.DataFrame], acts: pl.DataFrame, year: int,
             declared: dict[str, PackAction] | None = None) -> dict[str, pl.DataFrame]:
    declared = declared or {}
    inst = frames["institution"]
    upd: dict[str, dict[str, Any]] = {}
    new_staff, new_equipment, new_training, new_service = [], [], [], []
    staff_by_code = {r["staff_code"]: r for r in frames["staff"].to_dicts()}
    train_year = frames["training"]["start_date"].max()
    ty = train_year.year if isinstance(train_year, date) else year
    row_of = {r["code"]: r for r in inst.to_dicts()}
    for a in acts.iter_rows(named=True):
        code, kind, item, qty = str(a["机构"]), str(a["kind"]), str(a["item"]), float(a["数量"] or 1)
        base = row_of.get(code)
        if base is None:
            continue
        u = upd.setdefault(code, dict(base))
        if kind == "build_floor_area":
            u["floor_area_incl_toilet_m2"] = (u["floor_area_incl_toilet_m2"] or 0) + qty
            u["floor_area_m2"] = (u["floor_area_m2"] or 0) + qty
        elif kind == "add_beds":
            u["beds"] = int((u["beds"] or 0) + qty)
        elif kind == "convert_ownership":
            u["ownership"] = "public"
        elif kind == "integrate":
            u["integrated"] = True
        elif kind == "insurance":
            u["insurance_designated"] = u["networked_settlement"] = True
        elif kind == "partition_rooms":
            u["has_separate_rooms"] = True
        elif kind == "elderly_friendly":
            u["elderly_friendly"] = True
        elif kind in declared:  # an action kind the pack declares: the fields it sets or raises
            pa = declared[kind]
            u.update({f: True for f in pa.sets})
            if pa.raises:
                raised = (u[pa.raises] or 0) + qty
                u[pa.raises] = int(raised if pa.max is None else min(pa.max, raised))
        elif kind == "train" and item == "training_info_officer":
            u["info_officers"] = int((u["info_officers"] or 0) + qty)
        elif kind == "train" and str(a["对象"]) in staff_by_code:
            new_training.append({"training_id": f"PLAN-{a['对象']}", "staff_code": str(a["对象"]), "course": "规划培训",
                                 "start_date": date(ty, 6, 1), "end_date": date(ty, 6, 14), "hours": 80.0,
                                 "synthetic": base["synthetic"]})
        elif kind == "recruit":
            spec = {"post_gp": ("licensed_physician", "clinical", True), "post_public_health":
                    ("licensed_physician", "public_health", False), "post_tcm": ("licensed_physician", "tcm", False),
                    "post_senior_physician": ("licensed_physician", "clinical", False),
                    "post_village_doctor": ("village_doctor", "clinical", False)}[item]
            for k in range(int(qty)):
                new_staff.append({"staff_code": f"PLAN-{code}-{item}-{k}", "institution_code": code, "name": "规划新增人员",
                                  "category": "health_tech", "qualification": spec[0], "practice_category": spec[1],
                                  "registered_gp": spec[2], "title": "senior" if item == "post_senior_physician" else
                                  "intermediate", "education": "bachelor", "full_time_degree": True,
                                  "start_date": date(year, 1, 1), "synthetic": base["synthetic"]})
        elif kind == "buy_equipment":
            new_equipment.append({"institution_code": code, "item": item, "count": 1, "functioning": 1,
                                  "synthetic": base["synthetic"]})
        elif kind == "specialty":
            new_service.append({"institution_code": code, "service": "key_specialty", "specialty": "规划重点专科",
                                "level": "city", "synthetic": base["synthetic"]})
    out: dict[str, pl.DataFrame] = {}
    if upd:
        out["institution"] = pl.DataFrame(list(upd.values()), schema=inst.schema)
    for name, rows in (("staff", new_staff), ("training", new_training), ("service", new_service)):
        if rows:
            out[name] = pl.concat([pl.DataFrame(rows, schema_overrides=dict(frames[name].schema)).select(
                [pl.col(c) if c in rows[0] else pl.lit(None, t).alias(c) for c, t in frames[name].schema.items()])],
                how="vertical_relaxed")
    if new_equipment:
        eq = frames["equipment"]
        add = pl.DataFrame(new_equipment, schema_overrides=dict(eq.schema)).select(eq.columns)
        merged = pl.concat([eq.join(add.select("institution_code", "item"), on=["institution_code", "item"], how="semi"),
                            add]).group_by("institution_code", "item").agg(
            pl.col("count").sum(), pl.col("functioning").sum(), pl.col("synthetic").first())
        out["equipment"] = merged.select(eq.columns)
    return out


def apply_plan(path: Path, scenario: str, url: str | None = None) -> tuple[str, dict[str, Any], date]:
    """Copy the registry to a scenario database and apply the plan's actions there (the real data untouched)."""
    info, acts = read_plan_actions(path)
    src, dst = scenario_url(scenario, url)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).unlink(missing_ok=True)
    with sqlite3.connect(src) as s, sqlite3.connect(dst) as d:
        s.backup(d)
    dst_url = f"sqlite:///{dst}"
    last = int(str(acts["年度"].max())) if acts.height else date.today().year
    effective = date(last, 12, 31)
    eng = store.init_db(dst_url)
    with eng.begin() as conn:
        tables = ("institution", "staff", "equipment", "training", "service")
        frames = {t: store.snapshot(conn, t) for t in tables}
        pack_kinds = {a.kind: a for a in pack_actions(packs.load(str(info["pack"])))} if info.get("pack") else {}
        changes = _effects(frames, acts, last, pack_kinds)
        summary = store.write_tables(conn, changes, effective, f"plan:{scenario}", source=str(path))
    counts = {k: vars(v) for k, v in summary.counts.items()}
    return dst_url, {"pack": info.get("pack"), "region": info.get("region"), "counts": counts}, effective
