"""Storage: connect, migrate, write (versioned, audited, all-or-nothing) and read as of a date."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from wangdi import settings
from wangdi.errors import WangdiError
from wangdi.registry.schema import TABLE_MAP, Table
from wangdi.registry.tables import CENSUS, audit

MIGRATIONS = Path(__file__).parent / "migrations"
_ENGINES: dict[str, sa.Engine] = {}
_MIGRATED: set[str] = set()  # URLs migrated by this process's current engine
BULK_THRESHOLD = 50_000  # first load of a table larger than this is audited as one bulk record


def engine(url: str | None = None) -> sa.Engine:
    """The engine for `url` (default: settings), created once; SQLite files get WAL and their folder."""
    url = url or settings.database_url()
    if url not in _ENGINES:
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        eng = sa.create_engine(url)
        if eng.dialect.name == "sqlite":
            @sa.event.listens_for(eng, "connect")
            def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # transactions are begun below, so writers can BEGIN IMMEDIATE
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute(f"PRAGMA busy_timeout={int(settings.busy_timeout_s() * 1000)}")
                cur.close()

            @sa.event.listens_for(eng, "begin")
            def _begin(conn: sa.Connection) -> None:
                # a writer takes the write lock first (waiting up to busy_timeout for another writer) rather
                # than upgrading a read snapshot later, which SQLite refuses at once when another write won
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("wangdi_write")
                                     else "BEGIN")
        _ENGINES[url] = eng
        _MIGRATED.discard(url)  # a new engine (e.g. a recreated database) is checked again
    return _ENGINES[url]


def init_db(url: str | None = None) -> sa.Engine:
    """Create or migrate the database to the newest schema (idempotent; checked once per engine)."""
    url = url or settings.database_url()
    eng = engine(url)
    if url in _MIGRATED:
        return eng
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except sa.exc.OperationalError as exc:
        raise WangdiError("database-unavailable", f"无法连接或创建数据库：{exc.orig}",
                          "cannot open the database; check WANGDI_DATABASE_URL") from exc
    _MIGRATED.add(url)
    return eng


def current_clause(t: sa.Table, as_of: date | None) -> sa.ColumnElement[bool]:
    """Rows in force on `as_of` (None: the current rows)."""
    if as_of is None:
        return t.c.valid_to.is_(None)
    return sa.and_(t.c.valid_from <= as_of, sa.or_(t.c.valid_to.is_(None), t.c.valid_to > as_of))


def _region_clause(table: Table, t: sa.Table, region: str | None, as_of: date | None) -> Any:
    if not region:
        return sa.true()
    inst = CENSUS["institution"]
    in_region = sa.select(inst.c.code).where(inst.c.division_code.startswith(region),
                                             current_clause(inst, as_of))
    if "division_code" in table.field_map:
        return t.c.division_code.startswith(region)
    if table.name == "deployment":
        return t.c.to_code.in_(in_region)
    if table.name == "visit":  # visits at the region's institutions, and its residents' visits wherever seen
        return sa.or_(t.c.institution_code.in_(in_region), t.c.residence_code.startswith(region))
    if table.name == "training":
        staff = CENSUS["staff"]
        return t.c.staff_code.in_(sa.select(staff.c.staff_code).where(
            staff.c.institution_code.in_(in_region), current_clause(staff, as_of)))
    return t.c.institution_code.in_(in_region)


def polars_schema(table: Table) -> dict[str, pl.DataType]:
    kinds: dict[str, pl.DataType] = {"int": pl.Int64(), "float": pl.Float64(), "bool": pl.Boolean(),
                                     "date": pl.Date()}
    return {f.name: kinds.get(f.kind, pl.String()) for f in table.fields}


def snapshot(conn: sa.Connection, table: str, as_of: date | None = None, region: str | None = None,
             with_meta: bool = False) -> pl.DataFrame:
    """One table as of a date (None: current), optionally limited to a region's code prefix."""
    spec = TABLE_MAP[table]
    t = CENSUS[table]
    cols = [t.c[c] for c in spec.columns] + ([t.c.row_id, t.c.valid_from] if with_meta else [])
    q = sa.select(*cols).where(current_clause(t, as_of), _region_clause(spec, t, region, as_of))
    q = q.order_by(*[t.c[k] for k in spec.key])
    schema: dict[str, pl.DataType] = polars_schema(spec)
    if with_meta:
        schema.update({"row_id": pl.Int64(), "valid_from": pl.Date()})
    rows = conn.execute(q).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


@dataclass
class WriteCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass
class WriteSummary:
    batch: str
    counts: dict[str, WriteCounts] = field(default_factory=dict)


def _jsonable(row: dict[str, Any]) -> str:
    return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()},
                      ensure_ascii=False, sort_keys=True)


def _key_text(spec: Table, row: dict[str, Any]) -> str:
    return "/".join(str(row[k]) for k in spec.key)


def _diff(spec: Table, incoming: pl.DataFrame, current: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split incoming rows into added and changed (with the old row id), column-wise."""
    value_cols = [c for c in spec.columns if c not in spec.key]
    old = current.rename({c: f"{c}__old" for c in value_cols})
    joined = incoming.join(old, on=list(spec.key), how="left", nulls_equal=True)
    is_new = pl.col("row_id").is_null()
    differs = pl.any_horizontal([~pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in value_cols]) \
        if value_cols else pl.lit(False)
    added = joined.filter(is_new)
    changed = joined.filter(~is_new & differs)
    return added, changed


def write_tables(conn: sa.Connection, frames: dict[str, pl.DataFrame], effective: date, actor: str,
                 source: str = "", progress: Any = None) -> WriteSummary:
    """Upsert validated frames by key inside the caller's transaction; every change is audited."""
    summary = WriteSummary(batch=uuid.uuid4().hex[:12])
    now = datetime.now().replace(microsecond=0)
    for name, df in frames.items():
        spec, t = TABLE_MAP[name], CENSUS[name]
        current = snapshot(conn, name, with_meta=True).drop("valid_from")
        added, changed = _diff(spec, df, current)
        counts = WriteCounts(added.height, changed.height, df.height - added.height - changed.height)
        summary.counts[name] = counts
        if changed.height:
            conn.execute(t.update().where(t.c.row_id == sa.bindparam("rid")).values(valid_to=effective),
                         [{"rid": r} for r in changed["row_id"].to_list()])
        new_rows = pl.concat([added, changed]).select(spec.columns)
        for chunk in new_rows.iter_slices(20_000):
            conn.execute(t.insert(), [dict(r, valid_from=effective, valid_to=None) for r in chunk.to_dicts()])
            if progress is not None:
                progress(name, chunk.height)
        audit_rows: list[dict[str, Any]] = []
        if current.height == 0 and added.height > BULK_THRESHOLD:
            audit_rows.append({"at": now, "actor": actor, "action": "bulk_load", "table_name": name,
                               "entity_key": "*", "old": None,
                               "new": json.dumps({"rows": added.height, "source": source}, ensure_ascii=False),
                               "batch": summary.batch})
        else:
            for r in added.select(spec.columns).to_dicts():
                audit_rows.append({"at": now, "actor": actor, "action": "add", "table_name": name,
                                   "entity_key": _key_text(spec, r), "old": None, "new": _jsonable(r),
                                   "batch": summary.batch})
            value_cols = [c for c in spec.columns if c not in spec.key]
            for r in changed.to_dicts():
                old = {c: r[f"{c}__old"] for c in value_cols if r[c] != r[f"{c}__old"]}
                new = {c: r[c] for c in old}
                audit_rows.append({"at": now, "actor": actor, "action": "change", "table_name": name,
                                   "entity_key": _key_text(spec, r), "old": _jsonable(old),
                                   "new": _jsonable(new), "batch": summary.batch})
        for i in range(0, len(audit_rows), 20_000):
            conn.execute(audit.insert(), audit_rows[i:i + 20_000])
    return summary


@contextmanager
def transaction(url: str | None = None) -> Iterator[sa.Connection]:
    with write_transaction(init_db(url)) as conn:
        yield conn


BUSY_ZH = "数据库正忙（另一个导入或修改正在写入），请稍后重试；未写入任何数据"


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sa.exc.OperationalError) and "locked" in str(exc.orig).lower()


@contextmanager
def write_transaction(eng: sa.Engine) -> Iterator[sa.Connection]:
    """A writing transaction: on SQLite it takes the write lock at BEGIN, waiting (busy timeout) while another
    writer — an import — holds it; if the wait runs out the caller gets "database-busy", never a crash."""
    try:
        with eng.connect().execution_options(wangdi_write=True) as conn, conn.begin():
            yield conn
    except sa.exc.OperationalError as exc:
        if _is_busy(exc):
            raise WangdiError("database-busy", BUSY_ZH, "the database is busy; try again") from exc
        raise


def data_version(conn: sa.Connection) -> str:
    """Identifies the registry's state: every write is audited, so the newest audit id does."""
    last = conn.execute(sa.select(sa.func.max(audit.c.audit_id))).scalar()
    return f"audit:{last or 0}"


def latest_valid_from(conn: sa.Connection) -> date | None:
    """The newest effective date among current institution rows (the census date of the data)."""
    t = CENSUS["institution"]
    value = conn.execute(sa.select(sa.func.max(t.c.valid_from)).where(t.c.valid_to.is_(None))).scalar()
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def read_audit(conn: sa.Connection, entity: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    q = sa.select(audit).order_by(audit.c.audit_id.desc()).limit(limit)
    if entity:
        q = q.where(audit.c.entity_key.startswith(entity))
    return [dict(r._mapping) for r in conn.execute(q)]
