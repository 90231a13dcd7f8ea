"""The ceremony's arithmetic: commitments, the specification hash and the seed can be
recomputed with sha256sum from the documented texts, every input moves the seed, and bad
secrets are refused with words."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assignment.ceremony import (
    CeremonyError,
    check_digest,
    commitment_preimage,
    derive_seed,
    library_versions,
    new_secret,
    secret_commitment,
    seed_number,
    seed_preimage,
    solver_seed,
    spec_hash,
    spec_text,
)

SPEC = "5" * 64
A, B = "a1" * 32, "b2" * 32


def sha256sum(text: str) -> str:
    """What an auditor gets from `printf … | sha256sum` (the real tool when present)."""
    tool = shutil.which("sha256sum")
    if tool is None:  # pragma: no cover - coreutils is on every CI image
        return hashlib.sha256(text.encode()).hexdigest()
    out = subprocess.run([tool], input=text.encode(), capture_output=True, check=True)
    return out.stdout.decode().split()[0]


def test_a_new_secret_has_256_bits_and_its_commitment_binds_it_to_the_specification(
        ) -> None:
    secret = new_secret()
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert secret != new_secret()
    text = f"xuncha-draw-commit-v1\nspec {SPEC}\nsecret {secret}\n"
    assert commitment_preimage(SPEC, secret) == text
    assert secret_commitment(SPEC, secret) == sha256sum(text)
    assert secret_commitment("6" * 64, secret) != secret_commitment(SPEC, secret)


def test_the_seed_is_sha256sum_of_the_documented_text() -> None:
    text = seed_preimage(SPEC, [("organizer", A), ("supervisor", B)], None)
    assert text == (f"xuncha-draw-seed-v1\nspec {SPEC}\norganizer {A}\nsupervisor {B}\n"
                    "public -\n")
    assert derive_seed(SPEC, [("organizer", A), ("supervisor", B)], None) == sha256sum(text)
    with_public = seed_preimage(SPEC, [("organizer", A), ("supervisor", B)], "03 11 27")
    assert with_public.endswith("public 03 11 27\n")


def test_every_input_and_the_order_of_the_parties_moves_the_seed() -> None:
    base = derive_seed(SPEC, [("organizer", A), ("supervisor", B)], None)
    others = {
        derive_seed("6" * 64, [("organizer", A), ("supervisor", B)], None),
        derive_seed(SPEC, [("organizer", B), ("supervisor", A)], None),
        derive_seed(SPEC, [("supervisor", B), ("organizer", A)], None),
        derive_seed(SPEC, [("organizer", A), ("supervisor", "c3" * 32)], None),
        derive_seed(SPEC, [("organizer", A), ("supervisor", B)], "7"),
        derive_seed(SPEC, [("organizer", A)], None),
    }
    assert base not in others and len(others) == 6


@pytest.mark.parametrize("secret", [
    "", "abc", "a" * 31, "A" * 64, "g" * 64, "a" * 129, " " + "a" * 63, "a" * 63 + "\n"])
def test_a_short_or_malformed_secret_is_refused_in_words(secret: str) -> None:
    with pytest.raises(CeremonyError, match="128"):
        secret_commitment(SPEC, secret)


def test_a_malformed_commitment_or_public_value_is_refused() -> None:
    with pytest.raises(CeremonyError, match="sha256"):
        check_digest("F" * 64)
    with pytest.raises(CeremonyError):
        seed_preimage(SPEC, [("organizer", A)], "two\nlines")
    with pytest.raises(CeremonyError):
        seed_preimage(SPEC, [("organizer", A)], "   ")
    with pytest.raises(CeremonyError):
        seed_preimage(SPEC, [("organizer x", A)], None)


def test_the_specification_text_is_canonical_and_keeps_chinese_as_is() -> None:
    one = spec_text({"round": "2027-1", "name": "第一轮𠮷", "b": 1, "a": [1, 2]})
    two = spec_text({"a": [1, 2], "b": 1, "name": "第一轮𠮷", "round": "2027-1"})
    assert one == two and "第一轮𠮷" in one and " " not in one
    assert one.startswith('{"a":[1,2],"b":1,"domain":"xuncha-draw-spec-v1"')
    assert spec_hash(one) == sha256sum(one)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**256 - 1))
def test_any_seed_maps_to_a_32_bit_solver_seed_and_trial_seeds_to_themselves(n: int) -> None:
    assert 0 <= solver_seed(n) < 2**31
    if n < 2**31:
        assert solver_seed(n) == n
    assert seed_number(f"{n:064x}") == n


def test_library_versions_name_the_pinned_solver_and_numpy() -> None:
    versions = library_versions()
    assert set(versions) == {"numpy", "ortools"}
    assert all(v[0].isdigit() for v in versions.values())


def test_pyproject_pins_exactly_the_versions_that_run_and_are_recorded() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml")
                            .read_text(encoding="utf-8"))["project"]
    pins = dict(d.split("==") for d in project["dependencies"]
                if d.split("==")[0] in ("numpy", "ortools"))
    assert pins == library_versions()
