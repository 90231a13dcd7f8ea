"""Recusal policies as data: shipped rule sets load, hash stably, and bad files say where."""

from pathlib import Path

import pytest
import yaml

from conflicts.policy import (
    KIN_GROUPS,
    Kin,
    PolicyError,
    Relation,
    Role,
    load_policy,
    parse_policy,
    shipped_policies,
)

DEFAULT = Path(__file__).resolve().parents[2] / "conflicts" / "policies" / "default.yaml"


def default_data() -> dict:
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def test_the_three_policies_ship_and_validate() -> None:
    assert shipped_policies() == ["default", "leader-strict", "supervision-narrow"]
    for name in shipped_policies():
        policy = load_policy(name)
        assert policy.name == name
        assert len(policy.hash) == 64
        assert all(rule.basis.zh and rule.basis.en for rule in policy.rules)
    assert len({load_policy(n).hash for n in shipped_policies()}) == 3


def test_hash_depends_on_meaning_not_on_formatting() -> None:
    data = default_data()
    reordered = {key: data[key] for key in reversed(list(data))}
    assert parse_policy(reordered).hash == load_policy("default").hash
    data["rules"][0]["look_back_years"] = 5
    assert parse_policy(data).hash != load_policy("default").hash


def test_default_kinship_scope_is_design_section_4() -> None:
    rule = load_policy("default").rule("kin-in-target")
    assert set(rule.kinship) == set(KIN_GROUPS["all"])
    assert {Kin.collateral_spouse, Kin.child_in_law_parent, Kin.cousin} <= set(rule.kinship)


def test_supervision_narrow_keeps_only_close_relatives() -> None:
    rule = load_policy("supervision-narrow").rule("kin-in-target")
    assert set(rule.kinship) == {Kin.spouse, Kin.parent, Kin.child, Kin.grandparent,
                                 Kin.grandchild, Kin.sibling}


def test_leader_strict_is_stricter_for_leaders_and_deputies_only() -> None:
    default, strict = load_policy("default"), load_policy("leader-strict")
    any_time = strict.rule("employment.leader-any-time")
    assert any_time.min_years_any_time == 0 and set(any_time.roles) == {Role.leader, Role.deputy}
    assert Role.deputy in strict.rule("schooling.leader").roles
    assert Role.deputy not in default.rule("schooling.leader").roles
    system_rules = [r for r in strict.rules if r.relation is Relation.system]
    assert any(r.hard and Role.member not in r.roles for r in system_rules)
    assert not default.rule("system").hard


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["rules"][0].update(colour="red"), "rules.0.colour"),
        (lambda d: d["rules"][1].update(relation="friendship"), "rules.1.relation"),
        (lambda d: d["rules"][4].pop("region_level"), "needs 'region_level'"),
        (lambda d: d["rules"][2].update(kinship=["cousin", "neighbour"]), "rules.2.kinship"),
        (lambda d: d["rules"][3].pop("basis"), "rules.3.basis"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "rule id 'employment' appears twice"),
        (lambda d: d["rules"][0].update(look_back_years=-1), "rules.0.look_back_years"),
    ],
)
def test_an_invalid_policy_names_the_key(change, fragment: str) -> None:  # type: ignore[no-untyped-def]
    data = default_data()
    change(data)
    with pytest.raises(PolicyError) as exc:
        parse_policy(data, "custom.yaml")
    assert fragment in str(exc.value) and "custom.yaml" in str(exc.value)


def test_unknown_policy_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="available: default, leader-strict"):
        load_policy("lenient")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(broken)


def test_a_changed_copy_hashes_anew_even_when_the_original_hash_was_cached() -> None:
    policy = load_policy("default")
    original = policy.hash  # cached on the instance
    changed = policy.model_copy(update={"version": policy.version + "+changed"})
    assert changed.hash != original
    assert changed.hash == parse_policy(changed.model_dump(mode="json")).hash
    assert policy.model_copy().hash == original
