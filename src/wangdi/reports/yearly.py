"""Year-on-year change of region-level targets, from the evaluations stored for each census year."""

from __future__ import annotations

import polars as pl

YEARLY_HEAD = ["目标", "年度", "截至", "现状", "比上年"]


def year_on_year(history: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """Per target, the value of the last evaluation of each year and its change since the year before.

    `history` has one row per stored run and target (rule_id, as_of, started_at, value as a share 0–1).
    """
    if history.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in YEARLY_HEAD})
    h = history.filter(pl.col("value").is_not_null()).with_columns(
        as_of=pl.col("as_of").cast(pl.String), year=pl.col("as_of").cast(pl.String).str.slice(0, 4).cast(pl.Int64))
    last = h.sort("as_of", "started_at").group_by("rule_id", "year", maintain_order=True).last().sort("rule_id", "year")
    last = last.with_columns(change=pl.col("value") - pl.col("value").shift(1).over("rule_id"))
    return last.select(
        目标=pl.col("rule_id").replace_strict(labels, default=pl.col("rule_id")),
        年度=pl.col("year").cast(pl.String) + "年", 截至=pl.col("as_of"),
        现状=(pl.col("value") * 100).round(1).cast(pl.String) + "%",
        比上年=pl.when(pl.col("change").is_null()).then(pl.lit("—"))
        .otherwise(pl.format("{}{} 个百分点", pl.when(pl.col("change") >= 0).then(pl.lit("+")).otherwise(pl.lit("")),
                             (pl.col("change") * 100).round(1))))
