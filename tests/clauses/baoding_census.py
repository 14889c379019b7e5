"""清苑区 (130608) census rows for the 004 (保定市) clause tests, typed in as a township director fills the template."""

from __future__ import annotations

from datetime import date

REGION = "130608"
CENSUS_DATE = date(2023, 1, 1)
Q = "130608"

INSTITUTIONS = [
    {"code": "THC_NO_TCM", "name": "清苑镇卫生院", "type_code": "乡卫生院", "division_code": Q + "100"},
    {"code": "THC_TCM", "name": "冉庄镇卫生院", "type_code": "乡卫生院", "division_code": Q + "101"},
    {"code": "VC_EMPTY", "name": "张登村卫生室", "type_code": "村卫生室", "division_code": Q + "105200",
     "manager_code": "THC_TCM", "integrated": True},
    {"code": "VC_STAFFED", "name": "大留村卫生室", "type_code": "村卫生室", "division_code": Q + "105201",
     "manager_code": "THC_TCM", "integrated": True},
]

STAFF = [
    {"staff_code": "S1", "institution_code": "THC_NO_TCM", "name": "王一", "birth_date": "1979-08-13",
     "category": "卫生技术人员", "qualification": "执业医师", "practice_category": "临床", "start_date": "2012-09-01"},
    {"staff_code": "S2", "institution_code": "THC_TCM", "name": "王二", "birth_date": "1983-01-22",
     "category": "卫生技术人员", "qualification": "执业医师", "practice_category": "中医", "start_date": "2014-03-17"},
    {"staff_code": "S3", "institution_code": "VC_STAFFED", "name": "王三", "birth_date": "1970-11-02",
     "category": "卫生技术人员", "qualification": "乡村医生", "start_date": "2001-06-01"},
]

ROWS = {"institution": INSTITUTIONS, "staff": STAFF}
