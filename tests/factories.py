"""Test-data factories: build a small pool in field space and write it as import files.

Each test builds its own `PoolBuilder`; nothing is shared between tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pool.formats import DEFAULT_SKILLS, ENTITY_BY_NAME
from pool.kinship_checks import UNIT_TIES
from pool.tabular import render, write_tables
from pool.validation import id_check_char

SKILL_NAMES = {c.code: c.zh for c in DEFAULT_SKILLS}


def id_number(region: str, birth: dt.date, seq: int, gender: str) -> str:
    """A valid GB 11643 number: odd 17th digit for men, even for women."""
    seq = seq % 500 * 2 + (1 if gender == "M" else 0)
    first17 = f"{region[:6]}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


@dataclass
class PoolBuilder:
    """A minimal consistent pool: one province, one city, one county, one town, two systems."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _seq: int = 0

    def __post_init__(self) -> None:
        for code, name in (("320000", "江淮省"), ("320900", "云川市"), ("320902", "东溪区"),
                           ("320902001", "东溪街道")):
            self.add("regions", code=code, name=name)
        self.add("systems", code="finance", name_zh="财政", name_en="Finance")
        self.add("systems", code="education", name_zh="教育", name_en="Education")

    def add(self, entity: str, **values: Any) -> dict[str, Any]:
        self.rows.setdefault(entity, []).append(values)
        return values

    def _next(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:04d}"

    def unit(self, name: str = "云川市财政局", **kw: Any) -> str:
        key = kw.pop("key", None) or self._next("U")
        values = {"region_code": "320900", "system_code": "finance", "kind": "organ"} | kw
        self.add("units", key=key, name=name, **values)
        return key

    def person(self, name: str = "张三", gender: str = "M",
               birth: dt.date = dt.date(1975, 6, 1), with_id: bool = True, **kw: Any) -> str:
        key = kw.pop("key", None) or self._next("P")
        values = {"native_region": "320902", "grew_up_region": "320902001"} | kw
        ident = id_number("320902", birth, self._seq, gender) if with_id else None
        self.add("persons", key=key, name=name, gender=gender, birth_date=birth,
                 id_number=ident, **values)
        return key

    def cadre(self, person_key: str, home_unit_key: str, **kw: Any) -> str:
        values = {"rank": "section_chief", "political_status": "cpc_member",
                  "skills": (("finance", 3),), "leader_pool": False, "status": "active",
                  "max_rounds_per_year": 2, "joined_on": dt.date(2020, 1, 1)} | kw
        self.add("cadres", person_key=person_key, home_unit_key=home_unit_key, **values)
        return person_key

    def tie(self, kind: str, subject: str, other: str | None = None, **kw: Any) -> str:
        key = kw.pop("key", None) or self._next("T")
        values: dict[str, Any] = {"source_type": "personnel_file"} | kw
        if kind in UNIT_TIES:
            values["object_unit_key"] = other
        else:
            values["object_person_key"] = other
        self.add("ties", key=key, kind=kind, subject_key=subject, **values)
        return key

    def employment(self, person_key: str, unit_key: str, start: dt.date,
                   end: dt.date | None = None, **kw: Any) -> str:
        key = kw.pop("key", None) or self._next("E")
        values = {"post": "科员", "is_leader": False} | kw
        self.add("employments", key=key, person_key=person_key, unit_key=unit_key,
                 start=start, end=end, **values)
        return key

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {}
        for name, rows in self.rows.items():
            entity = ENTITY_BY_NAME[name]
            frame = pd.DataFrame(rows, columns=entity.fields)
            out[name] = render(entity, frame, SKILL_NAMES)
        return out

    def write(self, target: Path, *, only: tuple[str, ...] | None = None,
              fmt: str | None = None) -> Path:
        frames = self.frames()
        if only is not None:
            frames = {k: v for k, v in frames.items() if k in only}
        write_tables(frames, target, fmt=fmt)
        return target


def family_builder() -> tuple[PoolBuilder, dict[str, str]]:
    """A three-generation family with one cadre: keys by role name."""
    b = PoolBuilder()
    bureau = b.unit("云川市财政局", key="U_FIN")
    school = b.unit("东溪区实验小学", key="U_SCH", region_code="320902",
                    system_code="education", kind="institution")
    k = {
        "grandpa": b.person("王大山", "M", dt.date(1940, 1, 1)),
        "grandma": b.person("刘秀英", "F", dt.date(1942, 2, 2)),
        "father": b.person("王建国", "M", dt.date(1965, 3, 3)),
        "mother": b.person("李桂兰", "F", dt.date(1966, 4, 4)),
        "cadre": b.person("王𠮷", "M", dt.date(1990, 5, 5)),
        "sister": b.person("王小梅", "F", dt.date(1992, 6, 6)),
    }
    b.tie("parent_of", k["grandpa"], k["father"])
    b.tie("parent_of", k["grandma"], k["father"])
    b.tie("spouse_of", k["grandpa"], k["grandma"], start=dt.date(1962, 1, 1))
    b.tie("spouse_of", k["father"], k["mother"], start=dt.date(1988, 1, 1))
    for child in ("cadre", "sister"):
        b.tie("parent_of", k["father"], k[child])
        b.tie("parent_of", k["mother"], k[child])
    b.cadre(k["cadre"], bureau, skills=(("audit", 2), ("finance", 3)), leader_pool=True)
    b.employment(k["cadre"], bureau, dt.date(2015, 7, 1))
    b.employment(k["sister"], school, dt.date(2016, 9, 1))
    k["bureau"], k["school"] = bureau, school
    return b, k
