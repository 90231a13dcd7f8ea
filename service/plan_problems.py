"""What is wrong with a round file, a cross-inspection plan or a request body, in the
office's words: pydantic's errors translated into Chinese first (with English), each
naming where (第2组 teams[1].skills) and, for a misspelling, what was probably meant.

The one translator: `read_file_model` (files the CLI reads) and the API's handler of
invalid request bodies (`service.errors`) both use `translate`."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from pool.validation import clip

Loc = Sequence[str | int]

# list fields whose items are teams or groups: "第2组" for teams[1]
_NUMBERED = {"teams": ("第{}组", "team {}"), "groups": ("第{}分组", "group {}")}
_RANGES = {"size": ("每组人数", 1), "deputies": ("副组长人数", 0)}  # name, lowest


class RoundFileError(ValueError):
    """A round file (or plan) that cannot be used; the message names the file and the key.
    `problems` holds each problem on its own, for a structured answer."""

    def __init__(self, message: str, problems: Sequence[PlanProblem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class PlanProblem:
    """One problem: the field's dotted path, the message in Chinese and in English (each
    naming the place), and what the user probably meant."""

    field: str
    zh: str
    en: str
    suggestions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "zh": self.zh, "en": self.en,
                "message": f"{self.zh} / {self.en}", "suggestions": list(self.suggestions)}


def where(loc: Loc) -> tuple[str, str]:
    """A location as a person reads it: ("teams", 1, "skills") → 第2组 teams[1].skills."""
    path, zh_team, en_team = "", "", ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
            label = _NUMBERED.get(str(loc[i - 1])) if i else None
            if label is not None:
                zh_team, en_team = label[0].format(part + 1), label[1].format(part + 1)
        else:
            path += ("." if path else "") + clip(str(part))
    path = path or "(top level)"
    return (f"{zh_team} {path}" if zh_team else path,
            f"{en_team}, {path}" if en_team else path)


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def problem(loc: Loc, what_zh: str, what_en: str, hint_zh: str = "", hint_en: str = "",
            suggestions: Iterable[str] = (), prefix: Loc = (),
            field: Loc | None = None) -> PlanProblem:
    """A problem at `loc`: "what（where）：hint" (no where at the top level); the field is
    `field` (default `loc`) under `prefix`, the body key a plan was sent under."""
    at_zh, at_en = where(loc) if loc else ("", "")
    shown = tuple(suggestions)
    if shown:
        hint_zh = "；".join(x for x in (hint_zh, f"你是否要写 {'、'.join(shown)}？") if x)
        hint_en = "; ".join(x for x in (hint_en, f"did you mean {', '.join(shown)}?") if x)
    return PlanProblem(dotted([*prefix, *(loc if field is None else field)]),
                       what_zh + (f"（{at_zh}）" if at_zh else "")
                       + (f"：{hint_zh}" if hint_zh else ""),
                       what_en + (f" ({at_en})" if at_en else "")
                       + (f": {hint_en}" if hint_en else ""), shown)


def close(given: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices that look most like `given` (difflib), best first."""
    return difflib.get_close_matches(given, list(choices), n=n, cutoff=cutoff)


# -- pydantic errors --------------------------------------------------------------------

def translate(errors: Iterable[Any], model: type[BaseModel] | None = None,
              prefix: Loc = ()) -> list[PlanProblem]:
    """Pydantic's error dictionaries as problems; `model` (the validated model, when
    known) lets an unknown key be answered with the keys that exist there."""
    return [_one(dict(e), model, prefix) for e in errors]


def _one(error: dict[str, Any], model: type[BaseModel] | None, prefix: Loc) -> PlanProblem:
    loc: list[str | int] = list(error.get("loc", ()))
    kind, ctx, given = str(error.get("type", "")), error.get("ctx") or {}, error.get("input")
    shown = clip(str(given)) if isinstance(given, str | int | float) else ""
    if kind == "extra_forbidden" and loc:
        name = str(loc[-1])
        fields = _fields_at(model, loc[:-1])
        hint_zh = f"可用字段 {'、'.join(fields)}" if fields else ""
        hint_en = f"the fields are {', '.join(fields)}" if fields else ""
        return problem(loc[:-1], f"未知的字段“{clip(name)}”", f"unknown field '{clip(name)}'",
                       hint_zh, hint_en, close(name, fields), prefix, loc)
    at = _range_at(loc)
    if at is not None and kind != "value_error":  # value_error: the bounds' order, said
        name, low = _RANGES[str(at[-1])]
        return problem(at, f"{name}须写成 [下限, 上限]，如 [5, 7]",
                       f"{at[-1]} is a range written [lowest, highest], e.g. [5, 7]",
                       f"每组{low}–50人，下限不大于上限；所写为 {clip(str(given))}",
                       f"{low}–50 per team, the lower bound not above the upper; given "
                       f"{clip(str(given))}", prefix=prefix, field=loc)
    what = _MESSAGES.get(kind)
    if kind.startswith("date") and not kind.startswith("datetime"):
        meant = _iso_date(given)
        return problem(loc, "日期须写成 YYYY-MM-DD，如 2026-11-01",
                       "a date is written YYYY-MM-DD, e.g. 2026-11-01",
                       f"所写为 {shown}" if shown else "", f"given {shown}" if shown else "",
                       [meant] if meant else [], prefix)
    if kind in ("value_error", "assertion_error"):
        text = str(error.get("msg", "")).removeprefix("Value error, ").removeprefix(
            "Assertion failed, ")
        zh, sep, en = text.partition(" / ")
        return problem(loc, zh, en if sep else text, prefix=prefix)
    if what is None:
        what = ("取值无效", f"invalid value: {clip(str(error.get('msg', '')), 300)}")
    zh, en = _format(what[0], ctx), _format(what[1], ctx)
    if kind == "missing":
        return problem(loc[:-1], f"缺少必填字段“{loc[-1]}”" if loc else "缺少必填内容",
                       f"the required field '{loc[-1]}' is missing" if loc else
                       "required content is missing", prefix=prefix, field=loc)
    if kind in ("model_type", "model_attributes_type", "dict_type") and not loc:
        zh, en = ("内容须为键值对（YAML 映射或 JSON 对象），如 key: R2027-01",
                  "the content must be a mapping (a YAML mapping or JSON object), e.g. "
                  "key: R2027-01")
    return problem(loc, zh, en, f"所写为 {shown}" if shown else "",
                   f"given {shown}" if shown else "", prefix=prefix)


_DATE = re.compile(r"\s*(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?\s*")


def _iso_date(given: Any) -> str | None:
    """2026/11/01, 2026.11.1 or 2026年11月1日 as 2026-11-01, when it is a real day."""
    found = _DATE.fullmatch(given) if isinstance(given, str) else None
    if found is None:
        return None
    try:
        return dt.date(*(int(g) for g in found.groups())).isoformat()
    except ValueError:
        return None


def _range_at(loc: Loc) -> Loc | None:
    """The location of a team size or deputies range an error lies in (or at), if any."""
    for i in range(len(loc) - 1, -1, -1):
        part = loc[i]
        if isinstance(part, str):
            before = loc[i - 1] if i else None
            team = isinstance(before, int) or before == "defaults"
            return loc[:i + 1] if part in _RANGES and team else None
    return None


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


# error type → (Chinese, English), formatted with the error's context
_MESSAGES: dict[str, tuple[str, str]] = {
    "int_parsing": ("须为整数", "must be a whole number"),
    "int_type": ("须为整数", "must be a whole number"),
    "int_from_float": ("须为整数，不能带小数", "must be a whole number, without decimals"),
    "float_parsing": ("须为数字", "must be a number"),
    "float_type": ("须为数字", "must be a number"),
    "bool_parsing": ("须为 true 或 false", "must be true or false"),
    "bool_type": ("须为 true 或 false", "must be true or false"),
    "string_type": ("须为文字", "must be text"),
    "string_too_short": ("至少{min_length}个字", "at least {min_length} characters"),
    "string_too_long": ("至多{max_length}个字", "at most {max_length} characters"),
    "string_pattern_mismatch": ("格式不符", "does not have the expected form"),
    "too_short": ("至少{min_length}项", "at least {min_length} items"),
    "too_long": ("至多{max_length}项", "at most {max_length} items"),
    "greater_than_equal": ("须不小于 {ge}", "must be at least {ge}"),
    "less_than_equal": ("须不大于 {le}", "must be at most {le}"),
    "greater_than": ("须大于 {gt}", "must be greater than {gt}"),
    "less_than": ("须小于 {lt}", "must be less than {lt}"),
    "list_type": ("须为列表，如 [U00003]", "must be a list, e.g. [U00003]"),
    "tuple_type": ("须为列表，如 [5, 7]", "must be a list, e.g. [5, 7]"),
    "dict_type": ("须为键值对，如 {{finance: 1}}", "must be a mapping, e.g. {{finance: 1}}"),
    "model_type": ("须为键值对（字段: 值）", "must be a mapping (field: value)"),
    "model_attributes_type": ("须为键值对（字段: 值）", "must be a mapping (field: value)"),
    "literal_error": ("须为以下之一：{expected}", "must be one of {expected}"),
    "enum": ("须为以下之一：{expected}", "must be one of {expected}"),
    "json_invalid": ("不是有效的 JSON", "not valid JSON"),
}


def _format(template: str, ctx: dict[str, Any]) -> str:
    return template.format_map(_Defaults({k: clip(str(v), 200) for k, v in ctx.items()}))


# -- the model at a location ------------------------------------------------------------

def _strip(tp: Any) -> list[Any]:
    """The types `tp` may be: Annotated and Optional/Union unwrapped."""
    if typing.get_origin(tp) is typing.Annotated:
        return _strip(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) if arg is not type(None) for t in _strip(arg)]
    return [tp]


def _step(tp: Any, part: str | int) -> Any:
    for t in _strip(tp):
        origin, args = typing.get_origin(t), typing.get_args(t)
        if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(part, str):
            field = t.model_fields.get(part)
            if field is not None:
                return field.annotation
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
            return args[part] if origin is tuple and len(args) > part \
                and args[-1] is not Ellipsis else args[0]
        elif origin is dict and len(args) == 2:
            return args[1]
    return None


def model_at(model: type[BaseModel] | None, loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that validates the value at `loc` of `model`, if any."""
    tp: Any = model
    for part in loc:
        if tp is None:
            return None
        tp = _step(tp, part)
    found = [t for t in _strip(tp) if isinstance(t, type) and issubclass(t, BaseModel)]
    return found[0] if found else None


def _fields_at(model: type[BaseModel] | None, loc: Loc) -> list[str]:
    at = model_at(model, loc)
    return list(at.model_fields) if at is not None else []
