"""SQLAlchemy tables derived from schema.py, plus audit, division changes and evaluation runs.

Census tables are versioned (SCD type 2): a change closes the old row (valid_to) and adds a new
one (valid_from), so any evaluation can read the registry "as of" a date.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wangdi.registry.schema import TABLES, Field

metadata = sa.MetaData()

_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "str": sa.String, "code": sa.String, "division": sa.String, "ref": sa.String,
    "int": sa.BigInteger, "float": sa.Float, "bool": sa.Boolean, "date": sa.Date,
}


def _column(f: Field) -> sa.Column[object]:
    return sa.Column(f.name, _TYPES[f.kind](), nullable=True)


def _census_table(name: str, fields: tuple[Field, ...], key: tuple[str, ...]) -> sa.Table:
    t = sa.Table(
        name, metadata,
        sa.Column("row_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        *[_column(f) for f in fields],
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
    )
    sa.Index(f"ix_{name}_key", *[t.c[k] for k in key], t.c.valid_to)
    return t


CENSUS: dict[str, sa.Table] = {t.name: _census_table(t.name, t.fields, t.key) for t in TABLES}
sa.Index("ix_institution_division", CENSUS["institution"].c.division_code)
sa.Index("ix_staff_institution", CENSUS["staff"].c.institution_code)
sa.Index("ix_visit_institution", CENSUS["visit"].c.institution_code)

audit = sa.Table(
    "audit", metadata,
    sa.Column("audit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=False), nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),  # add / change / bulk_load / login / ...
    sa.Column("table_name", sa.String, nullable=False),
    sa.Column("entity_key", sa.String, nullable=False),
    sa.Column("old", sa.Text, nullable=True),  # JSON
    sa.Column("new", sa.Text, nullable=True),  # JSON
    sa.Column("batch", sa.String, nullable=True),  # one id per import / write
)
sa.Index("ix_audit_entity", audit.c.entity_key)

division_change = sa.Table(
    "division_change", metadata,
    sa.Column("code", sa.String, primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
)

run = sa.Table(
    "run", metadata,
    sa.Column("run_id", sa.String, primary_key=True),
    sa.Column("pack", sa.String, nullable=False),
    sa.Column("pack_hash", sa.String, nullable=False),
    sa.Column("region_code", sa.String, nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("data_version", sa.String, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("scenario", sa.String, nullable=True),
)

result = sa.Table(
    "result", metadata,
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("rule_id", sa.String, nullable=False),
    sa.Column("clause_ref", sa.String, nullable=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("entity_type", sa.String, nullable=False),
    sa.Column("entity_code", sa.String, nullable=False),
    sa.Column("region_code", sa.String, nullable=True),
    sa.Column("outcome", sa.String, nullable=False),  # a wangdi.policy.results.Outcome value
    sa.Column("group", sa.String, nullable=True),
    sa.Column("observed", sa.Float, nullable=True),  # typed numbers (policy/results.py); text is made on display
    sa.Column("observed_low", sa.Float, nullable=True),
    sa.Column("observed_high", sa.Float, nullable=True),
    sa.Column("required_min", sa.Float, nullable=True),
    sa.Column("required_max", sa.Float, nullable=True),
    sa.Column("deadline", sa.Date, nullable=True),
    sa.Column("gap", sa.Float, nullable=True),
    sa.Column("unit", sa.String, nullable=True),
    sa.Column("amount", sa.Float, nullable=True),
    sa.Column("unknown_n", sa.Integer, nullable=True),
    sa.Column("missing", sa.JSON, nullable=True),
)
sa.Index("ix_result_run", result.c.run_id, result.c.rule_id)
sa.Index("ix_result_entity", result.c.entity_code)

# --- web users, sessions and data approval ------------------------------------------------------

app_user = sa.Table(
    "app_user", metadata,
    sa.Column("username", sa.String, primary_key=True),
    sa.Column("password_hash", sa.String, nullable=False),  # argon2id
    sa.Column("role", sa.String, nullable=False),  # administrator / analyst / data_entry / approver / viewer
    sa.Column("scope_code", sa.String, nullable=False),  # division subtree ("" = the whole registry)
    sa.Column("display_name", sa.String, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

web_session = sa.Table(
    "web_session", metadata,
    sa.Column("token_hash", sa.String, primary_key=True),  # sha256 of the cookie value; the cookie is never stored
    sa.Column("username", sa.String, nullable=False),
    sa.Column("csrf", sa.String, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

approval = sa.Table(
    "approval", metadata,
    sa.Column("division_code", sa.String, primary_key=True),  # a township (9 digits)
    sa.Column("period", sa.String, primary_key=True),  # census year, e.g. "2025"
    sa.Column("status", sa.String, nullable=False),  # submitted / approved / returned (absent: open)
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("updated_by", sa.String, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
