"""Whole-table and cross-table checks of an import batch against the pool it lands in:
duplicate keys, reversed dates, unknown references, regions, units, ID numbers, cadres,
participations and evaluations. Kinship checks are in `pool.kinship_checks`."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np
import pandas as pd

from pool.arrow import KEY_SEPARATOR, isin, key_strings, to_arrow
from pool.formats import CADRE_STATUSES, ENTITY_BY_NAME, GENDERS
from pool.kinship_checks import check_parent_ages_of_persons, check_ties
from pool.parsing import ROW, ErrorSink, RowError
from pool.state import PoolState
from pool.tabular import SourceTable
from pool.validation import region_level, region_parent

DATE_RANGES: dict[str, tuple[str, str]] = {
    "unavailability": ("start", "end"),
    "employments": ("start", "end"),
    "ties": ("start", "end"),
    "rounds": ("start", "end"),
    "cadres": ("status_from", "status_to"),
}
_GENDER_ZH = {c.code: c.zh for c in GENDERS}
MAX_ROUNDS_PER_YEAR = 366  # as PATCH /v1/cadres/{key} allows
MAX_TEAM_NO = 10_000  # as a manual change of a proposal allows


def check_table(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                sink: ErrorSink) -> None:
    """Run every check for one parsed table; record errors in `sink`."""
    entity = table.entity
    header = {c.field: c.zh for c in entity.columns}
    _check_duplicates(table, frame, sink)
    if entity.name in DATE_RANGES:
        a, b = DATE_RANGES[entity.name]
        reversed_ = (frame[b] < frame[a]).fillna(False).to_numpy(dtype=bool)
        sink.rows(table, frame, reversed_, header[b], frame[b],
                  f"“{header[b]}”早于“{header[a]}”，日期区间颠倒，请核对",
                  f"'{b}' is before '{a}': the date range is reversed")
    for col in entity.columns:
        if col.kind == "ref" and col.ref:
            _check_refs(table, frame, col.field, col.zh, col.ref, state, sink)
        if col.kind == "region" and entity.name != "regions":
            _check_region_refs(table, frame, col.field, col.zh, state, sink)
    extra = _EXTRA.get(entity.name)
    if extra:
        extra(table, frame, state, sink)


def _check_duplicates(table: SourceTable, frame: pd.DataFrame, sink: ErrorSink) -> None:
    entity = table.entity
    keys = key_strings(frame, entity.key)
    dup = (keys.duplicated(keep="first") & keys.notna()).to_numpy(dtype=bool)
    if not dup.any():
        return
    first_row = frame[ROW].groupby(keys.fillna("")).transform("min").to_numpy()
    label = "、".join(entity.column(k).zh for k in entity.key)
    for idx in np.flatnonzero(dup):
        first = int(first_row[idx])
        sink.errors.append(RowError(
            table.file, table.sheet, int(frame[ROW].iloc[idx]), entity.column(entity.key[0]).zh,
            str(keys.iloc[idx]).replace(KEY_SEPARATOR, " / "),
            f"{label}重复：与第{first}行相同，同一编号只能出现一次",
            f"duplicate key: the same as row {first}; each key may appear only once"))


def _check_refs(table: SourceTable, frame: pd.DataFrame, field: str, header: str,
                ref: str, state: PoolState, sink: ErrorSink) -> None:
    values = frame[field]
    if not values.notna().any():
        return
    known = state.contains(ref, values)
    if ref == table.entity.name:  # a unit's parent may come in the same table
        known |= isin(values, to_arrow(frame[table.entity.key[0]].dropna()))
    missing = values.notna().to_numpy() & ~known
    if not missing.any():
        return
    ref_entity = ENTITY_BY_NAME[ref]
    zh = f"引用的{ref_entity.zh}编号不存在；请先导入该{ref_entity.zh}，或更正编号"
    en = f"refers to an unknown {ref_entity.name.rstrip('s')} key; import it first or " \
        "correct the key"
    key_set = state.key_set(ref)
    if ref == "systems" and 0 < len(key_set) <= 60:  # a code list: say which codes exist
        valid = ", ".join(sorted(key_set.to_pylist()))
        zh, en = f"未知的系统代码；有效代码：{valid}", f"unknown system code; valid codes: {valid}"
    sink.rows(table, frame, missing, header, values, zh, en)


def _check_region_refs(table: SourceTable, frame: pd.DataFrame, field: str, header: str,
                       state: PoolState, sink: ErrorSink) -> None:
    values = frame[field]
    missing = values.notna().to_numpy() & ~state.contains("regions", values)
    sink.rows(table, frame, missing, header, values,
              "区划代码不在行政区划表中；请先导入该区划或更正代码",
              "unknown region code; import the region first or correct the code")


def _check_regions(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                   sink: ErrorSink) -> None:
    codes = frame["code"]
    derived = codes.map(lambda c: region_parent(c) if isinstance(c, str) else None)
    given = frame["parent_code"]
    wrong = given.notna() & (derived.isna() | (given != derived))
    sink.rows(table, frame, wrong.fillna(False).to_numpy(dtype=bool), "上级代码", given,
              "上级代码与区划代码不一致：省级区划没有上级，其余区划的上级由代码推出",
              "the parent code does not match the code: a province has none, others derive "
              "theirs from the code")
    frame["parent_code"] = derived
    frame["level"] = codes.map(lambda c: region_level(c) if isinstance(c, str) else None)
    known = state.contains("regions", derived) | isin(derived, to_arrow(codes.dropna()))
    orphan = derived.notna().to_numpy() & ~known
    sink.rows(table, frame, orphan, "区划代码", codes,
              "上级区划不存在；请在同一批或先前导入上级区划",
              "the parent region is missing; import it in the same batch or before")


def _cycle_members(links: dict[str, str]) -> set[str]:
    graph = nx.DiGraph((k, p) for k, p in links.items() if isinstance(p, str))
    return {n for comp in nx.simple_cycles(graph) for n in comp}


def _check_units(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                 sink: ErrorSink) -> None:
    own = (frame["supervisor_key"] == frame["key"]).fillna(False)
    sink.rows(table, frame, own.to_numpy(dtype=bool), "业务主管单位", frame["key"],
              "单位不能主管自己", "a unit cannot supervise itself")
    own_parent = (frame["parent_key"] == frame["key"]).fillna(False)
    sink.rows(table, frame, own_parent.to_numpy(dtype=bool), "上级单位", frame["key"],
              "单位不能是自己的上级单位", "a unit cannot be its own parent")
    links = state.db("unit_links")
    for field, header, zh, en in (
        ("parent_key", "上级单位", "上级单位关系成环（单位成了自己的上级）",
         "the parent-unit chain loops back to this unit"),
        ("supervisor_key", "业务主管单位", "业务主管关系成环（单位间接主管了自己）",
         "the supervision chain loops back to this unit"),
    ):
        chain = dict(zip(links["key"], links[field], strict=True))
        chain.update(zip(frame["key"], frame[field], strict=True))
        chain = {k: v for k, v in chain.items() if k != v}  # self-links reported above
        in_cycle = _cycle_members(chain)
        sink.rows(table, frame, frame["key"].isin(in_cycle).to_numpy(), header, frame[field],
                  zh, en)


def _check_persons(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                   sink: ErrorSink) -> None:
    ids = frame["id_number"]
    has = ids.notna().to_numpy()  # only numbers that passed the checksum are left
    if has.any():
        sub = frame[has]
        id_birth = pd.to_datetime(sub["id_number"].str.slice(6, 14), format="%Y%m%d")
        mismatch = sub["birth_date"].notna() & (id_birth != sub["birth_date"])
        sink.rows(table, sub, mismatch.to_numpy(), "出生日期", sub["birth_date"],
                  "出生日期与身份证号第7-14位不一致", "birth date disagrees with the ID number")
        odd = sub["id_number"].str.slice(16, 17).astype(int) % 2 == 1
        g_mismatch = sub["gender"].notna() & (sub["gender"] != np.where(odd, "M", "F"))
        sink.rows(table, sub, g_mismatch.to_numpy(), "性别", sub["gender"].map(_GENDER_ZH),
                  "性别与身份证号第17位不一致（奇数为男，偶数为女）",
                  "gender disagrees with the ID number (17th digit odd: male, even: female)")
        facts = state.db("person_facts")
        # Numbers held by persons of this batch are replaced by the batch's own values,
        # so a number may move from one person to another in a single import.
        facts = facts[facts["id_number"].notna() & ~isin(facts["key"], to_arrow(frame["key"]))]
        owner = pd.Series(facts["key"].to_numpy(), index=facts["id_number"].to_numpy())
        other = owner.reindex(sub["id_number"].to_numpy()).to_numpy(dtype=object)
        taken = pd.notna(other) & (other != sub["key"].to_numpy(dtype=object))
        masked = sub["id_number"].str.slice(0, 6) + "…"
        sink.rows(table, sub, taken, "身份证号", masked,
                  "该身份证号已属于库中另一人员", "this ID number belongs to another person")
        dup = sub["id_number"].duplicated(keep="first").to_numpy()
        sink.rows(table, sub, dup, "身份证号", masked,
                  "同一身份证号出现在多行", "the same ID number appears on several rows")
    state.add_births(frame["key"], frame["birth_date"])
    check_parent_ages_of_persons(table, frame, state, sink)


def _check_skills(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                  sink: ErrorSink) -> None:
    """A cadre's skill is found by code, Chinese or English name (any case), so after the
    import no spelling may belong to two skills."""
    stored = state.db("skill_labels")
    final: dict[str, tuple[object, object]] = {
        c: (zh, en) for c, zh, en in zip(stored["code"], stored["name_zh"], stored["name_en"],
                                         strict=True)}
    for c, zh, en in zip(frame["code"], frame["name_zh"], frame["name_en"], strict=True):
        if isinstance(c, str):  # the batch's row replaces the stored one
            final[c] = (zh, en)
    owners: dict[str, set[str]] = {}
    for code, labels in final.items():
        for label in (code, *labels):
            if isinstance(label, str):
                owners.setdefault(label.lower(), set()).add(code)
    for field, header in (("name_zh", "名称"), ("name_en", "英文名称"), ("code", "特长代码")):
        clash = np.array([isinstance(v, str) and len(owners.get(v.lower(), ())) > 1
                          for v in frame[field]], dtype=bool)
        sink.rows(table, frame, clash, header, frame[field],
                  "该写法已属于另一项专业特长（代码、中文名称、英文名称都用于识别特长，不能重复）",
                  "this spelling already belongs to another skill (codes, Chinese and English "
                  "names all identify skills and must not repeat)")


def _check_cadres(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                  sink: ErrorSink) -> None:
    frame["status"] = frame["status"].fillna("active")
    needs_reason = frame["status"].isin(["suspended", "removed"]) & frame["status_reason"].isna()
    sink.rows(table, frame, needs_reason.to_numpy(), "状态原因",
              lambda: frame["status"].map({c.code: c.zh for c in CADRE_STATUSES}),
              "暂停或出库须填写状态原因", "a suspended or removed cadre needs a status reason")
    limit = frame["max_rounds_per_year"].fillna(1)
    bad_limit = ((limit < 0) | (limit > MAX_ROUNDS_PER_YEAR)).to_numpy(dtype=bool)
    sink.rows(table, frame, bad_limit, "年度轮次上限", frame["max_rounds_per_year"],
              f"年度轮次上限应在0至{MAX_ROUNDS_PER_YEAR}之间",
              f"the yearly round limit must lie between 0 and {MAX_ROUNDS_PER_YEAR}")


def _check_participations(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                          sink: ErrorSink) -> None:
    same = (frame["second_target_unit_key"] == frame["target_unit_key"]).fillna(False)
    sink.rows(table, frame, same.to_numpy(dtype=bool), "第二被巡察单位",
              frame["second_target_unit_key"], "第二被巡察单位与第一被巡察单位相同",
              "the second target unit is the same as the first")
    team_no = frame["team_no"].fillna(1)
    bad_team = ((team_no < 1) | (team_no > MAX_TEAM_NO)).to_numpy(dtype=bool)
    sink.rows(table, frame, bad_team, "组别", frame["team_no"],
              f"组别应为1至{MAX_TEAM_NO}的整数",
              f"the team number must be a whole number from 1 to {MAX_TEAM_NO}")
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


def _check_evaluations(table: SourceTable, frame: pd.DataFrame, state: PoolState,
                       sink: ErrorSink) -> None:
    pairs = key_strings(frame, ("round_key", "person_key"))
    missing = pairs.notna().to_numpy() & ~state.contains("participations", pairs)
    sink.rows(table, frame, missing, "人员编号", frame["person_key"],
              "该人员在该轮次没有参与记录，不能评估；请先导入参与记录",
              "this person has no participation in that round; import the participation first")
    score = frame["score"]
    out_of_range = (score.notna() & ((score < 0) | (score > 100))).fillna(False)
    sink.rows(table, frame, out_of_range.to_numpy(dtype=bool), "分数", score,
              "分数应在0至100之间", "the score must be between 0 and 100")


_EXTRA: dict[str, Callable[[SourceTable, pd.DataFrame, PoolState, ErrorSink], None]] = {
    "regions": _check_regions,
    "skills": _check_skills,
    "units": _check_units,
    "persons": _check_persons,
    "cadres": _check_cadres,
    "ties": check_ties,
    "participations": _check_participations,
    "evaluations": _check_evaluations,
}
