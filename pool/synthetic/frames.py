"""Field-space frames (English field names, code values, dates) of every generated entity,
ready for `pool.tabular.render`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pool.synthetic.cadres import CadrePool, Unavailability
from pool.synthetic.careers import Careers
from pool.synthetic.common import (
    AS_OF,
    NO_DAY,
    Bools,
    Ints,
    Objects,
    dates,
    day,
    keys,
    numbered,
    or_none,
    uniform_days,
)
from pool.synthetic.families import Kinship
from pool.synthetic.geography import SYSTEMS, Geography, Units
from pool.synthetic.links import KINDS, SOURCES, TiePart
from pool.synthetic.persons import PersonAttributes
from pool.synthetic.recusals import Recusals
from pool.synthetic.rounds import Evaluations, Participations, Rounds

_SESSIONS = 20_000  # distinct recording times (data-entry sessions)
_SOURCE_REFS = ("档案〔{year}〕{n}号", "个人事项报告〔{year}〕{n}号", "申报〔{year}〕{n}号",
                "组认〔{year}〕{n}号", "其他〔{year}〕{n}号")


def frame(columns: dict[str, object]) -> pd.DataFrame:
    """A frame that keeps object columns as objects (no inference of a string dtype, which
    would turn `None` into NaN)."""
    return pd.DataFrame({
        k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object
        else v
        for k, v in columns.items()
    })


def objects(values: list[object]) -> Objects:
    """A 1-d object array of arbitrary values (tuples stay whole)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


def lookup(keys: Objects, rows: Ints) -> Objects:
    """Keys at `rows`, None where the row is -1."""
    return or_none(rows >= 0, keys[np.maximum(rows, 0)])


def regions_frame(geo: Geography) -> pd.DataFrame:
    return frame({"code": geo.codes, "name": geo.names, "parent_code": geo.parents})


def systems_frame() -> pd.DataFrame:
    return pd.DataFrame(SYSTEMS, columns=["code", "name_zh", "name_en"])


def units_frame(units: Units) -> pd.DataFrame:
    return frame({
        "key": units.keys, "name": units.names, "region_code": units.region_codes,
        "system_code": units.systems, "parent_key": lookup(units.keys, units.parents),
        "supervisor_key": lookup(units.keys, units.supervisors), "kind": units.kinds,
    })


def persons_frame(person_keys: Objects, key_rank: Ints, kin: Kinship,
                  attrs: PersonAttributes, geo: Geography) -> pd.DataFrame:
    """Persons in key order (`key_rank`: each person's position in that order)."""
    order = np.empty_like(key_rank)
    order[key_rank] = np.arange(len(key_rank))
    return frame({
        "key": person_keys[order], "name": attrs.names[order],
        "gender": np.where(kin.male, "M", "F").astype(object)[order],
        "birth_date": dates(kin.birth[order]),
        "native_region": geo.codes[attrs.native[order]],
        "grew_up_region": geo.codes[attrs.grew_up[order]],
        "id_number": attrs.id_numbers[order],
    })


def employments_frame(rng: np.random.Generator, careers: Careers, person_keys: Objects,
                      units: Units) -> pd.DataFrame:
    n = len(careers)
    year = careers.start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return frame({
        "key": np.array([f"E{i:08d}" for i in range(1, n + 1)], dtype=object),
        "person_key": person_keys[careers.person], "unit_key": units.keys[careers.unit],
        "post": units.posts[careers.unit, careers.level],
        "is_leader": careers.level >= 3,
        "start": dates(careers.start), "end": dates(careers.end),
        "source_type": np.full(n, "personnel_file", dtype=object),
        "source_ref": numbered("任〔{year}〕{n}号", year, rng.integers(1, 400, n)),
    })


def cadres_frame(pool: CadrePool, person_keys: Objects, units: Units,
                 full_time: Bools) -> pd.DataFrame:
    return frame({
        "person_key": person_keys[pool.person], "home_unit_key": units.keys[pool.home_unit],
        "rank": pool.rank, "political_status": pool.political,
        "skills": objects([tuple(s) for s in pool.skills]),
        "leader_pool": pool.leader, "deputy_pool": pool.deputy, "expert_pool": pool.expert,
        "reserve": pool.reserve, "newly_promoted": pool.newly_promoted,
        "full_time": full_time, "status": pool.status, "status_reason": pool.status_reason,
        "status_from": dates(pool.status_from), "status_to": dates(pool.status_to),
        "max_rounds_per_year": pool.max_rounds, "joined_on": dates(pool.joined),
    })


def unavailability_frame(off: Unavailability, pool: CadrePool,
                         person_keys: Objects) -> pd.DataFrame:
    return frame({
        "person_key": person_keys[pool.person[off.cadre]], "start": dates(off.start),
        "end": dates(off.end), "reason": off.reason,
    })


@dataclass(frozen=True)
class Rows:
    """A large entity's rows, built into field-space frames a slice at a time, so that
    only one slice of Python objects exists at once."""

    count: int
    build: Callable[[int, int], pd.DataFrame]  # rows [lo, hi) as a field-space frame


def whole(field_frame: pd.DataFrame) -> Rows:
    """Slices of an already built frame."""
    def build(a: int, b: int) -> pd.DataFrame:
        return field_frame.iloc[a:b]
    return Rows(len(field_frame), build)


def _concat(blocks: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(blocks).astype(dtype) if blocks else np.zeros(0, dtype=dtype)


def ties_rows(rng: np.random.Generator, parts: list[TiePart], person_keys: Objects,
              units: Units, clerks: Objects) -> Rows:
    """The ties of all parts, in part order; every random draw happens here, so the
    output does not depend on how the rows are sliced."""
    kind = _concat([np.full(len(p), p.kind) for p in parts], np.int64)
    subject = _concat([p.subject for p in parts], np.int64)
    obj = _concat([p.obj for p in parts], np.int64)
    start = _concat([p.start for p in parts], np.int64)
    end = _concat([p.end for p in parts], np.int64)
    source = _concat([p.source for p in parts], np.int64)
    n = len(kind)

    def flag(name: str) -> Ints:  # -1 (not applicable), 0 or 1
        return _concat([np.full(len(p), -1) if getattr(p, name) is None
                        else getattr(p, name).astype(np.int64) for p in parts], np.int64)

    adoptive, step = flag("adoptive"), flag("step")
    notes = _concat([np.full(len(p), None, dtype=object) if p.note is None else p.note
                     for p in parts], object)
    category = _concat([np.asarray(p.category, dtype=object) for p in parts], object)
    business = kind == KINDS.index("business_interest")
    # recorded in one of the data-entry sessions after the tie began (or since 2016)
    sessions = np.sort(uniform_days(rng, np.full(_SESSIONS, day(2016)), AS_OF - 1) * 86400
                       + rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800, _SESSIONS))
    first = np.where(start != NO_DAY, np.maximum(start + 1, day(2016)), day(2016)) * 86400
    lo = np.minimum(np.searchsorted(sessions, first), _SESSIONS - 1)
    seconds = sessions[lo + np.floor(rng.random(n) * (_SESSIONS - lo)).astype(np.int64)]
    rec_year = (seconds // 86400).astype("datetime64[D]").astype("datetime64[Y]").astype(
        np.int64) + 1970
    numbers = rng.integers(1, 1000, n)
    refs = np.empty(n, dtype=object)
    for s, template in enumerate(_SOURCE_REFS):
        rows = source == s
        refs[rows] = numbered(template, rec_year[rows], numbers[rows])
    clerk = rng.integers(0, len(clerks), n)
    kinds, sources = np.array(KINDS, dtype=object), np.array(SOURCES, dtype=object)
    flags = np.array([None, False, True], dtype=object)

    def build(a: int, b: int) -> pd.DataFrame:
        biz, o = business[a:b], obj[a:b]
        cat = category[a:b]
        return frame({
            "key": keys("T", b - a, 8, start=a + 1), "kind": kinds[kind[a:b]],
            "subject_key": person_keys[subject[a:b]],
            "object_person_key": or_none(~biz, person_keys[np.where(biz, 0, o)]),
            "object_unit_key": or_none(biz, units.keys[np.where(biz, o, 0)]),
            "adoptive": flags[adoptive[a:b] + 1], "step": flags[step[a:b] + 1],
            "category": or_none(cat != "", cat),
            "start": dates(start[a:b]), "end": dates(end[a:b]),
            "source_type": sources[source[a:b]], "source_ref": refs[a:b],
            "recorded_by": clerks[clerk[a:b]],
            "recorded_at": seconds[a:b].astype("datetime64[s]"), "note": notes[a:b],
        })

    return Rows(n, build)


def recusals_frame(rec: Recusals, pool: CadrePool, person_keys: Objects, units: Units,
                   recorded_by: str, first_key: int) -> pd.DataFrame:
    """Declared recusals as ties, keyed on from `first_key` (after every other tie)."""
    n = len(rec)
    return frame({
        "key": keys("T", n, 8, start=first_key), "kind": np.full(n, "recusal", dtype=object),
        "subject_key": person_keys[pool.person[rec.cadre]],
        "object_person_key": np.full(n, None, dtype=object),
        "object_unit_key": units.keys[rec.unit],
        "adoptive": np.full(n, None, dtype=object), "step": np.full(n, None, dtype=object),
        "category": rec.category, "start": dates(rec.start), "end": dates(rec.end),
        "source_type": rec.source_type, "source_ref": rec.source_ref,
        "recorded_by": np.full(n, recorded_by, dtype=object),
        "recorded_at": rec.recorded_at.astype("datetime64[s]"), "note": rec.note,
    })


def followed_by(rows: Rows, tail: pd.DataFrame) -> Rows:
    """`rows`, then the rows of a small field-space frame with the same columns."""
    n = rows.count

    def build(a: int, b: int) -> pd.DataFrame:
        if b <= n:
            return rows.build(a, b)
        after = tail.iloc[max(a - n, 0):b - n]
        return after if a >= n else pd.concat([rows.build(a, n), after], ignore_index=True)
    return Rows(n + len(tail), build)


def rounds_frame(rounds: Rounds, region_code: str) -> pd.DataFrame:
    n = len(rounds.keys)
    return frame({
        "key": np.array(rounds.keys, dtype=object), "name": np.array(rounds.names, dtype=object),
        "kind": np.array(rounds.kinds, dtype=object),
        "region_code": np.full(n, region_code, dtype=object),
        "start": dates(rounds.start), "end": dates(rounds.end),
    })


def participations_frame(parts: Participations, rounds: Rounds, pool: CadrePool,
                         person_keys: Objects, units: Units) -> pd.DataFrame:
    return frame({
        "round_key": np.array(rounds.keys, dtype=object)[parts.round],
        "person_key": person_keys[pool.person[parts.cadre]],
        "team_no": parts.team_no, "role": parts.role,
        "target_unit_key": units.keys[parts.target],
        "second_target_unit_key": lookup(units.keys, parts.second_target),
    })


def evaluations_frame(evals: Evaluations, parts: Participations, rounds: Rounds,
                      pool: CadrePool, person_keys: Objects,
                      accountability: Objects) -> pd.DataFrame:
    return frame({
        "round_key": np.array(rounds.keys, dtype=object)[parts.round[evals.row]],
        "person_key": person_keys[pool.person[parts.cadre[evals.row]]],
        "grade": evals.grade, "score": evals.score, "comment": evals.comment,
        "evaluator": evals.evaluator, "evaluated_on": dates(evals.evaluated_on),
        "accountability": accountability,
    })
