"""What changed between two census dates, per township: registry versions (SCD2) and verdicts.

Both sides are read "as of" a date from the versioned tables and compared column-wise with Polars;
changes carry stable keys (`change`: added / ended / changed / newly_passing / newly_failing) and the
Chinese labels are made only by `describe_change` at the edges.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.registry import store
from wangdi.registry.reference import CODE_LISTS
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.tables import result as result_t
from wangdi.registry.tables import run as run_t

TRACKED = ("institution", "staff", "equipment", "service")
CHANGE_COLUMNS = {"township": pl.String, "table_name": pl.String, "change": pl.String, "entity_key": pl.String,
                  "institution_code": pl.String, "field": pl.String, "old": pl.String, "new": pl.String}
CHANGE_ZH = {"added": "新增", "ended": "离岗/撤销", "changed": "变更", "removed": "不再登记",
             "newly_passing": "新达标", "newly_failing": "新未达标"}
TABLE_ZH = {"institution": "机构", "staff": "人员", "equipment": "设备", "service": "服务科室", "result": "评估结论"}


def _owner(table: str) -> str:
    return "code" if table == "institution" else "institution_code"


def _key(table: str) -> pl.Expr:
    return pl.concat_str([pl.col(k).cast(pl.String) for k in TABLE_MAP[table].key], separator="/")


def _table_changes(a: pl.DataFrame, b: pl.DataFrame, table: str) -> list[pl.DataFrame]:
    spec = TABLE_MAP[table]
    key = list(spec.key)
    owner = _owner(table)
    base = {"table_name": pl.lit(table), "entity_key": _key(table), "institution_code": pl.col(owner)}
    out = [b.join(a, on=key, how="anti").select(**base, change=pl.lit("added")),
           a.join(b, on=key, how="anti").select(**base, change=pl.lit("removed"))]
    both = b.join(a, on=key, how="inner", suffix="__old", nulls_equal=True)
    for c in (c for c in spec.columns if c not in key and c != "synthetic"):
        diff = both.filter(~pl.col(c).eq_missing(pl.col(f"{c}__old")))
        if diff.height:
            kind = pl.lit("ended") if c == "end_date" else pl.lit("changed")
            out.append(diff.select(**base, change=kind, field=pl.lit(c), old=pl.col(f"{c}__old").cast(pl.String),
                                   new=pl.col(c).cast(pl.String)))
    return out


def registry_changes(conn: sa.Connection, region: str, since: date, until: date) -> pl.DataFrame:
    """Rows added, ended, removed or changed between the versions in force on `since` and on `until`."""
    inst = store.snapshot(conn, "institution", until, region)
    frames: list[pl.DataFrame] = []
    for table in TRACKED:
        a, b = store.snapshot(conn, table, since, region), store.snapshot(conn, table, until, region)
        frames += [f for f in _table_changes(a, b, table) if f.height]
    if not frames:
        return pl.DataFrame(schema=CHANGE_COLUMNS)
    df = pl.concat(frames, how="diagonal_relaxed")
    town = inst.select(pl.col("code").alias("institution_code"), pl.col("division_code").str.slice(0, 9)
                       .alias("township"))
    return df.join(town, on="institution_code", how="left").select(
        [pl.col(c).cast(t) if c in df.columns or c == "township" else pl.lit(None, t).alias(c)
         for c, t in CHANGE_COLUMNS.items()])


def _run_on(conn: sa.Connection, pack_id: str, region: str, as_of: date) -> str | None:
    prefixes = [region[:n] for n in (2, 4, 6, 9, 12) if n <= len(region)]
    return conn.execute(sa.select(run_t.c.run_id).where(
        run_t.c.pack == pack_id, run_t.c.as_of == as_of, run_t.c.region_code.in_(prefixes),
        run_t.c.scenario.is_(None)).order_by(run_t.c.started_at.desc()).limit(1)).scalar()


def _verdicts(conn: sa.Connection, run_id: str, region: str) -> pl.DataFrame:
    """The one read of stored results here: rule, entity, region and outcome of requirements."""
    q = sa.select(result_t.c.rule_id, result_t.c.entity_code, result_t.c.region_code, result_t.c.outcome).where(
        result_t.c.run_id == run_id, result_t.c.kind == "requirement", result_t.c.region_code.startswith(region))
    return pl.DataFrame([tuple(r) for r in conn.execute(q)], orient="row",
                        schema={"rule_id": pl.String, "entity_code": pl.String, "region_code": pl.String,
                                "outcome": pl.String})


def verdict_changes(conn: sa.Connection, pack_id: str, region: str, since: date, until: date) -> pl.DataFrame:
    """Requirements that went from fail to pass (newly_passing) or pass to fail, between the runs on both dates."""
    ra, rb = _run_on(conn, pack_id, region, since), _run_on(conn, pack_id, region, until)
    if ra is None or rb is None:
        return pl.DataFrame(schema=CHANGE_COLUMNS)
    j = _verdicts(conn, rb, region).join(_verdicts(conn, ra, region).select("rule_id", "entity_code",
                                                                             pl.col("outcome").alias("before")),
                                         on=["rule_id", "entity_code"], how="inner")
    failing = ("fail", "not_yet_due")
    change = pl.when((pl.col("outcome") == "pass") & pl.col("before").is_in(failing)).then(pl.lit("newly_passing")) \
        .when(pl.col("outcome").is_in(failing) & (pl.col("before") == "pass")).then(pl.lit("newly_failing"))
    return j.with_columns(change=change).filter(pl.col("change").is_not_null()).select(
        township=pl.col("region_code").str.slice(0, 9), table_name=pl.lit("result"), change=pl.col("change"),
        entity_key=pl.col("entity_code"), institution_code=pl.col("entity_code"), field=pl.col("rule_id"),
        old=pl.col("before"), new=pl.col("outcome"))


def changes(region: str, since: date, until: date, pack_id: str | None = None,
            url: str | None = None) -> pl.DataFrame:
    """Everything that changed under `region` between two census dates (and verdicts, given a pack)."""
    eng = store.init_db(url)
    with eng.connect() as conn:
        frames = [registry_changes(conn, region, since, until)]
        if pack_id:
            frames.append(verdict_changes(conn, pack_id, region, since, until))
    return pl.concat(frames, how="vertical_relaxed").sort("township", "table_name", "change", "entity_key",
                                                          nulls_last=True)


def rule_labels(pack_id: str | None) -> dict[str, str]:
    """Rule id → Chinese label of a pack (empty without a pack)."""
    if not pack_id:
        return {}
    from wangdi.policy import pack as packs

    return {r.id: str(r.spec.get("label") or r.summary) for r in packs.load(pack_id).rules.values()}


def census_dates(url: str | None = None) -> list[date]:
    """The dates on which census versions took effect (distinct valid_from of institution rows)."""
    from wangdi.registry.tables import CENSUS

    t = CENSUS["institution"]
    with store.init_db(url).connect() as conn:
        rows = conn.execute(sa.select(t.c.valid_from).distinct().order_by(t.c.valid_from)).scalars().all()
    return [r if isinstance(r, date) else date.fromisoformat(str(r)) for r in rows]


def summary(df: pl.DataFrame) -> pl.DataFrame:
    """Per township, table and change: how many (the figures a 'what changed' view shows)."""
    return df.group_by("township", "table_name", "change").len("n").sort("township", "table_name", "change")


def describe_change(row: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """One change in Chinese words (the formatter for changes; used only where a person reads it). `labels`: rule
    id → its Chinese label (from the pack), so a verdict change names the rule in words."""
    what = TABLE_ZH.get(str(row["table_name"]), str(row["table_name"]))
    verb = CHANGE_ZH.get(str(row["change"]), str(row["change"]))
    if row["table_name"] == "result":
        return f"{verb}：{(labels or {}).get(str(row['field']), str(row['field']))}"
    if row["table_name"] == "equipment" and row["change"] == "added":
        item = str(row["entity_key"]).rsplit("/", 1)[-1]
        return f"新增设备：{CODE_LISTS['equipment_item'].get(item, item)}"
    if row["change"] in ("changed", "ended") and row["field"]:
        spec = TABLE_MAP[str(row["table_name"])]
        f = spec.field_map.get(str(row["field"]))
        label = f.zh if f else str(row["field"])
        return f"{what}{verb}：{label} {_value_zh(f, row['old'])} → {_value_zh(f, row['new'])}"
    return f"{verb}{what}"


def _value_zh(f: Any, v: Any) -> str:
    if v is None:
        return "空"
    if f is not None and f.kind == "bool":
        return "是" if str(v).lower() == "true" else "否"
    if f is not None and f.kind == "code" and f.code_list:
        return CODE_LISTS.get(f.code_list, {}).get(str(v), str(v))
    return str(v)


def last_year(region: str, year: int | None = None, pack_id: str | None = None,
              url: str | None = None) -> tuple[date, date, pl.DataFrame]:
    """"What changed since last year": the census in force at the end of `year` (default: the newest) against
    the census before it. Raises a clear error when fewer than two census dates are registered."""
    from wangdi.errors import WangdiError

    dates = census_dates(url)
    upto = [d for d in dates if year is None or d <= date(year, 12, 31)]
    if len(upto) < 2:
        raise WangdiError("one-census-only", "登记库中只有一期（或没有）普查数据，无法比较“比上年变化”：请先导入上一年度的普查",
                          "fewer than two census dates registered")
    since, until = upto[-2], upto[-1]
    return since, until, changes(region, since, until, pack_id, url)
