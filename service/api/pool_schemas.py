"""Request and response schemas of the pool resources (XRead / XCreate / XUpdate); field
names are the columns of `pool.formats`, codes are the code lists' codes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

from pool.formats import (
    ALL_CATEGORIES,
    CADRE_STATUSES,
    RANKS,
    SOURCE_TYPES,
    TIE_KINDS,
    Choice,
)
from service.api.common import BeijingTime

KEY = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$",
                           description="编号：字母、数字、-、_、.，最长64位 / key")]
Flag = Literal["leader_pool", "deputy_pool", "expert_pool", "reserve", "newly_promoted"]


def _codes(choices: tuple[Choice, ...]) -> JsonDict:
    """The codes of a code list, for the OpenAPI schema (the checks are the importer's)."""
    return {"enum": [c.code for c in choices]}


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RegionRead(_Read):
    code: str
    name: str
    parent_code: str | None
    level: str = Field(description="province / city / county / town")


class SystemRead(_Read):
    code: str
    name_zh: str
    name_en: str | None


class SkillRead(_Read):
    code: str
    name_zh: str
    name_en: str | None


class UnitRead(_Read):
    key: str
    name: str
    region_code: str
    system_code: str
    parent_key: str | None
    supervisor_key: str | None
    kind: str | None


class PersonRead(_Read):
    key: str
    name: str
    gender: str | None
    birth_date: dt.date | None
    native_region: str | None
    grew_up_region: str | None
    id_number: str | None = Field(
        description="身份证号；无敏感数据权限的角色为 null / resident ID number; null for "
                    "roles without pool:read-sensitive")
    is_cadre: bool = Field(description="是否在巡察干部人才库中 / is a cadre in the pool")


class CadreSkillRead(BaseModel):
    code: str
    name_zh: str
    name_en: str | None
    level: int = Field(ge=1, le=5)


class CadreRead(BaseModel):
    person_key: str
    name: str
    gender: str | None
    home_unit_key: str
    home_unit_name: str
    region_code: str = Field(description="所在单位的行政区划 / the home unit's region")
    region_name: str
    rank: str | None
    political_status: str | None
    leader_pool: bool
    deputy_pool: bool
    expert_pool: bool
    reserve: bool
    newly_promoted: bool
    full_time: bool = Field(description="专职巡察干部（否则为抽调干部）/ full-time inspection "
                                        "staff (otherwise seconded)")
    status: str = Field(json_schema_extra=_codes(CADRE_STATUSES))
    status_reason: str | None
    status_from: dt.date | None
    status_to: dt.date | None
    max_rounds_per_year: int | None
    joined_on: dt.date | None
    skills: list[CadreSkillRead]


class SkillLevel(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$", description="特长代码 / skill code")
    level: int = Field(default=1, ge=1, le=5)


class CadreUpdate(BaseModel):
    """只改写请求中出现的字段；显式的 null 清空该值（状态、是否类字段不能为 null）。
    Only the fields present are changed; an explicit null clears a value (status and the
    flags may not be null). `skills` replaces the whole skill set."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(default=None, json_schema_extra=_codes(CADRE_STATUSES))
    status_reason: str | None = Field(default=None, max_length=2000)
    status_from: dt.date | None = None
    status_to: dt.date | None = None
    rank: str | None = Field(default=None, json_schema_extra=_codes(RANKS))
    leader_pool: bool | None = None
    deputy_pool: bool | None = None
    expert_pool: bool | None = None
    reserve: bool | None = None
    newly_promoted: bool | None = None
    full_time: bool | None = Field(default=None, description=(
        "专职巡察干部 / full-time inspection staff"))
    max_rounds_per_year: int | None = Field(default=None, ge=0, le=366)
    skills: list[SkillLevel] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _not_null(self) -> CadreUpdate:
        for name in ("status", "skills", "full_time", *get_args(Flag)):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class UnavailabilityRead(_Read):
    person_key: str
    start: dt.date
    end: dt.date
    reason: str | None


class UnavailabilityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: dt.date
    end: dt.date
    reason: str | None = Field(default=None, max_length=2000)


class EmploymentRead(_Read):
    key: str
    person_key: str
    unit_key: str
    post: str | None
    is_leader: bool
    start: dt.date
    end: dt.date | None
    source_type: str | None
    source_ref: str | None


class TieRead(_Read):
    key: str
    kind: str = Field(json_schema_extra=_codes(TIE_KINDS))
    subject_key: str
    object_person_key: str | None
    object_unit_key: str | None
    adoptive: bool
    step: bool
    category: str | None
    start: dt.date | None
    end: dt.date | None
    source_type: str | None
    source_ref: str | None
    recorded_by: str | None
    recorded_at: BeijingTime | None
    note: str | None


class TieCreate(BaseModel):
    """与导入“关系”表同样校验（类型、类别、对方人员或单位、亲属关系的一致性）。
    Checked like a row of the ties import (kind, category, the other person or unit,
    kinship consistency). `subject_key` is the parent for parent_of and the superior for
    supervisor_of."""

    model_config = ConfigDict(extra="forbid")

    key: KEY | None = Field(default=None, description="留空则自动生成 / generated when absent")
    kind: str = Field(max_length=64, json_schema_extra=_codes(TIE_KINDS))
    subject_key: KEY
    object_person_key: KEY | None = None
    object_unit_key: KEY | None = None
    adoptive: bool = False
    step: bool = False
    category: str | None = Field(default=None, max_length=64,
                                 json_schema_extra=_codes(ALL_CATEGORIES))
    start: dt.date | None = None
    end: dt.date | None = None
    source_type: str | None = Field(default=None, max_length=64,
                                    json_schema_extra=_codes(SOURCE_TYPES))
    source_ref: str | None = Field(default=None, max_length=256)
    note: str | None = Field(default=None, max_length=2000)


class ParticipationRead(_Read):
    round_key: str
    person_key: str
    team_no: int
    role: str
    target_unit_key: str
    second_target_unit_key: str | None


class EvaluationRead(_Read):
    round_key: str
    person_key: str
    grade: str
    score: float | None
    comment: str | None
    evaluator: str | None
    evaluated_on: dt.date | None
    accountability: str | None = Field(description=(
        "问责情况，如“隐情不报”；无则为 null / a recorded accountability finding, or null"))


class ImportTableRead(BaseModel):
    entity: str
    source: str
    encoding: str | None = Field(description=(
        "CSV 文件读取所用的编码（UTF-8 或 GB18030）；工作表为 null / the text encoding a CSV "
        "file was read in (UTF-8 or GB18030); null for a workbook sheet"))
    rows: int
    new: int
    updated: int


class ImportReportRead(BaseModel):
    dry_run: bool = Field(description="试运行：已校验，未写入 / validated, nothing written")
    rows: int
    seconds: float
    tables: list[ImportTableRead]
