"""Single-value checks: resident ID numbers, region codes, normalization."""

import datetime as dt

import pytest

from pool.validation import (
    id_birth_date,
    id_check_char,
    id_gender,
    id_number_problem,
    mask_id_number,
    normalize_key,
    normalize_name,
    region_level,
    region_parent,
    region_problem,
)

# A number built by hand: 11010519491231002 → weights sum 167, 167 % 11 = 2 → 'X'.
VALID_ID = "11010519491231002X"


def test_check_character_follows_gb11643() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert id_number_problem(VALID_ID) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("110105194912310021", "校验位错误：应为 X，实为 1"),
        ("11010519491331002X", "出生日期"),
        ("99010519491231002X", "省级区划代码"),
        ("1101051949123100", "18位"),
        ("1.10105E+17", "科学计数法"),
    ],
)
def test_invalid_id_numbers_say_why(value: str, fragment: str) -> None:
    problem = id_number_problem(value)
    assert problem is not None
    assert fragment in problem[0]
    assert problem[1]  # an English counterpart is always given


def test_id_number_encodes_birth_date_and_gender() -> None:
    assert id_birth_date(VALID_ID) == dt.date(1949, 12, 31)
    assert id_gender(VALID_ID) == "F"  # 17th digit 2 is even


def test_id_numbers_are_never_printed_in_full() -> None:
    masked = mask_id_number(VALID_ID)
    assert masked.startswith("110105") and masked.endswith("2X")
    assert "19491231" not in masked
    assert len(masked) == 18


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [("320000", "province", None), ("320900", "city", "320000"),
     ("320902", "county", "320900"), ("320902001", "town", "320902")],
)
def test_region_hierarchy_from_code(code: str, level: str, parent: str | None) -> None:
    assert region_level(code) == level
    assert region_parent(code) == parent
    assert region_problem(code) is None


@pytest.mark.parametrize("code", ["99000", "990000", "3209", "32090200a", "320900001"])
def test_malformed_region_codes_are_rejected(code: str) -> None:
    assert region_problem(code) is not None


def test_names_fold_full_width_and_stray_spaces_but_keep_rare_characters() -> None:
    assert normalize_name("  张　三 ") == "张三"
    assert normalize_name("王 𠮷") == "王𠮷"  # U+20BB7, outside the BMP, kept as is
    assert normalize_name("买买提·艾力") == "买买提·艾力"
    assert normalize_name("Ｊｏｈｎ  Ｓｍｉｔｈ") == "John Smith"
    assert normalize_key(" Ｐ００１ ") == "P001"


def test_names_lose_invisible_characters_and_line_separators() -> None:
    assert normalize_name("\ufeff谢\u200b伟\u2060") == "谢伟"  # BOM, zero-width space, joiner
    assert normalize_name("谢\u2028伟") == "谢伟"  # a line separator is a space, then a gap
    assert normalize_name("John\u0085\x0bSmith\x0c") == "John Smith"  # NEL, VT, FF
    assert normalize_name("李\u200d桂\u00ad兰") == "李桂兰"  # zero-width joiner, soft hyphen
    assert normalize_key("P\u200b001\u2028") == "P001"
