"""The pool as an import will leave it: database rows overlaid with the batch, loaded
lazily so that a small import into a large pool reads only what its checks need."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pool.formats import ENTITY_BY_NAME, Entity


class PoolState:
    def __init__(self, load_keys: Callable[[Entity], set], load: Callable[[str], pd.DataFrame]
                 ) -> None:
        self._load_keys = load_keys
        self._load = load
        self._keys: dict[str, set] = {}
        self._frames: dict[str, pd.DataFrame] = {}
        self._births: pd.Series | None = None

    def keys(self, entity_name: str) -> set:
        """Keys in the database plus those of the batch checked so far."""
        if entity_name not in self._keys:
            self._keys[entity_name] = set(self._load_keys(ENTITY_BY_NAME[entity_name]))
        return self._keys[entity_name]

    def add_keys(self, entity_name: str, keys: set) -> None:
        self.keys(entity_name).update(keys)

    def db(self, what: str) -> pd.DataFrame:
        """A named database read (see `pool.importer.DB_READS`), cached."""
        if what not in self._frames:
            self._frames[what] = self._load(what)
        return self._frames[what]

    def add_births(self, keys: pd.Series, births: pd.Series) -> None:
        current = self.births()
        batch = pd.Series(births.to_numpy(), index=keys.to_numpy())
        batch = batch[~batch.index.duplicated() & batch.index.notna()]
        self._births = pd.concat([current[~current.index.isin(batch.index)], batch])

    def births(self) -> pd.Series:
        """Birth date (datetime64, NaT when unknown) by person key."""
        if self._births is None:
            facts = self.db("person_facts")
            self._births = pd.Series(pd.to_datetime(facts["birth_date"]).to_numpy(),
                                     index=facts["key"].to_numpy())
        return self._births
