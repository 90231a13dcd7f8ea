"""The answer to "why is (or isn't) this cadre recused": reasons with their legal basis and
evidence paths of dated, sourced edges, rendered in Chinese and English and as plain data.

    王𠮷 —配偶→ 李梅 —父亲→ 李强 —任职(2021-01-01—)→ 云川市规划局

The records behind each edge are collected by `conflicts.evidence`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any

from conflicts.policy import Kin
from pool.formats import SOURCE_TYPES, TEAM_ROLES

_SOURCE = {c.code: (c.zh, c.en) for c in SOURCE_TYPES}
ROLE_ZH = {c.code: c.zh for c in TEAM_ROLES}
KIN_TEXT: dict[Kin, tuple[str, str]] = {
    Kin.spouse: ("配偶", "spouse"), Kin.parent: ("父母", "parent"),
    Kin.child: ("子女", "child"), Kin.grandparent: ("祖父母、外祖父母", "grandparent"),
    Kin.grandchild: ("孙子女、外孙子女", "grandchild"),
    Kin.sibling: ("兄弟姐妹", "sibling"), Kin.uncle_aunt: ("伯叔姑舅姨", "uncle or aunt"),
    Kin.cousin: ("堂、表兄弟姐妹", "first cousin"), Kin.nephew_niece: ("侄、甥", "nephew or niece"),
    Kin.parent_in_law: ("配偶的父母", "spouse's parent"),
    Kin.sibling_in_law: ("配偶的兄弟姐妹及其配偶", "spouse's sibling or their spouse"),
    Kin.child_in_law: ("子女的配偶", "child's spouse"),
    Kin.child_in_law_parent: ("子女配偶的父母", "child's spouse's parent"),
    Kin.collateral_spouse: ("三代以内旁系血亲的配偶", "spouse of a collateral relative"),
}


@dataclass(frozen=True, slots=True)
class Edge:
    """One step of evidence: `source —label→ target`, with the record it rests on."""

    relation: str
    label_zh: str
    label_en: str
    source_key: str
    source_name: str
    target_key: str
    target_name: str
    start: dt.date | None = None
    end: dt.date | None = None
    record: str | None = None  # "tie:T0001", "employment:E0001", "unit:U01", "cadre:P01"
    source_type: str | None = None
    source_ref: str | None = None
    recorded_by: str | None = None
    note: str | None = None

    def render(self, lang: str = "zh") -> str:
        label = self.label_zh if lang == "zh" else self.label_en
        when = _when(self.start, self.end)
        return f" —{label}{when}→ {self.target_name}"


@dataclass(frozen=True, slots=True)
class Evidence:
    edges: tuple[Edge, ...]
    kin: Kin | None = None  # the kinship category the path proves, if any

    @property
    def through_relatives(self) -> bool:
        """Whether the path runs through kinship records (and so names relatives)."""
        return self.kin is not None or any(
            e.record is not None and e.record.startswith("tie:") for e in self.edges)

    def render(self, lang: str = "zh") -> str:
        if not self.edges:
            if self.kin is None:
                return ""
            zh, en = KIN_TEXT[self.kin]
            return (f"亲属关系：{zh}（亲属及记录仅向有权查看亲属关系的角色显示）" if lang == "zh"
                    else f"kinship: {en} (relatives and records are shown only to roles "
                         "that may read ties)")
        head = self.edges[0].source_name
        path = head + "".join(e.render(lang) for e in self.edges)
        if self.kin is not None:
            zh, en = KIN_TEXT[self.kin]
            path += f"（{zh}）" if lang == "zh" else f" ({en})"
        return path

    def sources(self, lang: str = "zh") -> list[str]:
        """One line per edge that rests on a record: what, which record, from where."""
        out = []
        for e in self.edges:
            if e.record is None or not e.record.startswith(("tie:", "employment:")):
                continue
            src = _SOURCE.get(e.source_type or "", (e.source_type, e.source_type))
            src_txt = src[0] if lang == "zh" else src[1]
            parts = [e.record, src_txt, e.source_ref, e.recorded_by, e.note]
            out.append(" · ".join(str(p) for p in parts if p))
        return out


@dataclass(frozen=True, slots=True)
class Reason:
    rule_id: str
    title_zh: str
    title_en: str
    hard: bool
    roles: tuple[str, ...]
    basis_zh: str
    basis_en: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    cadre_key: str
    cadre_name: str
    target_key: str
    target_name: str
    as_of: dt.date
    policy_name: str
    policy_version: str
    policy_hash: str
    reasons: tuple[Reason, ...]
    checked: tuple[str, ...]  # every (cadre, target) rule that was looked at

    @property
    def recused(self) -> bool:
        """Recused under a hard rule for at least one role."""
        return any(r.hard for r in self.reasons)

    def render(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        head = (f"{self.cadre_name}（{self.cadre_key}）与 {self.target_name}（{self.target_key}），"
                f"截至 {self.as_of}，回避规则 {self.policy_name} {self.policy_version}"
                f"（{self.policy_hash[:12]}）" if zh else
                f"{self.cadre_name} ({self.cadre_key}) and {self.target_name} "
                f"({self.target_key}) as of {self.as_of}, policy {self.policy_name} "
                f"{self.policy_version} ({self.policy_hash[:12]})")
        lines = [head]
        if not self.reasons:
            n = len(self.checked)
            lines.append(f"  无需回避：已核查 {n} 条规则（{'、'.join(self.checked)}）" if zh
                         else f"  no recusal: {n} rules checked ({', '.join(self.checked)})")
        for r in self.reasons:
            kind = ("必须回避" if r.hard else "宜回避") if zh else ("hard" if r.hard else "soft")
            roles = "、".join(ROLE_ZH[x] for x in r.roles) if zh else ", ".join(r.roles)
            lines.append(f"  [{r.rule_id}] {r.title_zh if zh else r.title_en}（{kind}；{roles}）"
                         if zh else f"  [{r.rule_id}] {r.title_en} ({kind}; {roles})")
            lines.append(f"    依据：{r.basis_zh}" if zh else f"    basis: {r.basis_en}")
            for ev in r.evidence:
                lines.append(f"    · {ev.render(lang)}")
                lines.extend(f"        {s}" for s in ev.sources(lang))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self)) | {"recused": self.recused}

    def without_relatives(self) -> Explanation:
        """Need to know: the same verdict, rules and legal basis, with every evidence path
        through kinship records reduced to its kinship category (no relative's name, key
        or record). For roles that may not read ties."""
        return replace(self, reasons=tuple(
            replace(r, evidence=tuple(Evidence((), ev.kin) if ev.through_relatives else ev
                                      for ev in r.evidence))
            for r in self.reasons))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _when(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return ""
    return f"({start.isoformat() if start else ''}—{end.isoformat() if end else ''})"


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """Why two cadres must not serve on one team (within-team rules)."""

    cadre_a: str
    name_a: str
    cadre_b: str
    name_b: str
    as_of: dt.date
    policy_name: str
    policy_hash: str
    reasons: tuple[Reason, ...]

    def render(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        lines = [f"{self.name_a}（{self.cadre_a}）与 {self.name_b}（{self.cadre_b}）同组"
                 f"，截至 {self.as_of}：" + ("不得同组" if self.reasons else "可以同组") if zh
                 else f"{self.name_a} ({self.cadre_a}) and {self.name_b} ({self.cadre_b}) "
                 f"on one team as of {self.as_of}: "
                 + ("not allowed" if self.reasons else "allowed")]
        for r in self.reasons:
            lines.append(f"  [{r.rule_id}] {r.title_zh if zh else r.title_en}")
            lines.append(f"    {'依据：' + r.basis_zh if zh else 'basis: ' + r.basis_en}")
            lines.extend(f"    · {ev.render(lang)}" for ev in r.evidence)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))
