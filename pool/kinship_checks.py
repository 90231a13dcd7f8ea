"""Checks on an import batch of ties: the right fields per tie kind, nobody their own
relative, at most two parents of each kind, parents born before their children, no
cycle in `parent_of`, no overlapping marriages. Each check sees database ties overlaid
with the batch (a batch row replaces the database row with the same key)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pool.arrow import isin, to_arrow
from pool.formats import TIE_CATEGORIES, TIE_KINDS
from pool.parsing import ROW, ErrorSink
from pool.state import PoolState
from pool.tabular import SourceTable

PERSON_TIES = ("parent_of", "spouse_of", "declared", "schooling", "supervisor_of")
# Ties from a person to a unit, and how the messages name each in English.
UNIT_TIES = {"business_interest": "a business interest", "recusal": "a declared recusal"}
_KIND_ZH = {c.code: c.zh for c in TIE_KINDS}


def check_ties(table: SourceTable, frame: pd.DataFrame, state: PoolState,
               sink: ErrorSink) -> None:
    frame["adoptive"] = frame["adoptive"].fillna(False).astype(bool)
    frame["step"] = frame["step"].fillna(False).astype(bool)
    _check_fields(table, frame, sink)
    combined = _combined(frame, state)
    _check_parent_counts(table, frame, combined, sink)
    _check_parent_ages(table, frame, state, sink)
    _check_cycles(table, frame, combined, sink)
    _check_marriages(table, frame, combined, sink)


def _check_fields(table: SourceTable, frame: pd.DataFrame, sink: ErrorSink) -> None:
    kind = frame["kind"]

    def kind_zh() -> pd.Series:  # shown only when a row is wrong
        return kind.map(_KIND_ZH)

    person_tie = kind.isin(PERSON_TIES).to_numpy()
    no_person = frame["object_person_key"].isna().to_numpy()
    no_unit = frame["object_unit_key"].isna().to_numpy()
    sink.rows(table, frame, person_tie & no_person, "对方人员编号", kind_zh,
              "该关系类型须填写对方人员编号", "this kind of tie needs the other person's key")
    sink.rows(table, frame, person_tie & ~no_unit, "对方单位编号", frame["object_unit_key"],
              "只有经商办企业、申请或决定回避关系填写对方单位编号",
              "only a business interest or a declared recusal names a unit")
    for code, en in UNIT_TIES.items():
        of_kind = (kind == code).to_numpy()
        zh = _KIND_ZH[code]
        sink.rows(table, frame, of_kind & no_unit, "对方单位编号", kind_zh,
                  f"{zh}关系须填写对方单位编号", f"{en} needs the unit's key")
        sink.rows(table, frame, of_kind & ~no_person, "对方人员编号",
                  frame["object_person_key"],
                  f"{zh}关系不填对方人员编号", f"{en} names no other person")
    recusal = (kind == "recusal").to_numpy()
    sink.rows(table, frame, recusal & frame["note"].isna().to_numpy(), "备注", kind_zh,
              "申请或决定回避须在备注中写明回避理由",
              "a declared recusal needs its reason written in 备注 (note)")
    own = (frame["subject_key"] == frame["object_person_key"]).fillna(False).to_numpy(bool)
    sink.rows(table, frame, own, "对方人员编号", frame["object_person_key"],
              "人员不能与自己构成关系（本人不能是自己的亲属）",
              "a person cannot be their own relative")
    for code, choices in TIE_CATEGORIES.items():
        of_kind = (kind == code).to_numpy()
        allowed = {c.code for c in choices}
        wrong = of_kind & frame["category"].notna().to_numpy() & \
            ~frame["category"].isin(allowed).to_numpy()
        missing = of_kind & frame["category"].isna().to_numpy() & (code != "business_interest")
        valid_zh = "、".join(f"{c.zh}({c.code})" for c in choices)
        valid_en = ", ".join(c.code for c in choices)
        sink.rows(table, frame, wrong, "类别", frame["category"],
                  f"该类别不适用于{_KIND_ZH[code]}，可选：{valid_zh}",
                  f"this category does not apply to {code}; choose one of: {valid_en}")
        sink.rows(table, frame, missing, "类别", kind_zh,
                  f"{_KIND_ZH[code]}须填写类别，可选：{valid_zh}",
                  f"{code} needs a category: {valid_en}")
    uncategorized = ~kind.isin(list(TIE_CATEGORIES)).to_numpy() & frame["category"].notna() \
        .to_numpy()
    sink.rows(table, frame, uncategorized, "类别", frame["category"],
              "该关系类型不填类别", "this kind of tie takes no category")
    not_parent = (kind != "parent_of").to_numpy()
    flags = (frame["adoptive"] | frame["step"]).to_numpy()
    sink.rows(table, frame, not_parent & flags, "收养", kind_zh,
              "收养、继亲标记只用于父母子女关系", "adoptive/step flags apply to parent_of only")
    both = (frame["adoptive"] & frame["step"]).to_numpy()
    sink.rows(table, frame, both, "继亲", frame["key"],
              "不能同时标记收养和继亲", "a tie cannot be both adoptive and step")


def _combined(frame: pd.DataFrame, state: PoolState) -> pd.DataFrame:
    """parent_of and spouse_of ties after the import: kept database rows + batch rows."""
    cols = ["kind", "subject_key", "object_person_key", "adoptive", "step", "start", "end"]
    batch = frame.loc[frame["kind"].isin(["parent_of", "spouse_of"]).to_numpy(), [*cols, ROW]]
    db = state.db("kin_ties")
    kept = db[~isin(db["key"], to_arrow(frame["key"].dropna()))]
    if kept.empty:  # a first load: no copy of a million keys into Python objects
        return batch.reset_index(drop=True)
    kept = kept[cols].assign(**{ROW: -1})
    for name in ("subject_key", "object_person_key"):  # keep the key columns Arrow-backed
        kept[name] = kept[name].astype(batch[name].dtype)
    for name in ("start", "end"):
        kept[name] = pd.to_datetime(kept[name]).astype(batch[name].dtype)
    return pd.concat([kept, batch], ignore_index=True)


def _parent_kind(ties: pd.DataFrame) -> pd.Series:
    return pd.Series(np.where(ties["adoptive"].astype(bool), "adoptive",
                              np.where(ties["step"].astype(bool), "step", "birth")),
                     index=ties.index)


def _check_parent_counts(table: SourceTable, frame: pd.DataFrame, combined: pd.DataFrame,
                         sink: ErrorSink) -> None:
    parents = combined[(combined["kind"] == "parent_of") & combined["object_person_key"].notna()]
    parents = parents.assign(pkind=_parent_kind(parents))
    counts = parents.groupby(["object_person_key", "pkind"])["subject_key"].transform("nunique")
    over = parents[(counts > 2) & (parents[ROW] >= 0)]
    mask = frame[ROW].isin(over[ROW]).to_numpy()
    label = {"birth": ("生父母", "birth parents"), "adoptive": ("养父母", "adoptive parents"),
             "step": ("继父母", "step-parents")}
    for pkind, (zh, en) in label.items():
        sub = mask & frame[ROW].isin(over.loc[over["pkind"] == pkind, ROW]).to_numpy()
        sink.rows(table, frame, sub, "对方人员编号", frame["object_person_key"],
                  f"该人员有两名以上{zh}；每人最多两名{zh}",
                  f"this person would have more than two {en}")


def _parent_not_older(births: pd.Series, ties: pd.DataFrame) -> np.ndarray:
    """Per parent_of tie: both birth dates known and the parent not born before the child."""
    parent_birth = births.reindex(ties["subject_key"]).to_numpy()
    child_birth = births.reindex(ties["object_person_key"]).to_numpy()
    return pd.notna(parent_birth) & pd.notna(child_birth) & (parent_birth >= child_birth)


def _check_parent_ages(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                       sink: ErrorSink) -> None:
    parent_rows = (frame["kind"] == "parent_of").to_numpy()
    if not parent_rows.any():
        return
    sub = frame[parent_rows]
    younger = _parent_not_older(state.births(), sub)
    bio = ~(sub["adoptive"] | sub["step"]).to_numpy()
    sink.rows(table, sub, younger & bio, "人员编号", sub["subject_key"],
              "父母的出生日期不早于子女，请核对父母子女方向或出生日期",
              "the parent is not older than the child; check the direction or birth dates")


def check_parent_ages_of_persons(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                                 sink: ErrorSink) -> None:
    """A changed birth date must still put every recorded parent before the child."""
    ties = state.db("kin_ties")
    ties = ties[(ties["kind"] == "parent_of") & ~(ties["adoptive"].astype(bool)
                                                   | ties["step"].astype(bool))]
    if ties.empty:
        return
    batch = to_arrow(frame["key"].dropna())
    ties = ties[isin(ties["subject_key"], batch) | isin(ties["object_person_key"], batch)]
    if ties.empty:
        return
    bad = _parent_not_older(state.births(), ties)
    involved = set(ties.loc[bad, "subject_key"]) | set(ties.loc[bad, "object_person_key"])
    sink.rows(table, frame, frame["key"].isin(involved).to_numpy(), "出生日期",
              frame["birth_date"],
              "按此出生日期，库中记录的父母不早于子女出生，请核对出生日期",
              "with this birth date a recorded parent would not be older than the child; "
              "check the birth date")


def _check_cycles(table: SourceTable, frame: pd.DataFrame, combined: pd.DataFrame,
                  sink: ErrorSink) -> None:
    edges = combined[(combined["kind"] == "parent_of") & combined["object_person_key"].notna()
                     & (combined["subject_key"] != combined["object_person_key"])]
    if edges.empty:
        return
    codes, uniques = pd.factorize(pd.concat([edges["subject_key"], edges["object_person_key"]],
                                            ignore_index=True))
    n = len(edges)
    src, dst = codes[:n], codes[n:]
    graph = coo_matrix((np.ones(n, dtype=np.int8), (src, dst)), shape=(len(uniques),) * 2)
    _, labels = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels)
    cyclic = (sizes[labels[src]] > 1) & (labels[src] == labels[dst])
    if not cyclic.any():
        return
    bad_edges = edges[cyclic]
    for component in np.unique(labels[src][cyclic]):
        in_comp = labels[src][cyclic] == component
        comp_edges = bad_edges[in_comp]
        g = nx.DiGraph(zip(comp_edges["subject_key"], comp_edges["object_person_key"],
                           strict=True))
        cycle = nx.find_cycle(g)
        path = " → ".join([u for u, _ in cycle] + [cycle[0][0]])
        rows = comp_edges.loc[comp_edges[ROW] >= 0, ROW]
        sink.rows(table, frame, frame[ROW].isin(rows).to_numpy(), "对方人员编号",
                  frame["object_person_key"],
                  f"父母子女关系成环（某人成了自己的祖先）：{path}",
                  f"parent_of ties form a cycle (someone would be their own ancestor): {path}")


def _check_marriages(table: SourceTable, frame: pd.DataFrame, combined: pd.DataFrame,
                     sink: ErrorSink) -> None:
    sp = combined[(combined["kind"] == "spouse_of") & combined["object_person_key"].notna()
                  & (combined["subject_key"] != combined["object_person_key"])]
    if sp.empty:
        return
    sides = pd.concat([
        sp[["subject_key", "start", "end", ROW]].rename(columns={"subject_key": "person"}),
        sp[["object_person_key", "start", "end", ROW]].rename(
            columns={"object_person_key": "person"}),
    ], ignore_index=True)
    sides["start"] = sides["start"].fillna(pd.Timestamp("1800-01-01"))
    sides = sides.sort_values(["person", "start"], kind="stable")
    same = sides["person"].eq(sides["person"].shift())
    prev_end = sides["end"].shift()
    overlap = same & (prev_end.isna() | (prev_end >= sides["start"]))
    prev_row = sides[ROW].shift()
    rows = set(sides.loc[overlap & (sides[ROW] >= 0), ROW]) | \
        set(prev_row[overlap & (prev_row >= 0)].astype(int))
    sink.rows(table, frame, frame[ROW].isin(rows).to_numpy() &
              (frame["kind"] == "spouse_of").to_numpy(), "起始日期", frame["start"],
              "婚姻关系重复或时间重叠：同一人同时有两段婚姻（或同一婚姻登记了两次），请核对",
              "duplicate or overlapping marriages: one person would have two spouses at "
              "once (or one marriage is recorded twice); check the dates")
