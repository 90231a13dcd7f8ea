"""Who of the pool is full-time inspection staff (专职巡察干部) and which post-round
evaluations record an accountability finding (问责情况).

Both come from their own random streams (`default_rng([seed, STREAM])`), drawn after
everything else, so adding them left every other generated value unchanged.
"""

from __future__ import annotations

import numpy as np

from pool.synthetic.cadres import CadrePool
from pool.synthetic.common import Bools, Objects

STREAM = 47  # default_rng([seed, STREAM])
# share of full-time staff: the inspection office's own people lead and deputize often
_FULL_TIME = {"leader": 0.30, "deputy": 0.20, "other": 0.04}
_FINDINGS = ("隐情不报", "应发现未发现", "违反巡察纪律泄露工作秘密")


def full_time_staff(rng: np.random.Generator, pool: CadrePool) -> Bools:
    """About 30 % of the leader pool, 20 % of the deputy pool, 4 % of the others."""
    share = np.where(pool.leader, _FULL_TIME["leader"],
                     np.where(pool.deputy, _FULL_TIME["deputy"], _FULL_TIME["other"]))
    return rng.random(len(pool)) < share


def accountability(rng: np.random.Generator, grades: Objects) -> Objects:
    """A finding for every 不称职 grade and one in ten 基本称职; none otherwise."""
    n = len(grades)
    chance = np.where(grades == "incompetent", 1.0, np.where(grades == "basic", 0.1, 0.0))
    hit = rng.random(n) < chance
    out = np.full(n, None, dtype=object)
    out[hit] = np.array(_FINDINGS, dtype=object)[rng.integers(0, len(_FINDINGS), int(hit.sum()))]
    return out
