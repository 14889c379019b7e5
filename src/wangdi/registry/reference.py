"""Reference code lists: institution types (WS 218-2002), the equipment catalogue, coded values.

Each list maps a stable English key to its Chinese label. Users see and type Chinese; the
database stores keys. Equipment items are those the seed plans name (000, 002, 003), with the
aliases the plans use for the same item.
"""

from __future__ import annotations

from dataclasses import dataclass

# 卫生机构（组织）分类与代码 WS 218-2002 — the types the seed plans speak of.
INSTITUTION_TYPES: dict[str, str] = {
    "A100": "综合医院",
    "A210": "中医医院",
    "B100": "社区卫生服务中心",
    "B200": "社区卫生服务站",
    "C210": "中心卫生院",
    "C220": "乡卫生院",
    "D600": "村卫生室",
    "E300": "急救站",
    "G100": "妇幼保健院",
    "G200": "妇幼保健所",
    "G300": "妇幼保健站",
    "J100": "疾病预防控制中心",
}
THC_TYPES = ("C210", "C220")
PRIMARY_TYPES = ("B100", "B200", "C210", "C220", "D600")


@dataclass(frozen=True)
class EquipmentItem:
    key: str
    zh: str
    aliases: tuple[str, ...] = ()
    source: str = ""


EQUIPMENT: tuple[EquipmentItem, ...] = (
    EquipmentItem("ct", "CT", ("CT机",), "000 发热门诊; 003 应配尽配"),
    EquipmentItem("dr", "DR", ("数字X光机", "数字X光机(DR)"), "000; 002; 003"),
    EquipmentItem("xray", "X光机", (), "002 一般卫生院"),
    EquipmentItem("color_ultrasound", "彩超", ("B（彩）超", "B超"), "002; 003"),
    EquipmentItem("biochem_analyzer", "全自动生化分析仪", ("生化分析仪",), "000; 002; 003"),
    EquipmentItem("coagulation_analyzer", "血凝仪", ("全自动血凝分析仪",), "000; 003"),
    EquipmentItem("blood_cell_counter", "血球计数仪", ("血细胞分析仪", "血分析仪", "血液分析仪"), "000; 002; 003"),
    EquipmentItem("urine_analyzer", "尿液分析仪", (), "002"),
    EquipmentItem("ecg", "心电图机", (), "002; 003"),
    EquipmentItem("fundus_exam", "眼底检查设备", ("眼底检查",), "003"),
    EquipmentItem("carotid_plaque_exam", "颈动脉斑块检查设备", ("颈动脉斑块检查",), "003"),
    EquipmentItem("simple_ventilator", "简易呼吸机", (), "002"),
    EquipmentItem("air_disinfector", "空气消毒机", (), "002"),
    EquipmentItem("lung_function", "肺功能仪", (), "002"),
    EquipmentItem("ambulance", "救护车", (), "002"),
    EquipmentItem("negative_pressure_ambulance", "负压救护车", (), "000"),
    EquipmentItem("aed", "自动体外除颤仪", ("AED",), "003 中心村卫生室"),
    EquipmentItem("health_kiosk", "健康一体机", (), "003 中心村卫生室"),
    EquipmentItem("telemedicine", "远程医疗设备", ("远程医疗",), "003"),
    EquipmentItem("rehab_equipment", "康复理疗设备", (), "003 六有"),
    EquipmentItem("smart_followup", "智慧随访设备", (), "003 六有"),
    EquipmentItem("exam_bed", "诊查床", ("观察诊查床",), "003 六有"),
    EquipmentItem("observation_bed", "可起背观察床", (), "003"),
    EquipmentItem("infusion_chair", "输液椅", (), "003"),
)
EQUIPMENT_BY_KEY = {e.key: e for e in EQUIPMENT}


def equipment_lookup() -> dict[str, str]:
    """Every Chinese name, alias and key → item key."""
    out: dict[str, str] = {}
    for e in EQUIPMENT:
        for name in (e.key, e.zh, *e.aliases):
            out[name] = e.key
    return out


# Coded values: key → Chinese label.
STAFF_CATEGORY = {"health_tech": "卫生技术人员", "other_tech": "其他技术人员", "admin": "管理人员",
                  "logistics": "工勤技能人员"}
QUALIFICATION = {"licensed_physician": "执业医师", "assistant_physician": "执业助理医师",
                 "village_doctor": "乡村医生", "nurse": "注册护士", "pharmacist": "药师",
                 "technician": "技师", "none": "无"}
PRACTICE_CATEGORY = {"clinical": "临床", "tcm": "中医", "mongolian": "蒙医", "public_health": "公共卫生",
                     "dental": "口腔", "none": "无"}
TITLE = {"none": "无", "junior": "初级", "intermediate": "中级", "associate_senior": "副高",
         "senior": "正高"}
EDUCATION = {"secondary": "中专及以下", "college": "大专", "bachelor": "本科", "postgraduate": "研究生"}
EMPLOYMENT_MODE = {"established": "编制", "township_hired": "乡聘村用", "county_recruited": "县招乡用",
                   "contract": "合同", "other": "其他"}
GENDER = {"m": "男", "f": "女"}
OWNERSHIP = {"public": "公有", "collective": "集体", "private": "私有"}
CAPACITY_LEVEL = {"none": "未达标", "basic": "基本标准", "recommended": "推荐标准",
                  "community_hospital": "社区医院", "secondary": "二级医院水平"}
SERVICE = {"tcm_hall": "中医馆", "fever_clinic": "发热门诊", "emergency": "急诊急救",
           "rehabilitation": "康复", "dialysis": "血液透析", "hospice": "安宁疗护",
           "elderly_care": "医养结合", "key_specialty": "临床重点专科", "featured_specialty": "特色专科",
           "tcm_service": "中医药（蒙医药）服务", "stroke_centre": "卒中中心", "chest_pain_centre": "胸痛中心",
           "critical_maternal_centre": "危重孕产妇救治中心", "critical_child_centre": "危重新生儿和儿童救治中心",
           "trauma_centre": "创伤救治中心", "internet_hospital": "互联网医院", "geriatrics": "老年病科",
           "public_health_dept": "公共卫生科"}
SPECIALTY_LEVEL = {"none": "无", "county": "县级", "city": "市级", "province": "省级", "national": "国家级"}
CONTRACT_GROUP = {"all": "全人群", "key": "重点人群"}
VISIT_KIND = {"outpatient": "门诊", "emergency": "急诊", "inpatient": "住院"}
TASK_STATUS = {"not_started": "未开始", "in_progress": "进行中", "completed": "已完成", "accepted": "已验收"}
TASK_VERIFICATION = {"pending": "待核实", "verified": "已核实", "not_closed": "差距未消除（以核实为准）",
                     "unknown": "缺数据无法核实"}
TASK_KIND = {"buy_equipment": "购置设备", "build_floor_area": "改扩建业务用房", "add_beds": "增加床位",
             "recruit": "招聘/调配人员", "train": "培训", "six_haves": "补齐“六有”", "star_upgrade": "星级提升",
             "specialty": "重点专科建设", "convert_ownership": "房屋产权转为公有", "integrate": "纳入乡村一体化管理",
             "insurance": "医保定点与联网结算", "partition_rooms": "分室改造", "elderly_friendly": "老年友善医疗机构建设",
             "other": "其他"}

CODE_LISTS: dict[str, dict[str, str]] = {
    "institution_type": INSTITUTION_TYPES,
    "equipment_item": {e.key: e.zh for e in EQUIPMENT},
    "staff_category": STAFF_CATEGORY,
    "qualification": QUALIFICATION,
    "practice_category": PRACTICE_CATEGORY,
    "title": TITLE,
    "education": EDUCATION,
    "employment_mode": EMPLOYMENT_MODE,
    "gender": GENDER,
    "ownership": OWNERSHIP,
    "capacity_level": CAPACITY_LEVEL,
    "service": SERVICE,
    "specialty_level": SPECIALTY_LEVEL,
    "contract_group": CONTRACT_GROUP,
    "visit_kind": VISIT_KIND,
    "task_status": TASK_STATUS,
    "task_verification": TASK_VERIFICATION,
    "task_kind": TASK_KIND,
}


def label_lookup(code_list: str) -> dict[str, str]:
    """Chinese label or key → key, for a code list (equipment also accepts aliases)."""
    if code_list == "equipment_item":
        return equipment_lookup()
    values = CODE_LISTS[code_list]
    out = {k: k for k in values}
    out.update({v: k for k, v in values.items()})
    return out
