"""Whole-table and cross-table checks of an import batch against the pool it lands in:
duplicate keys, reversed dates, unknown references, ID numbers, kinship sanity (own
relative, more than two parents, parents younger than children, cycles, overlapping
marriages), unit hierarchy cycles, participation and evaluation consistency."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd

from pool.formats import ENTITY_BY_NAME, Entity
from pool.kinship_checks import check_ties
from pool.parsing import ROW, ErrorSink, RowError
from pool.state import PoolState
from pool.tabular import SourceTable
from pool.validation import region_level, region_parent, region_problem

DATE_RANGES: dict[str, tuple[str, str]] = {
    "unavailability": ("start", "end"),
    "employments": ("start", "end"),
    "ties": ("start", "end"),
    "rounds": ("start", "end"),
    "cadres": ("status_from", "status_to"),
}


def _keys_of(entity: Entity, frame: pd.DataFrame) -> pd.Series:
    if len(entity.key) == 1:
        return frame[entity.key[0]]
    return pd.Series(list(zip(*(frame[k] for k in entity.key), strict=True)),
                     index=frame.index, dtype=object)


def check_table(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                sink: ErrorSink) -> None:
    """Run every check for one parsed table; record errors in `sink`."""
    entity = table.entity
    header = {c.field: c.zh for c in entity.columns}
    _check_duplicates(table, frame, sink)
    if entity.name in DATE_RANGES:
        a, b = DATE_RANGES[entity.name]
        reversed_ = (frame[b] < frame[a]).fillna(False).to_numpy(dtype=bool)
        sink.rows(table, frame, reversed_, header[b], frame[b].dt.strftime("%Y-%m-%d"),
                  f"“{header[b]}”早于“{header[a]}”，日期区间颠倒，请核对",
                  f"'{b}' is before '{a}': the date range is reversed")
    for col in entity.columns:
        if col.kind == "ref" and col.ref:
            _check_refs(table, frame, col.field, col.zh, col.ref, state, sink)
    extra = _EXTRA.get(entity.name)
    if extra:
        extra(table, frame, state, sink)


def _check_duplicates(table: SourceTable, frame: pd.DataFrame, sink: ErrorSink) -> None:
    entity = table.entity
    keys = _keys_of(entity, frame).astype(str)
    complete = frame[list(entity.key)].notna().all(axis=1)
    dup = keys.duplicated(keep="first") & complete
    if not dup.any():
        return
    first_row = frame[ROW].groupby(keys).transform("min")
    label = "、".join(entity.column(k).zh for k in entity.key)
    for idx in np.flatnonzero(dup.to_numpy()):
        first = int(first_row.iloc[idx])
        sink.errors.append(RowError(
            table.file, table.sheet, int(frame[ROW].iloc[idx]), entity.column(entity.key[0]).zh,
            keys.iloc[idx], f"{label}重复：与第{first}行相同，同一编号只能出现一次",
            f"duplicate key: the same as row {first}; each key may appear only once"))


def _check_refs(table: SourceTable, frame: pd.DataFrame, field: str, header: str,
                ref: str, state: PoolState, sink: ErrorSink) -> None:
    values = frame[field]
    present = values.notna()
    if not present.any():
        return
    ref_entity = ENTITY_BY_NAME[ref]
    if ref == "regions":
        return  # region references are checked with their own messages below
    known = state.keys(ref)
    if ref == table.entity.name:  # a unit's parent may come in the same table
        known = known | set(frame[table.entity.key[0]].dropna())
    missing = present & ~values.isin(known)
    zh = f"引用的{ref_entity.zh}编号不存在；请先导入该{ref_entity.zh}，或更正编号"
    en = f"refers to an unknown {ref_entity.name.rstrip('s')} key; import it first or " \
        "correct the key"
    if ref == "systems" and len(known) <= 60:  # a code list: say which codes exist
        valid = ", ".join(sorted(known))
        zh, en = f"未知的系统代码；有效代码：{valid}", f"unknown system code; valid codes: {valid}"
    sink.rows(table, frame, missing.to_numpy(), header, values, zh, en)


def _check_region_refs(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                       sink: ErrorSink) -> None:
    known = state.keys("regions")
    for col in table.entity.columns:
        if col.kind != "region" or (table.entity.name == "regions"):
            continue
        values = frame[col.field]
        unknown = set(values.dropna().unique()) - known
        well_formed = {v for v in unknown if region_problem(v) is None}
        missing = values.isin(well_formed)  # malformed codes were reported while parsing
        sink.rows(table, frame, missing.to_numpy(), col.zh, values,
                  "区划代码不在行政区划表中；请先导入该区划或更正代码",
                  "unknown region code; import the region first or correct the code")


def _check_regions(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                   sink: ErrorSink) -> None:
    derived = frame["code"].map(lambda c: region_parent(c) if c else None)
    given = frame["parent_code"]
    wrong = given.notna() & derived.notna() & (given != derived)
    sink.rows(table, frame, wrong.to_numpy(), "上级代码", given,
              "上级代码与区划代码不一致（应为代码推出的上级）",
              "parent code does not match the parent implied by the code")
    frame["parent_code"] = derived
    frame["level"] = frame["code"].map(lambda c: region_level(c) if c else None)
    known = state.keys("regions") | set(frame["code"].dropna())
    orphan = derived.notna() & ~derived.isin(known)
    sink.rows(table, frame, orphan.to_numpy(), "区划代码", frame["code"],
              "上级区划不存在；请在同一批或先前导入上级区划",
              "the parent region is missing; import it in the same batch or before")


def _check_units(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                 sink: ErrorSink) -> None:
    _check_region_refs(table, frame, state, sink)
    own = (frame["supervisor_key"] == frame["key"]).fillna(False)
    sink.rows(table, frame, own.to_numpy(dtype=bool), "业务主管单位", frame["key"],
              "单位不能主管自己", "a unit cannot supervise itself")
    links = state.db("unit_links")
    parent = dict(zip(links["key"], links["parent_key"], strict=True))
    parent.update(zip(frame["key"], frame["parent_key"], strict=True))
    in_cycle = _cycle_members(parent)
    bad = frame["key"].isin(in_cycle).to_numpy()
    sink.rows(table, frame, bad, "上级单位", frame["parent_key"],
              "上级单位关系成环（单位成了自己的上级）",
              "the parent-unit chain loops back to this unit")


def _cycle_members(parent: dict) -> set:
    graph = nx.DiGraph((k, p) for k, p in parent.items() if p is not None and p == p)
    return {n for comp in nx.simple_cycles(graph) for n in comp}


def _check_persons(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                   sink: ErrorSink) -> None:
    _check_region_refs(table, frame, state, sink)
    ids = frame["id_number"]
    has = ids.notna() & ids.str.len().eq(18).fillna(False)
    if has.any():
        sub = frame[has]
        id_birth = pd.to_datetime(sub["id_number"].str.slice(6, 14), format="%Y%m%d",
                                  errors="coerce")
        mismatch = sub["birth_date"].notna() & (id_birth != sub["birth_date"])
        sink.rows(table, sub, mismatch.to_numpy(), "出生日期", sub["birth_date"].dt.date,
                  "出生日期与身份证号第7-14位不一致", "birth date disagrees with the ID number")
        odd = sub["id_number"].str.slice(16, 17).astype(int) % 2 == 1
        id_gender = np.where(odd, "M", "F")
        g_mismatch = sub["gender"].notna() & (sub["gender"] != id_gender)
        sink.rows(table, sub, g_mismatch.to_numpy(), "性别", sub["gender"],
                  "性别与身份证号第17位不一致（奇数为男，偶数为女）",
                  "gender disagrees with the ID number (17th digit odd: male, even: female)")
        facts = state.db("person_facts")
        owner = dict(zip(facts["id_number"], facts["key"], strict=True))
        taken = [owner.get(i) not in (None, k) for i, k in zip(sub["id_number"], sub["key"],
                                                               strict=True)]
        sink.rows(table, sub, np.array(taken), "身份证号", sub["id_number"].str.slice(0, 6),
                  "该身份证号已属于库中另一人员", "this ID number belongs to another person")
        dup = sub["id_number"].duplicated(keep=False).to_numpy()
        sink.rows(table, sub, dup, "身份证号", sub["id_number"].str.slice(0, 6),
                  "同一身份证号出现在多行", "the same ID number appears on several rows")


def _check_cadres(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                  sink: ErrorSink) -> None:
    frame["status"] = frame["status"].fillna("active")
    needs_reason = frame["status"].isin(["suspended", "removed"]) & frame["status_reason"].isna()
    sink.rows(table, frame, needs_reason.to_numpy(), "状态原因", frame["status"],
              "暂停或出库须填写状态原因", "a suspended or removed cadre needs a status reason")
    bad_limit = (frame["max_rounds_per_year"].fillna(1) < 0).to_numpy(dtype=bool)
    sink.rows(table, frame, bad_limit, "年度轮次上限", frame["max_rounds_per_year"],
              "年度轮次上限不能为负数", "the yearly round limit cannot be negative")


def _check_employments(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                       sink: ErrorSink) -> None:
    frame["is_leader"] = frame["is_leader"].fillna(False)



def _check_rounds(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                  sink: ErrorSink) -> None:
    _check_region_refs(table, frame, state, sink)


def _check_participations(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                          sink: ErrorSink) -> None:
    same = (frame["second_target_unit_key"] == frame["target_unit_key"]).fillna(False)
    sink.rows(table, frame, same.to_numpy(dtype=bool), "第二被巡察单位",
              frame["second_target_unit_key"], "第二被巡察单位与第一被巡察单位相同",
              "the second target unit is the same as the first")
    db = state.db("participations")
    batch_keys = set(zip(frame["round_key"], frame["person_key"], strict=True))
    kept = db[[k not in batch_keys for k in zip(db["round_key"], db["person_key"],
                                                strict=True)]]
    combined = pd.concat([kept.assign(**{ROW: -1}),
                          frame[["round_key", "person_key", "team_no", "role", ROW]]])
    leaders = combined[combined["role"] == "leader"]
    dup = leaders.duplicated(["round_key", "team_no"], keep=False)
    rows = set(leaders.loc[dup, ROW])
    mask = frame[ROW].isin(rows).to_numpy() & (frame["role"] == "leader").to_numpy()
    sink.rows(table, frame, mask, "角色", frame["team_no"],
              "同一轮次同一组有多名组长", "a team has more than one leader in this round")
    state.add_keys("participations", batch_keys)


def _check_evaluations(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                       sink: ErrorSink) -> None:
    known = state.keys("participations")
    pairs = list(zip(frame["round_key"], frame["person_key"], strict=True))
    missing = np.array([p not in known and None not in p for p in pairs], dtype=bool)
    sink.rows(table, frame, missing, "人员编号", frame["person_key"],
              "该人员在该轮次没有参与记录，不能评估；请先导入参与记录",
              "this person has no participation in that round; import the participation first")
    score = frame["score"]
    out_of_range = (score.notna() & ((score < 0) | (score > 100))).to_numpy(dtype=bool)
    sink.rows(table, frame, out_of_range, "分数", score, "分数应在0至100之间",
              "the score must be between 0 and 100")


_EXTRA: dict[str, Callable[[SourceTable, pd.DataFrame, PoolState, ErrorSink], None]] = {
    "regions": _check_regions,
    "units": _check_units,
    "persons": _check_persons,
    "cadres": _check_cadres,
    "employments": _check_employments,
    "ties": check_ties,
    "rounds": _check_rounds,
    "participations": _check_participations,
    "evaluations": _check_evaluations,
}
