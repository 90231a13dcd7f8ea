"""The pool as an import will leave it: database rows overlaid with the batch, loaded
lazily so that a small import into a large pool reads only what its checks need.

Keys are held as Arrow string arrays (a million keys cost megabytes, not a Python set's
hundreds of megabytes); composite keys are joined with `arrow.KEY_SEPARATOR`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from pool.arrow import isin, to_arrow
from pool.formats import ENTITY_BY_NAME, Entity


class PoolState:
    def __init__(self, load_keys: Callable[[Entity], pa.Array],
                 load: Callable[[str], pd.DataFrame]) -> None:
        self._load_keys = load_keys
        self._load = load
        self._db_keys: dict[str, pa.Array] = {}
        self._batch_keys: dict[str, list[pa.Array]] = {}
        self._value_sets: dict[str, pa.Array] = {}
        self._frames: dict[str, pd.DataFrame] = {}
        self._births: pd.Series | None = None

    def db_keys(self, entity_name: str) -> pa.Array:
        if entity_name not in self._db_keys:
            keys = self._load_keys(ENTITY_BY_NAME[entity_name])
            self._db_keys[entity_name] = keys.cast(pa.large_string())
        return self._db_keys[entity_name]

    def key_set(self, entity_name: str) -> pa.Array:
        """Keys in the database plus those of the batch checked so far."""
        if entity_name not in self._value_sets:
            chunks = [self.db_keys(entity_name), *self._batch_keys.get(entity_name, [])]
            self._value_sets[entity_name] = pa.concat_arrays(chunks)
        return self._value_sets[entity_name]

    def contains(self, entity_name: str, values: pd.Series) -> np.ndarray:
        return isin(values, self.key_set(entity_name))

    def in_database(self, entity_name: str, values: pd.Series) -> np.ndarray:
        return isin(values, self.db_keys(entity_name))

    def add_keys(self, entity_name: str, keys: pd.Series) -> None:
        arr = to_arrow(keys.dropna()).cast(pa.large_string())
        self._batch_keys.setdefault(entity_name, []).append(arr)
        self._value_sets.pop(entity_name, None)

    def db(self, what: str) -> pd.DataFrame:
        """A named database read (see `pool.importer._db_reads`), cached."""
        if what not in self._frames:
            self._frames[what] = self._load(what)
        return self._frames[what]

    def add_births(self, keys: pd.Series, births: pd.Series) -> None:
        current = self.births()
        batch = pd.Series(births.to_numpy(), index=pd.Index(keys, dtype="str"))
        batch = batch[~batch.index.duplicated() & batch.index.notna()]
        self._births = pd.concat([current[~current.index.isin(batch.index)], batch])

    def births(self) -> pd.Series:
        """Birth date (datetime64, NaT when unknown) by person key."""
        if self._births is None:
            facts = self.db("person_facts")
            self._births = pd.Series(pd.to_datetime(facts["birth_date"]).to_numpy(),
                                     index=pd.Index(facts["key"], dtype="str"))
        return self._births
