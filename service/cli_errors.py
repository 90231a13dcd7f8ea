"""How the `xuncha` command line fails: usage mistakes, a database that is not set up,
Ctrl-C and unexpected errors each end in a short Chinese + English message and an exit
code, never a traceback (`XUNCHA_DEBUG=1` shows one)."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

try:  # typer ≥ 0.2x carries its own click, and its errors are that copy's classes
    from typer import _click as click
    from typer._click import exceptions as errors
except ImportError:  # older typer runs on the installed click
    import click  # type: ignore[no-redef]
    from click import exceptions as errors  # type: ignore[no-redef]
from typer.core import TyperGroup

DEBUG_VARIABLE = "XUNCHA_DEBUG"
ENTRY = "./dev xuncha"  # the documented way to run the CLI from a clone
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class CliFailure(Exception):
    """A failure the user can act on: printed as one `中文 / English` line, then the
    command exits with `code`."""

    def __init__(self, zh: str, en: str, code: int = 1) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.code = zh, en, code


class XunchaGroup(TyperGroup):
    """The root command: every failure below it (parsing included) becomes a message."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with plain_failures():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with plain_failures():
            return super().invoke(ctx)


@contextmanager
def nothing_written_if_interrupted() -> Iterator[None]:
    """Around one transaction that rolls back on any exception: Ctrl-C inside it leaves
    the database as it was, and the user is told so."""
    try:
        yield
    except KeyboardInterrupt:
        raise CliFailure("已中断：未写入任何数据", "interrupted: nothing was written",
                         EXIT_INTERRUPTED) from None


def say(line: str) -> None:
    typer.echo(line, err=True)


@contextmanager
def plain_failures() -> Iterator[None]:
    """Turn what escapes a command into a message and an exit code. click's own exits
    (typer.Exit, the help shown for a bare group) pass through unchanged."""
    try:
        yield
    except (typer.Exit, errors.NoArgsIsHelpError):
        raise
    except errors.UsageError as exc:
        for line in usage_lines(exc):
            say(line)
        raise typer.Exit(exc.exit_code) from None
    except typer.Abort:
        say("已取消 / aborted")
        raise typer.Exit(1) from None
    except errors.ClickException as exc:
        say(f"出错 / error: {exc.format_message()}")
        raise typer.Exit(exc.exit_code) from None
    except CliFailure as exc:
        say(str(exc))
        raise typer.Exit(exc.code) from None
    except KeyboardInterrupt:
        say("已中断 / interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
            raise  # `xuncha … | head`: typer quietens the closed pipe
        # read here, not from Settings: this must work when the settings fail to load
        if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
            raise
        say(unexpected_message(exc))
        raise typer.Exit(1) from None


def unexpected_message(exc: Exception) -> str:
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    rerun = (f"用 {DEBUG_VARIABLE}=1 重新运行可看到详细信息 / run again with "
             f"{DEBUG_VARIABLE}=1 to see the details")
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        wrong = "; ".join(f"XUNCHA_{str(e['loc'][0]).upper()}: {e['msg']}"
                          for e in exc.errors() if e["loc"])
        return f"设置有误 / invalid setting: {wrong}"
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if isinstance(zh, str) and isinstance(en, str):  # the service's typed errors
        return f"{zh} / {en}"
    detail = _first_line(exc)
    if isinstance(exc, OperationalError):
        return f"数据库出错 / database error: {detail}（{rerun}）"
    return f"意外错误 / unexpected error: {type(exc).__name__}: {detail}（{rerun}）"


def _first_line(exc: BaseException, limit: int = 300) -> str:
    # SQLAlchemy puts the statement and its parameters (personal data) on later lines
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= limit else text[:limit] + "…"


# -- click's usage errors, in Chinese and English ------------------------------------------

_DETAILS_ZH = (  # click's (or pydantic's) English detail → what it means, in Chinese
    ("does not exist", "文件或目录不存在"), ("is a directory", "是目录，须为文件"),
    ("is a file", "是文件，须为目录"), ("not readable", "无权读取"), ("not writable", "无权写入"),
    ("valid integer", "须为整数"), ("valid number", "须为数字"), ("valid float", "须为数字"),
    ("valid boolean", "须为 true 或 false"), ("is not one of", "不在可选值之中"),
    ("greater than", "超出取值范围"), ("less than", "超出取值范围"),
    ("not in the range", "超出取值范围"), ("does not match the format", "格式不符"))


def usage_lines(exc: errors.UsageError) -> list[str]:
    """What went wrong (Chinese / English), then the usage and where the help is."""
    zh, en = usage_message(exc)
    ctx = exc.ctx
    if ctx is None:
        return [f"用法错误：{zh} / usage error: {en}", f"帮助 help: {ENTRY} --help"]
    path = []
    at: click.Context | None = ctx
    while at is not None and at.parent is not None:
        path.append(at.info_name or "")
        at = at.parent
    command = " ".join([ENTRY, *reversed(path)])
    pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
    return [f"用法错误：{zh} / usage error: {en}",
            f"用法 usage: {command} {pieces}；帮助 help: {command} --help"]


def usage_message(exc: errors.UsageError) -> tuple[str, str]:
    if isinstance(exc, errors.NoSuchOption):
        zh, en = f"没有选项 {exc.option_name}", f"no such option {exc.option_name}"
        if exc.possibilities:
            maybe = ", ".join(sorted(exc.possibilities))
            zh, en = f"{zh}，是否想用 {maybe}", f"{en} (did you mean {maybe}?)"
        return zh, en
    if isinstance(exc, errors.MissingParameter):
        hint = _param_hint(exc)
        kind = exc.param_type or (exc.param.param_type_name if exc.param else "parameter")
        kind_zh = {"option": "选项", "argument": "参数"}.get(kind, "参数")
        return f"缺少{kind_zh} {hint}", f"missing {kind} {hint}"
    if isinstance(exc, errors.BadParameter):
        hint = _param_hint(exc)
        detail = next((zh for en, zh in _DETAILS_ZH if en in exc.message), "取值无效")
        return f"{hint}：{detail}", f"invalid value for {hint}: {exc.message}"
    if isinstance(exc, errors.BadOptionUsage):
        option = exc.option_name
        if "requires" in exc.message:
            return f"选项 {option} 须带取值", f"option {option} requires a value"
        if "does not take a value" in exc.message:
            return f"选项 {option} 不带取值", f"option {option} does not take a value"
        return f"选项 {option} 用法有误", exc.message
    return _plain_message(exc)


def _plain_message(exc: errors.UsageError) -> tuple[str, str]:
    """The usage errors click raises as plain text (ctx.fail), in Chinese and English."""
    if exc.message.startswith("Missing command"):
        return "缺少子命令", "missing command"
    command = re.match(r"No such command '(.*?)'\.(?: Did you mean (.*)\?)?", exc.message)
    if command:
        group = exc.ctx.command if exc.ctx else None
        names = ", ".join(group.list_commands(exc.ctx)) if isinstance(group, TyperGroup) \
            and exc.ctx else ""
        name, maybe = command.groups()
        zh, en = f"没有命令“{name}”", f"no such command '{name}'"
        if maybe:
            zh, en = f"{zh}，是否想用 {maybe}", f"{en} (did you mean {maybe}?)"
        return (f"{zh}；可用命令 {names}", f"{en}; commands: {names}") if names else (zh, en)
    extra = re.search(r"unexpected extra argument\(?s?\)? \((.*)\)", exc.message)
    if extra:
        return f"多余的参数：{extra.group(1)}", f"unexpected extra argument(s): {extra.group(1)}"
    return "用法有误", exc.message


def _param_hint(exc: errors.BadParameter) -> str:
    hint = exc.param_hint
    if hint is None and exc.param is not None:
        hint = exc.param.get_error_hint()
    if hint is None:
        return ""
    return hint if isinstance(hint, str) else " / ".join(hint)
