"""Deterministic synthetic pool data: a fictional city or province in the import format.

`generate("city", seed, out_dir)` writes one CSV per entity (Chinese headers, UTF-8 with
BOM) through `pool.tabular.render` and `write_tables`. The same scale and seed always give
byte-identical files: all randomness comes from `numpy.random.default_rng(seed)` (and, for
the declared recusals, which came later and leave every other row as it was,
`default_rng([seed, 31])`), no clock, no hash or set ordering. Every name is an invented
combination of common characters; no real person's data is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pool.formats import DEFAULT_SKILLS, ENTITY_BY_NAME
from pool.synthetic import frames, practice
from pool.synthetic.cadres import build_pool, build_unavailability
from pool.synthetic.careers import build_careers
from pool.synthetic.common import keys
from pool.synthetic.families import build_families
from pool.synthetic.geography import PROVINCE_CODE, PROVINCE_NAME, build_geography, build_units
from pool.synthetic.links import (
    business_part,
    declared_part,
    kinship_parts,
    schooling_part,
    supervision_part,
)
from pool.synthetic.names import draw_surnames, full_names, given_names
from pool.synthetic.persons import build_person_attributes
from pool.synthetic.recusals import STREAM, build_recusals
from pool.synthetic.rounds import build_evaluations, build_participations, build_rounds
from pool.tabular import render, write_tables

__all__ = ["CITY", "PROVINCE", "SCALES", "Scale", "generate", "generate_scale"]

Progress = Callable[[str], None]
SKILL_NAMES = {c.code: c.zh for c in DEFAULT_SKILLS}
CHUNK_ROWS = 500_000  # rows rendered at once; bounds the Python objects alive


@dataclass(frozen=True, slots=True)
class Scale:
    """Sizes of a synthetic dataset. Unit counts come from the unit template: the first
    `city_units` / `county_units` / `province_units` entries that exist at that level."""

    name: str
    cities: int
    counties_per_city: int
    towns_per_county: tuple[int, int]  # inclusive range
    city_units: int
    county_units: int
    township_share: float  # share of towns with a township government unit
    province_units: int  # 0: no province-level units (a city pool)
    persons: int  # approximate
    cadres: int
    leader_pool: int
    rounds: int
    teams_per_round: int

    def __post_init__(self) -> None:
        if self.cities < 1 or self.counties_per_city < 1:
            raise ValueError("a scale needs at least one city and one county")
        if self.towns_per_county[0] < 1 or self.towns_per_county[1] < self.towns_per_county[0]:
            raise ValueError("towns_per_county must be a range (lo, hi) with 1 <= lo <= hi")
        if self.city_units + self.county_units + self.province_units < 1:
            raise ValueError("a scale needs at least one unit")
        if not 0 < self.leader_pool <= self.cadres:
            raise ValueError("leader_pool must be between 1 and the number of cadres")


CITY = Scale("city", cities=1, counties_per_city=9, towns_per_county=(8, 15), city_units=49,
             county_units=14, township_share=0.25, province_units=0, persons=20_000,
             cadres=1_200, leader_pool=60, rounds=8, teams_per_round=5)
PROVINCE = Scale("province", cities=13, counties_per_city=8, towns_per_county=(10, 14),
                 city_units=49, county_units=18, township_share=0.9, province_units=30,
                 persons=1_050_000, cadres=21_000, leader_pool=1_050, rounds=10,
                 teams_per_round=12)
SCALES = {"city": CITY, "province": PROVINCE}


def generate(scale: Literal["city", "province"], seed: int, out_dir: Path,
             progress: Progress | None = None) -> dict[str, int]:
    """Write all entity CSVs into out_dir; return row counts per entity name."""
    return generate_scale(SCALES[scale], seed, out_dir, progress)


def _write(entity: str, rows: frames.Rows, out_dir: Path) -> int:
    """Render `rows` (a slice at a time) and write `<entity>.csv`; return the row count."""
    spec = ENTITY_BY_NAME[entity]
    chunks = [render(spec, rows.build(a, min(a + CHUNK_ROWS, rows.count)), SKILL_NAMES)
              for a in range(0, max(rows.count, 1), CHUNK_ROWS)]
    display = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    del chunks, rows  # only the display frame is needed while the file is written
    write_tables({entity: display}, out_dir)
    return len(display)


def generate_scale(scale: Scale, seed: int, out_dir: Path,
                   progress: Progress | None = None) -> dict[str, int]:
    """Like `generate`, for any `Scale` (tests use tiny ones)."""
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}

    def write(entity: str, rows: pd.DataFrame | frames.Rows) -> None:
        rows = frames.whole(rows) if isinstance(rows, pd.DataFrame) else rows
        say(f"写出 writing {entity}: {rows.count:,}")
        counts[entity] = _write(entity, rows, Path(out_dir))

    say("行政区划与单位 regions and units")
    geo = build_geography(rng, scale.cities, scale.counties_per_city, scale.towns_per_county)
    units = build_units(rng, geo, scale.province_units, scale.city_units, scale.county_units,
                        scale.township_share)
    write("regions", frames.regions_frame(geo))
    write("systems", frames.systems_frame())
    write("units", frames.units_frame(units))

    say("家庭与人员 families and persons")
    kin = build_families(rng, geo, scale.persons)
    attrs = build_person_attributes(rng, geo, kin)
    key_rank = rng.permutation(kin.size)  # keys in random order, unrelated to families
    person_keys = keys("P", kin.size, 8)[key_rank]
    write("persons", frames.persons_frame(person_keys, key_rank, kin, attrs, geo))

    say("任职与人才库 careers and the cadre pool")
    careers = build_careers(rng, geo, units, kin)
    pool = build_pool(rng, units, kin, careers, scale.cadres, scale.leader_pool)
    practice_rng = np.random.default_rng([seed, practice.STREAM])
    write("cadres", frames.cadres_frame(pool, person_keys, units,
                                        practice.full_time_staff(practice_rng, pool)))
    off = build_unavailability(rng, pool, kin.male)
    write("unavailability", frames.unavailability_frame(off, pool, person_keys))
    write("employments", frames.employments_frame(rng, careers, person_keys, units))

    say("关系 ties")
    parts = [
        *kinship_parts(rng, kin),
        declared_part(rng, kin, careers, pool),
        schooling_part(rng, kin, careers),
        supervision_part(rng, careers, kin.size),
        business_part(rng, kin, units, careers, pool),
    ]
    clerks = full_names(draw_surnames(rng, 12),
                        given_names(rng, rng.random(12) < 0.5, rng.random(12) < 0.7))
    ties = frames.ties_rows(rng, parts, person_keys, units, clerks)
    single_city = scale.cities == 1 and scale.province_units == 0
    recusals = build_recusals(np.random.default_rng([seed, STREAM]), pool, units)
    write("ties", frames.followed_by(ties, frames.recusals_frame(
        recusals, pool, person_keys, units, "市委巡察办" if single_city else "省委巡察办",
        first_key=ties.count + 1)))
    del parts, ties  # the largest arrays of the run

    say("巡察轮次 rounds")
    region_code = geo.codes[geo.city_rows[0]] if single_city else PROVINCE_CODE
    region_name = geo.city_names[0] if single_city else PROVINCE_NAME
    rounds = build_rounds(rng, scale.rounds, region_name)
    teams = build_participations(rng, rounds, units, pool, scale.teams_per_round)
    evals = build_evaluations(rng, rounds, teams, attrs.names[pool.person], region_name)
    write("rounds", frames.rounds_frame(rounds, region_code))
    write("participations", frames.participations_frame(teams, rounds, pool, person_keys,
                                                        units))
    write("evaluations", frames.evaluations_frame(
        evals, teams, rounds, pool, person_keys,
        practice.accountability(practice_rng, evals.grade)))
    return counts
