"""Entities the rules run over, built as DuckDB tables from a registry snapshot, with documented fields.

Every entity has `entity_code` and `region_code` (the division it sits in; targets group by its
prefix). Activity entities (deployment, visit, contract, training counts) are measured over the
reporting year: the latest calendar year with records on or before the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from wangdi.registry.schema import TABLE_MAP

PHYSICIAN = "('licensed_physician', 'assistant_physician')"

DERIVED: dict[str, dict[str, str]] = {
    "institution": {
        "township_code": "9-digit township of the institution's division",
        "county_code": "6-digit county",
        "division_level": "level of the institution's division: 2 prefecture, 3 county, 4 township, 5 village",
        "staff_total": "staff in post on the as-of date",
        "health_tech_staff": "卫生技术人员 in post",
        "physicians": "执业医师 + 执业助理医师",
        "licensed_physicians": "执业医师",
        "registered_gps": "注册全科医师",
        "tcm_physicians": "中医类别 (incl. 蒙医) physicians",
        "public_health_physicians": "公共卫生类别 physicians",
        "nurses": "注册护士",
        "village_doctors": "乡村医生 (certified village doctors)",
        "licensed_or_village_doctors": "执业(助理)医师 + 乡村医生",
        "village_doctors_60_plus": "village doctors aged 60 or more on the as-of date",
        "attending_or_above": "physicians with an intermediate title or above",
        "fulltime_bachelor_gps": "registered GPs with a full-time bachelor's degree or higher",
        "senior_clinical_physicians": "clinical physicians with an associate-senior or senior title",
        "senior_title_staff": "health technical staff with an associate-senior or senior title",
        "national_key_specialties": "", "provincial_key_specialties": "", "city_level_key_specialties": "",
        "county_level_key_specialties": "key clinical specialties at exactly that level",
        "equipment_items": "list of equipment items with at least one functioning unit",
        "services": "list of services/departments offered",
        "key_specialties": "number of key clinical specialties (any level)",
        "city_key_specialties": "key specialties at city level or above",
        "resident_population": "resident population of the institution's division (village/township/county)",
        "rural_population": "agricultural population of the institution's division",
        "farming_herding_population": "farming-and-herding population of the division",
        "deployed_in": "people deployed into this institution in the reporting year",
        "hospital_assistance_in": "people sent from a hospital (A100/A210/G100) with an intermediate title into this "
                                  "institution for at least one year, in post during the reporting year (对口帮扶)",
        "hospital_assistance_unknown": "deployments from a hospital that might count as hospital_assistance_in but "
                                       "whose title or end date is blank",
        "six_haves": "number of the six haves present (0–6)",
        "county_pure_pastoral": "the institution's county is a purely pastoral banner (002)",
    },
    "staff": {
        "age": "full years on the as-of date", "institution_type": "WS 218 type of the institution",
        "township_code": "", "county_code": "", "remote_area": "institution in a remote area",
        "served_population": "resident population of the institution's division",
        "in_integrated_clinic": "works at a clinic under township–village integrated management",
        "training_count": "trainings in the reporting year", "training_hours": "training hours in the reporting year",
        "training_days": "training days in the reporting year",
        "years_in_post": "full years since start_date", "is_physician": "执业(助理)医师",
    },
    "village": {"name": "", "kind": "residents_committee / village_committee", "resident": "", "agricultural": "",
                "farming_herding": "", "clinics": "village clinics (D600) in the village",
                "stations": "community health stations (B200) in the village"},
    "township": {"name": "", "kind": "street / town / township / other", "resident": "", "agricultural": "",
                 "farming_herding": "", "thc": "township health centres (C210/C220)", "central_thc": "C210",
                 "chc": "community health centres", "villages": "village-level units",
                 "village_committees": "", "clinics": "", "village_doctors": "", "licensed_or_village_doctors": ""},
    "county": {"name": "", "resident": "", "agricultural": "", "farming_herding": "",
               "pure_pastoral": "purely pastoral banner (002)", "thc": "", "central_thc": "",
               "sub_centres": "county sub-centres", "chc": "", "clinics": "", "village_doctors": "",
               "key_specialties": "", "city_key_specialties": "",
               "tcm_hospitals": "public TCM hospitals (A210)", "mch_institutions": "MCH institutions (G100/G200/G300)",
               "mch_secondary": "MCH institutions at secondary level (capacity_level = secondary)",
               "services": "services offered by any institution in the county",
               "community_hospital_thcs": "THCs that are community hospitals"},
    "deployment": {"days": "days deployed (to the as-of date if still running)", "from_type": "", "to_type": "",
                   "from_level": "county / township / village (where the sender sits)",
                   "to_level": "", "in_reporting_year": "started in the reporting year"},
    "visit": {"institution_type": "", "is_primary": "at a primary-level institution (CHC, station, THC, clinic)",
              "within_county": "patient resides in the institution's county", "in_reporting_year": ""},
    "contract": {"in_reporting_year": "contract year is the reporting year", "institution_type": ""},
}


def fields_of(entity: str) -> list[str]:
    base: list[str] = []
    if entity in TABLE_MAP:
        base = TABLE_MAP[entity].columns
    return sorted(set(base) | set(DERIVED[entity]) | {"entity_code", "region_code"})


ENTITIES = tuple(DERIVED)


@dataclass
class Dataset:
    """A registry snapshot: census tables as of a date, plus the divisions of the region."""

    tables: dict[str, pl.DataFrame]
    divisions: pl.DataFrame
    as_of: date
    region: str
    data_version: str = ""


def _latest_population(as_of: date) -> str:
    return f"""
      CREATE OR REPLACE TEMP TABLE pop_latest AS
      SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (PARTITION BY division_code ORDER BY year DESC) rn
        FROM population WHERE year <= {as_of.year}) WHERE rn = 1;
      CREATE OR REPLACE TEMP TABLE pop_division AS
      WITH v AS (SELECT * FROM pop_latest WHERE length(division_code) = 12),
      t AS (SELECT substr(division_code, 1, 9) code, sum(resident) resident, sum(agricultural) agricultural,
              sum(farming_herding) farming_herding FROM v GROUP BY 1
            UNION ALL  -- a township entered as a whole is used where it has no village rows
            SELECT division_code, resident, agricultural, farming_herding FROM pop_latest p
            WHERE length(division_code) = 9 AND NOT EXISTS (
              SELECT 1 FROM v WHERE substr(v.division_code, 1, 9) = p.division_code))
      SELECT division_code code, resident, agricultural, farming_herding FROM v
      UNION ALL SELECT * FROM t
      UNION ALL SELECT substr(code, 1, 6), sum(resident), sum(agricultural), sum(farming_herding)
        FROM t GROUP BY 1;
    """


def build(con: duckdb.DuckDBPyConnection, data: Dataset) -> None:
    """Register the snapshot and create one table per entity (ent_<name>)."""
    for name, df in data.tables.items():
        con.register(f"src_{name}", df)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM src_{name}")
        con.unregister(f"src_{name}")
    register_divisions(con, data.divisions)
    derive(con, data.as_of)


def register_divisions(con: duckdb.DuckDBPyConnection, divs: pl.DataFrame) -> None:
    con.register("src_divisions", divs.select("code", "name", "level", "kind"))
    con.execute("CREATE OR REPLACE TEMP TABLE divisions AS SELECT * FROM src_divisions")
    con.unregister("src_divisions")


def materialise(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Make ent_<entity> a table (once) from its view, so rules scan it instead of re-deriving it."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [f"ent_{entity}"]).fetchall()
    if exists[0][0] == 0:
        con.execute(f"DROP VIEW IF EXISTS ent_{entity}")
        con.execute(f"CREATE TEMP TABLE ent_{entity} AS SELECT * FROM v_ent_{entity}")


def use_view(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Make ent_<entity> a view over v_ent_<entity> unless a table of that name already exists."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [f"ent_{entity}"]).fetchall()
    if exists[0][0] == 0:
        con.execute(f"CREATE OR REPLACE TEMP VIEW ent_{entity} AS SELECT * FROM v_ent_{entity}")


def derive(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Create ent_institution and the views v_ent_* from base tables already in `con`."""
    d = f"DATE '{as_of.isoformat()}'"
    con.execute(_latest_population(as_of))
    con.execute(f"""
      CREATE OR REPLACE TEMP TABLE reporting AS SELECT
        (SELECT max(year(visit_date)) FROM visit WHERE visit_date <= {d}) visit_year,
        (SELECT max(year(start_date)) FROM deployment WHERE start_date <= {d}) deployment_year,
        (SELECT max(year) FROM contract WHERE year <= {as_of.year}) contract_year,
        (SELECT max(year(start_date)) FROM training WHERE start_date <= {d}) training_year;
      CREATE OR REPLACE TEMP VIEW staff_now AS SELECT s.*,
        date_diff('year', s.birth_date, {d})
          - CAST(month(s.birth_date) * 100 + day(s.birth_date) > {as_of.month * 100 + as_of.day} AS INT) age,
        s.qualification IN {PHYSICIAN} is_physician
      FROM staff s WHERE (s.end_date IS NULL OR s.end_date > {d}) AND (s.start_date IS NULL OR s.start_date <= {d});
      CREATE OR REPLACE TEMP TABLE ent_institution AS
      WITH st AS (SELECT institution_code,
          count(*) staff_total,
          count(*) FILTER (category = 'health_tech') health_tech_staff,
          count(*) FILTER (is_physician) physicians,
          count(*) FILTER (qualification = 'licensed_physician') licensed_physicians,
          count(*) FILTER (registered_gp) registered_gps,
          count(*) FILTER (is_physician AND practice_category IN ('tcm', 'mongolian')) tcm_physicians,
          count(*) FILTER (is_physician AND practice_category = 'public_health') public_health_physicians,
          count(*) FILTER (qualification = 'nurse') nurses,
          count(*) FILTER (qualification = 'village_doctor') village_doctors,
          count(*) FILTER (is_physician OR qualification = 'village_doctor') licensed_or_village_doctors,
          count(*) FILTER (qualification = 'village_doctor' AND age >= 60) village_doctors_60_plus,
          count(*) FILTER (is_physician AND title IN ('intermediate', 'associate_senior', 'senior')) attending_or_above,
          count(*) FILTER (registered_gp AND full_time_degree AND education IN ('bachelor', 'postgraduate'))
            fulltime_bachelor_gps,
          count(*) FILTER (is_physician AND practice_category = 'clinical' AND title IN ('associate_senior', 'senior'))
            senior_clinical_physicians,
          count(*) FILTER (category = 'health_tech' AND title IN ('associate_senior', 'senior')) senior_title_staff
        FROM staff_now GROUP BY 1),
      eq AS (SELECT institution_code, list(DISTINCT item ORDER BY item) FILTER (functioning > 0) items
             FROM equipment GROUP BY 1),
      sv AS (SELECT institution_code, list(DISTINCT service ORDER BY service) services,
             count(*) FILTER (service = 'key_specialty') key_specialties,
             count(*) FILTER (service = 'key_specialty' AND level IN ('city', 'province', 'national')) city_key,
             count(*) FILTER (service = 'key_specialty' AND level = 'national') ks_national,
             count(*) FILTER (service = 'key_specialty' AND level = 'province') ks_province,
             count(*) FILTER (service = 'key_specialty' AND level = 'city') ks_city,
             count(*) FILTER (service = 'key_specialty' AND level = 'county') ks_county
             FROM service GROUP BY 1),
      dp AS (SELECT to_code, count(*) FILTER (year(start_date) = deployment_year) n,
             count(*) FILTER (pa) pa, count(*) FILTER (pa IS NULL) pa_unknown
             FROM (SELECT d.*, r.deployment_year, f.type_code IN ('A100', 'A210', 'G100') AND d.title = 'intermediate'
                   AND CASE WHEN d.end_date IS NULL AND {d} < d.start_date + INTERVAL 1 YEAR - INTERVAL 1 DAY THEN NULL
                       ELSE coalesce(d.end_date, {d}) >= d.start_date + INTERVAL 1 YEAR - INTERVAL 1 DAY END
                   AND year(d.start_date) <= r.deployment_year
                   AND year(coalesce(d.end_date, {d})) >= r.deployment_year AND d.start_date <= {d} pa
                   FROM deployment d CROSS JOIN reporting r LEFT JOIN institution f ON f.code = d.from_code)
             GROUP BY 1)
      SELECT i.*, i.code entity_code, i.division_code region_code,
        substr(i.division_code, 1, 9) township_code, substr(i.division_code, 1, 6) county_code,
        CASE length(i.division_code) WHEN 4 THEN 2 WHEN 6 THEN 3 WHEN 9 THEN 4 WHEN 12 THEN 5 END division_level,
        coalesce(st.staff_total, 0) staff_total, coalesce(st.health_tech_staff, 0) health_tech_staff,
        coalesce(st.physicians, 0) physicians, coalesce(st.licensed_physicians, 0) licensed_physicians,
        coalesce(st.registered_gps, 0) registered_gps, coalesce(st.tcm_physicians, 0) tcm_physicians,
        coalesce(st.public_health_physicians, 0) public_health_physicians, coalesce(st.nurses, 0) nurses,
        coalesce(st.village_doctors, 0) village_doctors,
        coalesce(st.licensed_or_village_doctors, 0) licensed_or_village_doctors,
        coalesce(st.village_doctors_60_plus, 0) village_doctors_60_plus,
        coalesce(st.attending_or_above, 0) attending_or_above,
        coalesce(st.fulltime_bachelor_gps, 0) fulltime_bachelor_gps,
        coalesce(st.senior_clinical_physicians, 0) senior_clinical_physicians,
        coalesce(st.senior_title_staff, 0) senior_title_staff,
        coalesce(sv.ks_national, 0) national_key_specialties, coalesce(sv.ks_province, 0) provincial_key_specialties,
        coalesce(sv.ks_city, 0) city_level_key_specialties, coalesce(sv.ks_county, 0) county_level_key_specialties,
        coalesce(eq.items, []) equipment_items, coalesce(sv.services, []) services,
        coalesce(sv.key_specialties, 0) key_specialties, coalesce(sv.city_key, 0) city_key_specialties,
        p.resident resident_population, p.agricultural rural_population,
        p.farming_herding farming_herding_population, coalesce(dp.n, 0) deployed_in,
        coalesce(dp.pa, 0) hospital_assistance_in, coalesce(dp.pa_unknown, 0) hospital_assistance_unknown,
        cp.pure_pastoral county_pure_pastoral,
        CAST(i.has_exam_bed AS INT) + CAST(i.has_smart_followup AS INT) + CAST(i.has_rehab_equipment AS INT)
          + CAST(i.has_exam_equipment AS INT) + CAST(i.has_toilet_and_ac AS INT)
          + CAST(i.has_health_education AS INT) six_haves
      FROM institution i LEFT JOIN st ON st.institution_code = i.code LEFT JOIN eq ON eq.institution_code = i.code
      LEFT JOIN sv ON sv.institution_code = i.code LEFT JOIN pop_division p ON p.code = i.division_code
      LEFT JOIN dp ON dp.to_code = i.code
      LEFT JOIN (SELECT division_code, pure_pastoral FROM pop_latest WHERE length(division_code) = 6) cp
        ON cp.division_code = substr(i.division_code, 1, 6);
      CREATE OR REPLACE TEMP VIEW v_ent_staff AS
      WITH tr AS (SELECT staff_code, count(*) n, sum(hours) AS total_hours,
                  sum(date_diff('day', start_date, coalesce(end_date, start_date)) + 1) AS days
                  FROM training, reporting WHERE year(start_date) = training_year GROUP BY 1)
      SELECT s.*, s.staff_code entity_code, i.division_code region_code, i.type_code institution_type,
        i.township_code, i.county_code, i.remote_area, i.resident_population served_population,
        (i.type_code = 'D600' AND coalesce(i.integrated, false)) in_integrated_clinic,
        coalesce(tr.n, 0) training_count, coalesce(tr.total_hours, 0) training_hours, coalesce(tr.days, 0) training_days,
        date_diff('year', s.start_date, {d})
          - CAST(month(s.start_date) * 100 + day(s.start_date) > {as_of.month * 100 + as_of.day} AS INT) years_in_post
      FROM staff_now s JOIN ent_institution i ON i.code = s.institution_code
      LEFT JOIN tr ON tr.staff_code = s.staff_code;
      CREATE OR REPLACE TEMP VIEW v_ent_village AS
      SELECT v.code entity_code, v.code region_code, v.code, v.name, v.kind,
        p.resident, p.agricultural, p.farming_herding,
        (SELECT count(*) FROM institution i WHERE i.division_code = v.code AND i.type_code = 'D600') clinics,
        (SELECT count(*) FROM institution i WHERE i.division_code = v.code AND i.type_code = 'B200') stations
      FROM divisions v LEFT JOIN pop_division p ON p.code = v.code WHERE v.level = 5;
      CREATE OR REPLACE TEMP VIEW v_ent_township AS
      WITH agg AS (SELECT township_code, count(*) FILTER (type_code IN ('C210', 'C220')) thc,
          count(*) FILTER (type_code = 'C210') central_thc, count(*) FILTER (type_code = 'B100') chc,
          count(*) FILTER (type_code = 'D600') clinics, sum(village_doctors) village_doctors,
          sum(licensed_or_village_doctors) FILTER (type_code = 'D600') licensed_or_village_doctors
          FROM ent_institution GROUP BY 1),
      vil AS (SELECT substr(code, 1, 9) t, count(*) villages,
              count(*) FILTER (kind = 'village_committee') village_committees FROM divisions WHERE level = 5 GROUP BY 1)
      SELECT t.code entity_code, t.code region_code, t.code, t.name, t.kind, p.resident, p.agricultural,
        p.farming_herding, coalesce(agg.thc, 0) thc, coalesce(agg.central_thc, 0) central_thc,
        coalesce(agg.chc, 0) chc, coalesce(vil.villages, 0) villages,
        coalesce(vil.village_committees, 0) village_committees, coalesce(agg.clinics, 0) clinics,
        coalesce(agg.village_doctors, 0) village_doctors,
        coalesce(agg.licensed_or_village_doctors, 0) licensed_or_village_doctors
      FROM divisions t LEFT JOIN pop_division p ON p.code = t.code LEFT JOIN agg ON agg.township_code = t.code
      LEFT JOIN vil ON vil.t = t.code WHERE t.level = 4;
      CREATE OR REPLACE TEMP VIEW v_ent_county AS
      WITH agg AS (SELECT county_code, count(*) FILTER (type_code IN ('C210', 'C220')) thc,
          count(*) FILTER (type_code = 'C210') central_thc, count(*) FILTER (is_sub_centre) sub_centres,
          count(*) FILTER (type_code = 'B100') chc, count(*) FILTER (type_code = 'D600') clinics,
          sum(village_doctors) village_doctors, sum(key_specialties) key_specialties,
          sum(city_key_specialties) city_key_specialties, count(*) FILTER (type_code = 'A210') tcm_hospitals,
          count(*) FILTER (type_code IN ('G100', 'G200', 'G300')) mch_institutions,
          count(*) FILTER (type_code IN ('G100', 'G200', 'G300') AND capacity_level = 'secondary') mch_secondary,
          count(*) FILTER (type_code IN ('C210', 'C220') AND (is_community_hospital OR capacity_level = 'community_hospital'))
            community_hospital_thcs,
          list_distinct(flatten(list(services))) services
          FROM ent_institution GROUP BY 1),
      pp AS (SELECT division_code, pure_pastoral FROM pop_latest WHERE length(division_code) = 6)
      SELECT c.code entity_code, c.code region_code, c.code, c.name, p.resident, p.agricultural, p.farming_herding,
        pp.pure_pastoral, coalesce(agg.thc, 0) thc, coalesce(agg.central_thc, 0) central_thc,
        coalesce(agg.sub_centres, 0) sub_centres, coalesce(agg.chc, 0) chc, coalesce(agg.clinics, 0) clinics,
        coalesce(agg.village_doctors, 0) village_doctors, coalesce(agg.key_specialties, 0) key_specialties,
        coalesce(agg.city_key_specialties, 0) city_key_specialties, coalesce(agg.tcm_hospitals, 0) tcm_hospitals,
        coalesce(agg.mch_institutions, 0) mch_institutions, coalesce(agg.mch_secondary, 0) mch_secondary,
        coalesce(agg.community_hospital_thcs, 0) community_hospital_thcs, coalesce(agg.services, []) services
      FROM divisions c LEFT JOIN pop_division p ON p.code = c.code LEFT JOIN agg ON agg.county_code = c.code
      LEFT JOIN pp ON pp.division_code = c.code WHERE c.level = 3;
      CREATE OR REPLACE TEMP VIEW v_ent_deployment AS
      SELECT d.*, d.deployment_id entity_code, t.division_code region_code,
        date_diff('day', d.start_date, coalesce(d.end_date, {d})) + 1 AS days, f.type_code from_type,
        t.type_code to_type,
        CASE length(f.division_code) WHEN 6 THEN 'county' WHEN 9 THEN 'township' ELSE 'village' END from_level,
        CASE length(t.division_code) WHEN 6 THEN 'county' WHEN 9 THEN 'township' ELSE 'village' END to_level,
        year(d.start_date) = r.deployment_year in_reporting_year
      FROM deployment d CROSS JOIN reporting r LEFT JOIN institution f ON f.code = d.from_code
      JOIN institution t ON t.code = d.to_code WHERE d.start_date <= {d};
      CREATE OR REPLACE TEMP VIEW v_ent_visit AS
      SELECT v.*, v.visit_id entity_code, i.division_code region_code, i.type_code institution_type,
        i.type_code IN ('B100', 'B200', 'C210', 'C220', 'D600') is_primary,
        substr(v.residence_code, 1, 6) = substr(i.division_code, 1, 6) within_county,
        year(v.visit_date) = r.visit_year in_reporting_year
      FROM visit v CROSS JOIN reporting r JOIN institution i ON i.code = v.institution_code
      WHERE v.visit_date <= {d};
      CREATE OR REPLACE TEMP VIEW v_ent_contract AS
      SELECT c.*, c.institution_code || '/' || c.year || '/' || c."group" entity_code,
        i.division_code region_code, i.type_code institution_type, c.year = r.contract_year in_reporting_year
      FROM contract c CROSS JOIN reporting r JOIN institution i ON i.code = c.institution_code;
    """)
