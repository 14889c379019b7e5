"""The derived fields, declared once: name, entity, type, unit, Chinese label, description, derivation.

`policy/fields.py` builds the entity tables from these declarations, `policy/testing.py` takes its
column types from them and `scripts/gen_docs.py` writes docs/fields.md from them. A derivation is a
DuckDB expression over the entity's sources (aliases listed per entity below); an aggregated field
also names its source and the aggregate. `$AS_OF` is the as-of date, `$AS_OF_MD` its month × 100 + day.
Nothing about a particular plan lives here: a pack declares its own fields (`derived:` in pack.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wangdi.registry.reference import PRIMARY_TYPES, THC_TYPES
from wangdi.registry.schema import POPULATION

PHYSICIAN = "('licensed_physician', 'assistant_physician')"
TYPES = ("INTEGER", "DOUBLE", "BOOLEAN", "VARCHAR", "VARCHAR[]", "DATE")


def _in(codes: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


# level of an institution from what it is (WS 218 type), never from the length of its division code:
# hospitals, MCH, CDC and emergency stations are county level (city level when registered at a prefecture),
# THCs and CHCs township level, village clinics and community stations village level.
LEVEL_SQL = ("CASE WHEN {t} IN " + _in((*THC_TYPES, "B100")) + " THEN 'township' WHEN {t} IN ('D600', 'B200') "
             "THEN 'village' WHEN {t} IS NULL THEN NULL WHEN length({d}) <= 4 THEN 'city' ELSE 'county' END")


@dataclass(frozen=True)
class Derived:
    name: str
    entity: str
    type: str
    label: str
    description: str
    sql: str = ""
    unit: str = ""
    source: str = ""  # alias of an aggregating source; `sql` is then the aggregate
    default: str = ""  # value when the source has no row (0 for counts, [] for lists)
    pack: str = ""  # declared by this pack (expression in the pack language); "" for the engine's own

    @property
    def select(self) -> str:
        """The SQL producing the field in its entity's SELECT, cast to the declared type."""
        value = f"{self.source}.{self.name}" if self.source else self.sql
        if self.source and self.default:
            value = f"coalesce({value}, {self.default})"
        return f"CAST({value} AS {self.type}) AS \"{self.name}\""


@dataclass(frozen=True)
class Source:
    alias: str
    relation: str  # FROM part (with WHERE) of the aggregating query, or a relation to join as is
    key: str = ""  # GROUP BY expression; empty: joined as is
    on: str = ""  # join condition (LEFT JOIN)


@dataclass(frozen=True)
class EntitySpec:
    name: str
    zh: str
    doc: str
    base: str  # FROM part: relation and alias
    keep: str  # columns kept from the base ("i.*" or "")
    code: str
    region: str
    where: str = "TRUE"
    table: str = ""  # registry table whose columns the entity carries
    sources: tuple[Source, ...] = ()
    sources_doc: str = ""


def _n(name: str, entity: str, label: str, desc: str, agg: str, source: str, unit: str = "人") -> Derived:
    return Derived(name, entity, "INTEGER", label, desc, agg, unit, source, "0")


def _staff(name: str, label: str, desc: str, flt: str) -> Derived:
    return _n(name, "institution", label, desc, f"count(*) FILTER ({flt})", "st")


def _f(name: str, entity: str, typ: str, label: str, desc: str, sql: str, unit: str = "") -> Derived:
    return Derived(name, entity, typ, label, desc, sql, unit)


POP_COLUMNS = [f for f in POPULATION.fields if f.name not in ("division_code", "year", "synthetic")]
POP_SUMS = [f for f in POP_COLUMNS if f.kind == "int"]
POP_FLAGS = [f for f in POP_COLUMNS if f.kind == "bool"]

STAFF_NOW = (
    _f("age", "staff", "INTEGER", "年龄", "full years on the as-of date (one less before this year's birthday)",
       "date_diff('year', s.birth_date, $AS_OF) - CAST(month(s.birth_date) * 100 + day(s.birth_date) > $AS_OF_MD AS INT)",
       "岁"),
    _f("is_physician", "staff", "BOOLEAN", "执业(助理)医师", "licensed or assistant physician",
       f"s.qualification IN {PHYSICIAN}"),
)

INSTITUTION = (
    _f("township_code", "institution", "VARCHAR", "所在乡镇代码", "9-digit township of the institution's division",
       "substr(i.division_code, 1, 9)"),
    _f("county_code", "institution", "VARCHAR", "所在县代码", "6-digit county", "substr(i.division_code, 1, 6)"),
    _f("division_level", "institution", "INTEGER", "所在区划级别",
       "level of the division it is registered at: 2 prefecture, 3 county, 4 township, 5 village (where it is "
       "registered, not what it is: see admin_level)",
       "CASE length(i.division_code) WHEN 4 THEN 2 WHEN 6 THEN 3 WHEN 9 THEN 4 WHEN 12 THEN 5 END"),
    _f("admin_level", "institution", "VARCHAR", "机构层级",
       "city / county / township / village from the WS 218 type: THC, CHC → township; clinic, station → village; "
       "hospitals, MCH, CDC → county (city when registered at a prefecture)",
       LEVEL_SQL.format(t="i.type_code", d="i.division_code")),
    _staff("staff_total", "在岗人员", "staff in post on the as-of date (started, not yet left)", "TRUE"),
    _staff("health_tech_staff", "卫生技术人员", "卫生技术人员 in post", "category = 'health_tech'"),
    _staff("physicians", "执业(助理)医师", "执业医师 + 执业助理医师 in post", "is_physician"),
    _staff("licensed_physicians", "执业医师", "执业医师 in post", "qualification = 'licensed_physician'"),
    _staff("registered_gps", "注册全科医师", "注册全科医师 in post", "registered_gp"),
    _staff("tcm_physicians", "中医类别医师", "中医类别 (incl. 蒙医) physicians",
           "is_physician AND practice_category IN ('tcm', 'mongolian')"),
    _staff("public_health_physicians", "公共卫生类别医师", "公共卫生类别 physicians",
           "is_physician AND practice_category = 'public_health'"),
    _staff("nurses", "注册护士", "注册护士 in post", "qualification = 'nurse'"),
    _staff("village_doctors", "乡村医生", "乡村医生 (certified village doctors) in post", "qualification = 'village_doctor'"),
    _staff("licensed_or_village_doctors", "执业(助理)医师和乡村医生", "执业(助理)医师 + 乡村医生 in post",
           "is_physician OR qualification = 'village_doctor'"),
    _staff("village_doctors_60_plus", "60岁以上乡村医生", "village doctors aged 60 or more on the as-of date",
           "qualification = 'village_doctor' AND age >= 60"),
    _staff("village_doctors_age_unknown", "出生日期空白的乡村医生", "village doctors in post whose birth date is blank",
           "qualification = 'village_doctor' AND age IS NULL"),
    _staff("attending_or_above", "中级以上职称医师", "physicians with an intermediate title or above",
           "is_physician AND title IN ('intermediate', 'associate_senior', 'senior')"),
    _staff("fulltime_bachelor_gps", "全日制本科以上全科医生",
           "registered GPs with a full-time bachelor's degree or higher",
           "registered_gp AND full_time_degree AND education IN ('bachelor', 'postgraduate')"),
    _staff("senior_clinical_physicians", "高级职称临床医师",
           "clinical physicians with an associate-senior or senior title",
           "is_physician AND practice_category = 'clinical' AND title IN ('associate_senior', 'senior')"),
    _staff("senior_title_staff", "高级职称卫生技术人员",
           "health technical staff with an associate-senior or senior title",
           "category = 'health_tech' AND title IN ('associate_senior', 'senior')"),
    Derived("equipment_items", "institution", "VARCHAR[]", "在用设备", "equipment items with at least one functioning unit",
            "list(DISTINCT item ORDER BY item) FILTER (functioning > 0)", "", "eq", "[]"),
    Derived("services", "institution", "VARCHAR[]", "服务科室", "services/departments offered",
            "list(DISTINCT service ORDER BY service)", "", "sv", "[]"),
    _n("key_specialties", "institution", "临床重点专科", "key clinical specialties (any level)",
       "count(*) FILTER (service = 'key_specialty')", "sv", "个"),
    _n("city_key_specialties", "institution", "市级以上临床重点专科", "key specialties at city level or above",
       "count(*) FILTER (service = 'key_specialty' AND level IN ('city', 'province', 'national'))", "sv", "个"),
    *(_n(f"{lv}_key_specialties", "institution", f"{zh}临床重点专科", f"key clinical specialties at exactly {lv} level",
         f"count(*) FILTER (service = 'key_specialty' AND level = '{code}')", "sv", "个")
      for lv, code, zh in (("national", "national", "国家级"), ("provincial", "province", "省级"),
                           ("city_level", "city", "市级"), ("county_level", "county", "县级"))),
    _f("resident_population", "institution", "INTEGER", "服务区常住人口",
       "resident population of the institution's division (village/township/county)", "p.resident", "人"),
    _f("rural_population", "institution", "INTEGER", "服务区农业人口", "agricultural population of the division",
       "p.agricultural", "人"),
    _f("farming_herding_population", "institution", "INTEGER", "服务区农牧业人口",
       "farming-and-herding population of the division", "p.farming_herding", "人"),
    *(_f(f"county_{f.name}", "institution", "BOOLEAN", f"所在县{f.zh}", f"the institution's county: {f.zh} "
         "(population sheet, county row)", f"cp.{f.name}") for f in POP_FLAGS),
    _n("deployed_in", "institution", "下沉派驻到本机构人数", "people deployed into this institution in the reporting year",
       "count(*) FILTER (year(start_date) = deployment_year)", "dp"),
    _n("hospital_assistance_in", "institution", "医院对口帮扶人员",
       "people sent from a hospital (A100/A210/G100) with an intermediate title into this institution for at least one "
       "year, in post during the reporting year (对口帮扶)", "count(*) FILTER (pa)", "dp"),
    _n("hospital_assistance_unknown", "institution", "对口帮扶待核实人员",
       "deployments from a hospital that might count as hospital_assistance_in but whose title or end date is blank",
       "count(*) FILTER (pa IS NULL)", "dp"),
)

STAFF = (
    _f("institution_type", "staff", "VARCHAR", "所在机构类别", "WS 218 type of the institution", "i.type_code"),
    _f("institution_level", "staff", "VARCHAR", "所在机构层级", "admin_level of the institution", "i.admin_level"),
    _f("township_code", "staff", "VARCHAR", "所在乡镇代码", "township of the institution", "i.township_code"),
    _f("county_code", "staff", "VARCHAR", "所在县代码", "county of the institution", "i.county_code"),
    _f("remote_area", "staff", "BOOLEAN", "边远地区", "institution in a remote area", "i.remote_area"),
    _f("served_population", "staff", "INTEGER", "服务人口", "resident population of the institution's division",
       "i.resident_population", "人"),
    _f("in_integrated_clinic", "staff", "BOOLEAN", "在一体化村卫生室",
       "works at a village clinic under township–village integrated management (blank integration flag: blank)",
       "CASE WHEN i.type_code <> 'D600' THEN FALSE ELSE i.integrated END"),
    _n("training_count", "staff", "年度培训次数", "trainings started in the reporting year", "count(*)", "tr", "次"),
    Derived("training_hours", "staff", "DOUBLE", "年度培训学时", "training hours in the reporting year",
            "sum(hours)", "学时", "tr", "0"),
    _n("training_days", "staff", "年度培训天数", "training days in the reporting year (end − start + 1 per training)",
       "sum(date_diff('day', start_date, coalesce(end_date, start_date)) + 1)", "tr", "天"),
    Derived("last_training_date", "staff", "DATE", "最近一次培训日期",
            "start of the latest training started on or before the as-of date (any year): windows such as "
            "“利用三年时间” compare it with the window's start", "max(start_date)", "", "ta"),
    Derived("first_training_date", "staff", "DATE", "最早一次培训日期",
            "start of the earliest training on or before the as-of date", "min(start_date)", "", "ta"),
    _f("years_in_post", "staff", "INTEGER", "在岗年限", "full years since start_date on the as-of date",
       "date_diff('year', s.start_date, $AS_OF) - CAST(month(s.start_date) * 100 + day(s.start_date) > $AS_OF_MD AS INT)",
       "年"),
)

# people in post at any time of the as-of year (up to the as-of date): what a year's monthly subsidy pays for
STAFF_YEAR_STAGE = tuple(replace(f, entity="staff_year") for f in STAFF_NOW)
STAFF_YEAR = (
    *(replace(f, entity="staff_year") for f in STAFF),
    _f("months_in_post", "staff_year", "INTEGER", "本年度在岗月数",
       "calendar months of the as-of year, up to the as-of month, with at least one day in post (start_date ≤ day "
       "< end_date): joined in October → 3; left on 20 June → 6; left on 1 June (last day 31 May) → 5; blank start "
       "date → blank", "CASE WHEN s.start_date IS NULL THEN NULL ELSE greatest(0, month(least(coalesce("
       "CAST(s.end_date - INTERVAL 1 DAY AS DATE), $AS_OF), $AS_OF)) - month(greatest(s.start_date, $YEAR_START)) + 1) "
       "END", "月"),
    _f("in_post", "staff_year", "BOOLEAN", "截至统计日在岗", "still in post on the as-of date",
       "s.end_date IS NULL OR s.end_date > $AS_OF"),
)


def _division_fields(entity: str) -> tuple[Derived, ...]:
    base = (_f("code", entity, "VARCHAR", "区划代码", "division code", "v.code"),
            _f("name", entity, "VARCHAR", "名称", "division name", "v.name"),
            _f("kind", entity, "VARCHAR", "区划类型", "residents_committee / village_committee (village); street / town "
               "/ township (township)", "v.kind"))
    pops = tuple(_f(f.name, entity, "INTEGER", f.zh, f"{f.zh} (population sheet; summed from villages above village "
                    "level)", f"p.{f.name}", "人") for f in POP_SUMS)
    return (*base, *pops)


def _count(name: str, entity: str, label: str, flt: str, unit: str = "所", desc: str = "") -> Derived:
    return _n(name, entity, label, desc or label, f"count(*) FILTER ({flt})", "agg", unit)


def _sum(name: str, entity: str, label: str, col: str, flt: str = "TRUE") -> Derived:
    return _n(name, entity, label, label, f"sum({col}) FILTER ({flt})", "agg")


VILLAGE = (
    *_division_fields("village"),
    _count("clinics", "village", "村卫生室", "type_code = 'D600'", desc="village clinics (D600) in the village"),
    _count("stations", "village", "社区卫生服务站", "type_code = 'B200'", desc="community health stations (B200)"),
)
TOWNSHIP = (
    *_division_fields("township"),
    _count("thc", "township", "乡镇卫生院", f"type_code IN {_in(THC_TYPES)}", desc="township health centres (C210/C220)"),
    _count("central_thc", "township", "中心卫生院", "type_code = 'C210'"),
    _count("chc", "township", "社区卫生服务中心", "type_code = 'B100'"),
    _count("clinics", "township", "村卫生室", "type_code = 'D600'"),
    _sum("village_doctors", "township", "乡村医生", "village_doctors"),
    _sum("licensed_or_village_doctors", "township", "村卫生室执业(助理)医师和乡村医生", "licensed_or_village_doctors",
         "type_code = 'D600'"),
    _n("villages", "township", "村级单位", "village-level units (divisions)", "count(*)", "vil", "个"),
    _n("village_committees", "township", "行政村", "village committees", "count(*) FILTER (kind = 'village_committee')",
       "vil", "个"),
)
COUNTY = (
    *_division_fields("county")[:2], *_division_fields("county")[3:],
    *(_f(f.name, "county", "BOOLEAN", f.zh, f"{f.zh} (population sheet, county row)", f"pp.{f.name}")
      for f in POP_FLAGS),
    _count("thc", "county", "乡镇卫生院", f"type_code IN {_in(THC_TYPES)}"),
    _count("central_thc", "county", "中心卫生院", "type_code = 'C210'"),
    _count("sub_centres", "county", "县域医疗服务次中心", "is_sub_centre"),
    _count("chc", "county", "社区卫生服务中心", "type_code = 'B100'"),
    _count("clinics", "county", "村卫生室", "type_code = 'D600'"),
    _sum("village_doctors", "county", "乡村医生", "village_doctors"),
    _n("key_specialties", "county", "临床重点专科", "key specialties of the county's institutions",
       "sum(key_specialties)", "agg", "个"),
    _n("city_key_specialties", "county", "市级以上临床重点专科", "city-level-or-above key specialties",
       "sum(city_key_specialties)", "agg", "个"),
    _count("tcm_hospitals", "county", "公立中医院", "type_code = 'A210'", desc="public TCM hospitals (A210)"),
    _count("mch_institutions", "county", "妇幼保健机构", "type_code IN ('G100', 'G200', 'G300')"),
    _count("mch_secondary", "county", "二级妇幼保健机构",
           "type_code IN ('G100', 'G200', 'G300') AND capacity_level = 'secondary'"),
    _count("community_hospital_thcs", "county", "建成社区医院的乡镇卫生院",
           f"type_code IN {_in(THC_TYPES)} AND (is_community_hospital OR capacity_level = 'community_hospital')"),
    Derived("services", "county", "VARCHAR[]", "县域内服务", "services offered by any institution in the county",
            "list_distinct(flatten(list(services)))", "", "agg", "[]"),
)
DEPLOYMENT = (
    _f("days", "deployment", "INTEGER", "派驻天数", "days deployed, both ends counted (to the as-of date if running)",
       "date_diff('day', d.start_date, coalesce(d.end_date, $AS_OF)) + 1", "天"),
    _f("from_type", "deployment", "VARCHAR", "派出机构类别", "WS 218 type of the sender", "f.type_code"),
    _f("to_type", "deployment", "VARCHAR", "接收机构类别", "WS 218 type of the receiver", "t.type_code"),
    _f("from_level", "deployment", "VARCHAR", "派出机构层级",
       "county / township / village (city) from what the sender is, not from its division code",
       LEVEL_SQL.format(t="f.type_code", d="f.division_code")),
    _f("to_level", "deployment", "VARCHAR", "接收机构层级", "level of the receiver, from its type",
       LEVEL_SQL.format(t="t.type_code", d="t.division_code")),
    _f("in_reporting_year", "deployment", "BOOLEAN", "报告年度内", "started in the reporting year",
       "year(d.start_date) = r.deployment_year"),
)
_PRIMARY = f"i.type_code IN {_in(PRIMARY_TYPES)}"
VISIT = (
    _f("institution_type", "visit", "VARCHAR", "就诊机构类别", "WS 218 type of the institution visited", "i.type_code"),
    _f("is_primary", "visit", "BOOLEAN", "基层就诊", "at a primary-level institution (CHC, station, THC, clinic)",
       _PRIMARY),
    _f("within_county", "visit", "BOOLEAN", "本县居民", "the patient resides in the visited institution's county",
       "substr(v.residence_code, 1, 6) = substr(i.division_code, 1, 6)"),
    _f("in_reporting_year", "visit", "BOOLEAN", "报告年度内", "visit date in the reporting year",
       "year(v.visit_date) = r.visit_year"),
)
RESIDENT_VISIT = (
    _f("residence_county", "resident_visit", "VARCHAR", "患者所在县", "the patient's county of residence",
       "substr(v.residence_code, 1, 6)"),
    _f("institution_type", "resident_visit", "VARCHAR", "就诊机构类别", "WS 218 type of the institution visited "
       "(blank when the institution is outside the registry snapshot)", "i.type_code"),
    _f("seen_in_county", "resident_visit", "BOOLEAN", "县域内就诊",
       "seen at an institution of the patient's own county; an institution outside the snapshot is outside the county "
       "when the snapshot covers the whole county, otherwise blank", "CASE WHEN i.code IS NOT NULL THEN "
       "substr(i.division_code, 1, 6) = substr(v.residence_code, 1, 6) WHEN r.whole_counties THEN FALSE END"),
    _f("is_primary", "resident_visit", "BOOLEAN", "基层就诊", "at a primary-level institution", _PRIMARY),
    _f("in_reporting_year", "resident_visit", "BOOLEAN", "报告年度内", "visit date in the reporting year",
       "year(v.visit_date) = r.visit_year"),
)
CONTRACT = (
    _f("in_reporting_year", "contract", "BOOLEAN", "报告年度内", "contract year is the reporting year",
       "c.year = r.contract_year"),
    _f("institution_type", "contract", "VARCHAR", "签约机构类别", "WS 218 type of the institution", "i.type_code"),
)

_INST_IN = "FROM ent_institution"
# deployments started by the as-of date, each with `pa`: paired assistance from a hospital (001 四（二）11)
_PA = ("SELECT d.*, r.deployment_year, f.type_code IN ('A100', 'A210', 'G100') AND d.title = 'intermediate' "
       "AND CASE WHEN d.end_date IS NULL AND $AS_OF < d.start_date + INTERVAL 1 YEAR - INTERVAL 1 DAY THEN NULL "
       "ELSE coalesce(d.end_date, $AS_OF) >= d.start_date + INTERVAL 1 YEAR - INTERVAL 1 DAY END "
       "AND year(d.start_date) <= r.deployment_year AND year(coalesce(d.end_date, $AS_OF)) >= r.deployment_year pa "
       "FROM deployment d CROSS JOIN reporting r LEFT JOIN institution f ON f.code = d.from_code "
       "WHERE d.start_date <= $AS_OF")
ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec("institution", "机构", "one row per institution", "institution i", "i.*", "i.code", "i.division_code",
               table="institution", sources=(
                   Source("st", "FROM staff_now", "institution_code", "st._key = i.code"),
                   Source("eq", "FROM equipment", "institution_code", "eq._key = i.code"),
                   Source("sv", "FROM service", "institution_code", "sv._key = i.code"),
                   Source("dp", f"FROM ({_PA})", "to_code", "dp._key = i.code"),
                   Source("p", "pop_division", on="p.code = i.division_code"),
                   Source("cp", "(SELECT * FROM pop_latest WHERE length(division_code) = 6)",
                          on="cp.division_code = substr(i.division_code, 1, 6)")),
               sources_doc="i institution; st staff in post; eq equipment; sv services; dp deployments in; "
                           "p population of its division; cp population row of its county"),
    EntitySpec("staff", "人员", "one row per person in post on the as-of date", "staff_now s", "s.*", "s.staff_code",
               "i.division_code", table="staff", sources=(
                   Source("i", "ent_institution", on="i.code = s.institution_code"),
                   Source("tr", "FROM training, reporting WHERE year(start_date) = training_year "
                          "AND start_date <= $AS_OF", "staff_code", "tr._key = s.staff_code"),
                   Source("ta", "FROM training WHERE start_date <= $AS_OF", "staff_code", "ta._key = s.staff_code")),
               where="i.code IS NOT NULL",
               sources_doc="s staff in post; i their institution; tr trainings of the reporting year; ta all "
                           "trainings to the as-of date"),
    EntitySpec("staff_year", "人员（年度内在岗）", "one row per person in post at any time of the as-of year up to the "
               "as-of date (subsidies pro-rated by months in post)", "staff_year s", "s.*", "s.staff_code",
               "i.division_code", table="staff", sources=(
                   Source("i", "ent_institution", on="i.code = s.institution_code"),
                   Source("tr", "FROM training, reporting WHERE year(start_date) = training_year "
                          "AND start_date <= $AS_OF", "staff_code", "tr._key = s.staff_code"),
                   Source("ta", "FROM training WHERE start_date <= $AS_OF", "staff_code", "ta._key = s.staff_code")),
               where="i.code IS NOT NULL",
               sources_doc="s staff in post at some time of the year; i their institution; tr, ta trainings"),
    EntitySpec("village", "村", "one row per village-level division", "divisions v", "", "v.code", "v.code",
               "v.level = 5", sources=(Source("p", "pop_division", on="p.code = v.code"),
                                       Source("agg", _INST_IN, "region_code", "agg._key = v.code")),
               sources_doc="v division; p its population; agg its institutions"),
    EntitySpec("township", "乡镇", "one row per township-level division", "divisions v", "", "v.code", "v.code",
               "v.level = 4", sources=(
                   Source("p", "pop_division", on="p.code = v.code"),
                   Source("agg", _INST_IN, "township_code", "agg._key = v.code"),
                   Source("vil", "FROM divisions WHERE level = 5", "substr(code, 1, 9)", "vil._key = v.code")),
               sources_doc="v division; p population; agg institutions; vil village-level divisions"),
    EntitySpec("county", "县", "one row per county-level division", "divisions v", "", "v.code", "v.code",
               "v.level = 3", sources=(
                   Source("p", "pop_division", on="p.code = v.code"),
                   Source("agg", _INST_IN, "county_code", "agg._key = v.code"),
                   Source("pp", "(SELECT * FROM pop_latest WHERE length(division_code) = 6)",
                          on="pp.division_code = v.code")),
               sources_doc="v division; p population; agg institutions; pp the county's population row"),
    EntitySpec("deployment", "下沉派驻", "one row per deployment started on or before the as-of date", "deployment d",
               "d.*", "d.deployment_id", "t.division_code", "d.start_date <= $AS_OF AND t.code IS NOT NULL",
               "deployment", (Source("r", "reporting", on="TRUE"), Source("f", "institution", on="f.code = d.from_code"),
                              Source("t", "institution", on="t.code = d.to_code")),
               "d deployment; f sender; t receiver (its division is the region)"),
    EntitySpec("visit", "就诊（按机构）", "visits grouped by where they took place (the institution's division)",
               "visit v", "v.*", "v.visit_id", "i.division_code", "v.visit_date <= $AS_OF AND i.code IS NOT NULL",
               "visit", (Source("r", "reporting", on="TRUE"), Source("i", "institution", on="i.code = v.institution_code")),
               "v visit; i the institution visited"),
    EntitySpec("resident_visit", "就诊（按患者常住地）",
               "the same visits grouped by the patient's residence (residence_code), wherever they were seen",
               "visit v", "v.*", "v.visit_id", "v.residence_code", "v.visit_date <= $AS_OF", "visit",
               (Source("r", "reporting", on="TRUE"), Source("i", "institution", on="i.code = v.institution_code")),
               "v visit; i the institution visited (if in the snapshot)"),
    EntitySpec("contract", "家庭医生签约", "one row per institution, year and group", "contract c", "c.*",
               "c.institution_code || '/' || c.year || '/' || c.\"group\"", "i.division_code", "i.code IS NOT NULL",
               "contract", (Source("r", "reporting", on="TRUE"), Source("i", "institution", on="i.code = c.institution_code")),
               "c contract row; i the institution"),
)
SPEC_MAP = {e.name: e for e in ENTITY_SPECS}
STAGES = (*STAFF_NOW, *STAFF_YEAR_STAGE)  # computed in the staff_now / staff_year views the entities start from
CATALOGUE: tuple[Derived, ...] = (*STAFF_NOW, *INSTITUTION, *STAFF, *STAFF_YEAR_STAGE, *STAFF_YEAR, *VILLAGE, *TOWNSHIP,
                                  *COUNTY, *DEPLOYMENT, *VISIT,
                                  *RESIDENT_VISIT, *CONTRACT)
