"""typed results: numeric observed/required bounds, deadline, unit, amount, unknown count, missing keys

Revision ID: 0012
Revises: 0004

Stored results of earlier runs are converted once: their display text ("85%", "≥90%（2025-12-31前）",
"已配 3/5", "是") becomes numbers, a share becomes a fraction with unit 'share', an entitlement's amount moves
from gap to amount. Nothing else ever reads result text.
"""
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0004'
branch_labels = None
depends_on = None

NEW = [sa.Column('group', sa.String(), nullable=True), sa.Column('observed', sa.Float(), nullable=True),
       sa.Column('observed_low', sa.Float(), nullable=True), sa.Column('observed_high', sa.Float(), nullable=True),
       sa.Column('required_min', sa.Float(), nullable=True), sa.Column('required_max', sa.Float(), nullable=True),
       sa.Column('deadline', sa.Date(), nullable=True), sa.Column('unit', sa.String(), nullable=True),
       sa.Column('amount', sa.Float(), nullable=True), sa.Column('unknown_n', sa.Integer(), nullable=True),
       sa.Column('missing', sa.JSON(), nullable=True)]


def _number(text: str) -> float | None:
    m = re.search(r"-?\d+(?:\.\d+)?", text)
    return float(m.group(0)) if m else None


def _convert(row: Any) -> dict[str, Any]:
    obs, req = str(row.observed_text or ""), str(row.required_text or "")
    share = obs.endswith("%") or "%" in req
    k = 0.01 if share else 1.0
    out: dict[str, Any] = {"unit": "share" if share else row.gap_unit, "gap": row.gap, "amount": None,
                           "observed": None, "required_min": None, "required_max": None, "deadline": None}
    if obs in ("是", "否"):
        out.update(observed=1.0 if obs == "是" else 0.0, required_min=1.0, unit="bool")
    elif obs:
        v = _number(obs)
        out["observed"] = v * k if v is not None else None
    lo, hi = re.search(r"≥(-?[\d.]+)", req), re.search(r"≤(-?[\d.]+)", req)
    out["required_min"] = float(lo.group(1)) * k if lo else out["required_min"]
    out["required_max"] = float(hi.group(1)) * k if hi else None
    if m := re.search(r"(\d+) 项全部配备", req):
        out.update(required_min=float(m.group(1)), unit="item")
    if d := re.search(r"(\d{4}-\d{2}-\d{2})", req):
        out["deadline"] = date.fromisoformat(d.group(1))
    if row.kind == "entitlement":
        out.update(amount=row.gap, gap=None, observed=None)
    return out


def upgrade() -> None:
    with op.batch_alter_table('result') as b:
        b.alter_column('observed', new_column_name='observed_text', existing_type=sa.String())
        b.alter_column('required', new_column_name='required_text', existing_type=sa.String())
    with op.batch_alter_table('result') as b:
        for col in NEW:
            b.add_column(col)
    conn = op.get_bind()
    t = sa.table('result', *(sa.column(c) for c in ('run_id', 'rule_id', 'entity_code', 'kind', 'observed_text',
                                                    'required_text', 'gap', 'gap_unit')),
                 *(sa.column(c.name) for c in NEW))
    rows = conn.execute(sa.select(t.c.run_id, t.c.rule_id, t.c.entity_code, t.c.kind, t.c.observed_text,
                                  t.c.required_text, t.c.gap, t.c.gap_unit)).all()
    for r in rows:
        conn.execute(t.update().where(t.c.run_id == r.run_id, t.c.rule_id == r.rule_id,
                                      t.c.entity_code == r.entity_code).values(**_convert(r)))
    with op.batch_alter_table('result') as b:
        for col in ('observed_text', 'required_text', 'gap_unit', 'message'):
            b.drop_column(col)


def downgrade() -> None:
    with op.batch_alter_table('result') as b:
        for col in NEW:
            b.drop_column(col.name)
        b.add_column(sa.Column('observed', sa.String(), nullable=True))
        b.add_column(sa.Column('required', sa.String(), nullable=True))
        b.add_column(sa.Column('gap_unit', sa.String(), nullable=True))
        b.add_column(sa.Column('message', sa.Text(), nullable=True))
