"""Pure checks on single values: resident ID numbers (GB 11643), region codes (GB/T 2260),
text normalization (one value at a time, by the importer's own vectorized functions). Used
by the importer and by tests; no database here."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from pool import arrow

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")

# First two digits of GB/T 2260 province-level codes.
PROVINCE_PREFIXES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82",
    }
)
_REGION_PATTERN = re.compile(r"^([0-9]{6}|[0-9]{9})$")


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_number_problem(value: str) -> tuple[str, str] | None:
    """Why `value` is not a valid 18-digit resident ID number, in (Chinese, English); or None."""
    if "E+" in value.upper() and "." in value:
        return ("身份证号被存成了科学计数法数字，请把该列设为文本后重新填写",
                "the ID number was stored as a number in scientific notation; "
                "format the column as text and enter it again")
    if "*" in value:
        return ("这是脱敏导出的身份证号（含 *），不能导入；备份或迁移请用含完整身份证号的导出"
                "（xuncha export --id-numbers full）",
                "a masked ID number (with *) from a masked export cannot be imported; for a "
                "backup or a migration export with full ID numbers (--id-numbers full)")
    if not _ID_PATTERN.match(value):
        return ("身份证号应为18位：17位数字加1位数字或X",
                "an ID number has 18 characters: 17 digits and a digit or X")
    if value[:2] not in PROVINCE_PREFIXES:
        return ("身份证号前两位不是有效的省级区划代码",
                "the first two digits are not a valid province code")
    if id_birth_date(value) is None:
        return ("身份证号中的出生日期（第7-14位）不是有效日期",
                "digits 7-14 are not a valid birth date")
    expected = id_check_char(value[:17])
    if value[17] != expected:
        return (f"身份证号校验位错误：应为 {expected}，实为 {value[17]}（GB 11643）",
                f"wrong check character: expected {expected}, found {value[17]} (GB 11643)")
    return None


def id_birth_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_gender(value: str) -> str:
    """'M' when the 17th digit is odd, 'F' when even."""
    return "M" if int(value[16]) % 2 == 1 else "F"


def mask_id_number(value: str | None) -> str:
    """Never print an ID number in full: keep the first 6 and last 2 characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 8) + value[-2:]


def region_level(code: str) -> str | None:
    """province / city / county / town for a well-formed code, else None."""
    if not _REGION_PATTERN.match(code) or code[:2] not in PROVINCE_PREFIXES:
        return None
    if len(code) == 9:
        return "town" if code[6:] != "000" and code[4:6] != "00" else None
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def region_parent(code: str) -> str | None:
    level = region_level(code)
    if level == "town":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def region_problem(code: str) -> tuple[str, str] | None:
    if not _REGION_PATTERN.match(code):
        return ("区划代码应为6位数字（乡镇为9位）",
                "a region code has 6 digits (9 for towns)")
    if code[:2] not in PROVINCE_PREFIXES:
        return (f"区划代码前两位 {code[:2]} 不是有效的省级代码（GB/T 2260）",
                f"{code[:2]} is not a valid province prefix (GB/T 2260)")
    if region_level(code) is None:
        return ("乡镇代码的前六位必须是县级代码", "a town code must start with a county code")
    return None


def normalize_text(value: str) -> str:
    """One value normalized as the importer normalizes a column (`pool.arrow.normalize`):
    NFKC, invisible characters removed, whitespace runs folded to one space, trimmed."""
    return str(arrow.normalize(pd.Series([value], dtype="str")).iloc[0])


def normalize_name(value: str) -> str:
    """Like `normalize_text`, and stray spaces between Chinese characters removed."""
    return str(arrow.normalize(pd.Series([value], dtype="str"), name=True).iloc[0])


def normalize_key(value: str) -> str:
    return normalize_text(value).replace(" ", "")


ECHO_CHARS = 80  # the most of a user's value an error message repeats


def clip(value: str, limit: int = ECHO_CHARS) -> str:
    """`value` cut to `limit` characters, marked with "…" when cut: what an error may
    echo of a user's value (a 200 MB cell is named by its first characters)."""
    return value if len(value) <= limit else value[:limit] + "…"
