"""The API answers recusal checks from one screening of the whole pool (`PoolScreen`) and
collects evidence only for the rules it found; that must give exactly the explanation the
engine gives when it decides the pair on its own."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from conflicts.evidence import explain
from conflicts.policy import cached_policy, load_policy
from pool.db import make_engine, transaction
from service.imports import import_and_record
from service.settings import Settings
from service.state import ServiceState

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"
AS_OF = dt.date(2026, 11, 1)


@pytest.mark.parametrize("policy_name", ["default", "leader-strict"])
def test_the_screened_fast_path_explains_exactly_like_the_engine(
        sqlite_url: str, tmp_path: Path, policy_name: str) -> None:
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        import_and_record(session, SAMPLE, actor="tests")
    state = ServiceState(Settings(database_url=sqlite_url), engine)
    policy = cached_policy(policy_name)
    assert policy == load_policy(policy_name) and cached_policy(policy_name) is policy
    with transaction(engine) as session:
        screen = state.pool_screen(session, AS_OF, policy)
        assert state.pool_screen(session, AS_OF, policy) is screen  # cached
    index = screen.index
    rng = random.Random(3)
    cadres, units = sorted(index.cadres), sorted(index.snapshot.units)
    pairs = {(rng.choice(cadres), rng.choice(units)) for _ in range(150)}
    pairs |= set(rng.sample(sorted(screen.applies), 150))
    for cadre, unit in sorted(pairs):
        fast = explain(index, policy, cadre, unit, applies=screen.applies.get((cadre, unit), ()))
        assert fast.to_dict() == explain(index, policy, cadre, unit).to_dict()
    # a change to the pool makes the cached screening stale
    ties = tmp_path / "ties.csv"
    cadre, unit = next((c, u) for c in cadres for u in units if (c, u) not in screen.applies)
    ties.write_text("关系编号,关系类型,人员编号,对方单位编号,类别,起始日期,备注\n"
                    f"T-X,申请或决定回避,{cadre},{unit},组织决定,2026-01-01,组织决定回避\n",
                    encoding="utf-8")
    with transaction(engine) as session:
        import_and_record(session, ties, actor="tests")
    with transaction(engine) as session:
        fresh = state.pool_screen(session, AS_OF, policy)
    assert fresh is not screen and "declared" in fresh.applies[(cadre, unit)]
