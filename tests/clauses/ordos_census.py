"""达拉特旗 (150621) census rows for the 002 (鄂尔多斯市) clause tests, typed in as a township director fills the template."""

from __future__ import annotations

from datetime import date

REGION = "150621"
CENSUS_DATE = date(2024, 4, 8)
B = "150621"

INSTITUTIONS = [
    {"code": "H1", "name": "达拉特旗人民医院", "type_code": "综合医院", "division_code": B},
    {"code": "THC_BAD", "name": "树林召镇卫生院", "type_code": "乡卫生院", "division_code": B + "100"},
    {"code": "THC_GOOD", "name": "吉格斯太镇卫生院", "type_code": "乡卫生院", "division_code": B + "101"},
    {"code": "VC1", "name": "白泥井村卫生室", "type_code": "村卫生室", "division_code": B + "102200",
     "manager_code": "THC_GOOD"},
]


def person(code: str, inst: str, qualification: str | None, practice: str | None = None, gp: bool | None = None,
           category: str = "卫生技术人员") -> dict[str, object]:
    return {"staff_code": code, "institution_code": inst, "name": code, "birth_date": "1985-07-09",
            "category": category, "qualification": qualification, "practice_category": practice,
            "registered_gp": gp, "start_date": "2015-03-02"}


STAFF = [
    # THC_BAD: 8 health technical staff of 10 (80%), one registered GP, no TCM or public-health physician
    person("B1", "THC_BAD", "执业医师", "临床", True),
    *[person(f"BN{i}", "THC_BAD", "注册护士") for i in range(7)],
    person("BA1", "THC_BAD", None, category="管理人员"), person("BA2", "THC_BAD", None, category="管理人员"),
    # THC_GOOD: all health technical, two GPs, one TCM physician of four (25%), one public-health physician
    person("G1", "THC_GOOD", "执业医师", "临床", True), person("G2", "THC_GOOD", "执业医师", "临床", True),
    person("G3", "THC_GOOD", "执业医师", "中医"), person("G4", "THC_GOOD", "执业助理医师", "公共卫生"),
    # village clinic: a doctor with neither a village doctor certificate nor a physician licence
    person("V1", "VC1", "无"), person("V2", "VC1", "乡村医生"),
]

SERVICES = [{"institution_code": "THC_GOOD", "service": "中医馆", "specialty": ""}]

DEPLOYMENTS = [  # two attending doctors from the lead hospital in 2024, each over 180 days
    {"deployment_id": f"D{i}", "from_code": "H1", "to_code": "THC_GOOD", "title": "中级",
     "start_date": "2024-05-06", "end_date": "2024-12-20"} for i in (1, 2)
]

ROWS = {"institution": INSTITUTIONS, "staff": STAFF, "service": SERVICES, "deployment": DEPLOYMENTS}
