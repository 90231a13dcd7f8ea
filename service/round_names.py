"""Round and cross-inspection plans in the office's words: skills by code or by the names
the import and export use (财务), target units by key or by exact name (云川市审计局),
cadre keys checked. Resolved once, when a plan is read for a trial or a round is created,
into the codes and keys that are stored and sealed; every unknown value is reported at
once, with what was probably meant."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from pool import arrow
from pool.repository import PoolRepository
from pool.validation import clip, normalize_key, normalize_name, normalize_text
from service.plan_problems import Loc, PlanProblem, RoundFileError, close, problem

if TYPE_CHECKING:
    from service.cross import CrossFile
    from service.rounds import RoundFile

M = TypeVar("M", bound=BaseModel)
SHOWN_SKILLS = 30  # list every skill in a message up to this many


@dataclass(frozen=True)
class Catalogue:
    """What a plan may name: skills (code, Chinese, English), units (key, name, region
    code, region name) and, when the plan names cadres, the cadres' keys. A unit is found
    by its key anywhere, by its name (and suggested) only in the `visible` regions (None:
    all), so that a scoped user is not told of units they may not see."""

    skills: tuple[tuple[str, str, str | None], ...]
    units: tuple[tuple[str, str, str, str], ...]
    cadres: frozenset[str] | None = None
    visible: frozenset[str] | None = None

    @cached_property
    def skill_label(self) -> dict[str, str]:
        """Every spelling of a skill (code, Chinese, English), folded → its code."""
        out: dict[str, str] = {}
        for code, zh, en in self.skills:
            for label in (code, zh, en):
                if label:
                    out.setdefault(_fold(label), code)
        return out

    @cached_property
    def skill_zh(self) -> dict[str, str]:
        return {code: zh for code, zh, _en in self.skills}

    @cached_property
    def unit(self) -> dict[str, tuple[str, str]]:
        """Unit key → (name, region name)."""
        return {key: (name, region) for key, name, _code, region in self.units}

    @cached_property
    def shown(self) -> list[tuple[str, str, str, str]]:
        return [u for u in self.units if self.visible is None or u[2] in self.visible]

    @cached_property
    def named(self) -> dict[str, list[str]]:
        """A visible unit's name as the importer normalizes it → the keys of the units so
        named."""
        names = arrow.normalize(pd.Series([u[1] for u in self.shown], dtype="str"), name=True)
        out: dict[str, list[str]] = {}
        for (key, *_rest), name in zip(self.shown, names.tolist(), strict=True):
            out.setdefault(name, []).append(key)
        return out


def catalogue_for(session: Session, cadres: bool = False,
                  visible: frozenset[str] | None = None) -> Catalogue:
    """The catalogue from the pool database (the cadres' keys only when asked for)."""
    repo = PoolRepository(session)
    skills = repo.skill_labels()
    return Catalogue(
        tuple((str(c), str(zh), en if isinstance(en, str) else None)
              for c, zh, en in zip(skills["code"], skills["name_zh"], skills["name_en"],
                                   strict=True)),
        tuple(repo.unit_labels()), repo.cadre_keys() if cadres else None, visible)


def _fold(label: str) -> str:
    return normalize_text(label).lower()


SUGGESTED_AT_MOST = 20  # unknown units and cadres of one plan given "did you mean": each search
# runs over every unit name or cadre key, so a plan of thousands of unknown values (a
# `cadres:` table may hold 100,000) must not cost minutes; the rest are listed without


class _Resolver:
    """Resolves values one by one, collecting every problem."""

    def __init__(self, catalogue: Catalogue, prefix: Loc) -> None:
        self.cat, self.prefix = catalogue, prefix
        self.problems: list[PlanProblem] = []
        self.searches = 0

    def _may_suggest(self) -> bool:
        self.searches += 1
        return self.searches <= SUGGESTED_AT_MOST

    def _add(self, loc: Loc, what_zh: str, what_en: str, hint_zh: str = "",
             hint_en: str = "", suggestions: Iterable[str] = (),
             field: Loc | None = None) -> None:
        self.problems.append(problem(loc, what_zh, what_en, hint_zh, hint_en, suggestions,
                                     self.prefix, field))

    def skill_label(self, code: str) -> str:
        return f"{code}（{self.cat.skill_zh[code]}）"

    def skills(self, counts: dict[str, int] | None, loc: Loc) -> dict[str, int] | None:
        if counts is None:
            return None
        out: dict[str, int] = {}
        first: dict[str, str] = {}
        for given, n in counts.items():
            code = self.cat.skill_label.get(_fold(given))
            if code is None:
                self._unknown_skill(given, loc)
            elif code in out:
                self._add(loc, f"专业特长“{clip(given)}”与“{first[code]}”是同一项 "
                          f"{self.skill_label(code)}", f"'{clip(given)}' and "
                          f"'{first[code]}' are the same skill, {code}",
                          "只写一次", "write it once", field=(*loc, given))
            else:
                out[code], first[code] = n, clip(given)
        return out

    def skill_list(self, given: list[str], loc: Loc) -> list[str]:
        """Skills listed by code or name (a checking group's), as codes in their order."""
        return list(self.skills(dict.fromkeys(given, 0), loc) or {})

    def _unknown_skill(self, given: str, loc: Loc) -> None:
        labels = self.cat.skill_label
        matches = close(_fold(given), labels, n=6, cutoff=0.5)  # 审记 → 审计: 2 characters
        codes = list(dict.fromkeys(labels[m] for m in matches))[:3]
        hint_zh = hint_en = ""
        if not codes:
            if len(self.cat.skills) <= SHOWN_SKILLS:
                every = [self.skill_label(c) for c, _zh, _en in self.cat.skills]
                hint_zh, hint_en = f"可用：{'、'.join(every)}", f"known: {', '.join(every)}"
            else:
                hint_zh, hint_en = ("专业特长代码表见 GET /v1/skills",
                                    "the skill codes are listed by GET /v1/skills")
        self._add(loc, f"未知的专业特长“{clip(given)}”", f"unknown skill '{clip(given)}'",
                  hint_zh, hint_en, [self.skill_label(c) for c in codes], field=(*loc, given))

    def unit_label(self, key: str) -> str:
        name, region = self.cat.unit[key]
        return f"{name} {key}（{region}）"

    def unit(self, given: str, loc: Loc) -> str:
        """The unit key `given` names: a key as it is, else the one unit so named."""
        if given in self.cat.unit:
            return given
        key = normalize_key(given)
        if key in self.cat.unit:
            return key
        keys = self.cat.named.get(normalize_name(given), [])
        if len(keys) == 1:
            return keys[0]
        if keys:
            listed = "、".join(self.unit_label(k) for k in keys)
            self.problems.append(dataclasses.replace(problem(
                loc, f"有{len(keys)}个单位名为“{clip(given)}”",
                f"{len(keys)} units are named '{clip(given)}'",
                f"请改写为其中一个单位编号：{listed}", f"write one of their keys: {listed}",
                prefix=self.prefix), suggestions=tuple(keys)))
            return given
        wanted = normalize_name(given)
        matches = close(wanted, self.cat.named) + close(key, [u[0] for u in self.cat.shown]) \
            if self._may_suggest() else []
        found = list(dict.fromkeys(k for m in matches for k in self.cat.named.get(m, [m])))
        self._add(loc, f"没有编号或名称为“{clip(given)}”的单位",
                  f"no unit has the key or name '{clip(given)}'",
                  "单位名称须与人才库中的完全一致，或写单位编号",
                  "write the unit's exact name in the pool, or its key",
                  [self.unit_label(k) for k in found[:3]])
        return given

    def targets(self, given: list[str], loc: Loc) -> list[str]:
        keys = [self.unit(u, (*loc, i)) for i, u in enumerate(given)]
        for i, key in enumerate(keys):
            if key in self.cat.unit and key in keys[:i]:
                self._add((*loc, i), f"同一单位 {self.unit_label(key)} 写了两次",
                          f"the same unit {key} is written twice", "每个单位只写一次",
                          "write each unit once")
        return keys

    def cadre(self, key: str, loc: Loc) -> None:
        cadres = self.cat.cadres
        if cadres is None or key in cadres:
            return
        near = [k for k in cadres if k[:2] == key[:2] and abs(len(k) - len(key)) <= 2] \
            if self._may_suggest() else []
        self._add(loc, f"人才库中没有干部“{clip(key)}”", f"no cadre in the pool has the key "
                  f"'{clip(key)}'", "请写干部的人员编号", "write the cadre's person key",
                  close(key, near[:20_000]))


def _changed(model: M, **values: Any) -> M:
    """`model` with `values` in place of its own, or `model` itself when none differs (a
    plan already in codes and keys is stored, serialized and hashed exactly as before)."""
    update = {k: v for k, v in values.items() if getattr(model, k) != v}
    return model.model_copy(update=update) if update else model


def _raise(problems: list[PlanProblem], key: str, zh: str, en: str) -> None:
    if problems:
        lines = [f"  {p.zh}\n    {p.en}" for p in problems]
        raise RoundFileError(f"{zh} {key} 有{len(problems)}处问题 / the {en} {key} has "
                             f"{len(problems)} problem(s):\n" + "\n".join(lines), problems)


def resolve_round(spec: RoundFile, catalogue: Catalogue, prefix: Loc = ()) -> RoundFile:
    """The round with every skill as its code and every target as its unit key; a
    RoundFileError listing every unknown or ambiguous value (fields under `prefix`)."""
    r = _Resolver(catalogue, prefix)
    defaults = _changed(spec.defaults,
                        skills=r.skills(spec.defaults.skills, ("defaults", "skills")),
                        depth=r.skills(spec.defaults.depth, ("defaults", "depth")))
    teams = [_changed(t, targets=r.targets(t.targets, ("teams", i, "targets")),
                      skills=r.skills(t.skills, ("teams", i, "skills")),
                      depth=r.skills(t.depth, ("teams", i, "depth")))
             for i, t in enumerate(spec.teams)]
    groups = {code: _changed(g, skills=r.skill_list(g.skills, ("groups", code, "skills")))
              for code, g in spec.groups.items()}
    for section in ("cadres", "suitability"):
        for key in getattr(spec, section):
            r.cadre(key, (section, key))
    _raise(r.problems, spec.key, "轮次", "round")
    return _changed(spec, defaults=defaults, teams=teams, groups=groups)


def resolve_cross(plan: CrossFile, catalogue: Catalogue, prefix: Loc = ()) -> CrossFile:
    """The cross-inspection plan with skills as codes and target units as keys."""
    r = _Resolver(catalogue, prefix)
    defaults = _changed(plan.defaults,
                        skills=r.skills(plan.defaults.skills, ("defaults", "skills")),
                        depth=r.skills(plan.defaults.depth, ("defaults", "depth")))
    groups = [_changed(g, targets=[r.targets(team, ("groups", i, "targets", j))
                                   for j, team in enumerate(g.targets)])
              for i, g in enumerate(plan.groups)]
    _raise(r.problems, plan.key, "交叉巡察计划", "cross-inspection plan")
    return _changed(plan, defaults=defaults, groups=groups)

