"""The import/export file format: one sheet (or CSV file) per entity, Chinese headers.

This module is the single description of every column: its Chinese header, the English
alias accepted on import, its kind, whether it is required, and its code list. The
importer, the exporter, the generator and `docs/import-format.md` all follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal[
    "key",  # an external key: letters, digits, '-', '_', '.'
    "text",  # free text, normalized
    "name",  # a person's or unit's name: normalized, inner whitespace between CJK removed
    "date",
    "datetime",
    "bool",
    "int",
    "float",
    "enum",  # one of `choices` (code or Chinese label)
    "region",  # a region code
    "ref",  # a key of another entity (`ref`)
    "skills",  # skill codes with optional level: "finance:3;audit"
    "id_number",  # resident ID number, GB 11643 checksum
]


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Column:
    field: str  # database column / record attribute
    zh: str  # Chinese header, written on export
    en: str  # English alias, accepted on import
    kind: ColumnKind
    required: bool = False
    choices: tuple[Choice, ...] = ()
    ref: str | None = None  # entity name for ref/refs
    description: str = ""
    # An export-only column written after this one: the referenced row's name, (Chinese
    # header, English alias). The importer ignores it (`Entity.reference_headers`).
    beside: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    name: str  # English entity name, also the CSV file stem
    zh: str  # Chinese sheet name
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # fields forming the external (upsert) key
    description: str = ""
    en_title: str = field(default="")

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.field == name:
                return col
        raise KeyError(name)

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    @property
    def reference_headers(self) -> tuple[str, ...]:
        """Headers (Chinese and English) of the export-only name columns."""
        return tuple(h for c in self.columns if c.beside for h in c.beside)


# Where the name beside a reference comes from: referenced entity → (entity, name field).
REFERENCE_NAMES = {"persons": ("persons", "name"), "cadres": ("persons", "name"),
                   "units": ("units", "name"), "rounds": ("rounds", "name"),
                   "systems": ("systems", "name_zh")}
NAME_REF = ("姓名（参考）", "name_ref")
UNIT_NAME_REF = ("单位名称（参考）", "unit_name_ref")
ROUND_NAME_REF = ("轮次名称（参考）", "round_name_ref")


def _choices(*rows: tuple[str, str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(*r) for r in rows)


# ---------------------------------------------------------------------------------------
# Code lists
# ---------------------------------------------------------------------------------------

GENDERS = _choices(("M", "男", "male"), ("F", "女", "female"))

UNIT_KINDS = _choices(
    ("organ", "党政机关", "party or government organ"),
    ("institution", "事业单位", "public institution"),
    ("enterprise", "国有企业", "state-owned enterprise"),
    ("township", "乡镇街道", "township or subdistrict"),
    ("village", "村社区", "village or community"),
    ("other", "其他", "other"),
)

RANKS = _choices(
    ("bureau_chief", "厅局级正职", "bureau level, chief"),
    ("bureau_deputy", "厅局级副职", "bureau level, deputy"),
    ("county_chief", "县处级正职", "county level, chief"),
    ("county_deputy", "县处级副职", "county level, deputy"),
    ("section_chief", "乡科级正职", "section level, chief"),
    ("section_deputy", "乡科级副职", "section level, deputy"),
    ("level1_researcher", "一级调研员", "first-grade researcher"),
    ("level2_researcher", "二级调研员", "second-grade researcher"),
    ("level1_principal", "一级主任科员", "first-grade principal staff"),
    ("level2_principal", "二级主任科员", "second-grade principal staff"),
    ("staff", "科员", "staff member"),
)

POLITICAL_STATUSES = _choices(
    ("cpc_member", "中共党员", "CPC member"),
    ("cpc_probationary", "中共预备党员", "CPC probationary member"),
    ("cyl_member", "共青团员", "Communist Youth League member"),
    ("democratic_party", "民主党派", "member of a democratic party"),
    ("masses", "群众", "no party affiliation"),
)

CADRE_STATUSES = _choices(
    ("active", "在库", "active"),
    ("suspended", "暂停", "suspended"),
    ("removed", "出库", "removed"),
)

TIE_KINDS = _choices(
    ("parent_of", "父母子女", "parent of"),
    ("spouse_of", "夫妻", "spouse of"),
    ("declared", "申报关系", "declared relation"),
    ("schooling", "学缘", "schooling tie"),
    ("supervisor_of", "上下级", "direct superior of"),
    ("business_interest", "经商办企业", "business interest in a unit"),
    ("recusal", "申请或决定回避", "declared recusal"),
)

# Category of a declared relation (when the linking persons are unknown), of a schooling
# tie, of a business interest, or of a declared recusal. Validated per tie kind in the
# importer.
DECLARED_CATEGORIES = _choices(
    ("spouse", "配偶", "spouse"),
    ("parent", "父母", "parent"),
    ("child", "子女", "child"),
    ("grandparent", "祖父母外祖父母", "grandparent"),
    ("grandchild", "孙子女外孙子女", "grandchild"),
    ("sibling", "兄弟姐妹", "sibling"),
    ("uncle_aunt", "伯叔姑舅姨", "uncle or aunt"),
    ("cousin", "堂表兄弟姐妹", "first cousin"),
    ("nephew_niece", "侄甥", "nephew or niece"),
    ("parent_in_law", "配偶父母", "parent-in-law"),
    ("sibling_in_law", "配偶兄弟姐妹及其配偶", "spouse's sibling or their spouse"),
    ("child_in_law", "子女配偶", "child's spouse"),
    ("child_in_law_parent", "子女配偶父母", "child's spouse's parent"),
    ("collateral_spouse", "旁系血亲的配偶", "spouse of a collateral relative"),
    ("former_colleague", "原同事", "former colleague"),
    ("friend", "朋友", "friend"),
    ("other", "其他", "other"),
)
SCHOOLING_CATEGORIES = _choices(
    ("teacher_student", "师生", "teacher and student"),
    ("same_supervisor", "同门", "same supervisor"),
    ("classmate", "同学", "classmate"),
)
BUSINESS_CATEGORIES = _choices(
    ("shareholder", "持股", "shareholder"),
    ("executive", "任职", "executive or director"),
    ("supplier", "供应商", "supplier or contractor"),
    ("other", "其他", "other"),
)
# Who asked for a recusal (申请或决定回避): the cadre, the inspected unit, or the organization.
RECUSAL_CATEGORIES = _choices(
    ("self", "本人申请", "requested by the cadre"),
    ("unit_request", "被巡察单位提出", "requested by the inspected unit"),
    ("organization", "组织决定", "decided by the organization"),
)
TIE_CATEGORIES: dict[str, tuple[Choice, ...]] = {
    "declared": DECLARED_CATEGORIES,
    "schooling": SCHOOLING_CATEGORIES,
    "business_interest": BUSINESS_CATEGORIES,
    "recusal": RECUSAL_CATEGORIES,
}


def _distinct(*lists: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """The choices of all lists, each code once (in first-seen order); a code shared by
    two lists ("other") must mean the same in both."""
    seen: dict[str, Choice] = {}
    for choice in (c for choices in lists for c in choices):
        if seen.setdefault(choice.code, choice) != choice:
            raise ValueError(f"category {choice.code!r} has two meanings")
    return tuple(seen.values())


# The category column accepts every category; which one fits a tie kind is checked later.
ALL_CATEGORIES = _distinct(*TIE_CATEGORIES.values())

SOURCE_TYPES = _choices(
    ("personnel_file", "档案", "personnel file"),
    ("personal_report", "个人有关事项报告", "personal matters report"),
    ("declaration", "本人申报", "self-declaration"),
    ("organization", "组织认定", "organization finding"),
    ("other", "其他", "other"),
)

ROUND_KINDS = _choices(
    ("regular", "常规", "regular"),
    ("special", "专项", "special"),
    ("mobile", "机动", "mobile"),
    ("elevated", "提级", "elevated"),
    ("cross", "交叉", "cross"),
)

TEAM_ROLES = _choices(
    ("leader", "组长", "leader"),
    ("deputy", "副组长", "deputy leader"),
    ("member", "组员", "member"),
    ("liaison", "联络员", "liaison"),
)

EVALUATION_GRADES = _choices(
    ("excellent", "优秀", "excellent"),
    ("competent", "称职", "competent"),
    ("basic", "基本称职", "basically competent"),
    ("incompetent", "不称职", "incompetent"),
)

# The built-in skill code list (专业特长); importable `skills` rows extend it.
DEFAULT_SKILLS = _choices(
    ("finance", "财务", "finance"),
    ("audit", "审计", "audit"),
    ("discipline", "纪检监察", "discipline inspection"),
    ("personnel", "组织人事", "organization and personnel"),
    ("law_enforcement", "行政执法", "administrative law enforcement"),
    ("petition", "信访", "petitions"),
    ("party_building", "党建", "party building"),
    ("legal", "法律", "law"),
    ("engineering", "工程", "engineering"),
    ("it", "信息技术", "information technology"),
)

# ---------------------------------------------------------------------------------------
# Entities, in import (dependency) order
# ---------------------------------------------------------------------------------------

_SOURCE_COLUMNS = (
    Column("source_type", "来源类型", "source_type", "enum", choices=SOURCE_TYPES),
    Column("source_ref", "来源文号", "source_ref", "text"),
    Column("recorded_by", "记录人", "recorded_by", "text"),
    Column("recorded_at", "记录时间", "recorded_at", "datetime"),
)

REGIONS = Entity(
    "regions", "行政区划", "regions",
    (
        Column("code", "区划代码", "code", "region", required=True,
               description="GB/T 2260 六位代码，乡镇为九位 / 6 digits, 9 for towns"),
        Column("name", "名称", "name", "name", required=True),
        Column("parent_code", "上级代码", "parent_code", "region",
               description="留空则由代码推出 / derived from the code when blank"),
    ),
    key=("code",), en_title="Regions",
)

SYSTEMS = Entity(
    "systems", "系统", "systems",
    (
        Column("code", "系统代码", "code", "key", required=True),
        Column("name_zh", "名称", "name", "name", required=True),
        Column("name_en", "英文名称", "name_en", "text"),
    ),
    key=("code",), en_title="Systems",
)

SKILLS = Entity(
    "skills", "专业特长", "skills",
    (
        Column("code", "特长代码", "code", "key", required=True),
        Column("name_zh", "名称", "name", "name", required=True),
        Column("name_en", "英文名称", "name_en", "text"),
    ),
    key=("code",), en_title="Skills",
)

UNITS = Entity(
    "units", "单位", "units",
    (
        Column("key", "单位编号", "unit_key", "key", required=True),
        Column("name", "单位名称", "name", "name", required=True),
        Column("region_code", "行政区划", "region_code", "region", required=True),
        Column("system_code", "系统", "system_code", "ref", required=True, ref="systems",
               beside=("系统名称（参考）", "system_name_ref")),
        Column("parent_key", "上级单位", "parent_unit", "ref", ref="units",
               beside=("上级单位名称（参考）", "parent_unit_name_ref")),
        Column("supervisor_key", "业务主管单位", "supervisor_unit", "ref", ref="units",
               beside=("业务主管单位名称（参考）", "supervisor_unit_name_ref")),
        Column("kind", "单位类别", "kind", "enum", choices=UNIT_KINDS),
    ),
    key=("key",), en_title="Units",
)

PERSONS = Entity(
    "persons", "人员", "persons",
    (
        Column("key", "人员编号", "person_key", "key", required=True),
        Column("name", "姓名", "name", "name", required=True),
        Column("gender", "性别", "gender", "enum", choices=GENDERS),
        Column("birth_date", "出生日期", "birth_date", "date"),
        Column("native_region", "籍贯", "native_region", "region"),
        Column("grew_up_region", "成长地", "grew_up_region", "region"),
        Column("id_number", "身份证号", "id_number", "id_number"),
    ),
    key=("key",), en_title="Persons",
)

CADRES = Entity(
    "cadres", "巡察干部", "cadres",
    (
        Column("person_key", "人员编号", "person_key", "ref", required=True, ref="persons",
               beside=NAME_REF),
        Column("home_unit_key", "所在单位", "home_unit", "ref", required=True, ref="units",
               beside=("所在单位名称（参考）", "home_unit_name_ref")),
        Column("rank", "职级", "rank", "enum", choices=RANKS),
        Column("political_status", "政治面貌", "political_status", "enum",
               choices=POLITICAL_STATUSES),
        Column("skills", "专业特长", "skills", "skills",
               description="代码或名称，可带等级1-5，分号分隔，如 财务:3;审计 / "
                           "codes or names with optional level 1-5, e.g. finance:3;audit"),
        Column("leader_pool", "组长库", "leader_pool", "bool"),
        Column("deputy_pool", "副组长库", "deputy_pool", "bool"),
        Column("expert_pool", "专家库", "expert_pool", "bool"),
        Column("reserve", "后备干部", "reserve", "bool"),
        Column("newly_promoted", "新提拔", "newly_promoted", "bool"),
        Column("full_time", "是否专职巡察干部", "full_time", "bool",
               description="是：专职巡察干部；否或留空：抽调干部 / yes: full-time "
                           "inspection staff; no or blank: seconded"),
        Column("status", "状态", "status", "enum", choices=CADRE_STATUSES),
        Column("status_reason", "状态原因", "status_reason", "text"),
        Column("status_from", "状态起始", "status_from", "date"),
        Column("status_to", "状态截止", "status_to", "date"),
        Column("max_rounds_per_year", "年度轮次上限", "max_rounds_per_year", "int"),
        Column("joined_on", "入库日期", "joined_on", "date"),
    ),
    key=("person_key",), en_title="Cadres",
)

UNAVAILABILITY = Entity(
    "unavailability", "不可用时段", "cadre_unavailability",
    (
        Column("person_key", "人员编号", "person_key", "ref", required=True, ref="cadres",
               beside=NAME_REF),
        Column("start", "开始日期", "start", "date", required=True),
        Column("end", "结束日期", "end", "date", required=True),
        Column("reason", "原因", "reason", "text"),
    ),
    key=("person_key", "start"), en_title="Unavailable periods",
)

EMPLOYMENTS = Entity(
    "employments", "任职经历", "employments",
    (
        Column("key", "任职编号", "employment_key", "key", required=True),
        Column("person_key", "人员编号", "person_key", "ref", required=True, ref="persons",
               beside=NAME_REF),
        Column("unit_key", "单位编号", "unit_key", "ref", required=True, ref="units",
               beside=UNIT_NAME_REF),
        Column("post", "职务", "post", "text"),
        Column("is_leader", "领导职务", "is_leader", "bool"),
        Column("start", "起始日期", "start", "date", required=True),
        Column("end", "截止日期", "end", "date", description="留空表示至今 / blank: current"),
        Column("source_type", "来源类型", "source_type", "enum", choices=SOURCE_TYPES),
        Column("source_ref", "来源文号", "source_ref", "text"),
    ),
    key=("key",), en_title="Employment history",
)

TIES = Entity(
    "ties", "关系", "ties",
    (
        Column("key", "关系编号", "tie_key", "key", required=True),
        Column("kind", "关系类型", "kind", "enum", required=True, choices=TIE_KINDS),
        Column("subject_key", "人员编号", "person_key", "ref", required=True, ref="persons",
               description="parent_of: 父母一方; supervisor_of: 上级; 其余: 本人",
               beside=NAME_REF),
        Column("object_person_key", "对方人员编号", "other_person_key", "ref", ref="persons",
               beside=("对方姓名（参考）", "other_person_name_ref")),
        Column("object_unit_key", "对方单位编号", "other_unit_key", "ref", ref="units",
               beside=("对方单位名称（参考）", "other_unit_name_ref"),
               description="仅经商办企业、申请或决定回避 / business_interest and recusal "
                           "only"),
        Column("adoptive", "收养", "adoptive", "bool"),
        Column("step", "继亲", "step", "bool"),
        Column("category", "类别", "category", "enum", choices=ALL_CATEGORIES),
        Column("start", "起始日期", "start", "date"),
        Column("end", "截止日期", "end", "date"),
        *_SOURCE_COLUMNS,
        Column("note", "备注", "note", "text"),
    ),
    key=("key",), en_title="Ties",
)

ROUNDS = Entity(
    "rounds", "巡察轮次", "rounds",
    (
        Column("key", "轮次编号", "round_key", "key", required=True),
        Column("name", "名称", "name", "name", required=True),
        Column("kind", "类型", "kind", "enum", required=True, choices=ROUND_KINDS),
        Column("region_code", "巡察主体区划", "region_code", "region"),
        Column("start", "开始日期", "start", "date", required=True),
        Column("end", "结束日期", "end", "date", required=True),
    ),
    key=("key",), en_title="Rounds",
)

PARTICIPATIONS = Entity(
    "participations", "参与记录", "participations",
    (
        Column("round_key", "轮次编号", "round_key", "ref", required=True, ref="rounds",
               beside=ROUND_NAME_REF),
        Column("person_key", "人员编号", "person_key", "ref", required=True, ref="cadres",
               beside=NAME_REF),
        Column("team_no", "组别", "team_no", "int", required=True),
        Column("role", "角色", "role", "enum", required=True, choices=TEAM_ROLES),
        Column("target_unit_key", "被巡察单位", "target_unit", "ref", required=True,
               ref="units", beside=("被巡察单位名称（参考）", "target_unit_name_ref")),
        Column("second_target_unit_key", "第二被巡察单位", "second_target_unit", "ref",
               ref="units", description="一托二时填写 / when one team covers two units",
               beside=("第二被巡察单位名称（参考）", "second_target_unit_name_ref")),
    ),
    key=("round_key", "person_key"), en_title="Participation history",
)

EVALUATIONS = Entity(
    "evaluations", "巡后评估", "evaluations",
    (
        Column("round_key", "轮次编号", "round_key", "ref", required=True, ref="rounds",
               beside=ROUND_NAME_REF),
        Column("person_key", "人员编号", "person_key", "ref", required=True, ref="cadres",
               beside=NAME_REF),
        Column("grade", "等次", "grade", "enum", required=True, choices=EVALUATION_GRADES),
        Column("score", "分数", "score", "float"),
        Column("comment", "评语", "comment", "text"),
        Column("evaluator", "评估人", "evaluator", "text"),
        Column("evaluated_on", "评估日期", "evaluated_on", "date"),
        Column("accountability", "问责情况", "accountability", "text",
               description="记录的问责认定，如 隐情不报、应发现未发现；无则留空 / a recorded "
                           "accountability finding, blank when none"),
    ),
    key=("round_key", "person_key"), en_title="Post-round evaluations",
)

ENTITIES: tuple[Entity, ...] = (
    REGIONS, SYSTEMS, SKILLS, UNITS, PERSONS, CADRES, UNAVAILABILITY, EMPLOYMENTS, TIES,
    ROUNDS, PARTICIPATIONS, EVALUATIONS,
)
ENTITY_BY_NAME = {e.name: e for e in ENTITIES}


def entity_for_label(label: str) -> Entity | None:
    """Find the entity a sheet name or file stem stands for (Chinese or English)."""
    text = label.strip().lower()
    for e in ENTITIES:
        if text in (e.name, e.zh, e.table):
            return e
    return None


# Sheets of an import template (`pool.template`) that hold notes and code lists, not data:
# the importer skips them in a workbook.
NOTES_SHEET, LISTS_SHEET = "说明", "代码表"
NOTE_SHEETS = (NOTES_SHEET, LISTS_SHEET)
