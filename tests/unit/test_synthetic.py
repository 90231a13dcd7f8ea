"""The synthetic-data generator: deterministic output, and files that obey the import
rules (unique keys, resolvable references, sound kinship, valid ID numbers, ordered
dates, parseable skills, consistent teams)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from pool import synthetic
from pool.formats import DEFAULT_SKILLS, ENTITIES, ENTITY_BY_NAME
from pool.synthetic import CITY, PROVINCE, Scale, generate_scale, recusals
from pool.tabular import CSV_ENCODING, render
from pool.validation import id_check_char, region_parent
from pool.values import parse_skills

TINY = Scale("tiny", cities=1, counties_per_city=3, towns_per_county=(3, 5), city_units=14,
             county_units=6, township_share=0.5, province_units=0, persons=1_000, cadres=60,
             leader_pool=6, rounds=3, teams_per_round=2)
SKILL_LOOKUP = {label.lower(): c.code for c in DEFAULT_SKILLS for label in (c.code, c.zh)}


def _generate(target: Path, seed: int = 7, scale: Scale = TINY) -> dict[str, int]:
    return generate_scale(scale, seed, target)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Mapping[str, int]]:
    """One tiny dataset per module and the counts `generate_scale` returned; tests only
    read the files (each loads its own frames)."""
    target = tmp_path_factory.mktemp("tiny")
    return target, MappingProxyType(_generate(target))


@pytest.fixture
def tiny(tiny_run: tuple[Path, Mapping[str, int]]) -> Path:
    return tiny_run[0]


def _load(directory: Path) -> dict[str, pd.DataFrame]:
    """Read the CSVs back into field names with code values (dates stay ISO strings)."""
    tables = {}
    for path in sorted(directory.glob("*.csv")):
        entity = ENTITY_BY_NAME[path.stem]
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=CSV_ENCODING)
        assert list(raw.columns) == [c.zh for c in entity.columns]
        frame = pd.DataFrame(index=raw.index)
        for col in entity.columns:
            values = raw[col.zh]
            if col.kind == "enum":
                codes = {c.zh: c.code for c in col.choices} | {"": ""}
                assert values.isin(list(codes)).all(), (path.name, col.field)
                values = values.map(codes)
            elif col.kind == "bool":
                assert values.isin(["是", "否", ""]).all(), (path.name, col.field)
            frame[col.field] = values
        tables[entity.name] = frame
    return tables


def _same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(
        (a / name).read_bytes() == (b / name).read_bytes() for name in names)


def test_same_seed_gives_identical_files_and_another_seed_does_not(
        tiny: Path, tmp_path: Path) -> None:
    _generate(tmp_path / "again")
    _generate(tmp_path / "other", seed=8)
    assert _same_files(tiny, tmp_path / "again")
    assert (tiny / "persons.csv").read_bytes() != (tmp_path / "other" / "persons.csv").read_bytes()
    assert (tiny / "ties.csv").read_bytes() != (tmp_path / "other" / "ties.csv").read_bytes()


def test_output_does_not_depend_on_the_render_slice_size(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synthetic, "CHUNK_ROWS", 1000)  # ties, employments come in slices
    _generate(tmp_path)
    assert _same_files(tiny, tmp_path)


def test_every_entity_but_skills_is_written_with_its_row_count(
        tiny_run: tuple[Path, Mapping[str, int]]) -> None:
    directory, counts = tiny_run
    expected = {e.name for e in ENTITIES} - {"skills"}
    assert set(counts) == expected
    tables = _load(directory)
    assert {name: len(frame) for name, frame in tables.items()} == counts
    assert all(counts[name] > 0 for name in expected)
    assert counts["cadres"] == TINY.cadres
    assert tables["cadres"]["leader_pool"].eq("是").sum() == TINY.leader_pool


def test_keys_are_unique_and_every_reference_resolves(tiny: Path) -> None:
    tables = _load(tiny)
    for name, frame in tables.items():
        key = list(ENTITY_BY_NAME[name].key)
        assert not frame.duplicated(key).any(), name
    regions = set(tables["regions"]["code"])
    known = {"persons": set(tables["persons"]["key"]), "units": set(tables["units"]["key"]),
             "systems": set(tables["systems"]["code"]), "rounds": set(tables["rounds"]["key"]),
             "cadres": set(tables["cadres"]["person_key"])}
    for name, frame in tables.items():
        for col in ENTITY_BY_NAME[name].columns:
            values = set(frame[col.field]) - {""}
            if col.kind == "ref" and col.ref:
                assert values <= known[col.ref], (name, col.field, values - known[col.ref])
            if col.kind == "region":
                assert values <= regions, (name, col.field)
    units = tables["units"]
    assert (units["supervisor_key"] != units["key"]).all()
    parent = dict(zip(units["key"], units["parent_key"], strict=True))
    for key in parent:  # the unit hierarchy is a forest
        seen = {key}
        while parent[key]:
            key = parent[key]
            assert key not in seen
            seen.add(key)
    for code, up in zip(tables["regions"]["code"], tables["regions"]["parent_code"],
                        strict=True):
        assert up == (region_parent(code) or "")


def test_kinship_is_sound(tiny: Path) -> None:
    tables = _load(tiny)
    persons = tables["persons"].set_index("key")
    ties = tables["ties"]
    assert (ties["subject_key"] != ties["object_person_key"]).all()
    person_ties = ~ties["kind"].isin(["business_interest", "recusal"])
    assert (ties.loc[person_ties, "object_unit_key"] == "").all()
    assert (ties.loc[~person_ties, "object_person_key"] == "").all()

    parents = ties[ties["kind"] == "parent_of"].copy()
    parents["pkind"] = np.where(parents["adoptive"] == "是", "adoptive",
                                np.where(parents["step"] == "是", "step", "birth"))
    per_child = parents.groupby(["object_person_key", "pkind"])["subject_key"].nunique()
    assert per_child.max() <= 2
    assert set(parents["pkind"]) == {"birth", "adoptive", "step"}
    birth = parents[parents["pkind"] == "birth"]
    genders = birth["subject_key"].map(persons["gender"])
    assert not birth.assign(g=genders).duplicated(["object_person_key", "g"]).any()
    born = pd.to_datetime(persons["birth_date"])
    gap = born.reindex(parents["object_person_key"]).to_numpy() - \
        born.reindex(parents["subject_key"]).to_numpy()
    assert (gap >= pd.Timedelta(days=16 * 365)).all()  # also rules out any cycle

    declared = ties[ties["kind"] == "declared"]
    older = born.reindex(declared["subject_key"]).to_numpy() - \
        born.reindex(declared["object_person_key"]).to_numpy()
    category = declared["category"].to_numpy()
    assert (older[category == "uncle_aunt"] >= pd.Timedelta(days=15 * 365)).all()
    assert (older[category == "nephew_niece"] <= -pd.Timedelta(days=15 * 365)).all()

    spouses = ties[ties["kind"] == "spouse_of"]
    sides = pd.concat([spouses[["subject_key", "start", "end"]].rename(
        columns={"subject_key": "person"}), spouses[["object_person_key", "start", "end"]]
        .rename(columns={"object_person_key": "person"})]).sort_values(["person", "start"])
    same = sides["person"].eq(sides["person"].shift())
    prev_end = sides["end"].shift()
    assert not (same & ((prev_end == "") | (prev_end >= sides["start"]))).any()
    assert (spouses["end"] != "").any()  # some divorces, and remarriages after them
    for side in ("subject_key", "object_person_key"):
        age = pd.to_datetime(spouses["start"]).to_numpy() - \
            born.reindex(spouses[side]).to_numpy()
        assert (age >= pd.Timedelta(days=20 * 365)).all()


def test_id_numbers_are_valid_unique_and_agree_with_the_person(tiny: Path) -> None:
    persons = _load(tiny)["persons"]
    with_id = persons[persons["id_number"] != ""]
    assert 0.05 < 1 - len(with_id) / len(persons) < 0.25
    assert with_id["id_number"].is_unique
    for number, birth, gender in zip(with_id["id_number"], with_id["birth_date"],
                                     with_id["gender"], strict=True):
        assert len(number) == 18 and number[:17].isdigit()
        assert number[17] == id_check_char(number[:17])
        assert number[6:14] == birth.replace("-", "")
        assert (int(number[16]) % 2 == 1) == (gender == "M")


def test_names_include_rare_characters_and_middle_dots(tiny: Path) -> None:
    names = _load(tiny)["persons"]["name"]
    outside_bmp = names.map(lambda s: any(ord(c) > 0xFFFF for c in s))
    assert 1 <= outside_bmp.sum() <= 10
    assert names.str.contains("·", regex=False).sum() >= 3
    assert (names.str.len() >= 2).all()


def test_date_ranges_are_ordered(tiny: Path) -> None:
    tables = _load(tiny)
    for name, a, b in (("employments", "start", "end"), ("ties", "start", "end"),
                       ("unavailability", "start", "end"), ("rounds", "start", "end"),
                       ("cadres", "status_from", "status_to")):
        frame = tables[name]
        both = (frame[a] != "") & (frame[b] != "")
        assert (frame.loc[both, a] <= frame.loc[both, b]).all(), name
    jobs = tables["employments"].sort_values(["person_key", "start"])
    same = jobs["person_key"].eq(jobs["person_key"].shift(-1))
    assert (jobs["end"][same] != "").all()
    assert (jobs["end"][same] < jobs["start"].shift(-1)[same]).all()


def test_cadres_have_parseable_skills_and_work_in_their_home_unit(tiny: Path) -> None:
    tables = _load(tiny)
    cadres = tables["cadres"]
    for text in cadres["skills"]:
        skills, bad = parse_skills(text, SKILL_LOOKUP)
        assert not bad and 1 <= len(skills) <= 3
        assert all(1 <= level <= 5 for _, level in skills)
    jobs = tables["employments"]
    current = jobs[jobs["end"] == ""].set_index("person_key")["unit_key"]
    assert (cadres["home_unit_key"].to_numpy() == current.reindex(cadres["person_key"])
            .to_numpy()).all()
    leaders = cadres[cadres["leader_pool"] == "是"]
    assert set(leaders["rank"]) <= {"county_chief", "section_chief"}
    suspended = cadres[cadres["status"] != "active"]
    assert (suspended["status_reason"] != "").all()


def test_teams_are_consistent(tiny: Path) -> None:
    tables = _load(tiny)
    parts, cadres = tables["participations"], tables["cadres"].set_index("person_key")
    leaders = parts[parts["role"] == "leader"]
    assert not leaders.duplicated(["round_key", "team_no"]).any()
    assert (cadres.loc[leaders["person_key"], "leader_pool"] == "是").all()
    sizes = parts.groupby(["round_key", "team_no"]).size()
    assert sizes.between(2, 7).all()
    assert (parts["second_target_unit_key"] != parts["target_unit_key"]).all()
    home = cadres.loc[parts["person_key"], "home_unit_key"].to_numpy()
    assert not (home == parts["target_unit_key"].to_numpy()).any()
    evaluated = set(zip(tables["evaluations"]["round_key"], tables["evaluations"]["person_key"],
                        strict=True))
    assert evaluated <= set(zip(parts["round_key"], parts["person_key"], strict=True))
    rounds = tables["rounds"].set_index("key")
    ends = rounds.loc[tables["evaluations"]["round_key"], "end"].to_numpy()
    assert (tables["evaluations"]["evaluated_on"].to_numpy() > ends).all()


def test_recusals_follow_every_other_row_unchanged(tiny: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Declared recusals came later: without them every file but the ties is the same and
    the ties are the same up to where the recusals begin."""
    monkeypatch.setattr(recusals, "RECUSALS_PER_CADRE", 0.0)
    _generate(tmp_path)
    for path in tmp_path.iterdir():
        with_them = (tiny / path.name).read_bytes()
        if path.name == "ties.csv":
            assert len(with_them) > len(path.read_bytes())
            assert with_them.startswith(path.read_bytes())
        else:
            assert with_them == path.read_bytes(), path.name


def test_recusals_name_a_cadre_a_unit_a_category_and_a_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recusals, "RECUSALS_PER_CADRE", 0.5)
    _generate(tmp_path)
    tables = _load(tmp_path)
    ties = tables["ties"]
    recused = ties[ties["kind"] == "recusal"]
    assert len(recused) == TINY.cadres // 2
    assert recused.index[0] == len(ties) - len(recused)  # after every other tie
    assert (recused["key"] > ties["key"].drop(recused.index).max()).all()
    assert recused["subject_key"].is_unique
    home = tables["cadres"].set_index("person_key")["home_unit_key"]
    assert (recused["object_unit_key"] != "").all() and (recused["object_person_key"] == "").all()
    assert (recused["object_unit_key"].to_numpy()
            != home.reindex(recused["subject_key"]).to_numpy()).all()
    assert set(recused["category"]) == {"self", "unit_request", "organization"}
    assert (recused["note"] != "").all() and (recused["recorded_by"] == "市委巡察办").all()
    assert (recused["recorded_at"].str[:10] <= recused["start"]).all()


def test_presets_have_the_documented_sizes() -> None:
    assert (CITY.persons, CITY.cadres, CITY.leader_pool) == (20_000, 1_200, 60)
    assert PROVINCE.persons >= 1_000_000 and PROVINCE.cadres >= 20_000
    with pytest.raises(ValueError, match="leader_pool"):
        Scale("bad", 1, 1, (1, 1), 1, 1, 0.0, 0, 10, 5, 0, 1, 1)


def _render_value_by_value(entity_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The definition `render` must keep: every value rendered on its own."""
    def blank(v: object) -> bool:
        return v is None or (not isinstance(v, tuple | list) and bool(pd.isna(v)))

    out = {}
    for col in ENTITY_BY_NAME[entity_name].columns:
        labels = {c.code: c.zh for c in col.choices}
        cells = []
        column = frame[col.field] if col.field in frame else pd.Series([None] * len(frame))
        for v in column.tolist():
            if blank(v):
                cells.append("")
            elif col.kind in ("date", "datetime"):
                cells.append(v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime)
                             else v.isoformat() if isinstance(v, dt.date) else str(v))
            elif col.kind == "bool":
                cells.append("是" if v else "否")
            elif col.kind == "enum":
                cells.append(labels.get(v, str(v)))
            else:
                cells.append(str(v))
        out[col.zh] = cells
    return pd.DataFrame(out)


def test_render_per_distinct_value_matches_rendering_each_value() -> None:
    frame = pd.DataFrame({
        "key": pd.Series(["T1", "T2", "T3", "T4"], dtype=object),
        "kind": pd.Series(["parent_of", None, "spouse_of", "parent_of"], dtype=object),
        "subject_key": ["P1", "P2", None, "P1"],  # inferred as a string dtype with NaN
        "object_person_key": pd.Series(["P2", 7, pd.NaT, "P2"], dtype=object),  # mixed
        "adoptive": pd.Series([True, None, False, True], dtype=object),
        "step": pd.array([False, None, True, False], dtype="boolean"),
        "category": pd.Series([None, "friend", "friend", np.nan], dtype=object),
        "start": pd.Series([dt.date(2020, 1, 2), None, dt.date(2020, 1, 2),
                            dt.datetime(2020, 1, 2, 3, 4, 5)], dtype=object),
        "end": pd.Series([dt.date(2021, 1, 1), None, dt.date(2022, 2, 2), None], dtype=object),
        "recorded_at": pd.to_datetime(["2020-01-01 08:00:01", None, "2020-01-01 08:00:01",
                                       "2021-06-01 17:00:00"]),
    })
    expected = _render_value_by_value("ties", frame)
    got = render(ENTITY_BY_NAME["ties"], frame)
    for column in expected.columns:
        assert got[column].tolist() == expected[column].tolist(), column
