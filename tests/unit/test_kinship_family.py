"""A hand-built five-generation family around one cadre: every relative type DESIGN §4
lists is found with the right category, and every out-of-scope relative is not."""

from __future__ import annotations

import datetime as dt

import pytest

from conflicts.index import ConflictIndex
from conflicts.policy import Kin
from tests.records_builder import SnapshotBuilder

AS_OF = dt.date(2026, 11, 1)
K = Kin


@pytest.fixture(scope="module")
def family() -> tuple[ConflictIndex, dict[str, str]]:
    b = SnapshotBuilder()
    p: dict[str, str] = {}

    def person(role: str, name: str, gender: str = "M") -> str:
        p[role] = b.person(name, gender, key=role)
        return p[role]

    for role, name, g in (
            ("great_grandpa", "王太公", "M"), ("grandpa", "王大山", "M"),
            ("grandma", "刘秀英", "F"),
            ("great_uncle", "王二山", "M"), ("great_uncle_child", "王小川", "M"),
            ("second_cousin", "王远", "M"), ("grandpa_m", "李老汉", "M"),
            ("grandma_m", "赵婆婆", "F"), ("father", "王建国", "M"), ("mother", "李桂兰", "F"),
            ("stepmother", "孙丽", "F"), ("uncle", "王建军", "M"), ("uncle_wife", "周芳", "F"),
            ("aunt_m", "李桂芝", "F"), ("cousin", "王磊", "M"), ("cousin_wife", "郑洁", "F"),
            ("cousin_child", "王小磊", "M"), ("me", "王𠮷", "M"), ("wife", "陈梅", "F"),
            ("ex_wife", "林霞", "F"), ("sister", "王小梅", "F"), ("sister_husband", "吴刚", "M"),
            ("sister_husband_father", "吴老", "M"), ("half_brother", "王小军", "M"),
            ("adopted_brother", "王安", "M"), ("nephew", "吴小刚", "M"),
            ("grand_nephew", "吴孙", "M"), ("son", "王子", "M"), ("daughter_in_law", "黄蓉", "F"),
            ("daughter_in_law_father", "黄药师", "M"), ("daughter", "王女", "F"),
            ("grandson", "王孙", "M"), ("wife_father", "陈父", "M"), ("wife_mother", "张母", "F"),
            ("wife_grandpa", "陈祖", "M"), ("wife_brother", "陈兄", "M"),
            ("wife_brother_wife", "何嫂", "F"), ("wife_nephew", "陈侄", "M"),
            ("declared_cousin", "申报表哥", "M"), ("declared_uncle", "申报舅舅", "M"),
            ("friend", "老朋友", "M"), ("stranger", "路人", None)):
        person(role, name, g or "M")

    def kids(parents: tuple[str, ...], *children: str, **kw: object) -> None:
        for parent in parents:
            for child in children:
                b.parent(p[parent], p[child], **kw)  # type: ignore[arg-type]

    kids(("great_grandpa",), "grandpa", "great_uncle")
    kids(("great_uncle",), "great_uncle_child")
    kids(("great_uncle_child",), "second_cousin")
    kids(("grandpa", "grandma"), "father", "uncle")
    kids(("grandpa_m", "grandma_m"), "mother", "aunt_m")
    kids(("father", "mother"), "me", "sister")
    kids(("father", "stepmother"), "half_brother")
    kids(("father", "mother"), "adopted_brother", adoptive=True, start=dt.date(2001, 5, 1))
    kids(("uncle",), "cousin")
    kids(("cousin",), "cousin_child")
    kids(("sister", "sister_husband"), "nephew")
    kids(("sister_husband_father",), "sister_husband")
    kids(("nephew",), "grand_nephew")
    kids(("me", "wife"), "son", "daughter")
    kids(("son", "daughter_in_law"), "grandson")
    kids(("daughter_in_law_father",), "daughter_in_law")
    kids(("wife_grandpa",), "wife_father")
    kids(("wife_father", "wife_mother"), "wife", "wife_brother")
    kids(("wife_brother",), "wife_nephew")
    for a, c in (("grandpa", "grandma"), ("father", "mother"), ("uncle", "uncle_wife"),
                 ("cousin", "cousin_wife"), ("sister", "sister_husband"),
                 ("son", "daughter_in_law"), ("wife_father", "wife_mother"),
                 ("wife_brother", "wife_brother_wife")):
        b.marry(p[a], p[c], start=dt.date(1990, 1, 1))
    b.marry(p["me"], p["ex_wife"], start=dt.date(2005, 1, 1), end=dt.date(2010, 6, 30))
    b.marry(p["me"], p["wife"], start=dt.date(2012, 10, 1))
    b.tie("declared", p["me"], p["declared_cousin"], category="cousin")
    b.tie("declared", p["declared_uncle"], p["me"], category="nephew_niece")
    b.tie("declared", p["me"], p["friend"], category="friend")
    home = b.unit("云川市财政局")
    b.cadre(p["me"], home)
    return ConflictIndex(b.snapshot(AS_OF)), p


EXPECTED: dict[str, set[Kin]] = {
    "wife": {K.spouse},
    "father": {K.parent}, "mother": {K.parent}, "stepmother": set(),
    "grandpa": {K.grandparent}, "grandma": {K.grandparent}, "grandpa_m": {K.grandparent},
    "grandma_m": {K.grandparent},
    "son": {K.child}, "daughter": {K.child}, "grandson": {K.grandchild},
    "sister": {K.sibling}, "half_brother": {K.sibling}, "adopted_brother": {K.sibling},
    "uncle": {K.uncle_aunt}, "aunt_m": {K.uncle_aunt},
    "cousin": {K.cousin}, "nephew": {K.nephew_niece},
    "wife_father": {K.parent_in_law}, "wife_mother": {K.parent_in_law},
    "wife_brother": {K.sibling_in_law}, "wife_brother_wife": {K.sibling_in_law},
    "daughter_in_law": {K.child_in_law}, "daughter_in_law_father": {K.child_in_law_parent},
    "sister_husband": {K.collateral_spouse}, "uncle_wife": {K.collateral_spouse},
    "cousin_wife": {K.collateral_spouse},
    "declared_cousin": {K.cousin}, "declared_uncle": {K.uncle_aunt},
}
OUT_OF_SCOPE = ("great_grandpa", "great_uncle", "great_uncle_child", "second_cousin",
                "cousin_child", "grand_nephew", "wife_nephew", "wife_grandpa",
                "sister_husband_father", "ex_wife", "friend", "stranger", "me")


def test_every_relative_type_has_its_category(family) -> None:
    index, _ = family
    found = {k: set(v) for k, v in index.relatives_of("me").items()}
    expected = {k: v for k, v in EXPECTED.items() if v}
    assert found == expected


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_out_of_scope_relatives_are_not_relatives(family, role: str) -> None:
    index, _ = family
    assert role not in index.relatives_of("me")


def test_a_step_parent_is_a_parent_only_through_a_step_tie(family) -> None:
    # the stepmother married nobody on record and has no step tie to the cadre: not kin;
    # her own son is the cadre's half-brother through the father
    index, _ = family
    assert "stepmother" not in index.relatives_of("me")
    assert index.relatives_of("half_brother")["stepmother"] == (K.parent,)


def test_relations_read_the_same_from_the_other_side(family) -> None:
    index, _ = family
    assert index.relatives_of("son")["me"] == (K.parent,)
    assert index.relatives_of("cousin")["me"] == (K.cousin,)
    assert index.relatives_of("nephew")["me"] == (K.uncle_aunt,)
    assert index.relatives_of("wife_father")["me"] == (K.child_in_law,)
    assert index.relatives_of("declared_cousin")["me"] == (K.cousin,)
    assert index.relatives_of("declared_uncle")["me"] == (K.nephew_niece,)
