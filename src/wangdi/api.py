"""The Python API. The CLI and the web app call these functions and nothing deeper."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wangdi import divisions
from wangdi.errors import WangdiError
from wangdi.exchange import ImportResult, export_census, import_census, snapshot_all, write_template
from wangdi.exchange.writers import write_any
from wangdi.registry import store
from wangdi.synth import SynthParams, synthesise

__all__ = ["ImportResult", "audit_log", "export_census", "import_census", "init_db", "network_summary",
           "region_show", "regions_find", "synth", "write_template"]


def init_db(url: str | None = None) -> str:
    eng = store.init_db(url)
    return eng.url.render_as_string(hide_password=True)


def region_show(code: str) -> dict[str, Any]:
    """A division, its path, its children and how many villages lie under it."""
    d = divisions.get(code)
    kids = divisions.children(code)
    villages = divisions.descendants(code, level=5)
    per_child = dict(villages.group_by(pl.col("code").str.slice(0, len(code) + (2 if len(code) < 6 else 3)))
                     .len().iter_rows()) if len(code) < 12 else {}
    return {
        "code": code, "name": d["name"], "level": d["level"], "level_zh": divisions.LEVEL_ZH[int(str(d["level"]))],
        "kind": d["kind"], "path": divisions.path_name(code),
        "valid_from": str(d["valid_from"]), "valid_to": d["valid_to"],
        "children": [{"code": c, "name": n, "kind": k, "kind_zh": divisions.KIND_ZH.get(k or "", ""),
                      "villages": int(per_child.get(c, 0))}
                     for c, n, k in kids.select("code", "name", "kind").iter_rows()],
        "village_count": villages.height,
    }


def regions_find(name: str, limit: int = 50) -> list[dict[str, Any]]:
    return divisions.find(name, limit).select("code", "name", "level", "path").to_dicts()


def synth(region: str, out: Path, seed: int = 1, year: int = 2025, params: list[str] | None = None,
          fmt: str | None = None) -> dict[str, int]:
    """Generate a synthetic census for `region` (or 'national') and write it (xlsx, csv dir or parquet dir)."""
    frames = synthesise(region, seed, year, SynthParams.from_pairs(params or []))
    meta = {"census_date": date(year, 12, 31).isoformat(), "region": region, "seed": str(seed),
            "synthetic": "true"}
    if (fmt or out.suffix.lower().lstrip(".")) == "xlsx" and frames["visit"].height > 1_000_000:
        raise WangdiError("too-large-for-excel", "数据量超过 Excel 上限，请用 --out 目录（Parquet）",
                          "too many rows for a workbook; write a Parquet folder instead")
    write_any(out, frames, meta, fmt)
    return {k: v.height for k, v in frames.items()}


def synth_years(region: str, out: Path, years: str, seed: int = 1, params: list[str] | None = None,
                fmt: str | None = None) -> dict[int, Path]:
    """A synthetic multi-year history: one census per year written to `out`/<region>-<year>.<fmt>, each dated
    31 December of its year (import them in order: each becomes a dated version of the registry)."""
    from wangdi.synth.history import parse_years, synthesise_years

    fmt = fmt or "xlsx"
    history = synthesise_years(region, seed, parse_years(years), SynthParams.from_pairs(params or []))
    out.mkdir(parents=True, exist_ok=True)
    written: dict[int, Path] = {}
    for year, frames in history.items():
        if fmt == "xlsx" and frames["visit"].height > 1_000_000:
            raise WangdiError("too-large-for-excel", "数据量超过 Excel 上限，请用 --format parquet",
                              "too many rows for a workbook; use --format parquet")
        path = out / (f"{region}-{year}.xlsx" if fmt == "xlsx" else f"{region}-{year}")
        meta = {"census_date": date(year, 12, 31).isoformat(), "region": region, "seed": str(seed),
                "synthetic": "true", "history": f"{min(history)}-{max(history)}"}
        write_any(path, frames, meta, fmt)
        written[year] = path
    return written


def network_summary(region: str, as_of: date | None = None, url: str | None = None) -> pl.DataFrame:
    """Per township under `region`: villages, population, institutions by kind, beds, staff."""
    frames = snapshot_all(url, region, as_of)
    inst, staff, pop = frames["institution"], frames["staff"], frames["population"]
    towns = divisions.descendants(region, level=4).select(pl.col("code").alias("township"), pl.col("name"))
    vil = divisions.descendants(region, level=5).group_by(
        pl.col("code").str.slice(0, 9).alias("township")).len("villages")
    inst = inst.with_columns(township=pl.col("division_code").str.slice(0, 9))
    per = inst.filter(pl.col("division_code").str.len_bytes() >= 9).group_by("township").agg(
        (pl.col("type_code").is_in(["C210", "C220"])).sum().alias("thc"),
        (pl.col("type_code") == "B100").sum().alias("chc"),
        (pl.col("type_code") == "B200").sum().alias("stations"),
        (pl.col("type_code") == "D600").sum().alias("clinics"),
        pl.col("beds").sum().alias("beds"))
    st = staff.join(inst.select(pl.col("code").alias("institution_code"), "township"), on="institution_code") \
        .group_by("township").agg(pl.len().alias("staff"),
                                  (pl.col("qualification") == "village_doctor").sum().alias("village_doctors"))
    pp = pop.filter(pl.col("division_code").str.len_bytes() == 12).group_by(
        pl.col("division_code").str.slice(0, 9).alias("township")).agg(pl.col("resident").sum().alias("population"))
    out = towns.join(vil, on="township", how="left").join(pp, on="township", how="left") \
        .join(per, on="township", how="left").join(st, on="township", how="left")
    return out.fill_null(0).sort("township")


def audit_log(entity: str | None = None, limit: int = 100, url: str | None = None) -> list[dict[str, Any]]:
    eng = store.init_db(url)
    with eng.connect() as conn:
        return store.read_audit(conn, entity, limit)


# --- policy packs and evaluation -------------------------------------------------------------

def packs_list() -> list[dict[str, Any]]:
    from wangdi.policy import pack, runs

    return [runs.pack_summary(pack.load(pid)) for pid in pack.available()]


def pack_covers(pack_id: str, region: str) -> bool:
    """Whether `region` is inside the pack's jurisdiction."""
    from wangdi.policy import pack as packs
    from wangdi.policy import runs

    return runs.covers(packs.load(pack_id), region)


def pack_rules(pack_id: str) -> dict[str, Any]:
    """The pack's rules by id (what the formatter needs to name a result row)."""
    from wangdi.policy import pack as packs

    return dict(packs.load(pack_id).rules)


def pack_show(pack_id: str) -> dict[str, Any]:
    from wangdi.policy import pack, runs

    p = pack.load(pack_id)
    return {**runs.pack_summary(p),
            "rules": [{"id": r.id, "kind": r.kind, "clause": r.clause, "summary": r.summary, "text": r.text,
                       "group": r.group, "from_pack": r.pack, "reading": r.spec.get("reading", ""),
                       "responsible": list(r.spec.get("responsible") or [])}
                      for r in p.rules.values()],
            "parameters": [{"id": q.id, "clause": q.clause, "text": q.text, "values": q.values, "unit": q.unit,
                            "from_pack": q.pack} for q in p.parameters.values()]}


def pack_lint(path: str) -> dict[str, Any]:
    """Load a pack (folder or id) and compile every expression; raises a PackError naming file, line and rule."""
    from wangdi.policy import lint, pack

    p = pack.load(path)
    lint.dry_run(p)  # every rule also compiles and binds in DuckDB: a pack that lints evaluates
    return {"id": p.id, "rules": len(p.rules), "parameters": len(p.parameters), "ok": True}


def pack_test(pack_id: str) -> list[dict[str, Any]]:
    from wangdi.policy import pack, testing

    return [vars(r) for r in testing.run_pack_tests(pack.load(pack_id))]


def fields_doc(entity: str | None = None) -> dict[str, list[str]]:
    from wangdi.policy.fields import ENTITIES, fields_of

    return {e: fields_of(e) for e in ENTITIES if entity in (None, e)}


def evaluate(pack_id: str, region: str, as_of: date, out: Path | None = None, url: str | None = None,
             store_run: bool = True, what_if: bool = False, engine: str = "duckdb", visits: Path | None = None,
             visit_mapping: Path | None = None, notes: dict[str, Any] | None = None) -> tuple[str, pl.DataFrame]:
    """Evaluate a region; outside the pack's jurisdiction only with what_if=True (every output then says 推演).
    `engine` duckdb or spark, `visits` a folder/file of visit records (docs/visits.md); `notes` (if given)
    receives the rules Spark could not run (`fallbacks`: rule id -> reason)."""
    from wangdi.policy import runs
    from wangdi.visits.engines import evaluator

    chosen, filled = None, dict[str, Any]()
    if engine != "duckdb" or visits is not None:
        chosen, filled = evaluator(engine, visits, visit_mapping)
    run_id, results = runs.evaluate(pack_id, region, as_of, url, store_run, what_if=what_if, evaluator=chosen)
    if notes is not None:
        notes.update(filled)
    if out is not None:
        note = runs.WHAT_IF if what_if and not pack_covers(pack_id, region) else None
        write_results(results, out, pack_id, note)
    return run_id, results


def write_results(results: pl.DataFrame, out: Path, pack_id: str | None = None, note: str | None = None) -> None:
    """Parquet and JSON lines keep the typed columns (for programs); a workbook or CSV is for people: Chinese
    headers and words from the formatter, the numbers beside them."""
    from wangdi.policy import formatting
    from wangdi.policy import pack as packs

    suffix = out.suffix.lower()
    if suffix in (".xlsx", ".csv"):
        rules = packs.load(pack_id).rules if pack_id else None
        sheet = formatting.export(results, rules)
        if note:  # a what-if says so on every line of the workbook
            sheet = sheet.select(pl.lit(note).alias("推演"), *sheet.columns)
        if suffix == ".xlsx":
            sheet.write_excel(out, worksheet="评估结果", autofilter=True, freeze_panes=(1, 0))
        else:
            sheet.write_csv(out)
    elif suffix == ".parquet":
        results.write_parquet(out)
    elif suffix in (".jsonl", ".json", ".ndjson"):
        results.write_ndjson(out)
    else:
        raise WangdiError("unsupported-format", f"不支持的输出格式 {suffix}：请用 .jsonl、.parquet、.xlsx 或 .csv",
                          f"unsupported output format {suffix}")


def explain(run_id: str, rule_id: str, entity: str, url: str | None = None) -> dict[str, Any]:
    from wangdi.policy import runs

    return runs.explain(run_id, rule_id, entity, url)


def runs_list(url: str | None = None) -> list[dict[str, Any]]:
    from wangdi.policy import runs

    return runs.list_runs(url)


def runs_compare(a: str, b: str, url: str | None = None) -> pl.DataFrame:
    from wangdi.policy import runs

    runs.get_run(a, url)
    runs.get_run(b, url)
    return runs.compare(a, b, url)


def subsidies(pack_id: str, region: str, year: int, out: Path | None = None,
              url: str | None = None) -> tuple[str, pl.DataFrame, bool]:
    """Payment lines (every line cites its clause) and, with `out`, an Excel payment list."""
    from wangdi.reports import subsidies as sub

    run_id, lines, synthetic = sub.payment_list(pack_id, region, year, url)
    if out is not None:
        from wangdi.policy import pack

        sub.write_payment_list(lines, out, sub.title_for(region, year), synthetic,
                               f"依据：《{pack.load(pack_id).title}》；评估批次 {run_id}",
                               str(divisions.get(region)["name"]))
    return run_id, lines, synthetic


def packs_coverage(pack_id: str | None = None) -> list[dict[str, Any]]:
    """Every numbered provision / paragraph with a number, per document: encoded, not_checkable or missing."""
    from wangdi.policy import coverage, pack

    return [coverage.report(pack.load(pid)) for pid in ([pack_id] if pack_id else pack.available())]


def report(pack_id: str, region: str, as_of: date, fmt: str = "pdf", out: Path | None = None,
           url: str | None = None, issuer: str = "", issued: str = "", number: str = "") -> Path:
    """A supervision/evaluation report (督导评估报告) as xlsx, docx or pdf; the cover's issuing body, date and
    document number are printed as given (blank when not given)."""
    from wangdi.reports import content, render

    writers = {"xlsx": render.write_xlsx, "docx": render.write_docx, "pdf": render.write_pdf}
    if fmt not in writers:
        raise WangdiError("unsupported-format", f"报告格式应为 xlsx、docx 或 pdf，收到 {fmt}", f"unsupported format {fmt}")
    out = out or Path(f"report-{pack_id}-{region}-{as_of}.{fmt}")
    data = content.build(pack_id, region, as_of, url)
    data.issuer, data.issued, data.number = issuer.strip(), issued.strip(), number.strip()
    writers[fmt](data, out)
    return out


def plan(pack_id: str, region: str, budgets: str, out: Path | None = None, as_of: date | None = None,
         costs: Path | None = None, url: str | None = None) -> Any:
    """An optimised yearly plan; with `out` (.xlsx or .json) also written."""
    from wangdi import planning
    from wangdi.planning import output

    p = planning.make_plan(pack_id, region, planning.parse_budgets(budgets), as_of, url, costs)
    if out is not None:
        output.write_plan(p, out)
    return p


def plan_apply(path: Path, scenario: str, url: str | None = None) -> dict[str, Any]:
    """Apply a plan to a scenario copy of the registry and re-evaluate it against the plan's pack."""
    from wangdi.planning import output
    from wangdi.policy import runs

    dst, info, effective = output.apply_plan(path, scenario, url)
    pack_id, region = str(info["pack"]), str(info["region"])
    run_id, res = runs.evaluate(pack_id, region, effective, dst, scenario=scenario)
    from wangdi.policy import formatting
    from wangdi.policy import pack as packs

    targets = formatting.with_text(res.filter(pl.col("kind") == "target"), packs.load(pack_id).rules) \
        .select("rule_id", "entity_code", "outcome", "outcome_zh", "observed_zh", "required_zh", "message")
    return {"scenario_url": dst, "effective": effective, "run_id": run_id, "changes": info["counts"], "targets": targets}


# --- the yearly cycle: census years, task lists, tracking, verification, rewards -------------------

def changes_since_last_year(region: str, year: int | None = None, pack_id: str | None = None,
                            url: str | None = None) -> tuple[date, date, pl.DataFrame]:
    """What changed under `region` between the census of `year` (default: newest) and the one before."""
    from wangdi.registry import history

    divisions.get(region)
    return history.last_year(region, year, pack_id, url)


def township_names(region: str) -> dict[str, str]:
    """Names of `region` and its townships (for display)."""
    out = dict(divisions.descendants(region, level=4).select("code", "name").iter_rows())
    out[region] = str(divisions.get(region)["name"])
    return out


def has_synthetic(region: str, url: str | None = None) -> bool:
    import sqlalchemy as sa

    from wangdi.registry.tables import CENSUS

    t = CENSUS["institution"]
    with store.init_db(url).connect() as conn:
        return bool(conn.execute(sa.select(sa.func.count()).where(
            t.c.valid_to.is_(None), t.c.division_code.startswith(region), t.c.synthetic.is_(True))).scalar())
