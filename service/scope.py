"""The one region-scope rule (DESIGN §8): a token scoped to a region reads and changes
only what lies in that region's subtree, and a round lives inside its committee's region.

- A round's region (组织本轮的党委所在区划) lies in its creator's scope; its targets,
  its `pool_region` and its cross-inspection groups lie in the round's region subtree,
  and an assembly round draws only cadres whose home unit lies in that subtree (the
  region is written into the stored plan, so the sealed specification and any replay
  carry it).
- A screening names only units and cadres in the caller's scope; with no cadres named it
  screens the scope's cadres, not the whole pool.
- Objects addressed by a path (rounds, draws, proposals, jobs) are checked by the
  endpoint modules through `ensure_region`; lists filter; the audit log shows a scoped
  reader the events recorded for its subtree (`audit_events.region`).

Every refusal here is a `Forbidden` naming what lies outside and where; the API audits it
as `auth.denied` (`deps.refusals_audited`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import models as m
from service.auth import region_subtree
from service.errors import Forbidden, Unprocessable

SHOWN = 10  # keys named in a refusal; the count says how many more


def _listed(keys: Iterable[str]) -> str:
    keys = sorted(keys)
    more = f" …（共 {len(keys)} 个 / {len(keys)} in all）" if len(keys) > SHOWN else ""
    return "、".join(keys[:SHOWN]) + more


def unit_regions(session: Session, keys: Collection[str]) -> dict[str, str]:
    rows = session.execute(select(m.Unit.key, m.Unit.region_code)
                           .where(m.Unit.key.in_(list(keys))))
    return {k: v for k, v in rows}


def cadre_regions(session: Session, keys: Collection[str]) -> dict[str, str]:
    """Each cadre's region: its home unit's."""
    rows = session.execute(select(m.Cadre.person_key, m.Unit.region_code)
                           .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
                           .where(m.Cadre.person_key.in_(list(keys))))
    return {k: v for k, v in rows}


def scope_cadres(session: Session, regions: frozenset[str]) -> list[str]:
    """The cadres whose home unit lies in `regions`."""
    rows = session.execute(select(m.Cadre.person_key)
                           .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
                           .where(m.Unit.region_code.in_(sorted(regions)))
                           .order_by(m.Cadre.person_key))
    return list(rows.scalars())


def outside(what_zh: str, what_en: str, keys: Iterable[str], where: str | None,
            field: str) -> Forbidden:
    keys = sorted(keys)
    return Forbidden(f"{what_zh}不在区划 {where} 的范围内：{_listed(keys)}",
                     f"{what_en} outside region {where}: {', '.join(keys[:SHOWN])}"
                     + (f" … ({len(keys)} in all)" if len(keys) > SHOWN else ""),
                     field=field, details={"outside": keys[:100], "region": where},
                     code="outside_scope")


def check_round(session: Session, *, region: str | None, targets: Collection[str],
                groups: Collection[str], pool_region: str | None,
                creator: frozenset[str] | None, creator_scope: str | None) -> None:
    """A round's region, targets, groups and pool against its creator's scope and its own
    region (see the module text). Unknown units and regions are the caller's 422s."""
    if creator is not None and (region is None or region not in creator):
        raise outside("轮次所属区划", "the round's region", [region or "-"], creator_scope,
                      "region")
    if region is None:
        return
    inside = region_subtree(session, region)
    where = unit_regions(session, targets)
    far = [u for u, r in where.items() if r not in inside]
    if far:
        raise outside("被巡察单位", "target units", far, region, "teams")
    far = [g for g in groups if g not in inside]
    if far:
        raise outside("交叉巡察分组", "cross-inspection groups", far, region, "cross.groups")
    if pool_region is not None and pool_region not in inside:
        raise outside("干部来源区划（pool_region）", "pool_region", [pool_region], region,
                      "pool_region")


def check_screening(session: Session, *, units: Collection[str],
                    cadres: Collection[str] | None, regions: frozenset[str] | None,
                    scope: str | None) -> list[str] | None:
    """The cadres a scoped screening covers (its scope's when none are named); raises
    `Forbidden` for any named unit or cadre outside the scope. Unknown keys pass through
    to the screening, which names them."""
    if regions is None:
        return None if cadres is None else list(cadres)
    far = [u for u, r in unit_regions(session, units).items() if r not in regions]
    if far:
        raise outside("被巡察单位", "units", far, scope, "units")
    if cadres is None:
        mine = scope_cadres(session, regions)
        if not mine:
            raise Unprocessable(f"区划 {scope} 内没有巡察干部", f"no cadres in region {scope}",
                                field="cadres")
        return mine
    far = [c for c, r in cadre_regions(session, cadres).items() if r not in regions]
    if far:
        raise outside("干部", "cadres", far, scope, "cadres")
    return list(cadres)
