"""Home-unit release (被抽调单位不愿意放人): a round draws at most so many people from one
home unit, across all its teams.

The round's limit is a number (`max`), a share of the unit's staff (`share`), or both
(the smaller holds). A unit's staff are the persons with an employment at the unit
active on the snapshot's day, together with the pool's cadres whose home unit it is
(a cadre belongs to their unit even when the employment history is incomplete). A
share is rounded down, with at least one person (向下取整，至少1人): a share of 0.2 lets a
unit of 12 release 2, a unit of 4 release 1.

Full-time inspection staff (专职巡察干部) are not seconded from a home unit and do not
count. Only caps that can bind (fewer than the unit's candidates) reach the instance:
`Instance.unit_caps`, with each counted candidate's `Candidate.home_unit`.

Pure: no database, no web framework."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assignment.instance import Candidate, Instance
from assignment.proposal import Proposal
from pool.records import Snapshot


@dataclass(frozen=True, slots=True)
class UnitLimit:
    """People one home unit releases to a round at most: `max`, `share` of its staff
    (rounded down, at least one), or the smaller of both. Neither: no limit."""

    max: int | None = None
    share: float | None = None

    @property
    def active(self) -> bool:
        return self.max is not None or self.share is not None

    def cap(self, staff: int) -> int:
        """The cap of a unit with `staff` people (call only when `active`)."""
        caps = []
        if self.max is not None:
            caps.append(self.max)
        if self.share is not None:
            caps.append(max(1, math.floor(self.share * staff + 1e-9)))
        return min(caps)

    def describe(self) -> tuple[str, str]:
        """The rule in words (中文, English)."""
        zh, en = [], []
        if self.max is not None:
            zh.append(f"至多{self.max}人")
            en.append(f"at most {self.max}")
        if self.share is not None:
            zh.append(f"不超过在编人数的{self.share:.0%}（向下取整，至少1人）")
            en.append(f"at most {self.share:.0%} of its staff (rounded down, at least one)")
        return "，且".join(zh), " and ".join(en)


def unit_staff(snapshot: Snapshot, units: Iterable[str], day: dt.date) -> dict[str, int]:
    """Persons belonging to each of `units` on `day`: an employment active at the unit,
    or a cadre of the pool whose home unit it is."""
    wanted = set(units)
    people: dict[str, set[str]] = defaultdict(set)
    for key, cadre in snapshot.cadres.items():
        if cadre.home_unit_key in wanted:
            people[cadre.home_unit_key].add(key)
    frame = getattr(snapshot.employments, "columns_frame", None)
    if frame is not None:  # columnar: filter without building a record per row
        rows = frame[frame["unit_key"].isin(list(wanted))]
        stamp = dt.datetime.combine(day, dt.time())
        rows = rows[(rows["start"] <= stamp) & (rows["end"].isna() | (rows["end"] >= stamp))]
        for unit, person in zip(rows["unit_key"].tolist(), rows["person_key"].tolist(),
                                strict=True):
            people[unit].add(person)
    else:
        for e in snapshot.employments:
            if e.unit_key in wanted and e.active_on(day):
                people[e.unit_key].add(e.person_key)
    return {u: len(people.get(u, ())) for u in sorted(wanted)}


def unit_caps(limit: UnitLimit, home_units: Mapping[str, str], staff: Mapping[str, int]
              ) -> dict[str, int]:
    """The caps that can bind: unit → cap, for units with more candidates (cadre → unit
    in `home_units`) than their cap."""
    if not limit.active:
        return {}
    count: dict[str, int] = defaultdict(int)
    for unit in home_units.values():
        count[unit] += 1
    caps = {u: limit.cap(staff.get(u, 0)) for u in count}
    return {u: cap for u, cap in sorted(caps.items()) if count[u] > cap}


def apply_unit_limit(snapshot: Snapshot, limit: UnitLimit, candidates: Sequence[Candidate]
                     ) -> tuple[list[Candidate], dict[str, int], dict[str, str]]:
    """The candidates with `home_unit` set where their unit's cap can bind, the caps, and
    those units' names: what `build_instance` puts in the instance (nothing at all
    without a limit, so such instances hash as before)."""
    if not limit.active:
        return list(candidates), {}, {}
    home = {c.key: snapshot.cadres[c.key].home_unit_key for c in candidates
            if not snapshot.cadres[c.key].full_time}
    caps = unit_caps(limit, home, unit_staff(snapshot, set(home.values()), snapshot.as_of))
    out = [dataclasses.replace(c, home_unit=home[c.key])
           if home.get(c.key) in caps else c for c in candidates]
    return out, caps, {u: snapshot.units[u].name for u in caps if u in snapshot.units}


def unit_label(instance: Instance, unit: str) -> str:
    """A unit by its Chinese name with its key beside: 市财政局（U00006）."""
    name = instance.unit_names.get(unit)
    return f"{name}（{unit}）" if name else unit


def drawn_by_unit(instance: Instance, keys: Iterable[str]) -> dict[str, set[str]]:
    """Of the cadres `keys`, those counted against a capped unit, by unit."""
    cands = instance.by_key
    out: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        c = cands.get(key)
        if c is not None and c.home_unit is not None and c.home_unit in instance.unit_caps:
            out[c.home_unit].add(key)
    return out


def unit_violations(instance: Instance, proposal: Proposal) -> list[str]:
    """Units that release more people to the round's teams than their cap."""
    if not instance.unit_caps:
        return []
    drawn = drawn_by_unit(instance, {m.key for t in proposal.teams for m in t.members})
    out = []
    for unit, people in sorted(drawn.items()):
        cap = instance.unit_caps[unit]
        if len(people) > cap:
            out.append(f"{unit_label(instance, unit)}本轮抽调{len(people)}人（"
                       f"{'、'.join(sorted(people))}），至多{cap}人 / unit {unit} releases "
                       f"{len(people)} people to the round, at most {cap}")
    return out

