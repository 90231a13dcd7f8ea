"""Recusal policy as data: versioned rule sets in YAML (`conflicts/policies/`), validated,
with a stable content hash that every decision records.

A rule names the relation it looks for, the part of the target it looks at, the team
roles it applies to, a look-back window, whether it is hard or soft, and its legal basis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

POLICY_DIR = Path(__file__).parent / "policies"


class Relation(StrEnum):
    """What links the cadre to the target (DESIGN §4)."""

    employment = "employment"  # the cadre works or worked in the target scope
    kin_employment = "kin_employment"  # a relative in scope works in or leads the target scope
    kin_business = "kin_business"  # a relative in scope holds a business interest there
    region = "region"  # home (籍贯/成长地) or current-work region contains the target
    system = "system"  # home unit in the same system as the target
    supervision = "supervision"  # home unit supervises or is supervised by the target
    leadership_ties = "leadership_ties"  # former superior/subordinate of the target's leaders
    schooling = "schooling"  # 学缘 with the target's leaders
    declared = "declared"  # self-declared, requested by the unit, organization decision
    within_team = "within_team"  # two members of one team: kin or the same home unit
    eligibility = "eligibility"  # status, discipline window, availability (not a conflict)


class Kin(StrEnum):
    """Kinship categories the engine derives (DESIGN §4); adoptive and step count as blood."""

    spouse = "spouse"  # 配偶
    parent = "parent"  # 父母
    child = "child"  # 子女
    grandparent = "grandparent"  # 祖父母、外祖父母
    grandchild = "grandchild"  # 孙子女、外孙子女
    sibling = "sibling"  # 兄弟姐妹（含同父异母、同母异父）
    uncle_aunt = "uncle_aunt"  # 伯叔姑舅姨
    cousin = "cousin"  # 堂、表兄弟姐妹
    nephew_niece = "nephew_niece"  # 侄、甥
    parent_in_law = "parent_in_law"  # 配偶的父母
    sibling_in_law = "sibling_in_law"  # 配偶的兄弟姐妹及其配偶
    child_in_law = "child_in_law"  # 子女的配偶
    child_in_law_parent = "child_in_law_parent"  # 子女配偶的父母
    collateral_spouse = "collateral_spouse"  # 三代以内旁系血亲的配偶


KIN_GROUPS: dict[str, tuple[Kin, ...]] = {
    "lineal": (Kin.parent, Kin.child, Kin.grandparent, Kin.grandchild),  # 直系血亲
    "collateral": (Kin.sibling, Kin.uncle_aunt, Kin.cousin, Kin.nephew_niece),  # 三代以内旁系
    "in_law": (Kin.parent_in_law, Kin.sibling_in_law, Kin.child_in_law,
               Kin.child_in_law_parent, Kin.collateral_spouse),  # 近姻亲
    "close": (Kin.spouse, Kin.parent, Kin.child, Kin.grandparent, Kin.grandchild,
              Kin.sibling),  # 近亲属
}
KIN_GROUPS["all"] = (Kin.spouse, *KIN_GROUPS["lineal"], *KIN_GROUPS["collateral"],
                     *KIN_GROUPS["in_law"])


class TargetScope(StrEnum):
    unit = "unit"  # the inspected unit itself
    parent = "parent"  # its parent unit
    subordinates = "subordinates"  # its subordinate units (二级单位)
    region = "region"  # its region, at the rule's region level
    system = "system"  # its line of work


class Role(StrEnum):
    leader = "leader"  # 组长
    deputy = "deputy"  # 副组长
    member = "member"  # 组员
    liaison = "liaison"  # 联络员


class RegionLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    town = "town"


class Basis(BaseModel):
    """The legal basis quoted in every explanation of the rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    relation: Relation
    kinship: tuple[Kin, ...] = ()  # in a file: categories and/or group names (lineal …)
    same_home_unit: bool = False  # within_team: two members from one home unit
    target_scope: tuple[TargetScope, ...] = (TargetScope.unit,)
    region_level: RegionLevel | None = None
    roles: tuple[Role, ...] = tuple(Role)
    look_back_years: float | None = Field(default=None, ge=0)
    min_years_any_time: float | None = Field(default=None, ge=0)
    hard: bool = True
    basis: Basis

    @model_validator(mode="before")
    @classmethod
    def _expand_groups(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kinship"), list | tuple):
            expanded: list[str] = []
            for item in data["kinship"]:
                names = KIN_GROUPS.get(item, (item,)) if isinstance(item, str) else (item,)
                expanded.extend(str(n) for n in names if str(n) not in expanded)
            data = {**data, "kinship": expanded}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        kin_relations = {Relation.kin_employment, Relation.kin_business, Relation.within_team}
        if self.relation in kin_relations and not self.kinship:
            raise ValueError(f"relation '{self.relation}' needs a 'kinship' list")
        if self.kinship and self.relation not in kin_relations:
            raise ValueError(f"'kinship' does not apply to relation '{self.relation}'")
        if self.relation is Relation.region and self.region_level is None:
            raise ValueError("relation 'region' needs 'region_level'")
        if not self.roles:
            raise ValueError("'roles' may not be empty")
        return self


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' appears twice")
            seen.add(rule.id)
        return self

    @cached_property
    def hash(self) -> str:
        """sha256 of the canonical JSON of the validated policy (key order and YAML
        formatting do not matter; any change of meaning does)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True,
                               ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Self:
        """A copy whose hash is its own: pydantic copies the instance dict, and with it a
        `hash` the original had already cached."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("hash", None)
        return copy


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the key."""


def parse_policy(data: Mapping[str, Any], source: str = "<policy>") -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise PolicyError(f"回避规则文件 {source} 无效 / invalid policy file {source}:\n"
                          + "\n".join(lines)) from None


def load_policy(name_or_path: str | Path) -> Policy:
    """A shipped policy by name (`default`) or a YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = POLICY_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in POLICY_DIR.glob("*.yaml")))
        raise PolicyError(f"找不到回避规则 {name_or_path}；可用：{shipped} / "
                          f"no policy {name_or_path}; available: {shipped}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"回避规则文件 {path.name} 不是有效的 YAML / "
                          f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise PolicyError(f"{path.name}: 顶层应为映射 / the top level must be a mapping")
    return parse_policy(data, path.name)


def shipped_policies() -> list[str]:
    return sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))


_LOADED: dict[tuple[str, int], Policy] = {}


def cached_policy(name_or_path: str | Path) -> Policy:
    """`load_policy`, parsed once per file version (the file's modification time): a
    service answering many checks must not parse YAML on each."""
    path = Path(name_or_path)
    if not path.suffix:
        path = POLICY_DIR / f"{name_or_path}.yaml"
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return load_policy(name_or_path)  # raises the usual, explained PolicyError
    if key not in _LOADED:
        _LOADED[key] = load_policy(path)
    return _LOADED[key]
