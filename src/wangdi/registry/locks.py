"""Who owns a record, and whether a write may touch it: scope and approval locks for every writer.

Every census record belongs to a place (a division code): an institution's own division, a
population row's division, the institution of staff, equipment, services, contracts and visits, the
receiving institution of a deployment, the institution of the staff member of a training. A write
is checked on the record's CURRENT place (the stored row, before the write) and on its NEW place
(after the write): both must lie inside the writer's scope and in no township whose census for the
write's period is approved. The CLI import, web uploads and web forms all call `check_write`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from wangdi.errors import WangdiError
from wangdi.registry.report import ReportError
from wangdi.registry.schema import TABLE_MAP
from wangdi.registry.tables import CENSUS, approval

# table -> (column naming the owner, what it refers to: "division" | "institution" | "staff")
OWNER: dict[str, tuple[str, str]] = {
    "institution": ("division_code", "division"), "population": ("division_code", "division"),
    "staff": ("institution_code", "institution"), "equipment": ("institution_code", "institution"),
    "service": ("institution_code", "institution"), "contract": ("institution_code", "institution"),
    "visit": ("institution_code", "institution"), "deployment": ("to_code", "institution"),
    "training": ("staff_code", "staff"),
    "indicator_value": ("division_code", "division"),  # a reported value belongs to the division it reports on
}
CUR, NEW = "_place_now", "_place_new"
OUT_OF_SCOPE_ZH = "该行不在您的数据权限范围内（记录现在或修改后所在的地区不归您管理）"
LOCKED_ZH = "该乡镇本期数据已审核锁定，不能修改；如需修改，请县级审核人员“重新开放”"


def period_of(effective: date) -> str:
    """The approval period a write with this effective date belongs to: its census year."""
    return str(effective.year)


def locked_townships(conn: sa.Connection, periods: set[str] | None = None) -> set[str]:
    """Townships whose census is approved (for one of `periods`; None: for any period)."""
    q = sa.select(approval.c.division_code).where(approval.c.status == "approved")
    if periods is not None:
        q = q.where(approval.c.period.in_(sorted(periods)))
    return {r[0] for r in conn.execute(q)}


def _current(conn: sa.Connection, table: str, cols: list[str]) -> pl.DataFrame:
    t = CENSUS[table]
    rows = conn.execute(sa.select(*[t.c[c] for c in cols]).where(t.c.valid_to.is_(None))).all()
    text = [tuple(None if v is None else str(v) for v in r) for r in rows]
    return pl.DataFrame(text, schema={c: pl.String for c in cols}, orient="row")


def _maps(conn: sa.Connection, frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Institution -> division and staff -> institution, now (DB) and after the write (DB updated by frames)."""
    inst_now = _current(conn, "institution", ["code", "division_code"])
    staff_now = _current(conn, "staff", ["staff_code", "institution_code"])
    inst_new, staff_new = inst_now, staff_now
    if "institution" in frames:
        inc = frames["institution"].select(pl.col("code").cast(pl.String), pl.col("division_code").cast(pl.String))
        inst_new = pl.concat([inst_now.join(inc, on="code", how="anti"), inc])
    if "staff" in frames:
        inc = frames["staff"].select(pl.col("staff_code").cast(pl.String), pl.col("institution_code").cast(pl.String))
        staff_new = pl.concat([staff_now.join(inc, on="staff_code", how="anti"), inc])
    return {"inst_now": inst_now, "inst_new": inst_new, "staff_now": staff_now, "staff_new": staff_new}


def _resolve(df: pl.DataFrame, col: str, ref: str, maps: dict[str, pl.DataFrame], when: str, out: str) -> pl.DataFrame:
    """Add column `out`: the division code that `col` (a division, institution or staff code) leads to."""
    if ref == "division":
        return df.with_columns(pl.col(col).cast(pl.String).alias(out))
    if ref == "staff":
        staff = maps[f"staff_{when}"].rename({"staff_code": col, "institution_code": "_via"})
        df = df.join(staff, on=col, how="left")
        col = "_via"
    inst = maps[f"inst_{when}"].rename({"code": col, "division_code": out})
    df = df.join(inst, on=col, how="left")
    return df.drop("_via") if "_via" in df.columns else df


def places(conn: sa.Connection, table: str, rows: pl.DataFrame, maps: dict[str, pl.DataFrame] | None = None,
           frames: dict[str, pl.DataFrame] | None = None) -> pl.DataFrame:
    """`rows` (key and owner columns, any others kept) with the record's place now (null: no stored
    record) and after the write (null: its owner is unknown)."""
    maps = maps if maps is not None else _maps(conn, frames or {table: rows})
    spec = TABLE_MAP[table]
    col, ref = OWNER[table]
    keys = list(spec.key)
    df = rows.with_columns([pl.col(k).cast(pl.String) for k in dict.fromkeys([*keys, col])])
    df = _resolve(df, col, ref, maps, "new", NEW)
    stored = _current(conn, table, list(dict.fromkeys([*keys, col]))).rename({col: "_owner_now"}) \
        if col not in keys else _current(conn, table, keys).with_columns(pl.col(col).alias("_owner_now"))
    stored = _resolve(stored, "_owner_now", ref, maps, "now", CUR).select([*keys, CUR])
    return df.join(stored, on=keys, how="left", nulls_equal=True)


def _bad(p: pl.DataFrame, scope: str, locked: set[str]) -> tuple[pl.Expr, pl.Expr]:
    def outside(c: str) -> pl.Expr:
        return pl.col(c).is_not_null() & ~pl.col(c).str.starts_with(scope)

    def is_locked(c: str) -> pl.Expr:
        return pl.col(c).is_not_null() & pl.col(c).str.slice(0, 9).is_in(sorted(locked))

    return outside(CUR) | outside(NEW), is_locked(CUR) | is_locked(NEW)


def check_write(conn: sa.Connection, frames: dict[str, pl.DataFrame], incoming: list[Any], scope: str,
                effective: date, row_col: str = "_row") -> list[ReportError]:
    """Errors for rows outside `scope` or in a township locked for the write's period (now or after)."""
    locked = locked_townships(conn, {period_of(effective)})
    errors = _id_clashes(conn, frames, incoming, row_col)
    if not scope and not locked:
        return errors
    maps = _maps(conn, frames)
    for inc in incoming:
        name = inc.table.name
        col, _ref = OWNER[name]
        df = frames[name].with_columns(inc.frame[row_col].alias("_src_row"))
        p = places(conn, name, df, maps)
        outside, is_locked = _bad(p, scope, locked)
        for slug, zh, en, cond in (("out-of-scope", OUT_OF_SCOPE_ZH, "row outside your scope", outside),
                                   ("locked", LOCKED_ZH, "township approved and locked for this period",
                                    ~outside & is_locked)):
            bad = p.filter(cond)
            errors += [ReportError(slug, zh, en, name, inc.sheet, r, inc.letters.get(col, ""), col, v)
                       for r, v in zip(bad["_src_row"].to_list(), bad[col].to_list(), strict=True)]
    return errors


ACTIVITY = ("deployment", "training", "visit")  # records that never move: an id under another owner is a clash


def _id_clashes(conn: sa.Connection, frames: dict[str, pl.DataFrame], incoming: list[Any],
                row_col: str) -> list[ReportError]:
    """A visit, training or deployment whose id is already used by a record of another institution: two
    regions' ids collided; refused rather than one record silently replacing the other."""
    errors: list[ReportError] = []
    for inc in incoming:
        name = inc.table.name
        if name not in ACTIVITY:
            continue
        t = CENSUS[name]
        if conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.valid_to.is_(None))).scalar() == 0:
            continue
        col = OWNER[name][0]
        key = inc.table.key[0]
        df = frames[name].select(pl.col(key).cast(pl.String), pl.col(col).cast(pl.String).alias("_owner"),
                                 inc.frame[row_col].alias("_src_row"))
        ids = df[key].to_list()
        stored: dict[str, str] = {}
        for i in range(0, len(ids), 5000):
            q = sa.select(t.c[key], t.c[col]).where(t.c.valid_to.is_(None), t.c[key].in_(ids[i:i + 5000]))
            stored.update({str(k): str(v) for k, v in conn.execute(q)})
        if not stored:
            continue
        old = pl.DataFrame({key: list(stored), "_owner_old": list(stored.values())},
                           schema={key: pl.String, "_owner_old": pl.String})
        bad = df.join(old, on=key, how="inner").filter(pl.col("_owner") != pl.col("_owner_old"))
        errors += [ReportError("id-clash", "该记录编号已被另一机构的记录使用（两个地区的编号重复）；请在编号前加上机构代码",
                               "record id already used by another institution's record", name, inc.sheet, r,
                               inc.letters.get(key, ""), key, v)
                   for r, v in zip(bad["_src_row"].to_list(), bad[key].to_list(), strict=True)]
    return errors


# --- one import at a time; writers wait for each other instead of failing ------------------------

_MEMORY_LOCKS: dict[str, threading.Lock] = {}
BUSY_ZH = "另一个导入正在进行，请等它完成后再导入"


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///"):])
    return None


@contextlib.contextmanager
def import_lock(eng: sa.Engine, url: str) -> Iterator[None]:
    """Hold the registry's import lock, or fail at once with "另一个导入正在进行". Released when the process
    ends, however it ends (a file lock for SQLite, a session advisory lock for PostgreSQL)."""
    busy = WangdiError("import-in-progress", BUSY_ZH, "another import is in progress")
    path = _sqlite_path(url)
    if path is not None:
        fd = os.open(f"{path}.import-lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy from None
            yield
        finally:
            os.close(fd)  # closing releases the lock
        return
    if eng.dialect.name == "postgresql":
        with eng.connect() as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(729351)")).scalar():
                raise busy
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(729351)"))
                conn.commit()
        return
    lock = _MEMORY_LOCKS.setdefault(url, threading.Lock())
    if not lock.acquire(blocking=False):
        raise busy
    try:
        yield
    finally:
        lock.release()
