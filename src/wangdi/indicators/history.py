"""Entities over several years of registry data, for provisions a single reporting year cannot check.

`contract_change`: per county and population group, family-doctor contract coverage in the reporting year
and the year before, and the rise in percentage points (002 二（三）3, 004 三（三）11 「每年提升1—3个百分点」).
`further_study`: per village doctor in post, the longest off-the-job study (one training record) that started
in the five years up to the as-of date (001 四（三）25 「每3-5年…脱产进修…不少于1个月」).
"""

from __future__ import annotations

from datetime import date

import duckdb

DERIVED: dict[str, dict[str, str]] = {
    "contract_change": {
        "group": "all (全人群) / key (重点人群)", "year": "the reporting year (latest contract year)",
        "coverage": "contracted / eligible in the reporting year", "coverage_prev": "the same in the year before",
        "rise_points": "coverage − coverage_prev in percentage points (NULL when either year is missing)"},
    "further_study": {
        "institution_type": "", "qualification": "", "years_in_post": "full years since start_date",
        "longest_study_days_5y": "days of the longest training started in the 5 years up to the as-of date (0: none)",
        "studies_5y": "trainings started in those 5 years"},
}

# the fields of each entity with their types (what expressions may read; see create_views)
FIELD_TYPES: dict[str, dict[str, str]] = {
    "contract_change": {"entity_code": "VARCHAR", "region_code": "VARCHAR", "group": "VARCHAR", "year": "BIGINT",
                        "coverage": "DOUBLE", "coverage_prev": "DOUBLE", "rise_points": "DOUBLE"},
    "further_study": {"entity_code": "VARCHAR", "region_code": "VARCHAR", "institution_type": "VARCHAR",
                      "qualification": "VARCHAR", "years_in_post": "BIGINT", "longest_study_days_5y": "BIGINT",
                      "studies_5y": "BIGINT"},
}


def create_views(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    d = f"DATE '{as_of.isoformat()}'"
    start = as_of.replace(year=as_of.year - 5, day=28 if (as_of.month, as_of.day) == (2, 29) else as_of.day)
    five = f"DATE '{start.isoformat()}'"
    con.execute(f"""
      CREATE OR REPLACE TEMP VIEW v_ent_contract_change AS
      WITH cov AS (SELECT substr(i.division_code, 1, 6) county, c."group" grp, c.year,
                   sum(c.contracted) contracted, sum(c.eligible) eligible
                   FROM contract c JOIN institution i ON i.code = c.institution_code GROUP BY 1, 2, 3),
      ry AS (SELECT max(year) y FROM contract WHERE year <= {as_of.year})
      SELECT now.county || '/' || now.grp entity_code, now.county region_code, now.grp "group", now.year,
        now.contracted / nullif(now.eligible, 0) coverage, prev.contracted / nullif(prev.eligible, 0) coverage_prev,
        100 * (now.contracted / nullif(now.eligible, 0) - prev.contracted / nullif(prev.eligible, 0)) rise_points
      FROM cov now JOIN ry ON now.year = ry.y
      LEFT JOIN cov prev ON prev.county = now.county AND prev.grp = now.grp AND prev.year = now.year - 1;
      CREATE OR REPLACE TEMP VIEW v_ent_further_study AS
      WITH tr AS (SELECT staff_code, count(*) n,
                  max(date_diff('day', start_date, coalesce(end_date, start_date)) + 1) longest
                  FROM training WHERE start_date > {five} AND start_date <= {d} GROUP BY 1)
      SELECT s.staff_code entity_code, i.division_code region_code, i.type_code institution_type, s.qualification,
        date_diff('year', s.start_date, {d})
          - CAST(month(s.start_date) * 100 + day(s.start_date) > {as_of.month * 100 + as_of.day} AS INT) years_in_post,
        coalesce(tr.longest, 0) longest_study_days_5y, coalesce(tr.n, 0) studies_5y
      FROM staff s JOIN institution i ON i.code = s.institution_code LEFT JOIN tr ON tr.staff_code = s.staff_code
      WHERE (s.end_date IS NULL OR s.end_date > {d}) AND (s.start_date IS NULL OR s.start_date <= {d})""")
