"""What the import template says about each column: required or not, its type, the
values the importer accepts (the drop-down lists) and an example. The examples of all
sheets form one consistent record set, so a template filled in with them imports."""

from __future__ import annotations

from dataclasses import dataclass

from pool.formats import ENTITY_BY_NAME, Choice, Column, ColumnKind, Entity
from pool.tabular import FALSE_LABEL, TRUE_LABEL
from pool.validation import id_check_char


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The code lists that live in the database: the template's drop-downs offer them."""

    skills: tuple[Choice, ...]
    systems: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class ColumnNote:
    """One row of the template's 说明 sheet."""

    sheet: str
    header: str
    alias: str
    required: bool
    type_zh: str
    type_en: str
    allowed: str  # the values the importer accepts, as shown to a person
    example: str
    notes: str


KIND_TEXT: dict[ColumnKind, tuple[str, str]] = {
    "key": ("编号（字母、数字、- _ .，至多64位）", "key (letters, digits, - _ ., up to 64)"),
    "text": ("文本", "text"),
    "name": ("名称", "name"),
    "date": ("日期 YYYY-MM-DD", "date YYYY-MM-DD"),
    "datetime": ("日期时间 YYYY-MM-DD HH:MM:SS", "date and time YYYY-MM-DD HH:MM:SS"),
    "bool": ("是/否", "yes/no (是/否)"),
    "int": ("整数", "whole number"),
    "float": ("数字", "number"),
    "enum": ("代码表取值（中文名称、代码或英文均可）", "a listed value (Chinese name, code or "
             "English)"),
    "region": ("行政区划代码（6位，乡镇9位）", "region code (6 digits, 9 for towns)"),
    "ref": ("引用编号", "key of another table"),
    "skills": ("专业特长，可带等级1-5，分号分隔", "skills with optional level 1-5, ';'-separated"),
    "id_number": ("18位身份证号（校验位正确）", "18-character resident ID number (valid "
                  "check character)"),
}

_ID_FIRST17 = "320000" + "19800501" + "001"  # 17th digit odd: a man born 1980-05-01
EXAMPLE_ID_NUMBER = _ID_FIRST17 + id_check_char(_ID_FIRST17)

# One record per sheet; keys and codes refer to each other so that the set imports as is.
EXAMPLES: dict[str, dict[str, str]] = {
    "regions": {"code": "320000", "name": "江淮省", "parent_code": ""},
    "systems": {"code": "audit", "name_zh": "审计", "name_en": "Audit"},
    "skills": {"code": "tax", "name_zh": "税务", "name_en": "taxation"},
    "units": {"key": "U00001", "name": "江淮省审计厅", "region_code": "320000",
              "system_code": "audit", "parent_key": "", "supervisor_key": "",
              "kind": "党政机关"},
    "persons": {"key": "P00001", "name": "张三", "gender": "男", "birth_date": "1980-05-01",
                "native_region": "320000", "grew_up_region": "320000",
                "id_number": EXAMPLE_ID_NUMBER},
    "cadres": {"person_key": "P00001", "home_unit_key": "U00001", "rank": "县处级副职",
               "political_status": "中共党员", "skills": "财务:3;审计",
               "leader_pool": TRUE_LABEL, "deputy_pool": FALSE_LABEL,
               "expert_pool": FALSE_LABEL, "reserve": FALSE_LABEL,
               "newly_promoted": FALSE_LABEL, "full_time": FALSE_LABEL,
               "status": "在库", "status_reason": "",
               "status_from": "", "status_to": "", "max_rounds_per_year": "2",
               "joined_on": "2020-01-01"},
    "unavailability": {"person_key": "P00001", "start": "2027-03-01", "end": "2027-03-31",
                       "reason": "脱产培训"},
    "employments": {"key": "E00001", "person_key": "P00001", "unit_key": "U00001",
                    "post": "副厅长", "is_leader": TRUE_LABEL, "start": "2015-07-01",
                    "end": "", "source_type": "档案", "source_ref": "干任〔2015〕12号"},
    "ties": {"key": "T00001", "kind": "经商办企业", "subject_key": "P00001",
             "object_person_key": "", "object_unit_key": "U00001", "adoptive": FALSE_LABEL,
             "step": FALSE_LABEL, "category": "持股", "start": "2018-01-01", "end": "",
             "source_type": "个人有关事项报告", "source_ref": "2024年度报告",
             "recorded_by": "李四", "recorded_at": "2024-01-15 09:30:00",
             "note": "配偶持股5%"},
    "rounds": {"key": "R2027-01", "name": "2027年第一轮巡察", "kind": "常规",
               "region_code": "320000", "start": "2027-04-01", "end": "2027-06-30"},
    "participations": {"round_key": "R2027-01", "person_key": "P00001", "team_no": "1",
                       "role": "组长", "target_unit_key": "U00001",
                       "second_target_unit_key": ""},
    "evaluations": {"round_key": "R2027-01", "person_key": "P00001", "grade": "优秀",
                    "score": "95", "comment": "熟悉财务审计", "evaluator": "王五",
                    "evaluated_on": "2027-07-15", "accountability": ""},
}


def drop_down(col: Column, catalogue: Catalogue) -> tuple[str, ...] | None:
    """The values a column's drop-down offers (each one the importer accepts), or None
    for a column without one. Codes living in the database come from `catalogue`."""
    if col.kind == "enum":
        return tuple(c.zh for c in col.choices)
    if col.kind == "bool":
        return (TRUE_LABEL, FALSE_LABEL)
    if col.kind == "skills":
        return tuple(c.zh for c in catalogue.skills)
    if col.kind == "ref" and col.ref == "systems":
        return tuple(c.code for c in catalogue.systems)  # a reference takes the code only
    return None


def _listing(choices: tuple[Choice, ...], *, code_first: bool = False) -> str:
    if code_first:
        return "、".join(f"{c.code}({c.zh})" for c in choices)
    return "、".join(f"{c.zh}({c.code})" for c in choices)


def allowed_text(col: Column, catalogue: Catalogue) -> str:
    """What the 说明 sheet lists as the accepted values of a column."""
    if col.kind == "enum":
        return _listing(col.choices)
    if col.kind == "bool":
        return f"{TRUE_LABEL}、{FALSE_LABEL}（空为否 / blank: no）"
    if col.kind == "skills":
        if not catalogue.skills:
            return "先在“专业特长”表中填写 / fill in the 专业特长 sheet first"
        return _listing(catalogue.skills) + "；新特长先在“专业特长”表中填写 / new skills: " \
            "fill in the 专业特长 sheet"
    if col.kind == "ref" and col.ref:
        target = ENTITY_BY_NAME[col.ref]
        if col.ref == "systems" and catalogue.systems:
            return _listing(catalogue.systems, code_first=True) + "；新系统先在“系统”表中填写" \
                " / new systems: fill in the 系统 sheet"
        return f"“{target.zh}”表或库中已有的编号 / a key in the {target.zh} ({target.name}) " \
            "sheet or already in the pool"
    return ""


def type_text(col: Column) -> tuple[str, str]:
    zh, en = KIND_TEXT[col.kind]
    if col.kind == "ref" and col.ref:
        target = ENTITY_BY_NAME[col.ref]
        return f"引用“{target.zh}”的编号", f"key of {target.name}"
    return zh, en


def column_note(entity: Entity, col: Column, catalogue: Catalogue) -> ColumnNote:
    zh, en = type_text(col)
    return ColumnNote(
        sheet=entity.zh, header=col.zh, alias=col.en, required=col.required,
        type_zh=zh, type_en=en, allowed=allowed_text(col, catalogue),
        example=EXAMPLES[entity.name].get(col.field, ""), notes=col.description)


def prompt(note: ColumnNote) -> tuple[str, str]:
    """The title and text Excel shows when a cell of the column is selected (Excel allows
    32 and 255 characters)."""
    need = "必填 required" if note.required else "选填 optional"
    example = f"；例 e.g. {note.example}" if note.example else ""
    text = f"{need}；{note.type_zh} / {note.type_en}{example}"
    return note.header[:32], text[:255]


def companions(col: Column, catalogue: Catalogue) -> tuple[str, tuple[str, ...]]:
    """The column shown beside a drop-down's list on the 代码表 sheet (its codes, or the
    names of codes), as (title, values); no companion for yes/no."""
    if col.kind == "enum":
        return "代码 code", tuple(c.code for c in col.choices)
    if col.kind == "skills":
        return "代码 code", tuple(c.code for c in catalogue.skills)
    if col.kind == "ref" and col.ref == "systems":
        return "名称 name", tuple(c.zh for c in catalogue.systems)
    return "", ()
